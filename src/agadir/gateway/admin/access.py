"""Who may do what under `/admin`: the operator, or a tenant's admin within its own tenant.

The `admin` scope says a key may call the admin API; the key's *tenant* says on what. This is the
one place that decides it, so every `AdminService` method asks here before touching anything:

* the **operator** is an `admin` key of the operator's tenant (`admin`, the tenant of the
  first-serve key). It may do everything;
* a **tenant admin** is an `admin` key of any other tenant. It reads and manages its own tenant
  only: the tenant's record and PII/audit-content policy, its keys, its audit records and usage.

Operator only: creating, disabling and enabling tenants, changing a tenant's quota limits (they
share out the operator's hardware), verifying the whole chain, and anything naming another
tenant, the operator's tenant included (so no minting of `admin`-tenant keys, no rotating of the
first-serve key). Listings are narrowed, not refused: a tenant admin listing tenants, keys, audit
records or usage sees its own tenant's rows, so the web admin view works for both.

A tenant admin gets the same 403 whether what it names exists or not, so the refusal reveals
nothing about other tenants. Not handled here: the `admin` scope itself (checked by the router's
dependency before any of this) and what the operator's own CLI does (it acts on the store).
"""

from __future__ import annotations

from dataclasses import dataclass

from agadir.gateway.admin.errors import OperatorRequiredError
from agadir.governance import Principal
from agadir.governance.tenants import OPERATOR_TENANT


@dataclass(frozen=True)
class AdminAccess:
    """The admin rights of one authenticated `admin` key."""

    principal: Principal

    @property
    def tenant(self) -> str:
        return self.principal.tenant.name

    @property
    def is_operator(self) -> bool:
        return self.principal.is_operator

    def require_operator(self, action: str) -> None:
        """Refuse an operator action (`action` says what, for the message) to a tenant admin."""
        if not self.is_operator:
            raise OperatorRequiredError(
                f"{action} is an operator action: use an admin key of the {OPERATOR_TENANT!r} "
                f"tenant. This key administers tenant {self.tenant!r} only"
            )

    def require_tenant(self, tenant: str, what: str) -> None:
        """Refuse a tenant admin acting on another tenant's `what` (a tenant, its keys...)."""
        if not self.is_operator and tenant != self.tenant:
            raise OperatorRequiredError(
                f"this admin key manages tenant {self.tenant!r} only; {what} of other tenants "
                f"needs an admin key of the {OPERATOR_TENANT!r} tenant"
            )

    def require_key(self, owner: str | None) -> None:
        """Refuse a tenant admin a key of another tenant or one that does not exist (`owner`
        None): the same 403 for both, so probing key ids tells nothing."""
        if not self.is_operator and owner != self.tenant:
            raise OperatorRequiredError(
                f"no key with that id in tenant {self.tenant!r}, the only tenant this admin key "
                f"manages; list its keys with GET /admin/keys, or use an admin key of the "
                f"{OPERATOR_TENANT!r} tenant"
            )

    def narrow(self, tenant: str | None, what: str) -> str | None:
        """The tenant a listing may show: the one asked for (checked), or, for a tenant admin
        that asked for none, its own; None means every tenant (operator only)."""
        if tenant is not None:
            self.require_tenant(tenant, what)
            return tenant
        return None if self.is_operator else self.tenant
