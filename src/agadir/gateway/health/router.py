"""`GET /healthz` (liveness and what is loaded) and `GET /metrics` (Prometheus)."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST

from agadir import __version__
from agadir.gateway.responses import JSONResponse
from agadir.gateway.state import GatewayState, get_state

router = APIRouter()


@router.get("/healthz")
async def healthz(state: GatewayState = Depends(get_state)) -> JSONResponse:
    return JSONResponse(
        {
            "status": "ok",
            "version": __version__,
            "default_model": state.settings.model,
            "loaded": {
                name: (engine.stats() if hasattr(engine, "stats") else {})
                for name, engine in state.engines.loaded().items()
            },
            "egress": state.egress.describe(),
        }
    )


@router.get("/metrics")
async def metrics(state: GatewayState = Depends(get_state)) -> Response:
    return Response(state.metrics.render(), media_type=CONTENT_TYPE_LATEST)
