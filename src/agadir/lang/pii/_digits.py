"""Digits as people type them in Morocco: ASCII, Arabic-Indic (٠-٩) and Persian (۰-۹).

Recognisers match any of the three scripts (even mixed inside one number) through the
``DIGIT`` character class, and validators work on :func:`ascii_digits` of the span. The
translation is one character for one character, so offsets never shift.
"""

from __future__ import annotations

import re

ARABIC_INDIC = "٠١٢٣٤٥٦٧٨٩"
PERSIAN = "۰۱۲۳۴۵۶۷۸۹"

#: Regex class body (no brackets) for a digit in any of the three scripts.
DIGIT_CHARS = r"0-9\u0660-\u0669\u06F0-\u06F9"
DIGIT = f"[{DIGIT_CHARS}]"

_TO_ASCII = str.maketrans(ARABIC_INDIC + PERSIAN, "0123456789" * 2)
_NON_DIGIT = re.compile(r"[^0-9]+")


def d(literal: str) -> str:
    """A regex for a literal digit string that accepts each digit in any script.

    ``d("212")`` matches "212", "٢١٢" and "۲۱۲" (and mixtures), so prefixes such as the
    Moroccan country code are found however they were typed.
    """
    parts = []
    for ch in literal:
        if ch.isdigit():
            n = int(ch)
            parts.append(f"[{ch}{ARABIC_INDIC[n]}{PERSIAN[n]}]")
        else:
            parts.append(re.escape(ch))
    return "".join(parts)


def digit_class(ascii_digits: str) -> str:
    """A regex class accepting each given ASCII digit in any script, e.g. ``"567"``."""
    return "[" + "".join(f"{c}{ARABIC_INDIC[int(c)]}{PERSIAN[int(c)]}" for c in ascii_digits) + "]"


def ascii_digits(text: str) -> str:
    """``text`` with Arabic-Indic and Persian digits replaced by ASCII, same length."""
    return text.translate(_TO_ASCII)


def digits_only(text: str) -> str:
    """The ASCII digits of ``text``, separators and everything else dropped."""
    return _NON_DIGIT.sub("", ascii_digits(text))
