"""FastAPI dependencies: the authenticated request context."""

from __future__ import annotations

from fastapi import Depends, Request

from agadir.gateway.governance.context import RequestContext, request_context


async def authenticated(request: Request) -> RequestContext:
    """The caller's context once authenticated; raises the 401 otherwise.

    `AuditMiddleware` authenticates every audited request where it enters and leaves either
    the principal or the refusal on the context, so this is a lookup on the hot routes. A
    request that did not pass that middleware (a route outside its prefixes, an app built
    without it) is authenticated here, the same way.
    """
    ctx = request_context(request)
    if ctx.principal is not None:
        return ctx
    if ctx.auth_error is not None:
        raise ctx.auth_error
    authenticator = request.app.state.agadir.governance.authenticator
    await authenticator.authenticate(ctx, request.headers.get("authorization"))
    return ctx


async def admin(ctx: RequestContext = Depends(authenticated)) -> RequestContext:
    """Only keys with the `admin` scope (403 otherwise)."""
    assert ctx.principal is not None
    ctx.principal.require("admin")
    return ctx
