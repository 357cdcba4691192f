"""Tenants: the organisations that own keys, with their audit, PII and quota policy.

A tenant is never deleted, only disabled: audit records name it forever. Each tenant gets its own
pseudonymisation secret at creation (HMAC key for stable PII tokens), stored in the database
because every gateway replica needs it; rotating it would break pseudonym continuity.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, get_args

from sqlalchemy import Row, select, update
from sqlalchemy.exc import IntegrityError

from agadir.errors import InvalidRequestError
from agadir.governance.errors import TenantExistsError, TenantNotFoundError
from agadir.governance.limits import Limits
from agadir.store import Store
from agadir.store.schema import tenants

AuditContent = Literal["none", "hash", "full"]
PiiMode = Literal["off", "mask", "pseudonymise", "block"]
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,62}$")
#: The operator's own tenant (that of the first-serve key): its keys act across tenants.
OPERATOR_TENANT = "admin"


@dataclass(frozen=True)
class Tenant:
    name: str
    created_at: float
    disabled_at: float | None
    audit_content: AuditContent
    pii_mode: PiiMode
    pseudonym_secret: str
    limits: Limits

    @property
    def enabled(self) -> bool:
        return self.disabled_at is None

    @classmethod
    def from_row(cls, row: Row[Any]) -> Tenant:
        return cls(
            name=row.name,
            created_at=row.created_at,
            disabled_at=row.disabled_at,
            audit_content=row.audit_content,
            pii_mode=row.pii_mode,
            pseudonym_secret=row.pseudonym_secret,
            limits=Limits(rpm=row.rpm, tpm=row.tpm, tpd=row.tpd),
        )


def _check_choice(value: str, allowed: Any, what: str) -> None:
    choices = get_args(allowed)
    if value not in choices:
        raise InvalidRequestError(f"{what} must be one of {', '.join(choices)}, not {value!r}")


class TenantService:
    """Create, read, update and disable tenants."""

    def __init__(
        self,
        store: Store,
        *,
        clock: Callable[[], float] = time.time,
        on_change: Callable[[str], None] | None = None,
    ) -> None:
        """`on_change(name)` runs after a tenant's row changed (policy, limits, disabled):
        the gateway wires it to the key cache so the change applies to the next request."""
        self._store = store
        self._clock = clock
        self._on_change = on_change

    def create(
        self,
        name: str,
        *,
        audit_content: AuditContent = "hash",
        pii_mode: PiiMode = "mask",
        limits: Limits | None = None,
    ) -> Tenant:
        if not _NAME.match(name):
            raise InvalidRequestError(
                f"invalid tenant name {name!r}: use 1-63 lowercase letters, digits, . _ -"
            )
        _check_choice(audit_content, AuditContent, "audit content policy")
        _check_choice(pii_mode, PiiMode, "PII mode")
        limits = limits or Limits()
        values = {
            "name": name,
            "created_at": self._clock(),
            "disabled_at": None,
            "audit_content": audit_content,
            "pii_mode": pii_mode,
            "pseudonym_secret": secrets.token_hex(32),
            "rpm": limits.rpm,
            "tpm": limits.tpm,
            "tpd": limits.tpd,
        }
        try:
            with self._store.write() as conn:
                conn.execute(tenants.insert().values(**values))
        except IntegrityError as exc:
            raise TenantExistsError(f"tenant {name!r} already exists; pick another name") from exc
        return self.get(name)

    def get(self, name: str) -> Tenant:
        with self._store.read() as conn:
            row = conn.execute(select(tenants).where(tenants.c.name == name)).first()
        if row is None:
            raise TenantNotFoundError(
                f"no tenant named {name!r}; list them with `agadir tenants list`"
            )
        return Tenant.from_row(row)

    def list(self) -> list[Tenant]:
        with self._store.read() as conn:
            rows = conn.execute(select(tenants).order_by(tenants.c.name)).all()
        return [Tenant.from_row(r) for r in rows]

    def update(
        self,
        name: str,
        *,
        audit_content: AuditContent | None = None,
        pii_mode: PiiMode | None = None,
        limits: Limits | None = None,
    ) -> Tenant:
        """Change a tenant's policy; fields left None keep their value."""
        values: dict[str, object] = {}
        if audit_content is not None:
            _check_choice(audit_content, AuditContent, "audit content policy")
            values["audit_content"] = audit_content
        if pii_mode is not None:
            _check_choice(pii_mode, PiiMode, "PII mode")
            values["pii_mode"] = pii_mode
        if limits is not None:
            values.update(rpm=limits.rpm, tpm=limits.tpm, tpd=limits.tpd)
        if values:
            self._update(name, values)
        return self.get(name)

    def disable(self, name: str) -> Tenant:
        """Disable a tenant: all its keys stop authenticating (at once in a process whose key
        cache is wired to `on_change`, within the cache TTL in other processes)."""
        self._update(name, {"disabled_at": self._clock()})
        return self.get(name)

    def enable(self, name: str) -> Tenant:
        self._update(name, {"disabled_at": None})
        return self.get(name)

    def _update(self, name: str, values: dict[str, object]) -> None:
        with self._store.write() as conn:
            result = conn.execute(update(tenants).where(tenants.c.name == name).values(**values))
        if result.rowcount == 0:
            raise TenantNotFoundError(
                f"no tenant named {name!r}; list them with `agadir tenants list`"
            )
        if self._on_change is not None:
            self._on_change(name)
