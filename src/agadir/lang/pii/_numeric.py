"""Recognisers for digit-based identifiers: phones, RIB, IBAN MA, ICE, payment cards, IPv4.

Each recogniser is a compiled regex that finds the *shape* (any digit script, the usual
separators) plus a validator that decides on the ASCII digits. Shapes are bounded so that a
match never starts or ends inside a longer run of digits: ``2024 0612`` is not a phone
prefix and the middle of a RIB is not an ICE. Not handled: numbers split across lines,
separators other than space, dot and hyphen, and phone numbers written in words.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterator

from ._checksums import iban_ma_valid, ice_valid, luhn_valid, rib_valid
from ._digits import DIGIT, DIGIT_CHARS, ascii_digits, d, digit_class, digits_only
from ._scan import DigitRecogniser, digit_windows
from ._types import PiiMatch, PiiType

_ALNUM = rf"[{DIGIT_CHARS}A-Za-z_]"
_NOT_AFTER_ALNUM = rf"(?<!{_ALNUM})"
_NOT_BEFORE_ALNUM = rf"(?!{_ALNUM})"
# A spaced/dotted digit run continuing on either side: "… 12 |34 56" must not start a match.
_NOT_AFTER_RUN = rf"(?<!{DIGIT}[ .\-])"
_NOT_BEFORE_RUN = rf"(?![ .\-]{DIGIT})"
# The tail of a decimal, a date or a fraction: "1,0612345678" or "12/0612…".
_NOT_AFTER_DECIMAL = rf"(?<!{DIGIT}[.,/])"
_NOT_BEFORE_DECIMAL = rf"(?![.,/]{DIGIT})"
_SEP = re.compile(r"[ .\-]")

_PHONE = re.compile(
    _NOT_AFTER_ALNUM
    + _NOT_AFTER_DECIMAL
    + r"(?:(?P<intl>(?:\(\s?(?:\+|"
    + d("00")
    + r")"
    + d("212")
    + r"\s?\)|(?:\+|"
    + d("00")
    + r")"
    + d("212")
    + r")[ .\-]?(?:\("
    + d("0")
    + r"\)[ .\-]?)?)|(?P<trunk>"
    + d("0")
    + r"))(?P<nsn>"
    + digit_class("5678")
    + rf"(?:[ .\-]?{DIGIT}){{8}})"
    + _NOT_BEFORE_ALNUM
    + _NOT_BEFORE_DECIMAL
)


def _groups(raw: str) -> tuple[set[str], list[int]] | None:
    """Separator kinds used and digit-group lengths of ``raw``; None if it has a double sep."""
    seps = set(_SEP.findall(raw))
    lengths = [len(g) for g in _SEP.split(raw)]
    if any(n == 0 for n in lengths):
        return None
    return seps, lengths


def _grouping_ok(raw: str, min_len: int, max_len: int, first_min: int | None = None) -> bool:
    """One separator kind throughout, and every group a plausible length.

    Why: people group an identifier consistently ("06 12 34 56 78", "0612-345678"); mixed
    separators or one-digit groups are dates, prices or lists that happen to add up.
    """
    parsed = _groups(raw)
    if parsed is None:
        return False
    seps, lengths = parsed
    if len(lengths) == 1:
        return True
    if len(seps) > 1:
        return False
    head = first_min if first_min is not None else min_len
    return (
        lengths[0] >= head
        and all(min_len <= n <= max_len for n in lengths[1:])
        and (lengths[0] <= max_len)
    )


# ANRT's 08 range (080x non-geographic and 08 VoIP numbers) is also the shape of order and
# invoice numbers, so an 08 number is a phone only next to a word that says so.
_PHONE_CONTEXT = re.compile(
    r"(?i:appel|t[ée]l[ée]?phon|\bt[ée]l\b|num[ée]ro|portable|mobile|\bfixe\b"
    r"|joindre|contact|whats\s?app|\bcall\b|\bphone\b|\bnumber\b|\bsms\b|\bvoip\b"
    r"|\bnmra\b|\bnumero\b|3ayet|3iyet|\bra9m)"
    r"|هاتف|الهاتف|تيليفون|تلفون|رقمي|نمرة|اتصل|عيط|واتساب"
)
_PHONE_CONTEXT_BEFORE = 40
_PHONE_CONTEXT_AFTER = 25


def has_phone_context(text: str, start: int, end: int) -> bool:
    """Whether a phone word sits within 40 characters before or 25 after the span."""
    return bool(
        _PHONE_CONTEXT.search(text, max(0, start - _PHONE_CONTEXT_BEFORE), start)
        or _PHONE_CONTEXT.search(text, end, min(len(text), end + _PHONE_CONTEXT_AFTER))
    )


def _phone_ok(m: re.Match[str]) -> bool:
    nsn = m.group("nsn")
    if ascii_digits(nsn[0]) == "8" and not has_phone_context(m.string, m.start(), m.end()):
        return False
    if m.group("trunk") is not None:
        return _grouping_ok(m.group("trunk") + nsn, 2, 10)
    return _grouping_ok(nsn, 2, 9, first_min=1)


def _run_pattern(count: str, sep: str = r"[ .\-]") -> re.Pattern[str]:
    """A digit then ``count`` more (a regex quantifier body) with optional single separators.

    Bounded on both sides so the match is a whole run, never a slice of a longer number.
    """
    return re.compile(
        _NOT_AFTER_ALNUM
        + _NOT_AFTER_RUN
        + _NOT_AFTER_DECIMAL
        + rf"{DIGIT}(?:{sep}?{DIGIT}){{{count}}}"
        + _NOT_BEFORE_ALNUM
        + _NOT_BEFORE_RUN
        + _NOT_BEFORE_DECIMAL
    )


_RIB = _run_pattern("23")
_ICE = _run_pattern("14")
_CARD = _run_pattern("12,18", sep=r"[ \-]")
_IBAN = re.compile(
    r"(?<![A-Za-z0-9_])MA ?"
    + rf"{DIGIT}{{2}}(?:[ \-]?{DIGIT}){{24}}"
    + _NOT_BEFORE_ALNUM
    + _NOT_BEFORE_RUN
)
_IPV4 = re.compile(
    rf"(?<![{DIGIT_CHARS}A-Za-z_.]){DIGIT}{{1,3}}(?:\.{DIGIT}{{1,3}}){{3}}"
    + _NOT_BEFORE_ALNUM
    + rf"(?!\.{DIGIT})"
)


def _rib_ok(raw: str) -> bool:
    return rib_valid(digits_only(raw)) and _grouping_ok(raw, 2, 16)


# How an ICE is written: whole, in threes, or as its parts 9 (company) + 4 (site) + 2 (key).
_ICE_GROUPINGS = ([15], [3, 3, 3, 3, 3], [9, 4, 2], [9, 6])


def _ice_ok(raw: str) -> bool:
    parsed = _groups(raw)
    if parsed is None or len(parsed[0]) > 1 or parsed[1] not in _ICE_GROUPINGS:
        return False
    return ice_valid(digits_only(raw))


# Issuer prefixes (first two digits) of the card schemes seen in Morocco and abroad: Visa 4x,
# Mastercard 22-27 and 51-55, Amex 34/37, Diners 30/36/38/39, JCB 35, Maestro 50/56-58,
# Discover/UnionPay/Maestro 6x. A Luhn pass alone accepts one random number in ten.
_CARD_PREFIXES = frozenset(
    {f"4{i}" for i in range(10)}
    | {str(i) for i in range(22, 28)}
    | {str(i) for i in range(50, 59)}
    | {"30", "34", "35", "36", "37", "38", "39"}
    | {f"6{i}" for i in range(10)}
)


def _card_ok(raw: str) -> bool:
    digits = digits_only(raw)
    if not 13 <= len(digits) <= 19 or digits[:2] not in _CARD_PREFIXES:
        return False
    if len(digits) == 15 and digits[:2] not in ("34", "37"):
        return False  # only Amex issues 15 digits; other 15-digit numbers are ICE-shaped
    parsed = _groups(raw)
    if parsed is None:
        return False
    seps, lengths = parsed
    if len(lengths) > 1:
        grouped_by_4 = all(n == 4 for n in lengths[:-1]) and 1 <= lengths[-1] <= 4
        amex_or_diners = lengths in ([4, 6, 5], [4, 6, 4])
        if len(seps) > 1 or not (grouped_by_4 or amex_or_diners):
            return False
    return luhn_valid(digits)


def _iban_ok(raw: str) -> bool:
    compact = ascii_digits(raw).replace(" ", "").replace("-", "")
    return iban_ma_valid(compact)


def _ipv4_ok(raw: str) -> bool:
    try:
        ipaddress.IPv4Address(ascii_digits(raw))
    except ValueError:  # out-of-range octet or a leading zero ("01.02.2024.1")
        return False
    return True


def _on_group(check: Callable[[str], bool]) -> Callable[[re.Match[str]], bool]:
    return lambda m: check(m.group())


PHONE = DigitRecogniser(PiiType.PHONE, _PHONE, 9, _phone_ok)
RIB = DigitRecogniser(PiiType.RIB, _RIB, 24, _on_group(_rib_ok))
IBAN = DigitRecogniser(PiiType.IBAN, _IBAN, 26, _on_group(_iban_ok))
ICE = DigitRecogniser(PiiType.ICE, _ICE, 15, _on_group(_ice_ok))
CARD = DigitRecogniser(PiiType.CARD, _CARD, 13, _on_group(_card_ok))
IPV4 = DigitRecogniser(PiiType.IP, _IPV4, 7, _on_group(_ipv4_ok))


def _standalone(recogniser: DigitRecogniser, text: str) -> Iterator[PiiMatch]:
    return recogniser.find(text, digit_windows(text))


def find_phones(text: str) -> Iterator[PiiMatch]:
    """Moroccan numbers: +212 / 00212 / (+212) / +212 (0) / trunk 0, then 5, 6 or 7 + 8 digits,
    or 8 + 8 digits (ANRT non-geographic / VoIP range) next to a phone context word."""
    return _standalone(PHONE, text)


def find_ribs(text: str) -> Iterator[PiiMatch]:
    """24-digit RIB (bank 3, city 3, account 16, key 2) whose key checks."""
    return _standalone(RIB, text)


def find_ices(text: str) -> Iterator[PiiMatch]:
    """15-digit ICE divisible by 97."""
    return _standalone(ICE, text)


def find_cards(text: str) -> Iterator[PiiMatch]:
    """13–19 digit card numbers with a known issuer prefix and a Luhn pass."""
    return _standalone(CARD, text)


def find_ibans(text: str) -> Iterator[PiiMatch]:
    """Moroccan IBANs (MA + 26 digits) passing ISO 7064 MOD 97-10."""
    return _standalone(IBAN, text)


def find_ipv4(text: str) -> Iterator[PiiMatch]:
    """Dotted-quad IPv4 addresses that :mod:`ipaddress` accepts."""
    return _standalone(IPV4, text)
