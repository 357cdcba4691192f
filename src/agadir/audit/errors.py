"""Audit errors: when the log cannot be written, the gateway must refuse to serve (503)."""

from __future__ import annotations

from agadir.errors import AgadirError


class AuditUnavailableError(AgadirError):
    """The audit record could not be made durable (read-only database, full disk, store down)."""

    status_code = 503
    error_type = "audit_unavailable"
    code = "audit_unavailable"


class AuditKeyError(AgadirError):
    """The audit signing key file is missing or unreadable where one is required."""

    status_code = 500
    error_type = "config_error"
    code = "audit_key"
