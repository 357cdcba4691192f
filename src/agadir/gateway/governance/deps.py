"""FastAPI dependencies: the authenticated request context."""

from __future__ import annotations

from fastapi import Depends, Request

from agadir.gateway.governance.context import RequestContext, request_context
from agadir.gateway.state import GatewayState, get_state


async def authenticated(
    request: Request, state: GatewayState = Depends(get_state)
) -> RequestContext:
    """Authenticate the caller (401 otherwise) and return the request's context."""
    ctx = request_context(request)
    await state.governance.authenticate(ctx, request.headers.get("authorization"))
    return ctx


async def admin(ctx: RequestContext = Depends(authenticated)) -> RequestContext:
    """Only keys with the `admin` scope (403 otherwise)."""
    assert ctx.principal is not None
    ctx.principal.require("admin")
    return ctx
