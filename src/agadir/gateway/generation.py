"""What every generation endpoint passes before an engine runs: model, scope, quota, PII.

Chat, text completions and the tokenizer endpoints must pass the same steps in the same order
(the key's scopes before anything about the model, then capability, quota and the input PII
policy); keeping them in these functions means a new endpoint cannot forget one.
"""

from __future__ import annotations

from collections.abc import Sequence

from agadir.engines.base import Engine, unsupported
from agadir.engines.manager import STORE_CHECK_S, ModelEntry
from agadir.errors import ModelNotFoundError
from agadir.gateway.governance.context import RequestContext
from agadir.gateway.state import GatewayState


def visible_entry(state: GatewayState, ctx: RequestContext, model: str) -> ModelEntry:
    """The model's entry, checking the key's model scope first: a key that may not use `model`
    gets the 403 whether or not it exists, and the 404 lists only models the key may use."""
    principal = ctx.principal
    assert principal is not None, "authenticate first"
    principal.require_model(model)
    entries = {e.name: e for e in state.engines.entries(STORE_CHECK_S)}
    if model not in entries:  # maybe just registered: check the store now
        entries = {e.name: e for e in state.engines.entries()}
    entry = entries.get(model)
    if entry is None:
        visible = sorted(n for n in entries if principal.allows(f"models:{n}"))
        raise ModelNotFoundError(
            f"The model '{model}' does not exist. Models this key may use: "
            f"{', '.join(visible) or 'none'}.",
            param="model",
        )
    return entry


def admissible_entry(
    state: GatewayState, ctx: RequestContext, *, model: str, capability: str, scope: str
) -> ModelEntry:
    """The entry of `model` once the key's scopes allow the request and the model can do
    `capability` (nothing is loaded yet)."""
    assert ctx.principal is not None, "authenticate first"
    ctx.principal.require(scope)
    entry = visible_entry(state, ctx, model)
    if capability not in entry.capabilities:
        raise unsupported(model, f"{capability} requests")
    return entry


async def admit_texts(
    state: GatewayState,
    ctx: RequestContext,
    entry: ModelEntry,
    *,
    scope: str,
    texts: Sequence[str],
    max_tokens: int,
) -> list[str]:
    """Admit the request under governance (quota, input PII policy); the texts to generate from."""
    return await state.governance.admit(
        ctx, scope=scope, entry=entry, texts=texts, max_tokens=max_tokens
    )


async def admit_generation(
    state: GatewayState,
    ctx: RequestContext,
    *,
    model: str,
    capability: str,
    scope: str,
    texts: Sequence[str],
    max_tokens: int,
) -> tuple[Engine, list[str]]:
    """Check the key and the model, admit the request, and return the engine (loaded on first
    use, only once admitted) with the texts to send it."""
    entry = admissible_entry(state, ctx, model=model, capability=capability, scope=scope)
    admitted = await admit_texts(state, ctx, entry, scope=scope, texts=texts, max_tokens=max_tokens)
    return await state.engines.get(model), admitted
