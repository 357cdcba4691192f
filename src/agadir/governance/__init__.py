"""Governance services: tenants, API keys and scopes, quotas. Framework-free by design.

The gateway calls `KeyService.authenticate`, `Principal.require*`, `QuotaService.reserve` and
`settle` from its request dependency; the CLI calls the same services. Nothing here knows HTTP.
"""

from agadir.governance.admin_key import ensure_admin_key
from agadir.governance.errors import (
    AuthenticationError,
    InvalidScopeError,
    InvalidTimeSpecError,
    KeyNotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    TenantExistsError,
    TenantNotFoundError,
)
from agadir.governance.keys import CreatedKey, KeyInfo, KeyService
from agadir.governance.limits import Limits
from agadir.governance.principal import Principal
from agadir.governance.quotas import QuotaService, Reservation
from agadir.governance.scopes import ALL_SCOPES, ScopeSet, parse_scopes
from agadir.governance.tenants import Tenant, TenantService

__all__ = [
    "ALL_SCOPES",
    "AuthenticationError",
    "CreatedKey",
    "InvalidScopeError",
    "InvalidTimeSpecError",
    "KeyInfo",
    "KeyNotFoundError",
    "KeyService",
    "Limits",
    "PermissionDeniedError",
    "Principal",
    "QuotaService",
    "RateLimitedError",
    "Reservation",
    "ScopeSet",
    "Tenant",
    "TenantExistsError",
    "TenantNotFoundError",
    "TenantService",
    "ensure_admin_key",
    "parse_scopes",
]
