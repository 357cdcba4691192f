"""Continued BPE training: learn merges on top of a tokenizer's own segmentation of a corpus.

Input: pre-tokenized words already segmented by the *base* tokenizer (its merges applied to a
fixed point) with their counts. Each step merges the most frequent adjacent pair that the
`ScriptGuard` allows, everywhere, left to right, exactly as a BPE encoder applies a merge of
the next rank. Because every new merge ranks after every base merge, an encoder reaches the base
segmentation first and then replays these merges in order. That every new token is actually
produced is checked afterwards, on the built tokenizer (`extend.drop_unreachable`).

Incremental: pair counts and the words holding each pair are kept up to date, a heap with lazy
invalidation finds the next pair; ties break on the pair's strings, so runs are deterministic.
Not handled: pre-tokenization and base segmentation (see `extend`).
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise

Pair = tuple[str, str]


@dataclass
class LearnedMerges:
    merges: list[Pair] = field(default_factory=list)
    counts: list[int] = field(default_factory=list)  # corpus frequency when each was chosen


def _merge_word(symbols: list[str], pair: Pair) -> list[str]:
    out, i = [], 0
    a, b = pair
    while i < len(symbols):
        if i + 1 < len(symbols) and symbols[i] == a and symbols[i + 1] == b:
            out.append(a + b)
            i += 2
        else:
            out.append(symbols[i])
            i += 1
    return out


def learn_merges(
    words: Sequence[tuple[list[str], int]],
    n_merges: int,
    allowed: Callable[[Pair], bool],
    min_count: int = 2,
    on_step: Callable[[int], None] | None = None,
) -> LearnedMerges:
    """Up to ``n_merges`` merges, most frequent allowed pair first; stops below ``min_count``."""
    symbols = [list(w) for w, _ in words]
    weight = [c for _, c in words]
    counts: dict[Pair, int] = defaultdict(int)
    where: dict[Pair, set[int]] = defaultdict(set)
    for idx, syms in enumerate(symbols):
        for pair in pairwise(syms):
            counts[pair] += weight[idx]
            where[pair].add(idx)
    heap = [(-c, p) for p, c in counts.items()]
    heapq.heapify(heap)
    verdict: dict[Pair, bool] = {}
    learned = LearnedMerges()
    while heap and len(learned.merges) < n_merges:
        neg, pair = heapq.heappop(heap)
        if counts.get(pair, 0) != -neg:
            continue  # stale entry: a fresher one is in the heap
        if -neg < min_count:
            break
        if pair not in verdict:
            verdict[pair] = allowed(pair)
        if not verdict[pair]:
            continue
        learned.merges.append(pair)
        learned.counts.append(-neg)
        touched: set[Pair] = set()
        for idx in list(where[pair]):
            old = symbols[idx]
            for p in pairwise(old):
                counts[p] -= weight[idx]
                where[p].discard(idx)
                touched.add(p)
            new = _merge_word(old, pair)
            symbols[idx] = new
            for p in pairwise(new):
                counts[p] += weight[idx]
                where[p].add(idx)
                touched.add(p)
        counts.pop(pair, None)
        for p in touched:
            if counts.get(p, 0) > 0:
                heapq.heappush(heap, (-counts[p], p))
        if on_step is not None:
            on_step(len(learned.merges))
    return learned
