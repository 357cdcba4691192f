"""How a call to an upstream replica fails, below Agadir's own errors.

`upstream_client.is_retryable` and `agadir_error` read these: `NothingReceivedError` (connection
refused, connect timed out, connection closed or reset before any byte of an answer) is the one
failure safe to try again on another replica; the others happened after the upstream may have
done the work. `UpstreamStatusError` is an answer with an HTTP error status.
"""

from __future__ import annotations

import orjson


class UpstreamStatusError(Exception):
    """The upstream answered an HTTP error; `message` is the error body's message if any."""

    def __init__(self, status_code: int, message: str) -> None:
        super().__init__(f"{status_code}: {message}")
        self.status_code = status_code
        self.message = message


class UpstreamTransportError(Exception):
    """The connection to a replica failed; the message says how."""


class NothingReceivedError(UpstreamTransportError):
    """Not one byte of an answer came back: the replica cannot have answered the request."""


class ResponseCutError(UpstreamTransportError):
    """The connection closed in the middle of an answer."""


class UpstreamProtocolError(UpstreamTransportError):
    """The replica's bytes are not HTTP/1.1 as this client reads it (or a header is too long)."""


class UpstreamTimeoutError(UpstreamTransportError):
    """No answer (whole answers) or no next bytes (streams) within `timeout_s`."""


def error_message(raw: bytes) -> str:
    """The message of an error body: OpenAI's `error.message`, a bare `message`, or the text."""
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return raw.decode(errors="replace")[:500]
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict) and error.get("message"):
            return str(error["message"])[:500]
        if body.get("message"):
            return str(body["message"])[:500]
    return raw.decode(errors="replace")[:500]
