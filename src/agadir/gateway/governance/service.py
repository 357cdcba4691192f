"""The governance service the gateway calls: who is asking, may they, how much, and the record.

Order on the request path (ARCHITECTURE.md): authenticate -> scope/model policy -> quota ->
PII policy on input -> engine -> PII policy on output -> audit. `admit` does everything before
the engine in one call so no service can skip a step; `settle` and `audit` close the request.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Coroutine, Sequence
from typing import Any

from agadir.audit import AuditRecord, PendingContent, load_or_create_key
from agadir.audit.process_writer import ProcessAuditWriter
from agadir.config import Settings
from agadir.engines.manager import ModelEntry
from agadir.errors import AgadirError
from agadir.gateway.governance.context import RequestContext
from agadir.gateway.governance.pii_stream import StreamingPiiFilter
from agadir.governance import (
    KeyService,
    Limits,
    Principal,
    QuotaService,
    ScopeSet,
    Tenant,
    TenantNotFoundError,
    TenantService,
    ensure_admin_key,
)
from agadir.governance.scopes import ALL_SCOPES
from agadir.lang.pii import PiiMode, PiiPolicy
from agadir.store import Store, open_store

log = logging.getLogger("agadir.governance")
DEV_TENANT = "dev"
_Policies = tuple[PiiPolicy | None, PiiPolicy | None]  # (input, output); None when off


class Governance:
    """One per process. `dev_open` skips authentication (and says so in the audit log)."""

    def __init__(
        self, settings: Settings, *, dev_open: bool = False, store: Store | None = None
    ) -> None:
        self.settings = settings
        self.store = store or open_store(settings.resolved_database_url)
        self.keys = KeyService(self.store)
        # tenant changes made here (admin API) reach the key cache at once, not after its TTL
        self.tenants = TenantService(self.store, on_change=self.keys.forget_tenant)
        self.quotas = QuotaService(self.store)
        self.writer = ProcessAuditWriter(
            self.store.url, load_or_create_key(settings.ensure_home())
        ).start()
        self.dev_open = dev_open
        # PostgreSQL calls block on the network: run them off the event loop.
        self._offload = self.store.kind == "postgresql"
        self._dev_principal = self._make_dev_principal() if dev_open else None
        self._policies: dict[tuple[str, str], _Policies] = {}

    # -- lifecycle ------------------------------------------------------------------------------
    def admin_key_file(self) -> str | None:
        path = ensure_admin_key(self.settings, self.store)
        return str(path) if path else None

    async def record_event(self, what: str, **extra: Any) -> None:
        """A non-request event in the chain (server start in dev-open mode, ...)."""
        await self.writer.append(AuditRecord(endpoint=what, status=0, kind="event", extra=extra))

    def close(self) -> None:
        self.quotas.close()
        self.writer.close()
        self.store.close()

    # -- authentication -------------------------------------------------------------------------
    def _make_dev_principal(self) -> Principal:
        try:
            tenant = self.tenants.get(DEV_TENANT)
        except TenantNotFoundError:
            tenant = self.tenants.create(DEV_TENANT, audit_content="hash", pii_mode="off")
        scopes = frozenset(s for s in ALL_SCOPES if s != "admin")
        return Principal("dev-open", tenant, ScopeSet.of(scopes), Limits(), None)

    async def authenticate(self, ctx: RequestContext, authorization: str | None) -> Principal:
        if self._offload:  # a cache miss reads PostgreSQL: off the event loop
            token = None
            if authorization:
                scheme, _, value = authorization.partition(" ")
                token = value.strip() if scheme.lower() == "bearer" else authorization.strip()
            if self._dev_principal is None or token:
                principal = await asyncio.to_thread(self.keys.authenticate, token)
                ctx.principal = principal
                return principal
        return self._authenticate_now(ctx, authorization)

    def authenticate_edge(
        self, ctx: RequestContext, authorization: str | None
    ) -> Coroutine[Any, Any, None] | None:
        """Authenticate where the request enters (the audit middleware) and keep a refusal on
        `ctx` for the route's `authenticated` dependency to raise: the route decides whether it
        needs a key, and the refusal reaches the client through the usual error handlers.

        Returns None when done, or a coroutine to await when the key lookup must leave the event
        loop (PostgreSQL): the embedded store's path creates no coroutine at all."""
        if self._offload:
            return self._authenticate_edge_offloaded(ctx, authorization)
        try:
            self._authenticate_now(ctx, authorization)
        except AgadirError as exc:
            ctx.auth_error = exc
        return None

    async def _authenticate_edge_offloaded(
        self, ctx: RequestContext, authorization: str | None
    ) -> None:
        try:
            await self.authenticate(ctx, authorization)
        except AgadirError as exc:
            ctx.auth_error = exc

    def _authenticate_now(self, ctx: RequestContext, authorization: str | None) -> Principal:
        token = None
        if authorization:
            scheme, _, value = authorization.partition(" ")
            token = value.strip() if scheme.lower() == "bearer" else authorization.strip()
        if self._dev_principal is not None and not token:
            ctx.principal = self._dev_principal
            return self._dev_principal
        principal = self.keys.authenticate(token)
        ctx.principal = principal
        return principal

    # -- before the engine ----------------------------------------------------------------------
    async def admit(
        self,
        ctx: RequestContext,
        *,
        scope: str,
        entry: ModelEntry | None,
        texts: Sequence[str],
        max_tokens: int,
    ) -> list[str]:
        """Check scope and model, apply the input PII policy, reserve quota; return the texts
        to send to the engine."""
        principal = ctx.principal
        assert principal is not None, "authenticate first"
        principal.require(scope)
        if entry is not None:
            principal.require_model(entry.name)
            ctx.model, ctx.model_sha256 = entry.name, entry.sha256
        policy = self._policies_for(principal.tenant)[0]
        if policy is None:
            out = list(texts)
        else:
            out = []
            for text in texts:
                result = policy.apply(text)  # block raises PiiBlockedError (400)
                if result.counts:
                    ctx.count_pii(result.counts_for_audit(), "in")
                out.append(result.text)
        estimate = sum(map(len, out)) // 3 + max_tokens
        if self._offload:
            reservation = await asyncio.to_thread(self.quotas.reserve, principal, estimate)
        else:
            reservation = self.quotas.reserve(principal, estimate)
        ctx.reservation = reservation
        ctx.quota = reservation.state  # a fresh dict per reservation: no copy needed
        ctx.rate_headers = reservation.headers
        ctx.request_text = (
            json.dumps(out, ensure_ascii=False) if len(out) > 1 else out[0] if out else ""
        )
        return out

    def _policies_for(self, tenant: Tenant) -> _Policies:
        """The tenant's PII policies for input and output, built once per (mode, secret)."""
        key = (tenant.pii_mode, tenant.pseudonym_secret)
        pair = self._policies.get(key)
        if pair is None:
            mode = PiiMode(tenant.pii_mode)
            secret = tenant.pseudonym_secret.encode()
            # an answer cannot be refused after the fact: block masks the output instead
            out_mode = PiiMode.MASK if mode is PiiMode.BLOCK else mode
            pair = (
                None if mode is PiiMode.OFF else PiiPolicy(mode=mode, secret=secret),
                None if out_mode is PiiMode.OFF else PiiPolicy(mode=out_mode, secret=secret),
            )
            if len(self._policies) >= 1024:
                self._policies.clear()
            self._policies[key] = pair
        return pair

    def output_filter(self, ctx: RequestContext) -> StreamingPiiFilter | None:
        """A filter for generated text under the tenant's policy, or None when it is off."""
        assert ctx.principal is not None
        policy = self._policies_for(ctx.principal.tenant)[1]
        return None if policy is None else StreamingPiiFilter(policy)

    # -- after the engine -----------------------------------------------------------------------
    async def settle(
        self,
        ctx: RequestContext,
        prompt_tokens: int,
        completion_tokens: int,
        response_text: str | None,
        pii: StreamingPiiFilter | None = None,
    ) -> None:
        ctx.prompt_tokens, ctx.completion_tokens = prompt_tokens, completion_tokens
        ctx.response_text = response_text
        if pii is not None and pii.counts:
            ctx.count_pii(pii.counts, "out")
        if ctx.reservation is not None:
            reservation, ctx.reservation = ctx.reservation, None
            used = prompt_tokens + completion_tokens
            if self._offload:
                await asyncio.to_thread(self.quotas.settle, reservation, used)
            else:
                self.quotas.settle(reservation, used)

    def submit_audit(self, ctx: RequestContext, status: int) -> asyncio.Future[int] | None:
        """Queue the request's record; the future resolves once it is durable. None when the
        request was already audited (idempotent). For callers that await in their own frame;
        others use `audit`."""
        if ctx.audited:
            return None
        ctx.audited = True
        # An unsettled reservation (client gone mid-stream, engine failure) stays charged at its
        # estimate: cheaper to over-count an aborted request than to let aborts dodge quotas.
        principal = ctx.principal
        tenant = key_id = content = None
        if principal is not None:
            tenant, key_id = principal.tenant.name, principal.key_id
            policy = principal.tenant.audit_content
            if policy != "none":  # hashed (or kept) by the writer process, not on this loop
                content = PendingContent(policy, ctx.request_text, ctx.response_text)
        return self.writer.submit(
            AuditRecord(
                endpoint=ctx.endpoint,
                status=status,
                kind=ctx.kind,
                tenant=tenant,
                key_id=key_id,
                model=ctx.model,
                model_sha256=ctx.model_sha256,
                prompt_tokens=ctx.prompt_tokens,
                completion_tokens=ctx.completion_tokens,
                latency_ms=(time.perf_counter() - ctx.started) * 1000,
                error_type=ctx.error_type,
                pii=ctx.pii,
                quota=ctx.quota,
                chunks=ctx.chunks,
                content=content,
                extra=ctx.extra,
            )
        )

    async def audit(self, ctx: RequestContext, status: int) -> None:
        """Write the request's record; returns once it is durable. Idempotent."""
        future = self.submit_audit(ctx, status)
        if future is not None:
            await future
