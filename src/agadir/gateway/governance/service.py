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
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from agadir.audit import AuditRecord, content_for, load_or_create_key
from agadir.audit.process_writer import ProcessAuditWriter
from agadir.config import Settings
from agadir.engines.manager import ModelEntry
from agadir.gateway.governance.context import RequestContext
from agadir.gateway.governance.pii_stream import StreamingPiiFilter
from agadir.governance import (
    KeyService,
    Limits,
    Principal,
    QuotaService,
    ScopeSet,
    TenantNotFoundError,
    TenantService,
    ensure_admin_key,
)
from agadir.governance.scopes import ALL_SCOPES
from agadir.lang.pii import PiiMode, PiiPolicy
from agadir.store import Store, open_store

log = logging.getLogger("agadir.governance")
T = TypeVar("T")
DEV_TENANT = "dev"


class Governance:
    """One per process. `dev_open` skips authentication (and says so in the audit log)."""

    def __init__(
        self, settings: Settings, *, dev_open: bool = False, store: Store | None = None
    ) -> None:
        self.settings = settings
        self.store = store or open_store(settings.resolved_database_url)
        self.tenants = TenantService(self.store)
        self.keys = KeyService(self.store)
        self.quotas = QuotaService(self.store)
        self.writer = ProcessAuditWriter(
            self.store.url, load_or_create_key(settings.ensure_home())
        ).start()
        self.dev_open = dev_open
        # PostgreSQL calls block on the network: run them off the event loop.
        self._offload = self.store.kind == "postgresql"
        self._dev_principal = self._make_dev_principal() if dev_open else None

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

    async def _call(self, fn: Callable[..., T], *args: Any) -> T:
        if self._offload:
            return await asyncio.to_thread(fn, *args)
        return fn(*args)

    # -- authentication -------------------------------------------------------------------------
    def _make_dev_principal(self) -> Principal:
        try:
            tenant = self.tenants.get(DEV_TENANT)
        except TenantNotFoundError:
            tenant = self.tenants.create(DEV_TENANT, audit_content="hash", pii_mode="off")
        scopes = frozenset(s for s in ALL_SCOPES if s != "admin")
        return Principal("dev-open", tenant, ScopeSet.of(scopes), Limits(), None)

    async def authenticate(self, ctx: RequestContext, authorization: str | None) -> Principal:
        token = None
        if authorization:
            scheme, _, value = authorization.partition(" ")
            token = value.strip() if scheme.lower() == "bearer" else authorization.strip()
        if self._dev_principal is not None and not token:
            ctx.principal = self._dev_principal
            return self._dev_principal
        principal = await self._call(self.keys.authenticate, token)
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
        """Check scope and model, reserve quota, apply the input PII policy; return the texts
        to send to the engine."""
        principal = ctx.principal
        assert principal is not None, "authenticate first"
        principal.require(scope)
        if entry is not None:
            principal.require_model(entry.name)
            ctx.model, ctx.model_sha256 = entry.name, entry.sha256
        policy = self._policy(principal, inbound=True)
        out = list(texts)
        if policy.mode is not PiiMode.OFF:
            results = [policy.apply(text) for text in out]  # block raises PiiBlockedError (400)
            for result in results:
                ctx.count_pii(result.counts_for_audit(), "in")
            out = [r.text for r in results]
        estimate = sum(len(t) for t in out) // 3 + max_tokens
        reservation = await self._call(self.quotas.reserve, principal, estimate)
        ctx.reservation = reservation
        ctx.quota = dict(reservation.state)
        ctx.rate_headers = dict(reservation.headers)
        ctx.request_text = (
            json.dumps(out, ensure_ascii=False) if len(out) > 1 else out[0] if out else ""
        )
        return out

    def _policy(self, principal: Principal, *, inbound: bool) -> PiiPolicy:
        mode = PiiMode(principal.tenant.pii_mode)
        if not inbound and mode is PiiMode.BLOCK:
            mode = PiiMode.MASK  # an answer cannot be refused after the fact: mask it instead
        secret = principal.tenant.pseudonym_secret.encode()
        return PiiPolicy(mode=mode, secret=secret)

    def output_filter(self, ctx: RequestContext) -> StreamingPiiFilter | None:
        """A filter for generated text under the tenant's policy, or None when it is off."""
        assert ctx.principal is not None
        policy = self._policy(ctx.principal, inbound=False)
        return None if policy.mode is PiiMode.OFF else StreamingPiiFilter(policy)

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
        if pii is not None:
            ctx.count_pii(pii.counts, "out")
        if ctx.reservation is not None:
            reservation, ctx.reservation = ctx.reservation, None
            await self._call(self.quotas.settle, reservation, prompt_tokens + completion_tokens)

    async def audit(self, ctx: RequestContext, status: int) -> None:
        """Write the request's record; returns once it is durable. Idempotent."""
        if ctx.audited:
            return
        ctx.audited = True
        # An unsettled reservation (client gone mid-stream, engine failure) stays charged at its
        # estimate: cheaper to over-count an aborted request than to let aborts dodge quotas.
        principal = ctx.principal
        policy = principal.tenant.audit_content if principal else "none"
        await self.writer.append(
            AuditRecord(
                endpoint=ctx.endpoint,
                status=status,
                kind=ctx.kind,
                tenant=principal.tenant.name if principal else None,
                key_id=principal.key_id if principal else None,
                model=ctx.model,
                model_sha256=ctx.model_sha256,
                prompt_tokens=ctx.prompt_tokens,
                completion_tokens=ctx.completion_tokens,
                latency_ms=(time.perf_counter() - ctx.started) * 1000,
                error_type=ctx.error_type,
                pii=ctx.pii,
                quota=ctx.quota,
                chunks=ctx.chunks,
                content=content_for(policy, ctx.request_text, ctx.response_text),
                extra=ctx.extra,
            )
        )
