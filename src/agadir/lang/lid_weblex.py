"""FineWeb-2's Moroccan and MSA web word lists as LID evidence that no training source wrote.

Each Arabic-script label of the shared LID data rests on one or two sources of one register
(NLLB-Seed translations and DODa chat for ``ary_Arab``, Wikipedia-style XQuAD / UD-PUD for
``arb_Arab``), so a model learns the register with the label. FineWeb-2's precision word lists
(``wordlists-0.85``: words whose web documents are at least 85 % of one language) come from
the open web, a register none of those sources has. A line's words found in the ``ary_Arab``
list add one count each to one shared feature, and likewise for ``arb_Arab`` (as the
closed-class markers of `lid_markers` do), so the weight of "a web-Darija word is here" is
learnt from every training line that has any, whichever source it came from.

The lists ship as a derived artefact, ``lid_weblex.npz``: for each list the sorted 32-bit keys
(`word_key`) of every folded word (`_fold.fold_text`), delta-encoded; no text. The key is the
top half of the word's `lid_markers.word_hash` after a multiplicative mix: the raw polynomial
hash's top bits barely depend on a short word's last letters (a third of the keys collided).
A stranger word takes a list's feature by a 32-bit collision with probability about
``list size / 2**32`` (1.3e-5 for the 56k folded MSA words). A word in both lists after folding is
evidence for neither and is dropped, as `lid_markers.marker_table` drops shared markers.
Rebuilt by ``scripts/build_lid_weblex.py`` from the shared FineWeb-2 copy; attribution in
``NOTICE.md`` next to it. It does not weigh words: one count per word, weights from training.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Final

import numpy as np
import numpy.typing as npt

from agadir.lang import _probe
from agadir.lang.errors import LangModelError

#: The lists in a fixed order: a hit in list ``i`` adds shared pseudo-word ``i``.
LISTS: Final[tuple[str, ...]] = ("ary_Arab", "arb_Arab")
ARTEFACT: Final = "lid_weblex.npz"
_SALT: Final = 0x7765626C  # "webl"
_MIX: Final = 0x9E3779B97F4A7C15
_MASK: Final = (1 << 64) - 1


def word_key(word_hash: int) -> int:
    """What the artefact stores for a word: 32 well-mixed bits of its 64-bit hash."""
    return (((word_hash ^ _SALT) * _MIX) & _MASK) >> 32


def word_keys(hashes: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint32]:
    """`word_key` of every hash (numpy wraps uint64 products modulo 2**64, as `_MASK` does)."""
    return (((hashes ^ np.uint64(_SALT)) * np.uint64(_MIX)) >> np.uint64(32)).astype(np.uint32)


def encode_lists(keys: dict[str, set[int]]) -> dict[str, npt.NDArray[np.uint32]]:
    """Per list, its keys minus those of any other list, sorted and delta-encoded (for npz)."""
    out = {}
    for name in LISTS:
        others = set().union(*(keys[o] for o in LISTS if o != name))
        mine = np.array(sorted(keys[name] - others), dtype=np.uint32)
        out[name] = np.diff(mine, prepend=np.uint32(0))
    return out


@lru_cache(maxsize=1)
def web_table() -> tuple[npt.NDArray[np.uint32], npt.NDArray[np.intp]]:
    """Sorted word keys of every list and, for each, its list index (loaded once, lazily)."""
    ref = resources.files("agadir.lang").joinpath(ARTEFACT)
    try:
        with resources.as_file(ref) as path, np.load(path) as npz:
            parts = [np.cumsum(npz[name], dtype=np.uint32) for name in LISTS]
    except (OSError, KeyError, ValueError) as exc:
        raise LangModelError(
            f"LID web lexicon {ARTEFACT} is missing or corrupt ({exc}); "
            "rebuild it with `python scripts/build_lid_weblex.py`."
        ) from exc
    keys = np.concatenate(parts)
    classes = np.concatenate([np.full(len(p), i, dtype=np.intp) for i, p in enumerate(parts)])
    order = np.argsort(keys, kind="stable")
    return keys[order], classes[order]


@lru_cache(maxsize=1)
def _probe_table() -> _probe.ProbeTable:
    """`web_table` as a hash table (built once per process, about 50 ms)."""
    keys, classes = web_table()
    return _probe.build(keys.astype(np.uint64), classes)


def lookup(keys: npt.NDArray[np.uint32]) -> npt.NDArray[np.intp]:
    """The list index of every key, -1 where it is in no list (a hash probe, see `_probe`)."""
    return _probe.find(_probe_table(), keys.astype(np.uint64))
