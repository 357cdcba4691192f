"""Admission of the knowledge endpoints that read tenant data: the same path as generation.

Listing bases, reading one, listing its documents, exporting it, following an ingestion job
and searching all read tenant data, so each passes the steps a chat request passes, before
anything is read: policy (may this key read the base, or own it: 403 otherwise), quota and
rate (a request counts: 429 when spent), and the tenant's PII policy on any text the request
carries (a search query: block gives the 400; mask/pseudonymise: the search runs on the masked
query, and the audit record holds the query as the policy left it, hashed with the audit key
in `hash` mode). The routes take these as FastAPI dependencies, so none can skip a step.

Writes that add data (creating a base, uploading documents) count a request the same way,
after the key's right to do them. Stopping and erasing (cancelling an ingestion job, removing
a document or a base) do not: a key that has spent its budget can always take data out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import Depends

from agadir.gateway.governance.context import RequestContext
from agadir.gateway.governance.deps import authenticated
from agadir.gateway.knowledge.access import knowledge
from agadir.gateway.knowledge.protocol import SearchRequest
from agadir.gateway.state import GatewayState, get_state
from agadir.knowledge.bases import KnowledgeBase
from agadir.knowledge.service import KnowledgeService

Ctx = Annotated[RequestContext, Depends(authenticated)]
State = Annotated[GatewayState, Depends(get_state)]


@dataclass(frozen=True)
class Admitted:
    """An admitted request's knowledge service, its base when it names one, and its texts
    after the tenant's input PII policy."""

    service: KnowledgeService
    base: KnowledgeBase | None = None
    texts: tuple[str, ...] = ()


async def admit(
    state: GatewayState,
    ctx: RequestContext,
    kb: str | None,
    *,
    access: Literal["read", "own"] = "read",
    texts: Sequence[str] = (),
) -> Admitted:
    """Check the key may read (or own) `kb`, then reserve the request and apply the input PII
    policy through the one `Admission`; `kb` None is the tenant's own list (no base to check:
    `readable` filters it)."""
    assert ctx.principal is not None
    service = await knowledge(state)
    base = None
    if kb is not None:
        if access == "own":
            base = service.require_write(ctx.principal, kb)
        else:
            base = service.require_read(ctx.principal, kb)
        ctx.extra["kb"] = kb
    admitted = await state.governance.admission.admit(
        ctx, scope=None, entry=None, texts=texts, max_tokens=0
    )
    return Admitted(service, base, tuple(admitted))


async def admitted_tenant(ctx: Ctx, state: State) -> Admitted:
    """A request on the tenant's bases as a whole (the list). A key with no `kb:` scope can
    read no base, so its (empty) list reads no tenant data and costs no request: the web
    page lists bases on sign-in, which must not spend a chat-only key's request budget."""
    assert ctx.principal is not None
    if not ctx.principal.scopes.kbs:
        return Admitted(await knowledge(state))
    return await admit(state, ctx, None)


async def admitted_reader(kb: str, ctx: Ctx, state: State) -> Admitted:
    """A request that reads base `kb` (its metadata, its documents)."""
    return await admit(state, ctx, kb)


async def admitted_owner(kb: str, ctx: Ctx, state: State) -> Admitted:
    """A request that reads what only the base's owner may read (its export, its jobs)."""
    return await admit(state, ctx, kb, access="own")


async def admitted_search(
    kb: str, body: SearchRequest, ctx: Ctx, state: State
) -> tuple[Admitted, SearchRequest]:
    """The search request once admitted, its query after the tenant's input PII policy."""
    admitted = await admit(state, ctx, kb, texts=[body.query])
    return admitted, body.model_copy(update={"query": admitted.texts[0]})


async def admitted_creator(ctx: Ctx, state: State) -> Admitted:
    """A request that creates a base: the `admin` scope, then a request counted."""
    assert ctx.principal is not None
    ctx.principal.require("admin")
    return await admit(state, ctx, None)
