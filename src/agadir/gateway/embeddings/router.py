"""`POST /v1/embeddings`."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from agadir.gateway.embeddings.protocol import EmbeddingRequest, EmbeddingResponse
from agadir.gateway.embeddings.service import EmbeddingService
from agadir.gateway.governance.context import RequestContext
from agadir.gateway.governance.deps import authenticated
from agadir.gateway.responses import JSONResponse
from agadir.gateway.state import GatewayState, get_state

router = APIRouter()


@router.post("/v1/embeddings", response_model=EmbeddingResponse)
async def create_embeddings(
    body: EmbeddingRequest,
    ctx: RequestContext = Depends(authenticated),
    state: GatewayState = Depends(get_state),
) -> Response:
    return JSONResponse((await EmbeddingService(state, ctx).embed(body)).model_dump())
