"""Documents and chunks in the store: add, replace, list, erase, and compact after erasure.

A document row keeps the extracted text (`body`) that every chunk's offsets point into; that
text is what citations are checked against. Chunks carry their BM25 terms (also in the FTS5
table on SQLite, or a generated tsvector on PostgreSQL) and a float32 unit vector.

Erasure removes the document, its chunks, their FTS rows and vectors, and every cached answer
that used the document, in one transaction. `compact` then makes the bytes go away too:
FTS5 `optimize` rewrites the index without the deleted terms, `secure_delete` zeroes freed
pages, a TRUNCATE checkpoint empties the WAL and VACUUM rebuilds the file.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import Connection, delete, func, select

from agadir.knowledge.analysis import kb_token
from agadir.knowledge.bases import bump_generation
from agadir.knowledge.document import ChunkSpan, ExtractedDocument
from agadir.knowledge.search import has_pgvector, vector_literal
from agadir.store import Store
from agadir.store.errors import StoreError
from agadir.store.schema import kb_answer_sources, kb_answers, kb_bases, kb_chunks, kb_documents


@dataclass(frozen=True)
class DocumentInfo:
    id: str
    kb: str
    name: str
    source: str
    sha256: str
    licence: str | None
    owner: str
    format: str
    title: str | None
    pages: int
    chunks: int
    added_at: float


def document_id(kb: str, source: str) -> str:
    """Stable per (base, source): re-ingesting a changed file keeps its id."""
    return "doc_" + hashlib.sha256(f"{kb}\x00{source}".encode()).hexdigest()[:20]


class DocumentIndex:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.pgvector = has_pgvector(store)

    def find(self, kb: str, source: str) -> DocumentInfo | None:
        docs = self._select(kb, kb_documents.c.source == source)
        return docs[0] if docs else None

    def get(self, kb: str, doc_id: str) -> DocumentInfo | None:
        docs = self._select(kb, kb_documents.c.id == doc_id)
        return docs[0] if docs else None

    def in_base(self, kb: str) -> list[DocumentInfo]:
        return self._select(kb, None)

    def _select(self, kb: str, where: object) -> list[DocumentInfo]:
        counts = (
            select(kb_chunks.c.document_id, func.count().label("n"))
            .where(kb_chunks.c.kb == kb)
            .group_by(kb_chunks.c.document_id)
            .subquery()
        )
        cols = [c for c in kb_documents.c if c.name != "body"]
        query = (
            select(*cols, func.coalesce(counts.c.n, 0).label("chunks"))
            .select_from(kb_documents.outerjoin(counts, counts.c.document_id == kb_documents.c.id))
            .where(kb_documents.c.kb == kb)
            .order_by(kb_documents.c.name, kb_documents.c.id)
        )
        if where is not None:
            query = query.where(where)  # type: ignore[arg-type]
        with self.store.read() as conn:
            rows = conn.execute(query).all()
        return [DocumentInfo(**dict(r._mapping)) for r in rows]

    def body(self, doc_id: str) -> str | None:
        with self.store.read() as conn:
            value = conn.execute(
                select(kb_documents.c.body).where(kb_documents.c.id == doc_id)
            ).scalar()
        return None if value is None else str(value)

    def put(
        self,
        *,
        kb: str,
        name: str,
        source: str,
        sha256: str,
        licence: str | None,
        owner: str,
        doc: ExtractedDocument,
        chunks: Sequence[ChunkSpan],
        terms: Sequence[str],
        vectors: npt.NDArray[np.float32],
    ) -> str:
        """Insert (or replace) one document with its chunks, in one transaction."""
        doc_id = document_id(kb, source)
        with self.store.write() as conn:
            _remove(conn, self.store.kind, doc_id)
            conn.execute(
                kb_documents.insert().values(
                    id=doc_id,
                    kb=kb,
                    name=name,
                    source=source,
                    sha256=sha256,
                    licence=licence,
                    owner=owner,
                    format=doc.format,
                    title=doc.title,
                    pages=max(1, len(doc.pages)),
                    body=doc.text,
                    added_at=time.time(),
                )
            )
            blobs = np.ascontiguousarray(vectors, dtype="<f4")
            rows = [
                {
                    "document_id": doc_id,
                    "kb": kb,
                    "seq": c.index,
                    "page": c.page,
                    "start": c.start,
                    "end": c.end,
                    "terms": t,
                    "vector": blobs[i].tobytes(),
                }
                for i, (c, t) in enumerate(zip(chunks, terms, strict=True))
            ]
            if rows:
                conn.execute(kb_chunks.insert(), rows)
            if self.pgvector and rows:
                conn.exec_driver_sql(
                    "UPDATE kb_chunks SET embedding = CAST(%(v)s AS public.vector) "
                    "WHERE document_id = %(d)s AND seq = %(s)s",
                    [
                        {"v": vector_literal(blobs[i]), "d": doc_id, "s": c.index}
                        for i, c in enumerate(chunks)
                    ],
                )
            if self.store.kind == "sqlite" and rows:
                conn.exec_driver_sql(
                    "INSERT INTO kb_chunks_fts(rowid, terms, kbtoken) "
                    "SELECT id, terms, ? FROM kb_chunks WHERE document_id = ?",
                    (kb_token(kb), doc_id),
                )
            bump_generation(conn, kb)
        return doc_id

    def remove(self, kb: str, doc_id: str) -> int:
        """Erase one document everywhere in the database; returns the chunks removed."""
        with self.store.write() as conn:
            n = _remove(conn, self.store.kind, doc_id)
            bump_generation(conn, kb)
        return n

    def compact(self) -> None:
        """Make erased bytes unrecoverable from the database files (see module notes)."""
        if self.store.kind != "sqlite":
            with self.store.engine.connect() as conn:
                conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
                    "VACUUM kb_documents, kb_chunks, kb_answers"
                )
            return
        with self.store.write() as conn:
            conn.exec_driver_sql("INSERT INTO kb_chunks_fts(kb_chunks_fts) VALUES ('optimize')")
        raw = self.store.engine.raw_connection()
        try:
            cur = raw.cursor()
            _checkpoint(cur)
            cur.execute("VACUUM")
            _checkpoint(cur)
            cur.close()
        finally:
            raw.close()

    def remove_base(self, kb: str) -> tuple[int, int]:
        """Erase a base and everything in it in one transaction; (documents, chunks)."""
        with self.store.write() as conn:
            if self.store.kind == "sqlite":
                conn.exec_driver_sql("PRAGMA secure_delete = ON")
                conn.exec_driver_sql(
                    "DELETE FROM kb_chunks_fts WHERE rowid IN "
                    "(SELECT id FROM kb_chunks WHERE kb = ?)",
                    (kb,),
                )
            answers = select(kb_answers.c.key).where(kb_answers.c.kb == kb)
            conn.execute(
                delete(kb_answer_sources).where(kb_answer_sources.c.answer_key.in_(answers))
            )
            conn.execute(delete(kb_answers).where(kb_answers.c.kb == kb))
            chunks = conn.execute(delete(kb_chunks).where(kb_chunks.c.kb == kb)).rowcount
            docs = conn.execute(delete(kb_documents).where(kb_documents.c.kb == kb)).rowcount
            conn.execute(delete(kb_bases).where(kb_bases.c.name == kb))
        return int(docs or 0), int(chunks or 0)


def _checkpoint(cur: Any, attempts: int = 50) -> None:
    """A TRUNCATE checkpoint that really completed: SQLite reports `busy` instead of raising
    while another connection reads, and erased bytes would then stay in the WAL."""
    for _ in range(attempts):
        busy = cur.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
        if not busy:
            return
        time.sleep(0.1)
    raise StoreError(
        "erasure could not checkpoint the database (readers kept it busy for 5 s); "
        "the rows are deleted but old pages may remain in the WAL: run the erasure again"
    )


def _remove(conn: Connection, kind: str, doc_id: str) -> int:
    if kind == "sqlite":
        conn.exec_driver_sql("PRAGMA secure_delete = ON")
        conn.exec_driver_sql(
            "DELETE FROM kb_chunks_fts WHERE rowid IN "
            "(SELECT id FROM kb_chunks WHERE document_id = ?)",
            (doc_id,),
        )
    cached = select(kb_answer_sources.c.answer_key).where(kb_answer_sources.c.document_id == doc_id)
    keys = [r[0] for r in conn.execute(cached).all()]
    if keys:
        conn.execute(delete(kb_answer_sources).where(kb_answer_sources.c.answer_key.in_(keys)))
        conn.execute(delete(kb_answers).where(kb_answers.c.key.in_(keys)))
    n = conn.execute(delete(kb_chunks).where(kb_chunks.c.document_id == doc_id)).rowcount
    conn.execute(delete(kb_documents).where(kb_documents.c.id == doc_id))
    return int(n or 0)
