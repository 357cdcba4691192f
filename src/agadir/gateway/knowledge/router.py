"""`/v1/knowledge/...`: bases, documents, search, erasure (thin; rules in KnowledgeService)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

import orjson
from fastapi import APIRouter, Depends, File, UploadFile
from fastapi.responses import Response, StreamingResponse

from agadir.errors import InvalidRequestError
from agadir.gateway.governance.context import RequestContext
from agadir.gateway.governance.deps import authenticated
from agadir.gateway.knowledge.access import knowledge
from agadir.gateway.knowledge.protocol import (
    BaseOut,
    CreateBaseRequest,
    DocumentOut,
    ListOut,
    SearchHit,
    SearchRequest,
)
from agadir.gateway.knowledge.search_admission import admitted_search
from agadir.gateway.responses import JSONResponse
from agadir.gateway.state import GatewayState, get_state
from agadir.governance.admin_key import ADMIN_TENANT
from agadir.knowledge.bases import KnowledgeBase
from agadir.knowledge.service import KnowledgeService

router = APIRouter(prefix="/v1/knowledge", tags=["knowledge"])
Ctx = Annotated[RequestContext, Depends(authenticated)]
State = Annotated[GatewayState, Depends(get_state)]


def _base_out(service: KnowledgeService, base: KnowledgeBase) -> dict[str, object]:
    docs, chunks = service.bases.counts(base.name)
    return BaseOut(
        name=base.name,
        title=base.title,
        purpose=base.purpose,
        legal_basis=base.legal_basis,
        retention_days=base.retention_days,
        owner=base.owner,
        readers=list(base.readers),
        documents=docs,
        chunks=chunks,
        created_at=base.created_at,
    ).model_dump()


@router.get("")
async def list_bases(ctx: Ctx, state: State) -> Response:
    assert ctx.principal is not None
    service = await knowledge(state)
    data = [_base_out(service, b) for b in service.readable(ctx.principal)]
    return JSONResponse(ListOut(data=data).model_dump())


@router.post("", status_code=201)
async def create_base(body: CreateBaseRequest, ctx: Ctx, state: State) -> Response:
    assert ctx.principal is not None
    ctx.principal.require("admin")
    owner = body.owner or ctx.principal.tenant.name
    if owner != ctx.principal.tenant.name and ctx.principal.tenant.name != ADMIN_TENANT:
        raise InvalidRequestError("only the operator's admin tenant may create bases for others")
    service = await knowledge(state)
    service.tenant_must_exist(owner)
    base = service.bases.create(
        body.name,
        owner=owner,
        title=body.title,
        purpose=body.purpose,
        legal_basis=body.legal_basis,
        retention_days=body.retention_days,
        readers=tuple(body.readers),
    )
    ctx.extra.update(kb=base.name, action="create")
    return JSONResponse(_base_out(service, base), status_code=201)


@router.get("/{kb}")
async def get_base(kb: str, ctx: Ctx, state: State) -> Response:
    assert ctx.principal is not None
    service = await knowledge(state)
    return JSONResponse(_base_out(service, service.require_read(ctx.principal, kb)))


@router.delete("/{kb}")
async def erase_base(kb: str, ctx: Ctx, state: State) -> Response:
    assert ctx.principal is not None
    service = await knowledge(state)
    service.require_write(ctx.principal, kb)
    docs, chunks = await service.erase(kb)
    ctx.extra.update(kb=kb, action="erase", documents=docs, chunks=chunks)
    return JSONResponse({"name": kb, "deleted": True, "documents": docs, "chunks_removed": chunks})


@router.get("/{kb}/documents")
async def list_documents(kb: str, ctx: Ctx, state: State) -> Response:
    assert ctx.principal is not None
    service = await knowledge(state)
    service.require_read(ctx.principal, kb)
    data = [DocumentOut(**d.__dict__).model_dump() for d in service.documents(kb)]
    return JSONResponse(ListOut(data=data).model_dump())


@router.post("/{kb}/documents")
async def upload_documents(
    kb: str, ctx: Ctx, state: State, files: Annotated[list[UploadFile], File()]
) -> Response:
    """Ingest uploaded files; each file's outcome (added, unchanged, skipped + why) is listed."""
    assert ctx.principal is not None
    service = await knowledge(state)
    base = service.require_write(ctx.principal, kb)
    limit = state.settings.knowledge.max_file_bytes
    seen: set[str] = set()
    refused: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory(prefix="agadir-upload-") as tmp:
        paths, sources = [], {}
        for i, upload in enumerate(files):
            name = Path((upload.filename or "").replace("\\", "/")).name
            if name in ("", ".", "..") or "\x00" in name:
                refused.append((repr(upload.filename), "not a usable file name"))
                continue
            if name in seen:
                refused.append((name, "duplicate name in this upload"))
                continue
            seen.add(name)
            data = await upload.read(limit + 1)  # never more than the limit in memory
            if len(data) > limit:
                refused.append((name, f"larger than knowledge.max_file_bytes ({limit} bytes)"))
                continue
            path = Path(tmp) / f"{i:04d}" / name
            path.parent.mkdir()
            path.write_bytes(data)
            paths.append(path)
            sources[path] = f"upload://{kb}/{name}"
        report = await service.ingestor.ingest_paths(kb, paths, owner=base.owner, sources=sources)
    out = report.to_dict()
    for name, reason in refused:
        skipped = {"name": name, "status": "skipped", "reason": reason}
        out["files"].append(skipped)  # type: ignore[attr-defined]
        out["skipped"] = int(out["skipped"]) + 1  # type: ignore[call-overload]
    ctx.extra.update(kb=kb, action="ingest", added=out["added"], skipped=out["skipped"])
    return JSONResponse(out)


@router.delete("/{kb}/documents/{doc_id}")
async def remove_document(kb: str, doc_id: str, ctx: Ctx, state: State) -> Response:
    assert ctx.principal is not None
    service = await knowledge(state)
    service.require_write(ctx.principal, kb)
    n = await service.remove_document(kb, doc_id)
    ctx.extra.update(kb=kb, action="erase_document", document_id=doc_id, chunks=n)
    return JSONResponse({"id": doc_id, "deleted": True, "chunks_removed": n})


@router.post("/{kb}/search")
async def search(
    kb: str, body: Annotated[SearchRequest, Depends(admitted_search)], ctx: Ctx, state: State
) -> Response:
    service = await knowledge(state)
    hits = await service.search([kb], body.query, k=body.top_k, mode=body.mode)
    ctx.chunks = [str(h.passage.chunk_id) for h in hits]
    data = [
        SearchHit(**h.passage.__dict__, score=h.score, similarity=h.similarity).model_dump()
        for h in hits
    ]
    return JSONResponse(ListOut(data=data).model_dump())


@router.get("/{kb}/export")
async def export(kb: str, ctx: Ctx, state: State) -> Response:
    """JSONL: one line per document with provenance, text and chunk spans."""
    assert ctx.principal is not None
    service = await knowledge(state)
    service.require_write(ctx.principal, kb)
    ctx.extra.update(kb=kb, action="export")
    lines = [orjson.dumps(row) + b"\n" for row in service.export(kb)]
    return StreamingResponse(iter(lines), media_type="application/x-ndjson")
