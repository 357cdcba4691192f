"""`/v1/knowledge/...`: bases, documents, search, erasure (thin; rules in KnowledgeService)."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Depends, File, UploadFile
from fastapi.responses import Response, StreamingResponse

from agadir.gateway.governance.context import RequestContext
from agadir.gateway.governance.deps import authenticated
from agadir.gateway.knowledge.access import knowledge
from agadir.gateway.knowledge.admission import (
    Admitted,
    admitted_creator,
    admitted_owner,
    admitted_reader,
    admitted_search,
    admitted_tenant,
)
from agadir.gateway.knowledge.protocol import (
    BaseOut,
    CreateBaseRequest,
    DocumentOut,
    ListOut,
    SearchHit,
    SearchRequest,
)
from agadir.gateway.responses import JSONResponse
from agadir.gateway.state import GatewayState, get_state
from agadir.knowledge.bases import KnowledgeBase
from agadir.knowledge.service import KnowledgeService

router = APIRouter(prefix="/v1/knowledge", tags=["knowledge"])
# The upload route's body may reach knowledge.max_upload_bytes (multipart files spool to disk).
UPLOAD_PATH = re.compile(r"/v1/knowledge/[^/]+/documents")
Ctx = Annotated[RequestContext, Depends(authenticated)]
State = Annotated[GatewayState, Depends(get_state)]
# Admitted requests (policy, quota, input PII policy): see `admission`.
Tenant = Annotated[Admitted, Depends(admitted_tenant)]
Reader = Annotated[Admitted, Depends(admitted_reader)]
Owner = Annotated[Admitted, Depends(admitted_owner)]
Creator = Annotated[Admitted, Depends(admitted_creator)]
Search = Annotated[tuple[Admitted, SearchRequest], Depends(admitted_search)]


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
async def list_bases(ctx: Ctx, admitted: Tenant) -> Response:
    assert ctx.principal is not None
    service = admitted.service
    data = [_base_out(service, b) for b in service.readable(ctx.principal)]
    return JSONResponse(ListOut(data=data).model_dump())


@router.post("", status_code=201)
async def create_base(body: CreateBaseRequest, ctx: Ctx, admitted: Creator) -> Response:
    assert ctx.principal is not None
    service = admitted.service
    base = service.create_base(
        ctx.principal,
        body.name,
        owner=body.owner,
        title=body.title,
        purpose=body.purpose,
        legal_basis=body.legal_basis,
        retention_days=body.retention_days,
        readers=body.readers,
    )
    ctx.extra.update(kb=base.name, action="create")
    return JSONResponse(_base_out(service, base), status_code=201)


@router.get("/{kb}")
async def get_base(admitted: Reader) -> Response:
    assert admitted.base is not None
    return JSONResponse(_base_out(admitted.service, admitted.base))


@router.delete("/{kb}")
async def erase_base(kb: str, ctx: Ctx, state: State) -> Response:
    assert ctx.principal is not None
    service = await knowledge(state)
    service.require_write(ctx.principal, kb)
    docs, chunks = await service.erase(kb)
    ctx.extra.update(kb=kb, action="erase", documents=docs, chunks=chunks)
    return JSONResponse({"name": kb, "deleted": True, "documents": docs, "chunks_removed": chunks})


@router.get("/{kb}/documents")
async def list_documents(kb: str, admitted: Reader) -> Response:
    data = [DocumentOut(**d.__dict__).model_dump() for d in admitted.service.documents(kb)]
    return JSONResponse(ListOut(data=data).model_dump())


@router.post("/{kb}/documents")
async def upload_documents(
    kb: str,
    ctx: Ctx,
    admitted: Owner,
    files: Annotated[list[UploadFile], File()],
    background: bool | None = None,
) -> Response:
    """Ingest uploaded files. Small uploads answer 200 with each file's outcome (added,
    unchanged, skipped + why); big ones (or `?background=true`) answer 202 with a job."""
    assert ctx.principal is not None
    service = admitted.service
    job = await service.upload(ctx.principal, kb, files, background=background)
    ctx.extra.update(kb=kb, action="ingest", job=job.id)
    if not job.finished:
        location = {"Location": f"/v1/knowledge/{kb}/jobs/{job.id}"}
        return JSONResponse(job.to_dict(), status_code=202, headers=location)
    out = job.report.to_dict()
    ctx.extra.update(added=out["added"], skipped=out["skipped"])
    return JSONResponse(out)


@router.get("/{kb}/jobs/{job_id}")
async def get_job(kb: str, job_id: str, admitted: Owner) -> Response:
    return JSONResponse(admitted.service.jobs.get(kb, job_id).to_dict())


@router.delete("/{kb}/jobs/{job_id}")
async def cancel_job(kb: str, job_id: str, ctx: Ctx, state: State) -> Response:
    assert ctx.principal is not None
    service = await knowledge(state)
    job = await service.cancel_job(ctx.principal, kb, job_id)
    ctx.extra.update(kb=kb, action="cancel_ingest", job=job.id)
    return JSONResponse(job.to_dict())


@router.delete("/{kb}/documents/{doc_id}")
async def remove_document(kb: str, doc_id: str, ctx: Ctx, state: State) -> Response:
    assert ctx.principal is not None
    service = await knowledge(state)
    service.require_write(ctx.principal, kb)
    n = await service.remove_document(kb, doc_id)
    ctx.extra.update(kb=kb, action="erase_document", document_id=doc_id, chunks=n)
    return JSONResponse({"id": doc_id, "deleted": True, "chunks_removed": n})


@router.post("/{kb}/search")
async def search(kb: str, admitted: Search, ctx: Ctx) -> Response:
    service, body = admitted[0].service, admitted[1]
    hits = await service.search([kb], body.query, k=body.top_k, mode=body.mode)
    ctx.chunks = [str(h.passage.chunk_id) for h in hits]
    data = [
        SearchHit(**h.passage.__dict__, score=h.score, similarity=h.similarity).model_dump()
        for h in hits
    ]
    return JSONResponse(ListOut(data=data).model_dump())


@router.get("/{kb}/export")
async def export(kb: str, ctx: Ctx, admitted: Owner) -> Response:
    """JSONL: one line per document with provenance, text and chunk spans, streamed (each
    document is read from the store in a worker thread as the client takes the previous one)."""
    ctx.extra.update(kb=kb, action="export")
    return StreamingResponse(admitted.service.export_jsonl(kb), media_type="application/x-ndjson")
