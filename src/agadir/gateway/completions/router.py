"""`POST /v1/completions`."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from agadir.gateway.completions.protocol import Completion, CompletionRequest
from agadir.gateway.completions.service import CompletionService
from agadir.gateway.governance.context import RequestContext
from agadir.gateway.governance.deps import authenticated
from agadir.gateway.responses import JSONResponse
from agadir.gateway.sse import EventStreamResponse
from agadir.gateway.state import GatewayState, get_state

router = APIRouter()


@router.post("/v1/completions", response_model=Completion)
async def create_completion(
    body: CompletionRequest,
    ctx: RequestContext = Depends(authenticated),
    state: GatewayState = Depends(get_state),
) -> Response:
    service = CompletionService(state, ctx)
    if body.stream:
        return EventStreamResponse(await service.open_stream(body))
    return JSONResponse((await service.complete(body)).model_dump())
