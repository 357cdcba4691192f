"""Tifinagh <-> Latin transliteration following the IRCAM table (ARCHITECTURE.md).

The table is a bijection between 33 Tifinagh letters (+ the labialisation mark U+2D6F, written
``ʷ``) and Latin letters, so conversion is one `str.translate` each way. To make
``latin_to_tifinagh(tifinagh_to_latin(s)) == s`` hold for *every* string -- Tifinagh lines carry
Latin names, digits and look-alike letters -- a Latin character that already belongs to the
target alphabet (or a backslash) is escaped with a backslash on the way out and unescaped on the
way back. Tifinagh letters outside the IRCAM table (Tuareg letters such as ⵞ) pass through.
Upper-case Latin is accepted in `latin_to_tifinagh` (proper nouns) and maps to the same letter.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

from agadir.lang.errors import LangInputError

_IRCAM: Final[tuple[tuple[str, str], ...]] = (
    ("ⴱ", "b"), ("ⴳ", "g"), ("ⴷ", "d"), ("ⴹ", "ḍ"), ("ⴼ", "f"), ("ⴽ", "k"), ("ⵀ", "h"),
    ("ⵃ", "ḥ"), ("ⵅ", "x"), ("ⵇ", "q"), ("ⵊ", "j"), ("ⵍ", "l"), ("ⵎ", "m"), ("ⵏ", "n"),
    ("ⵔ", "r"), ("ⵕ", "ṛ"), ("ⵖ", "ɣ"), ("ⵙ", "s"), ("ⵚ", "ṣ"), ("ⵛ", "c"), ("ⵜ", "t"),
    ("ⵟ", "ṭ"), ("ⵡ", "w"), ("ⵢ", "y"), ("ⵣ", "z"), ("ⵥ", "ẓ"), ("ⴰ", "a"), ("ⴻ", "e"),
    ("ⵄ", "ɛ"), ("ⵉ", "i"), ("ⵓ", "u"), ("\u2d6f", "ʷ"),
)  # fmt: skip
_TO_LATIN: Final = {t: latin for t, latin in _IRCAM}
_TO_TFNG: Final = {latin: t for t, latin in _IRCAM} | {
    latin.upper(): t for t, latin in _IRCAM if latin.upper() != latin
}
_ESCAPE: Final = "\\"
_NEEDS_ESCAPE: Final = re.compile("[" + re.escape("".join(_TO_TFNG) + _ESCAPE + "\u0323") + "]")
_ESCAPED_OR_LATIN: Final = re.compile(r"\\(.)|([A-Za-z]\u0323|.)", re.DOTALL)
_TO_LATIN_TABLE: Final = str.maketrans(_TO_LATIN)


def _check(text: object) -> str:
    if not isinstance(text, str):
        raise LangInputError(f"expected str, got {type(text).__name__}", param="text")
    return text


def tifinagh_to_latin(text: str) -> str:
    """IRCAM Latin for Tifinagh letters; Latin letters already present are backslash-escaped."""
    escaped = _NEEDS_ESCAPE.sub(lambda m: _ESCAPE + m.group(), _check(text))
    return escaped.translate(_TO_LATIN_TABLE)


def _unescape_convert(match: re.Match[str]) -> str:
    literal, char = match.group(1), match.group(2)
    if literal is not None:
        return literal
    return _TO_TFNG.get(unicodedata.normalize("NFC", char), char)


def latin_to_tifinagh(text: str) -> str:
    """Tifinagh for IRCAM Latin (decomposed ``d`` + U+0323 works too); ``\\x`` stays ``x``."""
    return _ESCAPED_OR_LATIN.sub(_unescape_convert, _check(text))
