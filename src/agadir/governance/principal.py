"""Who is calling: the result of authenticating an API key, carried through the request."""

from __future__ import annotations

from dataclasses import dataclass

from agadir.governance.limits import Limits
from agadir.governance.scopes import ScopeSet
from agadir.governance.tenants import OPERATOR_TENANT, Tenant


@dataclass(frozen=True)
class Principal:
    """An authenticated key: its tenant (with policy), scopes and key-level limits."""

    key_id: str
    tenant: Tenant
    scopes: ScopeSet
    limits: Limits
    expires_at: float | None

    @property
    def is_operator(self) -> bool:
        """A key of the operator's tenant: the only one whose scopes reach other tenants' data
        and server-wide state (admin API on any tenant, metrics)."""
        return self.tenant.name == OPERATOR_TENANT

    def allows(self, scope: str) -> bool:
        return self.scopes.allows(scope)

    def require(self, scope: str) -> None:
        """Raise `PermissionDeniedError` (403) unless the key holds `scope`."""
        self.scopes.require(scope)

    def require_model(self, model: str) -> None:
        self.scopes.require(f"models:{model}")

    def require_kb(self, kb: str) -> None:
        self.scopes.require(f"kb:{kb}")
