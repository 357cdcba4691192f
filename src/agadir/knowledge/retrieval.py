"""Hybrid retrieval: BM25 and dense rankings fused with reciprocal rank fusion (RRF).

Why both: BM25 finds exact names, numbers and rare terms (a plant disease, a site name); the
multilingual encoder finds passages in another language or phrasing (a Darija question about a
French note). RRF needs no score calibration between the two: each list contributes
1 / (k + rank), k = 60 as in the original RRF paper.

Why an Arabizi variant: a query in Latin-script Darija shares almost no terms with Arabic
documents and the encoder was not trained on Arabizi, so when LID says `ary_Latn` the query is
also searched through its best Arabic-script transliteration, each variant adding its lists.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from agadir.knowledge.analysis import terms
from agadir.knowledge.search import DenseIndex, Hit, Passage, bm25, passages
from agadir.store import Store

Mode = Literal["hybrid", "bm25", "dense"]
EmbedFn = Callable[[Sequence[str]], Awaitable[npt.NDArray[np.float32]]]
RRF_K = 60
_ARABIZI_DIGIT = re.compile(r"[a-z][2379]|[2379][a-z]", re.IGNORECASE)


@dataclass(frozen=True)
class Retrieved:
    passage: Passage
    score: float
    ranks: dict[str, int]
    similarity: float = 0.0  # best cosine with any query variant (0 when dense was not run)


def query_language(query: str) -> str:
    """The query's best language label (`und` when unsure)."""
    from agadir.lang import identify

    return identify(query, k=1)[0][0]


def query_variants(query: str, lang: str | None = None) -> list[str]:
    """The query, plus its Arabic-script reading when it is Arabizi."""
    lang = lang or query_language(query)
    if lang == "ary_Latn" or (lang == "und" and _ARABIZI_DIGIT.search(query)):
        from agadir.lang import arabizi_to_arabic

        arabic = arabizi_to_arabic(query)[0][0]
        if arabic and arabic != query:
            return [query, arabic]
    return [query]


def fuse(rankings: dict[str, list[Hit]], k: int = RRF_K) -> list[tuple[int, float, dict[str, int]]]:
    """Reciprocal rank fusion of named rankings -> (chunk id, score, rank per list), best first."""
    scores: dict[int, float] = {}
    ranks: dict[int, dict[str, int]] = {}
    for name, hits in rankings.items():
        for rank, hit in enumerate(hits, start=1):
            scores[hit.chunk_id] = scores.get(hit.chunk_id, 0.0) + 1.0 / (k + rank)
            ranks.setdefault(hit.chunk_id, {})[name] = rank
    order = sorted(scores, key=lambda cid: (-scores[cid], cid))
    return [(cid, scores[cid], ranks[cid]) for cid in order]


class HybridRetriever:
    def __init__(self, store: Store, dense: DenseIndex, embed: EmbedFn, *, depth: int = 40):
        self.store = store
        self.dense = dense
        self.embed = embed
        self.depth = depth

    async def retrieve(
        self,
        query: str,
        kbs: list[str],
        *,
        k: int = 5,
        mode: Mode = "hybrid",
        lang: str | None = None,
    ) -> list[Retrieved]:
        """The best `k` passages of `query` within the readable bases `kbs`."""
        if not kbs or not query.strip():
            return []
        variants = query_variants(query, lang)
        vectors = await self.embed(variants) if mode != "bm25" else None
        rankings = await asyncio.to_thread(self._rankings, variants, vectors, kbs, mode)
        fused = fuse(rankings)[:k]
        found = await asyncio.to_thread(passages, self.store, [cid for cid, _, _ in fused])
        similarity: dict[int, float] = {}
        if vectors is not None:
            ids = [cid for cid, _, _ in fused]
            sims = await asyncio.to_thread(self.dense.similarities, kbs, ids, vectors)
            similarity = dict(zip(ids, sims, strict=True))
        return [
            Retrieved(found[cid], score, r, similarity.get(cid, 0.0))
            for cid, score, r in fused
            if cid in found
        ]

    def _rankings(
        self,
        variants: list[str],
        vectors: npt.NDArray[np.float32] | None,
        kbs: list[str],
        mode: Mode,
    ) -> dict[str, list[Hit]]:
        rankings: dict[str, list[Hit]] = {}
        for i, variant in enumerate(variants):
            if mode != "dense":
                rankings[f"bm25:{i}"] = bm25(self.store, kbs, terms(variant), self.depth)
            if vectors is not None:
                rankings[f"dense:{i}"] = self.dense.search(kbs, vectors[i], self.depth)
        return rankings
