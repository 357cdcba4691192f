"""One `openai.AsyncOpenAI` client per upstream replica, over the egress-guarded pooled transport,
and the mapping of its errors onto Agadir's.

Why the official client: it is the reference for OpenAI's wire format (SSE framing, error bodies,
every parameter), so the upstream engine needs no hand-written parser. Its own retries are off
(`max_retries=0`): retrying is the replica set's decision (another replica, within a deadline).
"""

from __future__ import annotations

from typing import Any, cast

import httpx
import openai

from agadir.config import UpstreamSettings
from agadir.egress import EgressPolicy, guarded_client
from agadir.errors import (
    AgadirError,
    EgressDeniedError,
    EngineUnavailableError,
    InvalidRequestError,
)

_RETRYABLE_STATUS = frozenset({502, 503})


def make_client(
    config: UpstreamSettings, url: str, policy: EgressPolicy
) -> tuple[openai.AsyncOpenAI, httpx.AsyncClient]:
    """The SDK client for one replica and the pooled httpx client under it (for health probes)."""
    limits = httpx.Limits(
        max_connections=config.max_connections,
        max_keepalive_connections=config.max_connections,
        keepalive_expiry=30.0,
    )
    timeout = httpx.Timeout(config.timeout_s, connect=5.0)
    http = guarded_client(policy, limits=limits, timeout=timeout)
    client = openai.AsyncOpenAI(
        base_url=url,
        # the SDK insists on a key; an upstream without auth ignores the header
        api_key=config.api_key or "no-key",
        max_retries=0,
        timeout=cast(Any, timeout),  # the SDK takes legacy httpx objects as well as httpx2's
        http_client=cast(Any, http),
    )
    return client, http


def is_retryable(exc: BaseException) -> bool:
    """Failures that happened before the upstream produced anything, safe to try elsewhere.

    Connection refused / reset before a response, and 502/503 (a proxy or a replica saying it
    cannot take the request). Timeouts and errors after the response began are not retried: the
    upstream may have done the work.
    """
    if isinstance(exc, openai.APIStatusError):
        return exc.status_code in _RETRYABLE_STATUS
    cause = exc.__cause__ if isinstance(exc, openai.APIConnectionError) else exc
    if isinstance(exc, openai.APITimeoutError):
        return False
    return isinstance(cause, httpx.ConnectError | httpx.RemoteProtocolError)


def counts_against_replica(exc: BaseException) -> bool:
    """Whether a failure says the replica is unwell (a client's 4xx says nothing about it)."""
    if isinstance(exc, openai.APIStatusError):
        return exc.status_code >= 500
    return not isinstance(exc, AgadirError)


def agadir_error(exc: BaseException, name: str, url: str) -> BaseException:
    """The Agadir error (HTTP status, message) for a failure of the client."""
    if isinstance(exc, AgadirError):
        return exc
    if isinstance(exc.__cause__, EgressDeniedError):
        return exc.__cause__
    if isinstance(exc, openai.APIStatusError):
        detail = _detail(exc)
        error_cls = InvalidRequestError if exc.status_code < 500 else EngineUnavailableError
        return error_cls(f"Upstream '{name}' answered {exc.status_code}: {detail}")
    if isinstance(exc, openai.APIError | httpx.HTTPError):
        cause = exc.__cause__ or exc
        return EngineUnavailableError(
            f"Upstream '{name}' at {url} is unreachable ({type(cause).__name__}: {cause}). "
            "Check that it is running and that its address is right in agadir.toml."
        )
    return exc


def _detail(exc: openai.APIStatusError) -> str:
    body = exc.body
    if isinstance(body, dict):
        message = body.get("message") or (body.get("error") or {}).get("message")
        if message:
            return str(message)[:500]
    return exc.message[:500]
