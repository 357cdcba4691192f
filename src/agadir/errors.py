"""Typed errors, mapped once to HTTP (OpenAI's error shape) and to CLI messages.

Services raise these; routers and CLI commands never invent their own status codes.
"""

from __future__ import annotations


class AgadirError(Exception):
    """Base class: a message meant for the user, an HTTP status and an OpenAI error type."""

    status_code: int = 500
    error_type: str = "server_error"
    code: str | None = None

    def __init__(self, message: str, *, param: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.param = param
        if code is not None:
            self.code = code

    def to_openai(self) -> dict[str, object]:
        """The body OpenAI clients expect: ``{"error": {message, type, param, code}}``."""
        return {
            "error": {
                "message": self.message,
                "type": self.error_type,
                "param": self.param,
                "code": self.code,
            }
        }


class InvalidRequestError(AgadirError):
    status_code = 400
    error_type = "invalid_request_error"


class ValidationFailedError(InvalidRequestError):
    """The body parsed but a field has the wrong type or an out-of-range value."""

    status_code = 422


class ContextLengthExceededError(InvalidRequestError):
    status_code = 413
    code = "context_length_exceeded"


class NotFoundError(AgadirError):
    status_code = 404
    error_type = "not_found_error"


class ModelNotFoundError(NotFoundError):
    code = "model_not_found"


class EngineUnavailableError(AgadirError):
    status_code = 503
    error_type = "engine_unavailable"


class EgressDeniedError(AgadirError):
    """An outbound connection to a host that is not on the operator's allow-list."""

    status_code = 403
    error_type = "egress_denied"


class ModelFileError(AgadirError):
    """A model file is missing, unreadable or not a GGUF; the message says what to do."""

    status_code = 503
    error_type = "model_file_error"


class ConfigError(AgadirError):
    status_code = 500
    error_type = "config_error"
