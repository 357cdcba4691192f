"""Character folding for LID features: what a writer may or may not type does not decide a label.

Harakat, shadda, tanwin, tatweel and invisible bidi controls are deleted; hamza-seat and alef
variants (أ إ آ ٱ -> ا, ى ی -> ي, ؤ -> و, ئ -> ي, ک -> ك, گ -> ڭ) are merged; punctuation and
symbols become spaces, except ``'`` and ``-``, which sit inside Arabizi and French words. In the
shared training data harakat, punctuation style and hamza spelling go with the *source*
(Tatoeba lines are vocalised and end with ``.``/``؟``, Wikipedia translations are not), so a
model that sees them learns the source, not the language. Folding is one table lookup per code
point over the whole batch (numpy), so it costs about a millisecond per thousand lines.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

import numpy as np
import numpy.typing as npt

#: Table value meaning "delete this code point".
DELETE = 0x110000
_MERGE = {
    "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ی": "ي", "ؤ": "و", "ئ": "ي",
    "ک": "ك", "گ": "ڭ",
}  # fmt: skip
_KEEP_PUNCT = {"'", "-"}


def _deleted(cp: int) -> bool:
    """Arabic marks (harakat, shadda, sukun, dagger alef, Quranic marks), tatweel, bidi controls."""
    if 0x064B <= cp <= 0x065F or cp in (0x0670, 0x0640):
        return True
    if 0x06D6 <= cp <= 0x06ED and unicodedata.category(chr(cp)) == "Mn":
        return True
    return unicodedata.category(chr(cp)) == "Cf"


@lru_cache(maxsize=1)
def fold_table() -> npt.NDArray[np.uint64]:
    """Folded code point (or `DELETE`) of every BMP code point; built once per process."""
    table = np.arange(0x10000, dtype=np.uint64)
    for cp in range(0x10000):
        ch = chr(cp)
        if _deleted(cp):
            table[cp] = DELETE
        elif ch in _MERGE:
            table[cp] = ord(_MERGE[ch])
        elif unicodedata.category(ch)[0] in "PS" and ch not in _KEEP_PUNCT:
            table[cp] = 32
    return table


def fold_codes(
    codes: npt.NDArray[np.uint64], positions: npt.NDArray[np.intp] | None = None
) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.intp]]:
    """Folded codes, and where each of ``positions`` (input indices) lands in them.

    Astral code points (emoji...) are left as they are. Deleted code points are few (marks,
    tatweel), so positions move by a search over the deleted ones, not a pass over all codes.
    """
    table = fold_table()
    mapped = table[np.minimum(codes, 0xFFFF)]
    if len(codes) and int(codes.max()) > 0xFFFF:
        np.copyto(mapped, codes, where=codes > 0xFFFF)
    if positions is None:
        positions = np.zeros(0, dtype=np.intp)
    deleted = np.flatnonzero(mapped == DELETE)
    if not len(deleted):
        return mapped, positions
    moved = positions - np.searchsorted(deleted, positions)
    return np.delete(mapped, deleted), moved


def fold_text(text: str) -> str:
    """`fold_codes` on one string (for word lists such as the LID markers)."""
    codes = np.frombuffer(text.lower().encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    folded, _ = fold_codes(codes)
    return folded.astype(np.uint32).tobytes().decode("utf-32-le")
