"""Pydantic models of the `/admin/*` endpoints.

Request models forbid unknown fields: a typo in an admin call (`pii` for `pii_mode`) must fail
loudly rather than silently keep a default policy. Response models are built field by field from
the services' dataclasses, so a secret (a tenant's pseudonym secret, a key's salt or digest) can
only reach a response if someone adds it here on purpose.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from agadir.governance import KeyInfo, Limits, Tenant

AuditContent = Literal["none", "hash", "full"]
PiiMode = Literal["off", "mask", "pseudonymise", "block"]
Quota = Annotated[int, Field(ge=1, le=10**12)] | None


def _instant(ts: float | None) -> datetime | None:
    return datetime.fromtimestamp(ts, UTC) if ts is not None else None


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LimitsIn(Strict):
    """Requests/min, tokens/min, tokens/day; null (or absent) means unlimited."""

    rpm: Quota = None
    tpm: Quota = None
    tpd: Quota = None

    def to_limits(self) -> Limits:
        return Limits(rpm=self.rpm, tpm=self.tpm, tpd=self.tpd)


class LimitsOut(BaseModel):
    rpm: int | None
    tpm: int | None
    tpd: int | None

    @classmethod
    def of(cls, limits: Limits) -> LimitsOut:
        return cls(rpm=limits.rpm, tpm=limits.tpm, tpd=limits.tpd)


class TenantCreate(Strict):
    name: str = Field(description="1-63 lowercase letters, digits, . _ -")
    audit_content: AuditContent = "hash"
    pii_mode: PiiMode = "mask"
    limits: LimitsIn = Field(default_factory=LimitsIn)


class TenantUpdate(Strict):
    """Only the fields sent change; inside `limits`, only the dimensions sent change."""

    audit_content: AuditContent | None = None
    pii_mode: PiiMode | None = None
    limits: LimitsIn | None = None


class TenantOut(BaseModel):
    object: Literal["tenant"] = "tenant"
    name: str
    status: Literal["enabled", "disabled"]
    audit_content: str
    pii_mode: str
    limits: LimitsOut
    created_at: datetime
    disabled_at: datetime | None

    @classmethod
    def of(cls, tenant: Tenant) -> TenantOut:
        return cls(
            name=tenant.name,
            status="enabled" if tenant.enabled else "disabled",
            audit_content=tenant.audit_content,
            pii_mode=tenant.pii_mode,
            limits=LimitsOut.of(tenant.limits),
            created_at=datetime.fromtimestamp(tenant.created_at, UTC),
            disabled_at=_instant(tenant.disabled_at),
        )


class TenantList(BaseModel):
    object: Literal["list"] = "list"
    data: list[TenantOut]


class KeyCreate(Strict):
    tenant: str
    scopes: list[str] | str = Field(
        description="A list or a comma-separated string: chat, models:NAME, kb:NAME, admin..."
    )
    expires: str | None = Field(
        default=None, description="A duration from now (`30d`, `12h`) or an ISO date; null: never"
    )
    label: Annotated[str, Field(max_length=200)] | None = None
    limits: LimitsIn = Field(default_factory=LimitsIn)


class KeyOut(BaseModel):
    object: Literal["api_key"] = "api_key"
    id: str
    tenant: str
    status: Literal["active", "revoked", "expired"]
    scopes: list[str]
    label: str | None
    limits: LimitsOut
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    rotated_from: str | None

    @classmethod
    def of(cls, info: KeyInfo, now: float) -> KeyOut:
        return cls(
            id=info.id,
            tenant=info.tenant,
            status=info.status(now),  # type: ignore[arg-type]
            scopes=sorted(info.scopes),
            label=info.label,
            limits=LimitsOut.of(info.limits),
            created_at=datetime.fromtimestamp(info.created_at, UTC),
            expires_at=_instant(info.expires_at),
            revoked_at=_instant(info.revoked_at),
            rotated_from=info.rotated_from,
        )


class CreatedKeyOut(KeyOut):
    """A new key: `key` is the plaintext, shown in this response only and never again."""

    key: str


class KeyList(BaseModel):
    object: Literal["list"] = "list"
    data: list[KeyOut]


class VerifyOut(BaseModel):
    ok: bool
    records: int
    first_seq: int | None
    last_seq: int | None
    broken_seq: int | None
    reason: str | None
    seconds: float
    rate: float | None = Field(description="records verified per second (null if instant)")


class AuditTail(BaseModel):
    """Records newest first. `next_before` pages further back (pass it as `before`)."""

    object: Literal["list"] = "list"
    data: list[dict[str, Any]]
    limit: int
    next_before: int | None


class TenantUsage(BaseModel):
    tenant: str | None
    requests: int
    errors: int
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class UsageOut(BaseModel):
    object: Literal["usage"] = "usage"
    since: datetime
    until: datetime | None
    data: list[TenantUsage]
