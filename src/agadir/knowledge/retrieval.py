"""Hybrid retrieval: a BM25 ranking and a dense ranking fused into one, one passage per document.

Why both: BM25 finds exact names, numbers, codes and rare terms (a site name, "1998", a parcel
id); the multilingual encoder finds passages in another language or phrasing (a Darija question
about a French note). Two fusions are offered:

- `weighted` (default): cosine similarity + BETA x BM25 (normalised by the list's best score)
  x coverage^2, coverage being the share of the question's terms the passage contains. A
  passage that shares one common word with a question in another language gets almost no
  lexical boost; one that contains every term of a name or number query gets the full boost.
- `rrf`: reciprocal rank fusion, 1 / (60 + rank) per list (Cormack et al.). Measured on the
  packs' question sets it lost 0.10 recall@5 to `weighted`: with mostly cross-lingual questions
  and small bases, BM25's ranks are noise that RRF weighs as much as the dense ranks
  (docs/knowledge.md has the table).

At most one passage per document is returned: near-duplicate neighbours of one document would
otherwise crowd out the other sources a reader (and the model) should see.

Why an Arabizi variant: a query in Latin-script Darija shares almost no terms with Arabic
documents and the encoder was not trained on Arabizi, so when LID says `ary_Latn` the query is
also searched through its best Arabic-script transliteration of its content words (function
words such as `imta`, `wach` are dropped first: their transliteration is noise), each variant
adding its lists.

Why a name variant: a French or English question names Moroccan places and bodies in Latin
letters ("Jemaa el-Fna") that an Arabic document spells in Arabic script. Its capitalised words
that no lexical candidate holds in Latin letters are transliterated too and searched by BM25
only (a list of names is no sentence for the encoder); a name the bases already spell in Latin
letters ("Souss" in a French note) is matched as is, and its Arabic reading, a guess that may
be a homograph (سوس, weevil), is not searched. For the names, coverage counts only the
readings found in some lexical candidate: a name's reading is a guess, and a guessed spelling
that no passage holds says nothing about any passage. (Applied to the Arabizi variant too, the
same rule let one common word found, "certificate", boost the wrong note: measured, dropped.)
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from agadir.knowledge.analysis import terms
from agadir.knowledge.search import (
    DenseIndex,
    Hit,
    Passage,
    bm25,
    document_of,
    passages,
    terms_of,
)
from agadir.store import Store

Mode = Literal["hybrid", "bm25", "dense"]
Fusion = Literal["weighted", "rrf"]
EmbedFn = Callable[[Sequence[str]], Awaitable[npt.NDArray[np.float32]]]
RRF_K = 60
BETA = 0.3  # lexical weight next to cosine (which spans ~0.1-0.5 with this encoder)
PER_DOCUMENT = 1
_ARABIZI_DIGIT = re.compile(r"[a-z][2379]|[2379][a-z]", re.IGNORECASE)
_NAME = re.compile(r"(?<![\w'])[A-Z][a-z]{2,}")  # a capitalised Latin word: a likely name
_LATIN_LANGS = ("fra_Latn", "eng_Latn", "spa_Latn")
Fused = list[tuple[int, float, dict[str, int]]]


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


def _arabic_reading(words: list[str]) -> str:
    from agadir.lang import arabizi_to_arabic

    return arabizi_to_arabic(" ".join(words))[0][0] if words else ""


def query_variants(query: str, lang: str | None = None) -> list[str]:
    """The query, plus the Arabic-script reading of its content words when it is Arabizi."""
    lang = lang or query_language(query)
    if lang == "ary_Latn" or (lang == "und" and _ARABIZI_DIGIT.search(query)):
        arabic = _arabic_reading([w for w in query.split() if terms(w)])
        if arabic and arabic != query:
            return [query, arabic]
    return [query]


Names = list[tuple[str, str]]  # (the name's index term, its Arabic-script reading)


def query_names(query: str, lang: str | None = None) -> Names:
    """The names (capitalised words) of a French/English/Spanish query, with their readings."""
    lang = lang or query_language(query)
    if lang not in _LATIN_LANGS:
        return []
    out: Names = []
    for word in dict.fromkeys(w.lower() for w in _NAME.findall(query)):
        term = terms(word)
        arabic = _arabic_reading([word]) if term else ""
        if arabic:
            out.append((term[0], arabic))
    return out


def _plan(query: str, lang: str | None) -> tuple[list[str], Names]:
    lang = lang or query_language(query)
    return query_variants(query, lang), query_names(query, lang)


def fuse_rrf(rankings: dict[str, list[Hit]], k: int = RRF_K) -> Fused:
    """Reciprocal rank fusion -> (chunk id, score, rank per list), best first."""
    scores: dict[int, float] = {}
    ranks: dict[int, dict[str, int]] = {}
    for name, hits in rankings.items():
        for rank, hit in enumerate(hits, start=1):
            scores[hit.chunk_id] = scores.get(hit.chunk_id, 0.0) + 1.0 / (k + rank)
            ranks.setdefault(hit.chunk_id, {})[name] = rank
    order = sorted(scores, key=lambda cid: (-scores[cid], cid))
    return [(cid, scores[cid], ranks[cid]) for cid in order]


def fuse_weighted(
    rankings: dict[str, list[Hit]], coverage: dict[int, float], beta: float = BETA
) -> Fused:
    """Best cosine + beta x normalised BM25 x coverage^2 (module notes), best first."""
    cos: dict[int, float] = {}
    lex: dict[int, float] = {}
    ranks: dict[int, dict[str, int]] = {}
    for name, hits in rankings.items():
        top = max((h.score for h in hits), default=0.0) or 1.0
        for rank, hit in enumerate(hits, start=1):
            ranks.setdefault(hit.chunk_id, {})[name] = rank
            if name.startswith("dense"):
                cos[hit.chunk_id] = max(cos.get(hit.chunk_id, -1.0), hit.score)
            else:
                value = hit.score / top * coverage.get(hit.chunk_id, 0.0) ** 2
                lex[hit.chunk_id] = max(lex.get(hit.chunk_id, 0.0), value)
    score = {i: cos.get(i, 0.0) + beta * lex.get(i, 0.0) for i in set(cos) | set(lex)}
    order = sorted(score, key=lambda i: (-score[i], i))
    return [(i, score[i], ranks[i]) for i in order]


class HybridRetriever:
    def __init__(
        self,
        store: Store,
        dense: DenseIndex,
        embed: EmbedFn,
        *,
        depth: int = 40,
        fusion: Fusion = "weighted",
        per_document: int = PER_DOCUMENT,
    ) -> None:
        self.store = store
        self.dense = dense
        self.embed = embed
        self.depth = depth
        self.fusion = fusion
        self.per_document = per_document
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="agadir-dense")

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
        variants, names = await asyncio.to_thread(_plan, query, lang)
        vectors = await self.embed(variants) if mode != "bm25" else None
        # Everything after the encoder in one worker-thread hop: on a busy 2-core host each
        # hop back to the event loop costs more than the SQL and the matrix product.
        return await asyncio.to_thread(self._retrieve, variants, names, vectors, kbs, mode, k)

    def _retrieve(
        self,
        variants: list[str],
        names: Names,
        vectors: npt.NDArray[np.float32] | None,
        kbs: list[str],
        mode: Mode,
        k: int,
    ) -> list[Retrieved]:
        fused = self._search(variants, names, vectors, kbs, mode, k)
        ids = [cid for cid, _, _ in fused]
        found = passages(self.store, ids, kbs)
        similarity: dict[int, float] = {}
        if vectors is not None:
            similarity = dict(zip(ids, self.dense.similarities(kbs, ids, vectors), strict=True))
        return [
            Retrieved(found[cid], score, r, similarity.get(cid, 0.0))
            for cid, score, r in fused
            if cid in found
        ]

    def _search(
        self,
        variants: list[str],
        names: Names,
        vectors: npt.NDArray[np.float32] | None,
        kbs: list[str],
        mode: Mode,
        k: int,
    ) -> Fused:
        rankings: dict[str, list[Hit]] = {}
        relaxed = -1  # the variant whose coverage counts only spellings some hit holds
        depth = max(self.depth, k * 2)
        # The dense product (numpy) and the FTS query (SQLite) both release the GIL: run them
        # side by side, all query variants in one pass over the memory-bound matrices.
        dense = (
            self._pool.submit(self.dense.search_many, kbs, vectors, depth)
            if vectors is not None
            else None
        )
        if mode != "dense":
            for i, variant in enumerate(variants):
                rankings[f"bm25:{i}"] = bm25(self.store, kbs, terms(variant), depth)
            unseen = self._unseen(names, rankings)
            if unseen:
                relaxed = len(variants)
                variants = [*variants, " ".join(unseen)]
                rankings[f"bm25:{len(variants) - 1}"] = bm25(
                    self.store, kbs, terms(variants[-1]), depth
                )
        if dense is not None:
            for i, hits in enumerate(dense.result()):
                rankings[f"dense:{i}"] = hits
        if self.fusion == "rrf" or mode != "hybrid":
            fused = fuse_rrf(rankings)  # one kind of list: RRF is just its (merged) order
        else:
            fused = fuse_weighted(rankings, self._coverage(variants, rankings, relaxed))
        return self._per_document(fused, k)

    def _unseen(self, names: Names, rankings: dict[str, list[Hit]]) -> list[str]:
        """Readings of the names that no lexical candidate holds in Latin letters."""
        if not names:
            return []
        ids = sorted({h.chunk_id for hs in rankings.values() for h in hs})
        held = set(" ".join(terms_of(self.store, ids).values()).split())
        return [arabic for term, arabic in names if term not in held]

    def _coverage(
        self, variants: list[str], rankings: dict[str, list[Hit]], relaxed: int = -1
    ) -> dict[int, float]:
        """Share of a query's distinct terms found in each BM25 hit (best over variants; for
        the names variant `relaxed`, of its spellings that some hit holds: module notes)."""
        ids = sorted({h.chunk_id for n, hs in rankings.items() if n.startswith("bm25") for h in hs})
        held = {cid: set(words.split()) for cid, words in terms_of(self.store, ids).items()}
        seen = set().union(*held.values()) if held else set()
        wanted = [
            set(terms(v)) & seen if i == relaxed else set(terms(v)) for i, v in enumerate(variants)
        ]
        wanted = [w for w in wanted if w]
        return {
            cid: max((len(w & have) / len(w) for w in wanted), default=0.0)
            for cid, have in held.items()
        }

    def _per_document(self, fused: Fused, k: int) -> Fused:
        """The best `k`, at most `per_document` from one document."""
        head = fused[: k * 8]
        owners = document_of(self.store, [cid for cid, _, _ in head])
        taken: dict[str, int] = {}
        out: Fused = []
        for item in head:
            doc = owners.get(item[0], "")
            if taken.get(doc, 0) < self.per_document:
                taken[doc] = taken.get(doc, 0) + 1
                out.append(item)
                if len(out) == k:
                    break
        return out
