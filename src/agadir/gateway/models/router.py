"""`GET /v1/models`: what this server offers, with capabilities and weights' sha256."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from agadir.engines.manager import ModelEntry
from agadir.gateway.generation import visible_entry
from agadir.gateway.governance.context import RequestContext
from agadir.gateway.governance.deps import authenticated
from agadir.gateway.responses import JSONResponse
from agadir.gateway.state import GatewayState, get_state
from agadir.knowledge.bases import BaseRegistry

router = APIRouter()


def _card(entry: ModelEntry, created: int) -> dict[str, Any]:
    manifest = entry.manifest
    return {
        "id": entry.name,
        "object": "model",
        "created": created,
        "owned_by": entry.owned_by,
        "engine": entry.engine,
        "capabilities": list(entry.capabilities),
        "context_length": entry.context_length,
        "sha256": entry.sha256,
        "license": manifest.license if manifest else None,
        "source": manifest.source if manifest else None,
        # a LoRA adapter names the base it runs on (vLLM's cards call this "parent")
        "parent": manifest.base if manifest and manifest.kind == "adapter" else None,
    }


def _created(entry: ModelEntry) -> int:
    return int(entry.manifest.added_at.timestamp()) if entry.manifest else 0


@router.get("/v1/models")
async def list_models(
    ctx: RequestContext = Depends(authenticated), state: GatewayState = Depends(get_state)
) -> JSONResponse:
    """The models this key may use (a key never learns of models outside its scopes)."""
    assert ctx.principal is not None
    allowed = [e for e in state.engines.entries() if ctx.principal.allows(f"models:{e.name}")]
    data = [_card(e, _created(e)) for e in allowed]
    data.extend(_knowledge_cards(state, ctx))
    return JSONResponse({"object": "list", "data": data})


def _knowledge_cards(state: GatewayState, ctx: RequestContext) -> list[dict[str, Any]]:
    """`kb:NAME` pseudo-models: grounded chat over each base this key may read."""
    assert ctx.principal is not None
    bases = BaseRegistry(state.governance.store).all(ctx.principal.tenant.name)
    return [
        {
            "id": f"kb:{b.name}",
            "object": "model",
            "created": int(b.created_at),
            "owned_by": "knowledge",
            "engine": "knowledge",
            "capabilities": ["chat"],
            "title": b.title,
            "purpose": b.purpose,
            "answers_with": state.settings.model,
        }
        for b in bases
        if ctx.principal.allows(f"kb:{b.name}")
    ]


@router.get("/v1/models/{model_id:path}")
async def get_model(
    model_id: str,
    ctx: RequestContext = Depends(authenticated),
    state: GatewayState = Depends(get_state),
) -> JSONResponse:
    assert ctx.principal is not None
    if model_id.startswith("kb:"):
        for card in _knowledge_cards(state, ctx):
            if card["id"] == model_id:
                return JSONResponse(card)
    entry = visible_entry(state, ctx, model_id)  # scope first: a 404 names only visible models
    return JSONResponse(_card(entry, _created(entry)))
