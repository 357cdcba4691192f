"""The knowledge service: one object the CLI and the gateway share for every base operation.

Access rules live here, not in the routers: reading a base needs the key's `kb:NAME` scope
*and* the base's owner or reader list to include the key's tenant; both failures, and a base
that does not exist, give the same 403 so a key learns nothing about bases it may not read.
Writing (create, ingest, remove, erase) needs the `admin` scope and the owning tenant (or the
operator's `admin` tenant). The CLI acts as the operator and calls the methods directly.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import select

from agadir.engines.base import Engine
from agadir.governance.admin_key import ADMIN_TENANT
from agadir.governance.principal import Principal
from agadir.knowledge.bases import (
    BaseRegistry,
    KnowledgeAccessDeniedError,
    KnowledgeBase,
    KnowledgeBaseNotFoundError,
)
from agadir.knowledge.index import DocumentIndex, DocumentInfo
from agadir.knowledge.ingest import DEFAULT_MAX_BYTES, Ingestor
from agadir.knowledge.retrieval import EmbedFn, HybridRetriever, Mode, Retrieved
from agadir.knowledge.search import DenseIndex
from agadir.store import Store
from agadir.store.schema import kb_chunks


def engine_embedder(engine: Engine) -> EmbedFn:
    """An `EmbedFn` over any embedding engine, returning float32 unit rows."""

    async def embed(texts: Sequence[str]) -> npt.NDArray[np.float32]:
        result = await engine.embed(list(texts))
        matrix = np.asarray(result.vectors, dtype=np.float32)
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        return matrix / np.maximum(norms, 1e-12)

    return embed


class KnowledgeService:
    def __init__(
        self,
        store: Store,
        embed: EmbedFn,
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
        vector_search: str = "memory",
    ) -> None:
        self.store = store
        self.bases = BaseRegistry(store)
        self.docs = DocumentIndex(store)
        self.dense = DenseIndex(store, self.bases, in_database=vector_search == "pgvector")
        self.retriever = HybridRetriever(store, self.dense, embed)
        self.ingestor = Ingestor(self.docs, embed, max_bytes=max_bytes)

    # -- access ---------------------------------------------------------------------------------
    def readable(self, principal: Principal) -> list[KnowledgeBase]:
        return [
            b for b in self.bases.all(principal.tenant.name) if principal.allows(f"kb:{b.name}")
        ]

    def require_read(self, principal: Principal, name: str) -> KnowledgeBase:
        denied = KnowledgeAccessDeniedError(
            f"this API key may not read the knowledge base {name!r}; ask an administrator "
            f"for a key with the scope kb:{name} on a tenant the base is shared with"
        )
        if not principal.allows(f"kb:{name}"):
            raise denied
        try:
            base = self.bases.get(name)
        except KnowledgeBaseNotFoundError:
            raise denied from None
        if not base.readable_by(principal.tenant.name):
            raise denied
        return base

    def require_write(self, principal: Principal, name: str) -> KnowledgeBase:
        """Admin scope, and the owning tenant (or the operator's). Another tenant's admin gets
        the same 403 whether the base exists or not."""
        principal.require("admin")
        operator = principal.tenant.name == ADMIN_TENANT
        try:
            base = self.bases.get(name)
        except KnowledgeBaseNotFoundError:
            if operator:
                raise
            base = None
        if base is None or not (operator or principal.tenant.name == base.owner):
            raise KnowledgeAccessDeniedError(
                f"this API key may not change the knowledge base {name!r}; only its owner "
                "tenant's admin keys do"
            )
        return base

    def tenant_must_exist(self, tenant: str) -> None:
        """Check the owner exists; the operator's `admin` tenant is created on demand (it is
        what `agadir serve` would create first, and the CLI may run before any serve)."""
        from agadir.governance.tenants import TenantNotFoundError, TenantService

        tenants = TenantService(self.store)
        try:
            tenants.get(tenant)  # TenantNotFoundError (404) names what to do
        except TenantNotFoundError:
            if tenant != ADMIN_TENANT:
                raise
            tenants.create(ADMIN_TENANT, audit_content="hash", pii_mode="off")

    # -- reading --------------------------------------------------------------------------------
    async def search(
        self,
        names: list[str],
        query: str,
        *,
        k: int = 5,
        mode: Mode = "hybrid",
        lang: str | None = None,
    ) -> list[Retrieved]:
        """`lang`: the query's label when the caller already identified it (saves a LID pass)."""
        return await self.retriever.retrieve(query, names, k=k, mode=mode, lang=lang)

    def documents(self, name: str) -> list[DocumentInfo]:
        self.bases.get(name)
        return self.docs.in_base(name)

    def export(self, name: str) -> Iterator[dict[str, Any]]:
        """One JSON-ready row per document: provenance, text and chunk spans (no vectors)."""
        base = self.bases.get(name)
        for info in self.docs.in_base(name):
            with self.store.read() as conn:
                spans = conn.execute(
                    select(kb_chunks.c.seq, kb_chunks.c.page, kb_chunks.c.start, kb_chunks.c.end)
                    .where(kb_chunks.c.document_id == info.id)
                    .order_by(kb_chunks.c.seq)
                ).all()
            yield {
                "kb": base.name,
                "purpose": base.purpose,
                "legal_basis": base.legal_basis,
                **info.__dict__,
                "text": self.docs.body(info.id),
                "chunks": [dict(r._mapping) for r in spans],
            }

    # -- erasure --------------------------------------------------------------------------------
    async def remove_document(self, name: str, doc_id: str) -> int:
        """Erase one document (chunks, FTS rows, vectors, cached answers), then compact."""
        self.bases.get(name)
        if self.docs.get(name, doc_id) is None:
            raise KnowledgeBaseNotFoundError(
                f"no document {doc_id!r} in knowledge base {name!r}; "
                f"list them with `agadir kb docs {name}`"
            )
        n = await asyncio.to_thread(self.docs.remove, name, doc_id)
        self.dense.forget(name)
        await asyncio.to_thread(self.docs.compact)
        return n

    async def purge_expired(self, now: float | None = None) -> list[tuple[str, str, int]]:
        """Erase documents older than their base's `retention_days`; (kb, doc id, chunks)."""
        import time

        now = time.time() if now is None else now
        purged: list[tuple[str, str, int]] = []
        for base in self.bases.all():
            if base.retention_days <= 0:
                continue
            cutoff = now - base.retention_days * 86400
            for info in self.docs.in_base(base.name):
                if info.added_at < cutoff:
                    n = await asyncio.to_thread(self.docs.remove, base.name, info.id)
                    purged.append((base.name, info.id, n))
            self.dense.forget(base.name)
        if purged:
            await asyncio.to_thread(self.docs.compact)
        return purged

    async def erase(self, name: str) -> tuple[int, int]:
        """Erase a whole base and everything in it; returns (documents, chunks) removed."""
        self.bases.get(name)
        docs, chunks = await asyncio.to_thread(self.docs.remove_base, name)
        self.dense.forget(name)
        await asyncio.to_thread(self.docs.compact)
        return docs, chunks
