"""Errors of the evaluation harness; each says what to fix."""

from __future__ import annotations

from agadir.errors import AgadirError


class TaskError(AgadirError):
    """A task file or its samples are malformed."""

    status_code = 400
    error_type = "invalid_request_error"


class EndpointError(AgadirError):
    """The endpoint cannot be reached, refuses the key, or does not serve the model."""

    status_code = 503
    error_type = "server_error"
