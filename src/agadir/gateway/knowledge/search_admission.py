"""Admission of a knowledge search: the same path as generation, before any passage is read.

A search reads tenant data, so it passes every step a chat request passes: policy (may this
key read the base: 403 otherwise), quota and rate (429), the tenant's PII policy on the query
(block: 400; mask/pseudonymise: the search runs on the masked query), and the audit record
holds the query as the policy left it, hashed with the audit key in `hash` mode.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from agadir.gateway.governance.context import RequestContext
from agadir.gateway.governance.deps import authenticated
from agadir.gateway.knowledge.access import knowledge
from agadir.gateway.knowledge.protocol import SearchRequest
from agadir.gateway.state import GatewayState, get_state


async def admitted_search(
    kb: str,
    body: SearchRequest,
    ctx: Annotated[RequestContext, Depends(authenticated)],
    state: Annotated[GatewayState, Depends(get_state)],
) -> SearchRequest:
    """The search request once admitted, its query after the tenant's input PII policy."""
    assert ctx.principal is not None
    service = await knowledge(state)
    service.require_read(ctx.principal, kb)  # policy before quota, as for grounded chat
    ctx.extra["kb"] = kb
    (query,) = await state.governance.admission.admit(
        ctx, scope=f"kb:{kb}", entry=None, texts=[body.query], max_tokens=0
    )
    return body.model_copy(update={"query": query})
