"""Arabic script -> Arabizi, with DODa's conventions (3 ع, 7 ح, 9 ق, capitals for emphatics).

Deterministic letter mapping: Arabic script does not write short vowels, so the output has only
the vowels that are written as letters (ا و ي); it is a readable romanisation, not a reading.
Non-Arabic characters pass through unchanged.
"""

from __future__ import annotations

import re
from typing import Final

from agadir.lang.errors import LangInputError
from agadir.lang.normalization import _ARABIC_MARKS

_MAP: Final = str.maketrans(
    {
        "ا": "a", "أ": "a", "إ": "i", "آ": "a", "ٱ": "a", "ب": "b", "ت": "t", "ث": "t",
        "ج": "j", "ح": "7", "خ": "kh", "د": "d", "ذ": "d", "ر": "r", "ز": "z", "س": "s",
        "ش": "ch", "ص": "S", "ض": "D", "ط": "T", "ظ": "Z", "ع": "3", "غ": "gh", "ف": "f",
        "ق": "9", "ك": "k", "ل": "l", "م": "m", "ن": "n", "ه": "h", "و": "ou", "ي": "i",
        "ى": "a", "ة": "a", "ء": "2", "ؤ": "2", "ئ": "2", "ڭ": "g", "گ": "g", "ڤ": "v",
        "پ": "p", "ی": "i", "ک": "k", "،": ",", "؟": "?", "؛": ";",
        **dict.fromkeys(_ARABIC_MARKS, None),
    }
)  # fmt: skip
# و and ي between/after vowels are consonants: "ou"/"i" before a vowel letter reads w/y.
_GLIDE_W = re.compile(r"ou(?=[aeiou])|(?<=[aeiou])ou")
_GLIDE_Y = re.compile(r"(?<=[aeiou])i(?=[aeiou])|^i(?=[aeiou])|(?<=\s)i(?=[aeiou])")


def arabic_to_arabizi(text: str) -> str:
    """Romanise Arabic-script Darija: ``شكرا بزاف`` -> ``chkra bzaf``."""
    if not isinstance(text, str):
        raise LangInputError(f"expected str, got {type(text).__name__}", param="text")
    out = text.translate(_MAP)
    out = _GLIDE_W.sub("w", out)
    return _GLIDE_Y.sub("y", out)
