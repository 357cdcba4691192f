"""`GET /healthz` (liveness and what is loaded) and `GET /metrics` (Prometheus).

`/metrics` is open by default (loopback is the operator's); with `metrics_require_key` it wants
an operator key with the `metrics` scope, since the counters describe every tenant's traffic.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST

from agadir import __version__
from agadir.gateway.governance.deps import authenticated
from agadir.gateway.responses import JSONResponse
from agadir.gateway.state import GatewayState, get_state
from agadir.governance import PermissionDeniedError

router = APIRouter()


async def metrics_reader(request: Request, state: GatewayState = Depends(get_state)) -> None:
    """Nothing to check unless `metrics_require_key`; then 401 without a key, 403 without the
    `metrics` scope or outside the operator's tenant."""
    if not state.settings.metrics_require_key:
        return
    principal = (await authenticated(request)).principal
    assert principal is not None
    principal.require("metrics")
    if not principal.is_operator:
        raise PermissionDeniedError(
            "the metrics cover every tenant: scrape them with a key of the operator's 'admin' "
            "tenant (agadir keys create --tenant admin --scopes metrics)"
        )


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


@router.get("/metrics", dependencies=[Depends(metrics_reader)])
async def metrics(state: GatewayState = Depends(get_state)) -> Response:
    return Response(state.metrics.render(), media_type=CONTENT_TYPE_LATEST)
