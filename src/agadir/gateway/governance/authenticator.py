"""Who is asking: the principal behind a request's API key, found once where the request enters.

`AuditMiddleware` calls `authenticate_edge` for every audited request and leaves either the
principal or the refusal on the request's context; the route's `authenticated` dependency then
only reads it. The Authorization header is parsed once, by `bearer_token`.

Does not decide what the principal may do (that is `Admission`) and does not audit.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

from agadir.errors import AgadirError
from agadir.gateway.governance.context import RequestContext
from agadir.governance import (
    KeyService,
    Limits,
    Principal,
    ScopeSet,
    TenantNotFoundError,
    TenantService,
)
from agadir.governance.scopes import ALL_SCOPES

DEV_TENANT = "dev"


def bearer_token(authorization: str | None) -> str | None:
    """The key in an Authorization header: `Bearer KEY`, or the bare key (some clients)."""
    if not authorization:
        return None
    scheme, _, value = authorization.partition(" ")
    return value.strip() if scheme.lower() == "bearer" else authorization.strip()


def dev_principal(tenants: TenantService) -> Principal:
    """The principal of key-less requests in dev-open mode: tenant `dev`, every scope but
    `admin`, content hashed in the audit log and no PII policy."""
    try:
        tenant = tenants.get(DEV_TENANT)
    except TenantNotFoundError:
        tenant = tenants.create(DEV_TENANT, audit_content="hash", pii_mode="off")
    scopes = frozenset(s for s in ALL_SCOPES if s != "admin")
    return Principal("dev-open", tenant, ScopeSet.of(scopes), Limits(), None)


class Authenticator:
    """Turns an Authorization header into a `Principal` (401 otherwise).

    `offload`: key lookups that miss the cache read the store over the network (PostgreSQL),
    so they run in a worker thread; the embedded store answers without leaving the loop, and
    without creating a coroutine at all on the edge path.
    """

    def __init__(
        self, keys: KeyService, *, dev: Principal | None = None, offload: bool = False
    ) -> None:
        self.keys = keys
        self.dev = dev
        self.offload = offload

    def authenticate_edge(
        self, ctx: RequestContext, authorization: str | None
    ) -> Coroutine[Any, Any, None] | None:
        """Authenticate where the request enters and keep a refusal on `ctx` for the route's
        `authenticated` dependency to raise: the route decides whether it needs a key, and the
        refusal reaches the client through the usual error handlers.

        Returns None when done, or a coroutine to await when the lookup must leave the loop."""
        token = bearer_token(authorization)
        if self.offload and not (self.dev is not None and not token):
            return self._lookup_offloaded(ctx, token)
        try:
            self._lookup(ctx, token)
        except AgadirError as exc:
            ctx.auth_error = exc
        return None

    async def authenticate(self, ctx: RequestContext, authorization: str | None) -> Principal:
        """The same, raising the refusal: for requests that did not pass the middleware."""
        token = bearer_token(authorization)
        if self.offload and not (self.dev is not None and not token):
            principal = await asyncio.to_thread(self.keys.authenticate, token)
            ctx.principal = principal
            return principal
        return self._lookup(ctx, token)

    async def _lookup_offloaded(self, ctx: RequestContext, token: str | None) -> None:
        try:
            ctx.principal = await asyncio.to_thread(self.keys.authenticate, token)
        except AgadirError as exc:
            ctx.auth_error = exc

    def _lookup(self, ctx: RequestContext, token: str | None) -> Principal:
        if self.dev is not None and not token:
            principal = self.dev
        else:
            principal = self.keys.authenticate(token)
        ctx.principal = principal
        return principal
