"""Admin-only refusals: requests that are well formed but conflict with the current state."""

from __future__ import annotations

from agadir.errors import InvalidRequestError


class AdminConflictError(InvalidRequestError):
    """409: e.g. a key for a disabled tenant, rotating a revoked key, disabling your own tenant."""

    status_code = 409
    code = "conflict"
