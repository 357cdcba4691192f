"""`POST /v1/chat/completions` (thin: parse, call the service, pick the response type)."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from agadir.gateway.chat.protocol import ChatCompletion, ChatCompletionRequest
from agadir.gateway.chat.service import ChatService
from agadir.gateway.governance.context import RequestContext
from agadir.gateway.governance.deps import authenticated
from agadir.gateway.responses import JSONResponse
from agadir.gateway.sse import EventStreamResponse
from agadir.gateway.state import GatewayState, get_state

router = APIRouter()


@router.post("/v1/chat/completions", response_model=ChatCompletion)
async def create_chat_completion(
    body: ChatCompletionRequest,
    ctx: RequestContext = Depends(authenticated),
    state: GatewayState = Depends(get_state),
) -> Response:
    service = ChatService(state, ctx)
    if body.stream:
        stream = await service.open_stream(body)
        return EventStreamResponse(stream)
    result = await service.complete(body)
    payload = result.model_dump()
    for extension in ("citations", "answer_mode"):  # grounded answers only
        if payload.get(extension) is None:
            payload.pop(extension, None)
    return JSONResponse(payload)
