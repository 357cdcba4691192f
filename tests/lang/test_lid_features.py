"""Vectorised LID features: the batch fast path must agree with the per-line reference."""

from __future__ import annotations

import numpy as np

from agadir.lang import _features
from agadir.lang.lid import identify_batch

_LINES = [
    "salam 3afak, fin kayn l'hotel? 2024",
    "Écris-moi à ana@example.ma ou sur https://agadir.ma/x #tag @me",
    "واش كاين شي حد هنا 12:30",
    "İstanbul ΣΊΣΥΦΟΣ straße",  # lower() changes length / non-ASCII case rules
    "line\nwith\ttabs\rinside",
    "",
]


def test_batch_cleaning_matches_per_line_reference() -> None:
    fast = _features.encode(_LINES)
    # A line holding the batch joiner forces the per-line path (clean_line) for the batch.
    slow = _features.encode([*_LINES, "\x1e"])
    n = len(fast.starts)
    assert np.array_equal(fast.starts, slow.starts[:n])
    end = int(fast.starts[-1]) + len(_features.clean_line(_LINES[-1])) + 2
    assert np.array_equal(fast.codes[:end], slow.codes[:end])
    assert identify_batch(_LINES) == identify_batch([*_LINES, "\x1e"])[:n]


def test_noise_is_blanked_but_arabizi_digits_kept() -> None:
    cleaned = _features.clean_line(_LINES[1] + " 3afak 1999")
    assert "@" not in cleaned and "http" not in cleaned and "#tag" not in cleaned
    assert "3afak" in cleaned and "1999" not in cleaned
    assert len(cleaned) == len(_LINES[1] + " 3afak 1999")  # offsets stay valid for segments


def test_word_hash_is_position_independent_and_counts_match() -> None:
    batch = _features.encode(["ab cd ab", "", "x ab"])
    (buckets, rows), (pairs, pair_rows) = _features.word_buckets(batch, 18, orders=2)
    assert rows.tolist() == [0, 0, 0, 2, 2]
    assert buckets[0] == buckets[2] == buckets[4] != buckets[1]
    assert pair_rows.tolist() == [0, 0, 2] and pairs[0] != pairs[1]
    mats, scale = _features.order_matrices(batch, 18, words=1)
    counted = sum(np.asarray(m[:, : 1 << 18].sum(axis=1)).ravel() for m in mats)
    assert np.allclose(1.0 / scale**2, np.maximum(counted, 1))
