"""`POST /tokenize`, `POST /detokenize`, `GET /tokenizer_info`, at vLLM's paths (where
lm-evaluation-harness looks for them) and under `/v1/`."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from agadir.gateway.governance.context import RequestContext
from agadir.gateway.governance.deps import authenticated
from agadir.gateway.responses import JSONResponse
from agadir.gateway.state import GatewayState, get_state
from agadir.gateway.tokenizer.protocol import (
    DetokenizeRequest,
    DetokenizeResponse,
    TokenizeRequest,
    TokenizeResponse,
)
from agadir.gateway.tokenizer.service import TokenizerService

router = APIRouter()


@router.post("/tokenize", response_model=TokenizeResponse)
@router.post("/v1/tokenize", response_model=TokenizeResponse, include_in_schema=False)
async def tokenize(
    body: TokenizeRequest,
    ctx: RequestContext = Depends(authenticated),
    state: GatewayState = Depends(get_state),
) -> JSONResponse:
    result = await TokenizerService(state, ctx).tokenize(body)
    return JSONResponse(result.model_dump(exclude_none=True))


@router.post("/detokenize", response_model=DetokenizeResponse)
@router.post("/v1/detokenize", response_model=DetokenizeResponse, include_in_schema=False)
async def detokenize(
    body: DetokenizeRequest,
    ctx: RequestContext = Depends(authenticated),
    state: GatewayState = Depends(get_state),
) -> JSONResponse:
    return JSONResponse((await TokenizerService(state, ctx).detokenize(body)).model_dump())


@router.get("/tokenizer_info")
@router.get("/v1/tokenizer_info", include_in_schema=False)
async def tokenizer_info(
    model: str | None = None,
    ctx: RequestContext = Depends(authenticated),
    state: GatewayState = Depends(get_state),
) -> JSONResponse:
    return JSONResponse(await TokenizerService(state, ctx).info(model))
