"""The two searches the hybrid retriever fuses: BM25 over analysed terms, and dense vectors.

Both take the list of bases the caller may read and apply it *inside* the query: the FTS5
MATCH carries `kb IN (...)`, the PostgreSQL query a `WHERE kb IN (...)`, and the dense search
only ever scores the matrices of those bases. Nothing is fetched and filtered afterwards.

Dense search is exact (one matrix product per base) over float32 unit vectors held in memory.
At 100k x 512 that is ~25 MFLOP per query, a few milliseconds with BLAS, which matched an ANN
extension's latency on our benchmark without its approximation or a native extension to load
(this Python's sqlite3 cannot load extensions; see ARCHITECTURE.md). The matrices are reloaded
when a base's `generation` changes, so another process's ingest or erasure is seen at once.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from sqlalchemy import bindparam, func, select, text

from agadir.knowledge.analysis import fts_query
from agadir.knowledge.bases import BaseRegistry
from agadir.store import Store
from agadir.store.schema import kb_chunks, kb_documents

DIM = 512


@dataclass(frozen=True)
class Hit:
    chunk_id: int
    score: float


@dataclass(frozen=True)
class Passage:
    """A chunk with what a citation needs; `text` is read from the stored document body."""

    chunk_id: int
    document_id: str
    document: str
    title: str | None
    kb: str
    page: int
    start: int
    end: int
    text: str


def bm25(store: Store, kbs: list[str], words: list[str], k: int) -> list[Hit]:
    """Best `k` chunks by BM25 (higher score = better) within `kbs`."""
    query = fts_query(words, kbs)
    if query is None:
        return []
    with store.read() as conn:
        if store.kind == "sqlite":
            stmt = text(
                "SELECT rowid, bm25(kb_chunks_fts, 1.0, 0.0) AS s FROM kb_chunks_fts "
                "WHERE kb_chunks_fts MATCH :q ORDER BY s LIMIT :k"
            )
            rows = conn.execute(stmt, {"q": query, "k": k}).all()
            return [Hit(int(r[0]), -float(r[1])) for r in rows]
        tsquery = " | ".join(dict.fromkeys(words))
        stmt = text(
            "SELECT id, ts_rank(tsv, q) AS s FROM kb_chunks, to_tsquery('simple', :q) q "
            "WHERE tsv @@ q AND kb IN :kbs ORDER BY s DESC LIMIT :k"
        ).bindparams(bindparam("kbs", expanding=True))
        rows = conn.execute(stmt, {"q": tsquery, "kbs": kbs, "k": k}).all()
        return [Hit(int(r[0]), float(r[1])) for r in rows]


def has_pgvector(store: Store) -> bool:
    """True when the store keeps vectors in a pgvector column (PostgreSQL with the extension)."""
    if store.kind != "postgresql":
        return False
    with store.read() as conn:
        found = conn.execute(
            text(
                "SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() "
                "AND table_name = 'kb_chunks' AND column_name = 'embedding'"
            )
        ).first()
    return found is not None


def vector_literal(vector: npt.NDArray[np.float32]) -> str:
    return "[" + ",".join(f"{x:.7g}" for x in vector.tolist()) + "]"


class DenseIndex:
    """Exact inner-product search over unit vectors: per-base matrices in memory, loaded lazily
    and refreshed by generation (default), or pgvector in the database when asked for and the
    store has it. In memory measured ~20x faster than pgvector's exact scan at 100k chunks
    (docs/benchmarks.md); pgvector saves each replica the matrices' memory."""

    def __init__(self, store: Store, bases: BaseRegistry, *, in_database: bool = False) -> None:
        self.store = store
        self.bases = bases
        self.in_database = in_database and has_pgvector(store)
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[int, npt.NDArray[np.int64], npt.NDArray[np.float32]]] = {}

    def _matrix(
        self, kb: str, generation: int
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
        with self._lock:
            cached = self._cache.get(kb)
            if cached is not None and cached[0] == generation:
                return cached[1], cached[2]
        with self.store.read() as conn:
            rows = conn.execute(
                select(kb_chunks.c.id, kb_chunks.c.vector)
                .where(kb_chunks.c.kb == kb)
                .order_by(kb_chunks.c.id)
            ).all()
        ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        dim = len(rows[0][1]) // 4 if rows else DIM  # the encoder's width, as stored
        matrix = np.frombuffer(b"".join(r[1] for r in rows), dtype="<f4").reshape(-1, dim)
        with self._lock:
            self._cache[kb] = (generation, ids, matrix)
        return ids, matrix

    def search_many(
        self, kbs: list[str], queries: npt.NDArray[np.float32], k: int
    ) -> list[list[Hit]]:
        """Best `k` chunks per query row; one matrix product per base for all queries."""
        if not kbs:
            return [[] for _ in range(len(queries))]
        if self.in_database:
            return [self._search_sql(kbs, q, k) for q in queries]
        generations = self.bases.generations(kbs)
        all_ids: list[npt.NDArray[np.int64]] = []
        all_scores: list[npt.NDArray[np.float32]] = []
        for kb in kbs:
            if kb not in generations:
                continue
            ids, matrix = self._matrix(kb, generations[kb])
            if len(ids):
                all_ids.append(ids)
                all_scores.append(matrix @ queries.T)  # (chunks, queries)
        if not all_ids:
            return [[] for _ in range(len(queries))]
        ids = np.concatenate(all_ids)
        scores = np.concatenate(all_scores)
        out = []
        for column in scores.T:
            top = np.argpartition(-column, k - 1)[:k] if len(column) > k else np.arange(len(column))
            top = top[np.argsort(-column[top])]
            out.append([Hit(int(ids[i]), float(column[i])) for i in top])
        return out

    def _search_sql(self, kbs: list[str], query: npt.NDArray[np.float32], k: int) -> list[Hit]:
        """pgvector: `<#>` is the negated inner product (= cosine for unit vectors). No ANN
        index: an exact scan honours the base filter fully (an HNSW scan filters afterwards
        and can return fewer than k rows)."""
        stmt = text(
            "SELECT id, -(embedding OPERATOR(public.<#>) CAST(:q AS public.vector)) AS s "
            "FROM kb_chunks WHERE kb IN :kbs AND embedding IS NOT NULL "
            "ORDER BY embedding OPERATOR(public.<#>) CAST(:q AS public.vector) LIMIT :k"
        ).bindparams(bindparam("kbs", expanding=True))
        with self.store.read() as conn:
            rows = conn.execute(stmt, {"q": vector_literal(query), "kbs": kbs, "k": k}).all()
        return [Hit(int(r[0]), float(r[1])) for r in rows]

    def similarities(
        self, kbs: list[str], chunk_ids: list[int], queries: npt.NDArray[np.float32]
    ) -> list[float]:
        """Best cosine of each chunk with any of the query vectors (0 for unknown chunks)."""
        if not chunk_ids:
            return []
        with self.store.read() as conn:
            rows = conn.execute(
                select(kb_chunks.c.id, kb_chunks.c.vector).where(
                    kb_chunks.c.id.in_(chunk_ids), kb_chunks.c.kb.in_(kbs)
                )
            ).all()
        found = {int(r[0]): float(np.max(queries @ np.frombuffer(r[1], dtype="<f4"))) for r in rows}
        return [found.get(cid, 0.0) for cid in chunk_ids]

    def forget(self, kb: str) -> None:
        with self._lock:
            self._cache.pop(kb, None)
            # bases erased by another process: drop what no longer exists
            live = set(self.bases.generations(list(self._cache)))
            for name in [n for n in self._cache if n not in live]:
                del self._cache[name]


def passages(store: Store, chunk_ids: list[int], kbs: list[str]) -> dict[int, Passage]:
    """Chunk ids -> passages of the readable bases `kbs`, text cut from the stored body by the
    database (the base filter again: a passage outside `kbs` is never returned)."""
    if not chunk_ids or not kbs:
        return {}
    snippet = func.substr(
        kb_documents.c.body, kb_chunks.c.start + 1, kb_chunks.c.end - kb_chunks.c.start
    )
    query = (
        select(
            kb_chunks.c.id,
            kb_chunks.c.document_id,
            kb_documents.c.name,
            kb_documents.c.title,
            kb_chunks.c.kb,
            kb_chunks.c.page,
            kb_chunks.c.start,
            kb_chunks.c.end,
            snippet,
        )
        .select_from(kb_chunks.join(kb_documents, kb_documents.c.id == kb_chunks.c.document_id))
        .where(kb_chunks.c.id.in_(chunk_ids), kb_chunks.c.kb.in_(kbs))
    )
    with store.read() as conn:
        rows = conn.execute(query).all()
    return {int(r[0]): Passage(int(r[0]), *r[1:]) for r in rows}


def document_of(store: Store, chunk_ids: list[int]) -> dict[int, str]:
    """Chunk id -> document id."""
    if not chunk_ids:
        return {}
    with store.read() as conn:
        rows = conn.execute(
            select(kb_chunks.c.id, kb_chunks.c.document_id).where(kb_chunks.c.id.in_(chunk_ids))
        ).all()
    return {int(r[0]): str(r[1]) for r in rows}


def terms_of(store: Store, chunk_ids: list[int]) -> dict[int, str]:
    """Chunk id -> its analysed terms (space-separated)."""
    if not chunk_ids:
        return {}
    with store.read() as conn:
        rows = conn.execute(
            select(kb_chunks.c.id, kb_chunks.c.terms).where(kb_chunks.c.id.in_(chunk_ids))
        ).all()
    return {int(r[0]): str(r[1]) for r in rows}
