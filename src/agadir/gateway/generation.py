"""What chat and text completions share: governed admission to an engine, and output policy.

Both endpoints must pass the same steps in the same order (model capability, scope, quota,
input PII policy) before an engine runs; keeping that in one function means a new generation
endpoint cannot forget one.
"""

from __future__ import annotations

from collections.abc import Sequence

from agadir.engines.base import Engine, Generation, unsupported
from agadir.gateway.governance.context import RequestContext
from agadir.gateway.governance.pii_stream import StreamingPiiFilter
from agadir.gateway.state import GatewayState


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
    """Check the model can do `capability`, admit the request under governance, and return the
    engine with the texts to send it (after the tenant's input PII policy)."""
    entry = state.engines.entry(model)
    if capability not in entry.capabilities:
        raise unsupported(model, f"{capability} requests")
    admitted = await state.governance.admit(
        ctx, scope=scope, entry=entry, texts=texts, max_tokens=max_tokens
    )
    return await state.engines.get(model), admitted


async def finish_generation(
    state: GatewayState, ctx: RequestContext, model: str, result: Generation
) -> Generation:
    """Output PII policy, token metrics and quota settlement for a non-streamed generation."""
    pii: StreamingPiiFilter | None = state.governance.output_filter(ctx)
    if pii is not None:
        result.text = pii.push(result.text) + pii.flush()
    await state.governance.settle(
        ctx, result.prompt_tokens, result.completion_tokens, result.text, pii
    )
    state.metrics.record_tokens(model, result.prompt_tokens, result.completion_tokens)
    return result
