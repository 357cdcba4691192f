"""One `openai.AsyncOpenAI` client per upstream replica, over the egress-guarded pooled transport,
and the mapping of its errors onto Agadir's.

Why the official client: it is the reference for OpenAI's wire format (SSE framing, error bodies,
every parameter), so the upstream engine needs no hand-written parser. Its own retries are off
(`max_retries=0`): retrying is the replica set's decision (another replica, within a deadline).
"""

from __future__ import annotations

from typing import cast

import aiohttp
import httpx
import httpx2
import openai

from agadir.config import UpstreamSettings
from agadir.egress import EgressGuardTransport2, EgressPolicy
from agadir.engines.upstream_errors import (
    NothingReceivedError,
    UpstreamStatusError,
    UpstreamTransportError,
)
from agadir.errors import (
    AgadirError,
    EgressDeniedError,
    EngineUnavailableError,
    InvalidRequestError,
)

_RETRYABLE_STATUS = frozenset({502, 503})
_NOTHING_RECEIVED = (
    ConnectionRefusedError,
    NothingReceivedError,
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.RemoteProtocolError,
    httpx2.ConnectError,
    httpx2.ConnectTimeout,
    httpx2.RemoteProtocolError,
    aiohttp.ClientConnectorError,
    aiohttp.ServerDisconnectedError,
    # raised by aiohttp's writer only: the request went onto a pooled connection that the
    # replica had already closed (killed, restarted), so it never received it
    aiohttp.ClientConnectionResetError,
)


def _transport(config: UpstreamSettings, limits: httpx2.Limits) -> httpx2.AsyncBaseTransport:
    """aiohttp under the SDK by default: measured several times cheaper per request than
    httpx's own pool (docs/benchmarks.md); `http_client = "httpx"` keeps httpx's."""
    if config.http_client != "httpx":
        try:
            from openai._vendor.httpx_aiohttp import AiohttpTransport

            return cast(httpx2.AsyncBaseTransport, AiohttpTransport(limits=limits))
        except ImportError:  # an openai without its aiohttp transport: httpx's is correct too
            pass
    return httpx2.AsyncHTTPTransport(limits=limits)


def make_client(
    config: UpstreamSettings, url: str, policy: EgressPolicy
) -> tuple[openai.AsyncOpenAI, httpx2.AsyncClient]:
    """The SDK client for one replica and the pooled HTTP client under it (for health probes)."""
    limits = httpx2.Limits(
        max_connections=config.max_connections,
        max_keepalive_connections=config.max_connections,
        keepalive_expiry=30.0,
    )
    timeout = httpx2.Timeout(config.timeout_s, connect=5.0)
    transport = EgressGuardTransport2(policy, _transport(config, limits))
    http = httpx2.AsyncClient(transport=transport, timeout=timeout)
    client = openai.AsyncOpenAI(
        base_url=url,
        # the SDK insists on a key; an upstream without auth ignores the header
        api_key=config.api_key or "no-key",
        max_retries=0,
        timeout=timeout,
        http_client=http,
    )
    return client, http


def is_retryable(exc: BaseException) -> bool:
    """Failures that happened before the upstream received the request or answered anything,
    safe to try on another replica.

    Connection refused or timed out while connecting, connection closed before a response, and
    502/503 (a proxy or a replica saying it cannot take the request). A read timeout or an error
    after the response began is not retried: the upstream may have done the work. The cause
    chain is searched because each layer (aiohttp, httpx2, the SDK) wraps the one below.
    """
    if isinstance(exc, openai.APIStatusError | UpstreamStatusError):
        return exc.status_code in _RETRYABLE_STATUS
    seen: BaseException | None = exc
    for _ in range(8):
        if seen is None:
            return False
        if isinstance(seen, _NOTHING_RECEIVED):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def counts_against_replica(exc: BaseException) -> bool:
    """Whether a failure says the replica is unwell (a client's 4xx says nothing about it)."""
    if isinstance(exc, openai.APIStatusError | UpstreamStatusError):
        return exc.status_code >= 500
    return not isinstance(exc, AgadirError)


def agadir_error(exc: BaseException, name: str, url: str) -> BaseException:
    """The Agadir error (HTTP status, message) for a failure of the client."""
    if isinstance(exc, AgadirError):
        return exc
    if isinstance(exc.__cause__, EgressDeniedError):
        return exc.__cause__
    if isinstance(exc, openai.APIStatusError | UpstreamStatusError):
        detail = exc.message[:500] if isinstance(exc, UpstreamStatusError) else _detail(exc)
        error_cls = InvalidRequestError if exc.status_code < 500 else EngineUnavailableError
        return error_cls(f"Upstream '{name}' answered {exc.status_code}: {detail}")
    if isinstance(
        exc,
        openai.APIError
        | httpx.HTTPError
        | httpx2.HTTPError
        | aiohttp.ClientError
        | UpstreamTransportError,
    ):
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
