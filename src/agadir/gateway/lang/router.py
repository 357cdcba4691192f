"""`POST /v1/lang/identify|transliterate|normalize` (scope `lang`; input PII policy applies)."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from agadir.gateway.governance.context import RequestContext
from agadir.gateway.governance.deps import authenticated
from agadir.gateway.lang import service
from agadir.gateway.lang.protocol import (
    IdentifyRequest,
    IdentifyResponse,
    NormalizeRequest,
    NormalizeResponse,
    TransliterateRequest,
    TransliterateResponse,
)
from agadir.gateway.responses import JSONResponse
from agadir.gateway.state import GatewayState, get_state

router = APIRouter()


async def _admit(state: GatewayState, ctx: RequestContext, texts: list[str]) -> list[str]:
    return await state.governance.admit(ctx, scope="lang", entry=None, texts=texts, max_tokens=0)


@router.post("/v1/lang/identify", response_model=IdentifyResponse)
async def identify(
    body: IdentifyRequest,
    ctx: RequestContext = Depends(authenticated),
    state: GatewayState = Depends(get_state),
) -> JSONResponse:
    body.input = await _admit(state, ctx, body.texts())
    return JSONResponse((await service.identify(body)).model_dump())


@router.post("/v1/lang/transliterate", response_model=TransliterateResponse)
async def transliterate(
    body: TransliterateRequest,
    ctx: RequestContext = Depends(authenticated),
    state: GatewayState = Depends(get_state),
) -> JSONResponse:
    body.input = await _admit(state, ctx, body.texts())
    return JSONResponse((await service.transliterate(body)).model_dump())


@router.post("/v1/lang/normalize", response_model=NormalizeResponse)
async def normalize(
    body: NormalizeRequest,
    ctx: RequestContext = Depends(authenticated),
    state: GatewayState = Depends(get_state),
) -> JSONResponse:
    body.input = await _admit(state, ctx, body.texts())
    return JSONResponse((await service.normalize(body)).model_dump())
