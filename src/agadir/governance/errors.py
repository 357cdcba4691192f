"""Typed governance errors; the gateway maps each to OpenAI's error shape and status once."""

from __future__ import annotations

from agadir.errors import AgadirError, InvalidRequestError, NotFoundError


class AuthenticationError(AgadirError):
    """No usable API key: missing, garbled, unknown, revoked, expired, or tenant disabled."""

    status_code = 401
    error_type = "authentication_error"
    code = "invalid_api_key"


class PermissionDeniedError(AgadirError):
    """A valid key without the scope the request needs."""

    status_code = 403
    error_type = "permission_error"
    code = "insufficient_scope"


class RateLimitedError(AgadirError):
    """Over a quota; `retry_after` (seconds) and `headers` go on the 429 response."""

    status_code = 429
    error_type = "rate_limit_error"
    code = "rate_limit_exceeded"

    def __init__(self, message: str, *, retry_after: float, headers: dict[str, str]) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.headers = {**headers, "retry-after": str(max(1, int(retry_after + 0.999)))}


class TenantNotFoundError(NotFoundError):
    code = "tenant_not_found"


class KeyNotFoundError(NotFoundError):
    code = "key_not_found"


class TenantExistsError(InvalidRequestError):
    status_code = 409
    code = "tenant_exists"


class InvalidScopeError(InvalidRequestError):
    code = "invalid_scope"


class InvalidTimeSpecError(InvalidRequestError):
    code = "invalid_time"


class KeyStateError(InvalidRequestError):
    """An operation that does not fit the key's state (rotating a revoked or expired key)."""

    status_code = 409
    code = "key_state"
