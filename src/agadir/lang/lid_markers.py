"""Closed-class words that tell Moroccan, Algerian, Egyptian Arabic and MSA apart.

Every listed word that occurs in a line adds, besides its own hashed whole-word feature, one
shared feature for its variety ("a Darija marker is present"). The model learns one weight per
shared feature from every training line holding any marker, so a marker that is rare in the
training text (``ڭاع``, ``دابا``) still counts as evidence for its variety. The lists are
short, hand-written and limited to function words, pronoun/deixis forms, negation, question
words and auxiliaries that are characteristic of one variety; words shared by several
varieties (``بزاف`` Moroccan and Algerian, ``كيفاش``, ``علاش``) are left out. Words are
folded (`_fold.fold_text`) before hashing, as the text they are matched against is.
It does not weigh markers by hand: the weights come from training. Longer lists (more Moroccan
deixis, Egyptian particles, MSA words that NLLB-Seed Darija also uses taken out) were tried
and scored no better on the held-out fifth of train, so these are the lists that shipped
(docs/benchmarks.md, *LID, third pass*).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Final

import numpy as np
import numpy.typing as npt

from agadir.lang import _probe
from agadir.lang._fold import fold_text

# fmt: off
MARKERS: Final[dict[str, tuple[str, ...]]] = {
    "ary": (
        "دابا", "ديال", "ديالي", "ديالك", "ديالو", "ديالها", "ديالنا", "ديالكم", "ديالهم",
        "ديالتي", "ديالت", "شنو", "شنوا", "شنا", "اشنو", "فوقاش", "واخا", "وخا", "عافاك",
        "هادشي", "داكشي", "هادو", "داكو", "هاديك", "غادي", "غادا", "غاديين", "خاصني", "خاصك",
        "خاصو", "خاصنا", "بغيت", "بغيتي", "بغينا", "بغا", "بغات", "كنبغي", "كيبغي", "كاع",
        "ڭاع", "ڭاليا", "ڭلت", "ڭال", "زوين", "زوينة", "ماكاينش", "مكاينش", "كتقول",
        "كنقول", "كيقول", "بصاح", "صافي", "فاش", "ملي", "حيت", "نتا", "نتي", "نتوما",
    ),
    "arq": (
        "راني", "راكي", "راهي", "راكم", "تاع", "تاعي", "تاعك", "تاعو", "تاعها", "تاعنا",
        "تاعهم", "نتاع", "بصح", "برك", "كاش", "ياسر", "دروك", "ضرك", "درك", "قاع", "ڨاع",
        "كيفاه", "وين", "واشنو", "نحوس", "يحوس", "مليح", "مليحة", "حاب", "حابة", "هاذ",
        "هاذا", "هاذي", "هذوما", "ماكانش", "بلاك", "ڨال", "ڨلت", "كيما",
    ),
    "arz": (
        "ازاي", "عايز", "عايزة", "عاوز", "عاوزة", "عايزين", "مش", "دلوقتي", "كده",
        "كدا", "بتاع", "بتاعي", "بتاعك", "بتاعه", "بتاعها", "اوي", "ده", "دي", "امبارح",
        "النهارده", "النهاردة", "بكرة", "خالص", "علشان", "عشان", "معلش", "مفيش", "مافيش",
        "احنا", "انتوا", "ازيك", "كمان", "هعمل", "هروح",
    ),
    "arb": (
        "هل", "الذي", "التي", "الذين", "اللذان", "اللتان", "اللواتي", "لم", "لن", "ليس",
        "ليست", "سوف", "هذا", "هذه", "ذلك", "تلك", "هؤلاء", "أولئك", "ماذا", "لماذا", "متى",
        "أين", "لقد", "قد", "عندما", "جدا", "الآن", "أيضا", "لكن", "لكنه", "إنه", "إنها",
        "إنني", "نحن", "أنتم", "عن", "منذ", "كانت", "يكون", "تكون", "لدي", "لديه", "لديها",
        "أريد", "تستطيع", "يستطيع", "أستطيع", "يمكن", "يمكنك", "إذا", "سيكون", "ثم",
    ),
}
# fmt: on
#: Varieties in a fixed order: the shared feature of variety ``i`` is pseudo-word ``i``.
VARIETIES: Final[tuple[str, ...]] = tuple(MARKERS)
_P: Final = 0x100000001B3
_MASK: Final = (1 << 64) - 1


def word_hash(word: str) -> int:
    """The position-independent hash `_features.word_buckets` gives a whole word."""
    h = 0
    power = 1
    for ch in word:
        h = (h + ord(ch) * power) & _MASK
        power = (power * _P) & _MASK
    return h


@lru_cache(maxsize=1)
def marker_table() -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.intp]]:
    """Sorted hashes of the marker words and, for each, its variety index.

    A word listed for two varieties (``علاه``, ``شكون``, ``كاين``) is evidence for neither
    alone, so it is dropped from the shared features (its own word feature still counts).
    """
    owners: dict[int, set[int]] = {}
    for i, variety in enumerate(VARIETIES):
        for word in MARKERS[variety]:
            owners.setdefault(word_hash(fold_text(word)), set()).add(i)
    unique = sorted((h, next(iter(v))) for h, v in owners.items() if len(v) == 1)
    hashes = np.array([h for h, _ in unique], dtype=np.uint64)
    classes = np.array([c for _, c in unique], dtype=np.intp)
    return hashes, classes


@lru_cache(maxsize=1)
def marker_probe() -> _probe.ProbeTable:
    """`marker_table` as a hash table (a probe per word is cheaper than a binary search).

    Built from `marker_table`: whoever swaps `MARKERS` clears both caches.
    """
    return _probe.build(*marker_table())
