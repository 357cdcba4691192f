"""The admin operations: tenants, keys and the audit log, on the same services as the CLI.

No FastAPI here. Each method does one operation through `TenantService`, `KeyService`,
`AuditChain` or `audit_queries`, notes what it did in the request's audit context (`ctx.extra`:
action, tenant, key id, never a secret) and returns a response model. Methods are synchronous
(they block on the database); the router runs them in FastAPI's thread pool so PostgreSQL
round-trips and a long chain verification never stall the event loop.

Policy that only the HTTP surface needs lives here: who may act on which tenant (`AdminAccess`,
asked first by every method: the operator, or a tenant admin within its own tenant), a key
cannot be made for a disabled tenant or rotated once revoked or expired (409 instead of a
surprising 401 or a born-expired key), and an admin cannot disable the tenant of the key they
are calling with (it would lock them out).
"""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import datetime
from typing import Any

from agadir.audit import AuditChain, load_key
from agadir.gateway.admin import audit_queries
from agadir.gateway.admin.access import AdminAccess
from agadir.gateway.admin.errors import AdminConflictError
from agadir.gateway.admin.protocol import (
    AuditTail,
    CreatedKeyOut,
    KeyCreate,
    KeyList,
    KeyOut,
    TenantCreate,
    TenantList,
    TenantOut,
    TenantUpdate,
    TenantUsage,
    UsageOut,
    VerifyOut,
)
from agadir.gateway.governance.context import RequestContext
from agadir.gateway.governance.service import Governance
from agadir.governance import KeyInfo
from agadir.governance.errors import InvalidTimeSpecError, KeyNotFoundError
from agadir.governance.timespec import parse_expiry, parse_since

TAIL_DEFAULT = 100
TAIL_MAX = 1000


def _since(raw: str, param: str) -> datetime:
    """`parse_since`, with an error that names the query parameter and both accepted forms."""
    try:
        return parse_since(raw)
    except InvalidTimeSpecError as exc:
        raise InvalidTimeSpecError(
            f"{param}={raw!r}: give a duration back from now (24h, 7d, 90m) or an ISO date "
            "(2026-01-31, 2026-01-31T08:00+01:00)",
            param=param,
        ) from exc


class AdminService:
    """One admin request on behalf of an authenticated admin `ctx`."""

    def __init__(self, governance: Governance, ctx: RequestContext) -> None:
        assert ctx.principal is not None, "the router authenticates before building the service"
        self.gov = governance
        self.ctx = ctx
        self.access = AdminAccess(ctx.principal)

    def _key_in_reach(self, key_id: str) -> KeyInfo:
        """The key, if this caller may manage it (the operator's 404 for an unknown id)."""
        try:
            info: KeyInfo | None = self.gov.keys.get(key_id)
        except KeyNotFoundError:
            if self.access.is_operator:
                raise
            info = None
        self.access.require_key(info.tenant if info is not None else None)
        assert info is not None
        return info

    def _note(self, action: str, **details: Any) -> None:
        self.ctx.extra.update(action=action, **{k: v for k, v in details.items() if v is not None})

    # -- tenants --------------------------------------------------------------------------------
    def create_tenant(self, body: TenantCreate) -> TenantOut:
        self._note("tenants.create", tenant=body.name)
        self.access.require_operator("creating a tenant")
        tenant = self.gov.tenants.create(
            body.name,
            audit_content=body.audit_content,
            pii_mode=body.pii_mode,
            limits=body.limits.to_limits(),
        )
        return TenantOut.of(tenant)

    def list_tenants(self) -> TenantList:
        self._note("tenants.list")
        if not self.access.is_operator:
            return TenantList(data=[TenantOut.of(self.gov.tenants.get(self.access.tenant))])
        return TenantList(data=[TenantOut.of(t) for t in self.gov.tenants.list()])

    def get_tenant(self, name: str) -> TenantOut:
        self._note("tenants.get", tenant=name)
        self.access.require_tenant(name, "the settings")
        return TenantOut.of(self.gov.tenants.get(name))

    def update_tenant(self, name: str, body: TenantUpdate) -> TenantOut:
        changed = sorted(body.model_fields_set)
        self._note("tenants.update", tenant=name, fields=changed)
        self.access.require_tenant(name, "the settings")
        if body.limits is not None:
            self.access.require_operator("changing a tenant's quota limits")
        current = self.gov.tenants.get(name)
        limits = None
        if body.limits is not None:
            sent = body.limits.model_dump(include=body.limits.model_fields_set)
            limits = replace(current.limits, **sent)
        tenant = self.gov.tenants.update(
            name, audit_content=body.audit_content, pii_mode=body.pii_mode, limits=limits
        )
        return TenantOut.of(tenant)

    def disable_tenant(self, name: str) -> TenantOut:
        self._note("tenants.disable", tenant=name)
        self.access.require_operator("disabling a tenant")
        caller = self.ctx.principal
        if caller is not None and caller.tenant.name == name:
            raise AdminConflictError(
                f"refusing to disable {name!r}: it is the tenant of the key making this call, "
                "which would lock you out; use another admin key",
                code="own_tenant",
            )
        return TenantOut.of(self.gov.tenants.disable(name))

    def enable_tenant(self, name: str) -> TenantOut:
        self._note("tenants.enable", tenant=name)
        self.access.require_operator("enabling a tenant")
        return TenantOut.of(self.gov.tenants.enable(name))

    # -- keys -----------------------------------------------------------------------------------
    def create_key(self, body: KeyCreate) -> CreatedKeyOut:
        self._note("keys.create", tenant=body.tenant)
        self.access.require_tenant(body.tenant, "creating keys")
        owner = self.gov.tenants.get(body.tenant)
        if not owner.enabled:
            raise AdminConflictError(
                f"tenant {body.tenant!r} is disabled; enable it "
                f"(POST /admin/tenants/{body.tenant}/enable) before creating keys",
                code="tenant_disabled",
            )
        expires_at = parse_expiry(body.expires).timestamp() if body.expires else None
        created = self.gov.keys.create(
            body.tenant,
            body.scopes,
            expires_at=expires_at,
            label=body.label,
            limits=body.limits.to_limits(),
        )
        self._note("keys.create", key_id=created.info.id, scopes=sorted(created.info.scopes))
        info = KeyOut.of(created.info, time.time())
        return CreatedKeyOut(**info.model_dump(), key=created.plaintext)

    def list_keys(self, tenant: str | None) -> KeyList:
        self._note("keys.list", tenant=tenant)
        tenant = self.access.narrow(tenant, "the keys")
        if tenant is not None:
            self.gov.tenants.get(tenant)  # 404 for an unknown tenant, not an empty list
        now = time.time()
        return KeyList(data=[KeyOut.of(k, now) for k in self.gov.keys.list(tenant)])

    def revoke_key(self, key_id: str) -> KeyOut:
        self._note("keys.revoke", key_id=key_id)
        self._key_in_reach(key_id)
        info = self.gov.keys.revoke(key_id)
        self._note("keys.revoke", tenant=info.tenant)
        return KeyOut.of(info, time.time())

    def rotate_key(self, key_id: str) -> CreatedKeyOut:
        self._note("keys.rotate", key_id=key_id)
        old = self._key_in_reach(key_id)
        status = old.status(time.time())
        if status != "active":
            raise AdminConflictError(
                f"key {key_id} is {status}; rotation replaces a working key. "
                "Create a new key with POST /admin/keys instead",
                code=f"key_{status}",
            )
        created = self.gov.keys.rotate(key_id)
        self._note("keys.rotate", tenant=old.tenant, new_key_id=created.info.id)
        info = KeyOut.of(created.info, time.time())
        return CreatedKeyOut(**info.model_dump(), key=created.plaintext)

    # -- audit ----------------------------------------------------------------------------------
    def verify_audit(self) -> VerifyOut:
        self._note("audit.verify")
        self.access.require_operator("verifying the whole audit chain")
        key = load_key(self.gov.settings.ensure_home())
        report = AuditChain(self.gov.store, key).verify()
        self._note("audit.verify", ok=report.ok, records=report.records)
        return VerifyOut(
            ok=report.ok,
            records=report.records,
            first_seq=report.first_seq,
            last_seq=report.last_seq,
            broken_seq=report.broken_seq,
            reason=report.reason,
            seconds=round(report.seconds, 6),
            rate=round(report.rate, 1) if report.seconds > 0 else None,
        )

    def audit_tail(
        self,
        *,
        limit: int = TAIL_DEFAULT,
        since: str | None = None,
        until: str | None = None,
        tenant: str | None = None,
        kind: str | None = None,
        before: int | None = None,
    ) -> AuditTail:
        self._note("audit.tail", tenant=tenant, kind=kind)
        tenant = self.access.narrow(tenant, "the audit records")
        limit = max(1, min(limit, TAIL_MAX))
        records, next_before = audit_queries.tail(
            self.gov.store,
            limit=limit,
            since=_since(since, "since") if since else None,
            until=_since(until, "until") if until else None,
            tenant=tenant,
            kind=kind,
            before=before,
        )
        return AuditTail(data=records, limit=limit, next_before=next_before)

    def usage(self, since: str = "24h", until: str | None = None) -> UsageOut:
        self._note("audit.usage")
        start = _since(since, "since")
        end = _since(until, "until") if until else None
        tenant = self.access.narrow(None, "the usage")
        rows = audit_queries.usage(self.gov.store, since=start, until=end, tenant=tenant)
        return UsageOut(
            since=start,
            until=end,
            data=[
                TenantUsage(
                    tenant=r.tenant,
                    requests=r.requests,
                    errors=r.errors,
                    prompt_tokens=r.prompt_tokens,
                    completion_tokens=r.completion_tokens,
                    total_tokens=r.prompt_tokens + r.completion_tokens,
                )
                for r in rows
            ],
        )
