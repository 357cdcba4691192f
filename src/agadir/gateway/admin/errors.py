"""Admin-only refusals: calls that conflict with the current state or exceed the key's tenant."""

from __future__ import annotations

from agadir.errors import InvalidRequestError
from agadir.governance.errors import PermissionDeniedError


class AdminConflictError(InvalidRequestError):
    """409: e.g. a key for a disabled tenant, rotating a revoked key, disabling your own tenant."""

    status_code = 409
    code = "conflict"


class OperatorRequiredError(PermissionDeniedError):
    """403: a tenant admin key asked for an operator action or for another tenant's data."""

    code = "operator_required"
