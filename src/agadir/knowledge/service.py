"""The knowledge service: one object the CLI and the gateway share for every base operation.

Access rules live here, not in the routers: reading a base needs the key's `kb:NAME` scope
*and* the base's owner or reader list to include the key's tenant; both failures, and a base
that does not exist, give the same 403 so a key learns nothing about bases it may not read.
Writing (create, ingest, remove, erase) needs the `admin` scope and the owning tenant (or the
operator's `admin` tenant). The CLI acts as the operator and calls the methods directly.
Uploads are staged (`uploads`) and ingested by the job scheduler (`jobs`): small ones are
awaited, big ones answered at once with a job to poll or cancel.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import orjson
from sqlalchemy import select

from agadir.engines.base import Engine
from agadir.errors import InvalidRequestError
from agadir.governance.admin_key import ADMIN_TENANT
from agadir.governance.principal import Principal
from agadir.knowledge.bases import (
    BaseRegistry,
    KnowledgeAccessDeniedError,
    KnowledgeBase,
    KnowledgeBaseNotFoundError,
)
from agadir.knowledge.index import DocumentIndex, DocumentInfo
from agadir.knowledge.ingest import Ingestor
from agadir.knowledge.jobs import IngestJob, IngestScheduler
from agadir.knowledge.limits import ExtractionLimits
from agadir.knowledge.priority import INGEST_BATCH, EmbedPriority
from agadir.knowledge.retrieval import EmbedFn, HybridRetriever, Mode, Retrieved
from agadir.knowledge.search import DenseIndex
from agadir.knowledge.uploads import UploadedFile, stage_uploads
from agadir.store import Store
from agadir.store.schema import kb_chunks

if TYPE_CHECKING:
    from agadir.config import KnowledgeSettings

BACKGROUND_BYTES = 1024 * 1024


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
        max_bytes: int | None = None,
        limits: ExtractionLimits | None = None,
        vector_search: str = "memory",
        ingest_workers: int = 2,
        background_bytes: int = BACKGROUND_BYTES,
    ) -> None:
        self.store = store
        self.bases = BaseRegistry(store)
        self.docs = DocumentIndex(store)
        self.dense = DenseIndex(store, self.bases, in_database=vector_search == "pgvector")
        priority = EmbedPriority(embed)  # a search never waits behind more than one batch
        self.retriever = HybridRetriever(store, self.dense, priority.urgent)
        self.ingestor = Ingestor(
            self.docs,
            priority.background,
            max_bytes=max_bytes,
            limits=limits,
            embed_batch=INGEST_BATCH,
        )
        self.jobs = IngestScheduler(self.ingestor, self._discard, workers=ingest_workers)
        self.background_bytes = background_bytes

    @classmethod
    def from_settings(
        cls, store: Store, embed: EmbedFn, settings: KnowledgeSettings
    ) -> KnowledgeService:
        limits = ExtractionLimits(
            max_file_bytes=settings.max_file_bytes,
            max_text_bytes=settings.max_text_bytes,
            max_expansion=settings.max_expansion,
        )
        return cls(
            store,
            embed,
            limits=limits,
            vector_search=settings.vector_search,
            ingest_workers=settings.ingest_workers,
            background_bytes=settings.background_bytes,
        )

    async def aclose(self) -> None:
        await self.jobs.aclose()

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

    def create_base(
        self,
        principal: Principal,
        name: str,
        *,
        owner: str | None,
        title: str | None,
        purpose: str,
        legal_basis: str,
        retention_days: int,
        readers: Sequence[str],
    ) -> KnowledgeBase:
        """Create a base for the key's tenant; only the operator's tenant creates for others."""
        principal.require("admin")
        owner = owner or principal.tenant.name
        if owner != principal.tenant.name and principal.tenant.name != ADMIN_TENANT:
            raise InvalidRequestError(
                "only the operator's admin tenant may create bases for others"
            )
        self.tenant_must_exist(owner)
        return self.bases.create(
            name,
            owner=owner,
            title=title,
            purpose=purpose,
            legal_basis=legal_basis,
            retention_days=retention_days,
            readers=tuple(readers),
        )

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

    # -- ingestion ------------------------------------------------------------------------------
    async def upload(
        self,
        principal: Principal,
        kb: str,
        uploads: Sequence[UploadedFile],
        *,
        background: bool | None = None,
    ) -> IngestJob:
        """Stage uploaded files and queue them as one job; return it finished unless it runs in
        the background: when asked (`background`), or by default when it is over
        `background_bytes` or would wait behind the tenant's other jobs (a request is never
        held for longer than its own small files take)."""
        base = self.require_write(principal, kb)
        staged = await asyncio.to_thread(
            stage_uploads, kb, list(uploads), max_file_bytes=self.ingestor.limits.max_file_bytes
        )
        tenant = principal.tenant.name
        if background is None:
            background = staged.bytes > self.background_bytes or self.jobs.pending(tenant)
        job = self.jobs.submit(staged, tenant=tenant, owner=base.owner)
        if not background:
            await self.jobs.wait(job)
        return job

    def job(self, principal: Principal, kb: str, job_id: str) -> IngestJob:
        self.require_write(principal, kb)
        return self.jobs.get(kb, job_id)

    async def cancel_job(self, principal: Principal, kb: str, job_id: str) -> IngestJob:
        return await self.jobs.cancel(self.job(principal, kb, job_id))

    async def _discard(self, kb: str, doc_ids: list[str]) -> None:
        """Erase documents a cancelled job added (and compact, as any erasure does)."""
        for doc_id in doc_ids:
            await asyncio.to_thread(self.docs.remove, kb, doc_id)
        self.dense.forget(kb)
        await asyncio.to_thread(self.docs.compact)

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
        """One JSON-ready row per document: provenance, text and chunk spans (no vectors).

        A generator that reads one document at a time, so a caller can stream a base of any
        size. Chunk spans are plain ``str`` keys: SQLAlchemy's row keys are `quoted_name`
        (a `str` subclass) that orjson refuses.
        """
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
                "chunks": [
                    {"seq": r.seq, "page": r.page, "start": r.start, "end": r.end} for r in spans
                ],
            }

    def export_jsonl(self, name: str) -> Iterator[bytes]:
        """`export` as JSONL lines (UTF-8, one document a line), read lazily."""
        self.bases.get(name)  # a missing base fails here, before the first line is sent
        return (orjson.dumps(row) + b"\n" for row in self.export(name))

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
