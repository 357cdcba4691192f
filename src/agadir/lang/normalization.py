"""Normalisation for search and comparison: Arabic script, Arabizi, Tifinagh.

Every function is idempotent (``f(f(x)) == f(x)``, property-tested) and built from
`str.translate` tables and precompiled regexes, because retrieval calls it on every document
and every query. It does not spell-correct, split clitics or transliterate.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

from agadir.lang.errors import LangInputError

# Arabic diacritics (harakat, tanwin, shadda, sukun, dagger alef, Quranic marks) and tatweel.
_ARABIC_MARKS = (
    [chr(c) for c in range(0x064B, 0x0660)]
    + [chr(0x0670), chr(0x0640)]
    + [chr(c) for c in range(0x06D6, 0x06DD)]
    + [chr(c) for c in range(0x06DF, 0x06E9)]
    + [chr(c) for c in range(0x06EA, 0x06EE)]
)
# Invisible bidi / joiner controls that creep in from copy-paste (U+200F starts some dev lines).
_INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\u061c", "\ufeff"] + [
    chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))
]
_DIGITS = {chr(0x0660 + i): str(i) for i in range(10)} | {
    chr(0x06F0 + i): str(i) for i in range(10)
}

_ARABIC_TABLE: Final = str.maketrans(
    {
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ى": "ي",
        "ی": "ي",  # Persian yeh
        "ک": "ك",  # keheh
        "ؤ": "و",
        "ئ": "ي",
        "،": ",",
        "؟": "?",
        "؛": ";",
        **_DIGITS,
        **dict.fromkeys(_ARABIC_MARKS, None),
        **dict.fromkeys(_INVISIBLE, None),
    }
)
_TA_MARBUTA: Final = str.maketrans({"ة": "ه"})
_SPACES = re.compile(r"\s+")

# Arabizi: runs of 3+ identical letters are expressive lengthening ("bzzzaaaf"), collapsed to
# one; doubled letters are kept because they write gemination ("khllaaT", "3Sa t TTbal").
_LENGTHENING = re.compile(r"([^\W\d_])\1{2,}")
_ARABIZI_TABLE: Final = str.maketrans({**_DIGITS, **dict.fromkeys(_INVISIBLE, None)})

_LABIALISATION: Final = "\u2d6f"  # TIFINAGH MODIFIER LETTER LABIALIZATION MARK
# Writers substitute look-alikes for the labialisation mark after a consonant.
_TFNG_LABIAL_LOOKALIKE = re.compile(r"(?<=[\u2d30-\u2d6f])[\u02b7\u1d42]")
_TIFINAGH_TABLE: Final = str.maketrans(dict.fromkeys(_INVISIBLE, None))


def _check(text: object) -> str:
    if not isinstance(text, str):
        raise LangInputError(f"expected str, got {type(text).__name__}", param="text")
    return text


def normalize_arabic(text: str, *, ta_marbuta: bool = True) -> str:
    """Fold Arabic-script spelling variants (alef/hamza, ya, digits, marks, punctuation).

    ``ta_marbuta=True`` also folds ة to ه, which Darija writers use interchangeably at word end.
    """
    out = unicodedata.normalize("NFC", _check(text)).translate(_ARABIC_TABLE)
    if ta_marbuta:
        out = out.translate(_TA_MARBUTA)
    return _SPACES.sub(" ", out).strip()


def normalize_arabizi(text: str, *, keep_case: bool = False) -> str:
    """Lower-case Arabizi, collapse lengthening; digit-letters 2 3 5 7 8 9 are kept as letters.

    ``keep_case=True`` keeps DODa-style capitals (T D S for emphatics) for transliteration.
    """
    out = _check(text).translate(_ARABIZI_TABLE)
    if not keep_case:
        out = out.lower()
    out = unicodedata.normalize("NFC", out)
    out = _LENGTHENING.sub(r"\1", out)
    return _SPACES.sub(" ", out).strip()


def normalize_tifinagh(text: str) -> str:
    """NFC, invisible controls removed, labialisation look-alikes mapped to U+2D6F."""
    out = unicodedata.normalize("NFC", _check(text).translate(_TIFINAGH_TABLE))
    out = _TFNG_LABIAL_LOOKALIKE.sub(_LABIALISATION, out)
    return _SPACES.sub(" ", out).strip()


def _dominant_script(text: str) -> str:
    arab = latn = tfng = 0
    for ch in text:
        if not ch.isalpha() or ch == "\u0640":  # tatweel is a "letter" that folding removes
            continue
        cp = ord(ch)
        if 0x0600 <= cp <= 0x08FF or 0xFB50 <= cp <= 0xFEFF:
            arab += 1
        elif 0x2D30 <= cp <= 0x2D7F:
            tfng += 1
        else:
            latn += 1
    best = max((arab, "Arab"), (tfng, "Tfng"), (latn, "Latn"))
    return best[1] if best[0] else "Latn"


def normalize(text: str, lang: str | None = None) -> str:
    """Normalise by language label or script (``ary_Arab``, ``Arab``, ``Latn``, ``Tfng``).

    With ``lang=None`` the dominant script decides. Latin-script text gets the Arabizi rules
    (lower-case, lengthening), harmless for French or English search keys too. Arabic-script
    rules are applied to mixed text too, so Arabic words inside Latin text are folded as well.
    """
    _check(text)
    script = (lang or _dominant_script(text)).rsplit("_", 1)[-1]
    if script == "Arab":
        return normalize_arabic(text)
    if script == "Tfng":
        return normalize_tifinagh(text)
    if script == "Latn":
        return normalize_arabizi(normalize_arabic(text))
    raise LangInputError(f"unknown language or script {lang!r}", param="lang")
