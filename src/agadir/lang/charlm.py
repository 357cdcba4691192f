"""A character n-gram language model with Witten-Bell interpolation, for ranking spellings.

Small and exact: n-gram counts live in a dict built from the packaged artefact
(``translit_lm.npz``, written by `scripts/build_translit_lm.py`). Words are scored with a space
on each side, so word starts and ends count. It does not model anything across words.
"""

from __future__ import annotations

import math
import os
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

BOUNDARY = " "
#: Most memoised log-probabilities kept at once (a few MB).
MEMO_SIZE = 200_000


@dataclass
class CharLM:
    """Counts of every n-gram up to `order`; context statistics are derived once at load."""

    order: int
    counts: dict[str, int]
    _ctx_total: dict[str, int] = field(default_factory=dict, repr=False)
    _ctx_types: dict[str, int] = field(default_factory=dict, repr=False)
    _vocab: int = 0
    _memo: dict[str, float] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        total: Counter[str] = Counter()
        types: Counter[str] = Counter()
        for gram, c in self.counts.items():
            total[gram[:-1]] += c
            types[gram[:-1]] += 1
        self._ctx_total = dict(total)
        self._ctx_types = dict(types)
        self._vocab = max(types.get("", 1), 1) + 1

    @classmethod
    def train(cls, texts: Iterable[str], order: int = 5, min_count: int = 1) -> CharLM:
        """Count n-grams of every order in space-padded texts; drop rare high-order ones."""
        counts: Counter[str] = Counter()
        for text in texts:
            padded = BOUNDARY + text + BOUNDARY
            for n in range(1, order + 1):
                for i in range(len(padded) - n + 1):
                    counts[padded[i : i + n]] += 1
        kept = {g: c for g, c in counts.items() if len(g) <= 2 or c >= min_count}
        return cls(order, kept)

    def save(self, path: str) -> None:
        """Write keys and counts as an npz (no pickle)."""
        keys = sorted(self.counts)
        np.savez_compressed(
            path,
            keys=np.array(keys),
            counts=np.array([self.counts[k] for k in keys], dtype=np.int32),
            order=np.array(self.order),
        )

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> CharLM:
        """Read an npz written by `save`."""
        with np.load(path) as npz:
            keys = npz["keys"].tolist()
            counts = npz["counts"].tolist()
            order = int(npz["order"])
        return cls(order, dict(zip(keys, counts, strict=True)))

    def logprob(self, char: str, history: str) -> float:
        """log P(char | last order-1 chars of history), interpolated down to uniform.

        Memoised per (context, char): a beam search asks the same few thousand n-grams again
        and again. The memo is emptied when it reaches `MEMO_SIZE` entries, so it stays small
        in a long-running server.
        """
        key = history[max(0, len(history) - self.order + 1) :] + char
        hit = self._memo.get(key)
        if hit is None:
            if len(self._memo) >= MEMO_SIZE:
                self._memo.clear()
            hit = self._memo[key] = self._logprob(char, key[:-1])
        return hit

    def _logprob(self, char: str, history: str) -> float:
        p = 1.0 / self._vocab
        start = max(0, len(history) - self.order + 1)
        for i in range(len(history), start - 1, -1):
            ctx = history[i:]
            total = self._ctx_total.get(ctx, 0)
            if total == 0:
                continue
            types = self._ctx_types[ctx]
            p = (self.counts.get(ctx + char, 0) + types * p) / (total + types)
        return math.log(p)

    def score(self, text: str) -> float:
        """Total log-probability of a word or phrase, boundaries included."""
        padded = BOUNDARY + text + BOUNDARY
        return sum(self.logprob(padded[i], padded[:i]) for i in range(1, len(padded)))
