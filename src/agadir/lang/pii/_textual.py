"""Recognisers anchored on punctuation or letters: e-mail, IPv6 and the CIN.

E-mail and IPv6 are found from their rare anchor characters ('@', ':') and grown outwards,
which keeps the scan over ordinary prose to a single C-level search. Not handled:
internationalised (non-ASCII) e-mail addresses, IPv6 zone ids ("%eth0"), and CIN numbers
written with Arabic letters.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator

from ._digits import DIGIT, DIGIT_CHARS
from ._scan import DigitRecogniser, digit_windows
from ._types import PiiMatch, PiiType

_EMAIL_LOCAL = re.compile(r"[A-Za-z0-9._%+\-]{1,64}\Z")
_EMAIL_DOMAIN = re.compile(
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![A-Za-z0-9\-])"
)


def find_emails(text: str) -> Iterator[PiiMatch]:
    """``local@domain.tld`` with RFC-shaped labels; dots may not lead, trail or double."""
    at = text.find("@")
    while at != -1:
        local_m = _EMAIL_LOCAL.search(text, max(0, at - 64), at)
        domain_m = _EMAIL_DOMAIN.match(text, at + 1)
        if local_m and domain_m:
            local = local_m.group().lstrip(".")
            start = at - len(local)
            if local and not local.endswith(".") and ".." not in local:
                yield PiiMatch(PiiType.EMAIL, start, domain_m.end(), text[start : domain_m.end()])
                at = text.find("@", domain_m.end())
                continue
        at = text.find("@", at + 1)


_V6_ANCHOR = re.compile(r":[0-9A-Fa-f]{0,4}:")
_V6_LEFT = re.compile(r"[0-9A-Fa-f:]{1,45}\Z")
_V6_RIGHT = re.compile(r"[0-9A-Fa-f:.]{1,45}")
_WORDISH = re.compile(r"[0-9A-Za-z_:.]")


def find_ipv6(text: str) -> Iterator[PiiMatch]:
    """IPv6 addresses (any compression, dotted IPv4 tail) that :mod:`ipaddress` accepts.

    Candidates are grown from a ``:x:`` anchor to the surrounding hex/colon run and must
    stand alone ("std::vector" grows to "d::", which touches letters and is dropped).
    """
    pos = 0
    while True:
        anchor = _V6_ANCHOR.search(text, pos)
        if anchor is None:
            return
        left = _V6_LEFT.search(text, max(0, anchor.start() - 45), anchor.start())
        start = left.start() if left else anchor.start()
        right = _V6_RIGHT.match(text, anchor.start())
        end = right.end() if right else anchor.end()
        while end > start and text[end - 1] == ".":
            end -= 1
        if end - start >= 2 and text[end - 1] == ":" and text[end - 2] != ":":
            end -= 1
        candidate = text[start:end]
        before = text[start - 1] if start else ""
        after = text[end] if end < len(text) else ""
        standalone = not (before and _WORDISH.match(before)) and not (
            after and _WORDISH.match(after) and after not in ".:"
        )
        if standalone and any(c not in ":" for c in candidate):
            try:
                ipaddress.IPv6Address(candidate)
            except ValueError:
                pass
            else:
                yield PiiMatch(PiiType.IP, start, end, candidate)
        pos = max(end, anchor.end() - 1)


# CIN: 1–2 Latin letters and 5–6 digits. "Strong" shape (no context needed): uppercase letters
# glued to exactly 6 digits, e.g. AB123456, J123456. Weak shapes (5 digits, lowercase letters
# glued to the digits, or uppercase letters then a space or hyphen) are a CIN only near a
# context word. Lowercase letters then a space are never a CIN ("le 12345").
_CIN = re.compile(
    rf"(?<![{DIGIT_CHARS}A-Za-z_])(?P<letters>[A-Za-z]{{1,2}})(?P<sep>[ \-]?)"
    rf"(?P<digits>{DIGIT}{{5,6}})(?![{DIGIT_CHARS}A-Za-z_])(?![.,/]{DIGIT})"
)
_CIN_CONTEXT = re.compile(
    r"(?i:\bc\.?\s?i\.?\s?n\b\.?|\bcnie\b|carte\s+(?:d['’]identit[ée]\s+)?nationale"
    r"|carte\s+d['’]identit[ée]|\bn[°º]\s*d['’]identit[ée])"
    r"|ب\s?\.?\s?ت\s?\.?\s?و|البطاقة\s+الوطنية|بطاقة\s+التعريف|رقم\s+البطاقة|البطاقة\s+الشخصية"
)
_CONTEXT_BEFORE = 60
_CONTEXT_AFTER = 25


def has_cin_context(text: str, start: int, end: int) -> bool:
    """Whether a CIN context word sits within 60 characters before or 25 after the span."""
    return bool(
        _CIN_CONTEXT.search(text, max(0, start - _CONTEXT_BEFORE), start)
        or _CIN_CONTEXT.search(text, end, min(len(text), end + _CONTEXT_AFTER))
    )


def _cin_ok(m: re.Match[str]) -> bool:
    letters, sep = m.group("letters"), m.group("sep")
    if sep and not letters.isupper():
        return False  # "le 12345", "de 80000": a French word before a number
    strong = letters.isupper() and not sep and len(m.group("digits")) == 6
    return strong or has_cin_context(m.string, m.start(), m.end())


CIN = DigitRecogniser(PiiType.CIN, _CIN, 5, _cin_ok)


def find_cins(text: str) -> Iterator[PiiMatch]:
    """Moroccan national identity card numbers (CIN / CNIE)."""
    return CIN.find(text, digit_windows(text))
