"""The packaged FineWeb-2 web lexicon: what it holds, how lines hit it, and that it is derived.

The artefact must be exactly what `scripts/build_lid_weblex.py` derives from the shared copy
(nobody edits hashes by hand), words must be found after folding (harakat and hamza seats do
not hide a word), and a model of feature version 2 (before the lexicon) must not see it.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from agadir.lang import _features
from agadir.lang._fold import fold_text
from agadir.lang.lid_markers import word_hash
from agadir.lang.lid_weblex import LISTS, web_table, word_key

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

from lid_data import default_data  # noqa: E402

WORDLISTS = default_data() / "fineweb2" / "wordlists"


def _list_of(word: str) -> str | None:
    keys, classes = web_table()
    key = word_key(word_hash(fold_text(word)))
    i = int(np.searchsorted(keys, np.uint32(key)))
    return LISTS[int(classes[i])] if i < len(keys) and keys[i] == key else None


def test_table_is_sorted_and_holds_both_lists() -> None:
    keys, classes = web_table()
    assert keys.dtype == np.uint32 and np.all(keys[1:] > keys[:-1])  # sorted, no duplicates
    counts = np.bincount(classes, minlength=len(LISTS))
    assert counts[0] > 2_000 and counts[1] > 50_000  # ary_Arab 2,431 and arb_Arab 63,751 words


def test_words_are_found_after_folding() -> None:
    assert _list_of("ديال") == "ary_Arab"
    assert _list_of("واش") == "ary_Arab"
    assert _list_of("في") == "arb_Arab"
    assert _list_of("المتحدة") == "arb_Arab"
    assert _list_of("الْمُتَّحِدَة") == "arb_Arab"  # harakat folded away
    assert _list_of("hello") is None
    assert _list_of("ديالي") is None  # in both lists


def test_web_buckets_per_line() -> None:
    # ``ديالي`` is in both lists (FineWeb-2's MSA list has it too), so it counts for neither.
    batch = _features.encode(["ديال ديالي", "hello world", "", "في الأمم المتحدة"])
    sets = _features.word_buckets(batch, 18, markers=True, web=True)
    assert len(sets) == 3  # words, markers, web lists
    buckets, rows = sets[2]
    assert rows.tolist() == [0, 3, 3, 3]
    assert buckets[1] == buckets[2] == buckets[3] != buckets[0]  # one bucket per list
    assert len(_features.word_buckets(batch, 18, markers=True)) == 2


def test_version_two_models_ignore_the_lexicon() -> None:
    batch = _features.encode(["في الأمم المتحدة"])
    with_web, _ = _features.order_matrices(batch, 18, words=1, markers=True, web=True)
    without, _ = _features.order_matrices(batch, 18, words=1, markers=True)
    assert len(with_web) == len(without) + 1


@pytest.mark.skipif(not WORDLISTS.is_dir(), reason="needs the shared FineWeb-2 word lists")
def test_artefact_is_what_the_build_script_derives() -> None:
    from build_lid_weblex import lists_keys

    keys, classes = web_table()
    derived = lists_keys(default_data())
    for i, name in enumerate(LISTS):
        others = set().union(*(derived[o] for o in LISTS if o != name))
        assert keys[classes == i].tolist() == sorted(derived[name] - others)


def test_numpy_keys_equal_the_python_keys() -> None:
    from agadir.lang.lid_weblex import word_keys

    hashes = [word_hash(fold_text(w)) for w in ("ديال", "في", "hello", "ⴰⵣⵓⵍ")] + [2**64 - 1, 0]
    got = word_keys(np.array(hashes, dtype=np.uint64)).tolist()
    assert got == [word_key(h) for h in hashes]


def test_hash_probe_agrees_with_binary_search() -> None:
    from agadir.lang.lid_weblex import lookup

    keys, classes = web_table()
    assert lookup(keys).tolist() == classes.tolist()  # every key found, in its own list
    rng = np.random.default_rng(12)
    probe = np.concatenate([rng.integers(0, 2**32, 50_000, dtype=np.uint32), keys[::7] + 1])
    pos = np.minimum(np.searchsorted(keys, probe), len(keys) - 1)
    want = np.where(keys[pos] == probe, classes[pos], -1)
    assert np.array_equal(lookup(probe), want)
    assert lookup(np.zeros(0, dtype=np.uint32)).tolist() == []
