"""Vectorised open-addressing lookup of word hashes: which list (if any) holds each word.

The LID features ask, for every word of a batch (tens of thousands), whether it is a marker
word or in a web word list. `numpy.searchsorted` answers with a binary search per word, about
16 dependent steps for the 56k web keys; a hash table answers in one or two gathers. Keys are
spread over four slots per key by a multiplicative mix of the key, so most probes end at the
first slot. It does not handle deletion: tables are built once and only read.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

_MIX = np.uint64(0x9E3779B97F4A7C15)


@dataclass(frozen=True)
class ProbeTable:
    """Slot keys, slot values (``-1`` = empty slot) and the bits of a slot index."""

    keys: npt.NDArray[np.uint64]
    values: npt.NDArray[np.intp]
    bits: int

    def home(self, keys: npt.NDArray[np.uint64]) -> npt.NDArray[np.intp]:
        """First slot tried for each key (top bits of the mixed key)."""
        return ((keys * _MIX) >> np.uint64(64 - self.bits)).astype(np.intp)


def build(keys: npt.NDArray[np.uint64], values: npt.NDArray[np.intp]) -> ProbeTable:
    """A table of distinct ``keys`` (any order) with their non-negative ``values``.

    Built in vectorised rounds: every key still waiting tries its current slot; one key per
    free slot takes it, the others move one slot on. A key only passes occupied slots and slots
    are never freed, so `find` may stop at the first empty slot (linear probing).
    """
    bits = max(int(4 * len(keys) - 1).bit_length(), 4)
    mask = (1 << bits) - 1
    table = ProbeTable(
        np.zeros(1 << bits, dtype=np.uint64), np.full(1 << bits, -1, dtype=np.intp), bits
    )
    keys = keys.astype(np.uint64)
    waiting = np.arange(len(keys))
    pos = table.home(keys)
    while len(waiting):
        free = np.flatnonzero(table.values[pos] < 0)
        _, at = np.unique(pos[free], return_index=True)
        first = np.zeros(len(waiting), dtype=bool)
        first[free[at]] = True
        table.keys[pos[first]] = keys[waiting[first]]
        table.values[pos[first]] = values[waiting[first]]
        waiting, pos = waiting[~first], (pos[~first] + 1) & mask
    return table


def find(table: ProbeTable, keys: npt.NDArray[np.uint64]) -> npt.NDArray[np.intp]:
    """The value of every key, ``-1`` where the table does not hold it."""
    mask = len(table.keys) - 1
    out = np.full(len(keys), -1, dtype=np.intp)
    todo = np.arange(len(keys))
    pos = table.home(keys)
    while len(todo):
        value = table.values[pos]
        hit = (table.keys[pos] == keys[todo]) & (value >= 0)
        out[todo[hit]] = value[hit]
        more = (value >= 0) & ~hit
        todo, pos = todo[more], (pos[more] + 1) & mask
    return out
