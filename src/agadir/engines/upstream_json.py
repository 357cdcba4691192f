"""JSON answers and SSE streams from one replica, over Agadir's own HTTP/1.1 client.

Why not the `openai` client here: for an instant upstream, its request pipeline (typed options,
header merging, an httpx2 request/response pair on top of a transport's) cost more CPU than the
rest of the gateway per request (docs/benchmarks.md). A whole answer is one JSON body each way:
this posts the body as Agadir built it (every parameter forwarded) and parses the reply with
orjson. A stream is the same request with `stream: true`, its SSE events read by `EventStream`.
The request is one buffer: a header block built once per path, the length, the body
(`engines.upstream_http`, `engines.upstream_pool`). `upstreams[].http_client = "aiohttp"` keeps
the same calls over aiohttp (`engines.upstream_aiohttp`).

Egress: a replica's URL never changes, so its host is checked once, on first use (refused before
any socket opens), and a localhost name is pinned to 127.0.0.1 (the Host header keeps the name).
Redirects are not followed. Timeouts: `timeout_s` for a whole answer (connecting included), for
each wait of a stream (its headers, then each read); connecting, 5 s at most.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, Protocol

import orjson
from yarl import URL

from agadir.egress import LOOPBACK_ADDRESS, EgressPolicy, is_localhost_name
from agadir.engines.upstream_errors import (
    UpstreamStatusError,
    UpstreamTimeoutError,
    error_message,
)
from agadir.engines.upstream_http import Connection
from agadir.engines.upstream_pool import ConnectionPool
from agadir.engines.upstream_sse import EventStream

CONNECT_TIMEOUT_S = 5.0


class Poster(Protocol):
    """What the upstream engine needs of a replica's HTTP client."""

    async def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]: ...

    async def stream(self, path: str, body: dict[str, Any]) -> EventStream: ...

    async def aclose(self) -> None: ...


@dataclass(frozen=True)
class Target:
    """Where a replica's requests go, once its host passed the egress policy."""

    scheme: str
    host: str  # the address connected to: a localhost name pinned to 127.0.0.1
    name: str  # the host as the URL names it (TLS server name)
    port: int
    authority: str  # the Host header
    path: str  # the base path, e.g. "/v1"
    url: URL  # the base URL with the pinned host

    @classmethod
    def checked(cls, base_url: str, policy: EgressPolicy) -> Target:
        url = URL(base_url)
        name = url.host or ""
        policy.check(name)
        pinned = url.with_host(LOOPBACK_ADDRESS) if is_localhost_name(name) else url
        return cls(
            scheme=url.scheme,
            host=pinned.host or "",
            name=name,
            port=url.port or 80,
            authority=url.host_port_subcomponent or name,
            path=url.raw_path.rstrip("/"),
            url=pinned,
        )


def answer_of(status: int, raw: bytes) -> dict[str, Any]:
    """A whole answer's JSON object; an error status or a body that is not one raises."""
    if status >= 400:
        raise UpstreamStatusError(status, error_message(raw))
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        data = None
    if not isinstance(data, dict):
        raise UpstreamStatusError(502, "the upstream's answer is not a JSON object")
    return data


class JsonPoster:
    """Whole answers and streams from one replica over a pool of keep-alive connections."""

    def __init__(
        self,
        base_url: str,
        policy: EgressPolicy,
        *,
        api_key: str | None,
        max_connections: int,
        timeout_s: float,
    ) -> None:
        if api_key and any(c in api_key for c in "\r\n"):
            raise ValueError("an upstream api_key cannot contain a line break")
        self.base_url = base_url
        self.policy = policy
        self.max_connections = max_connections
        self.timeout_s = timeout_s
        self._auth = f"Authorization: Bearer {api_key}\r\n".encode() if api_key else b""
        self._target: Target | None = None
        self._pool: ConnectionPool | None = None
        self._heads: dict[tuple[str, bool], bytes] = {}

    def _open(self) -> ConnectionPool:
        target = self._target = Target.checked(self.base_url, self.policy)
        context = ssl.create_default_context() if target.scheme == "https" else None
        self._pool = ConnectionPool(
            target.host,
            target.port,
            limit=self.max_connections,
            ssl=context,
            server_hostname=target.name,
            connect_timeout_s=CONNECT_TIMEOUT_S,
        )
        return self._pool

    def _head(self, path: str, stream: bool) -> bytes:
        """The start line and headers of a POST to `path`, up to the Content-Length value."""
        assert self._target is not None
        accept = "text/event-stream" if stream else "application/json"
        head = (
            f"POST {self._target.path}{path} HTTP/1.1\r\nHost: {self._target.authority}\r\n"
            f"User-Agent: agadir\r\nAccept: {accept}\r\nContent-Type: application/json\r\n"
        ).encode() + self._auth
        self._heads[path, stream] = head = head + b"Content-Length: "
        return head

    def _request(self, path: str, body: dict[str, Any], stream: bool) -> bytes:
        payload = orjson.dumps(body)
        head = self._heads.get((path, stream)) or self._head(path, stream)
        return b"%b%d\r\n\r\n%b" % (head, len(payload), payload)

    async def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        pool = self._pool or self._open()
        conn = await pool.request(self._request(path, body, stream=False), self.timeout_s)
        try:
            raw = await conn.body()
        finally:
            pool.release(conn)
        return answer_of(conn.status, raw)

    async def stream(self, path: str, body: dict[str, Any]) -> EventStream:
        """Send a streamed request; return once the upstream's headers are in (an error status
        raises here, before any event: a failure a replica set may retry elsewhere)."""
        pool = self._pool or self._open()
        conn = await pool.request(self._request(path, body, stream=True), self.timeout_s)
        if conn.status >= 400:
            try:
                raw = await conn.body()
            finally:
                pool.release(conn)
            raise UpstreamStatusError(conn.status, error_message(raw))
        conn.disarm()  # from here, each read has its own timeout
        return EventStream(
            _body_chunks(conn, self.timeout_s),
            lambda ended: pool.release(conn, linger=ended),
        )

    async def aclose(self) -> None:
        if self._pool is not None:
            await self._pool.aclose()
            self._pool = None


async def _body_chunks(conn: Connection, timeout_s: float) -> AsyncIterator[bytes]:
    """A body's bytes as they arrive; waiting more than `timeout_s` for the next ones fails."""
    while True:
        chunk = conn.take()
        if chunk:
            yield chunk
        elif conn.complete:
            return
        else:
            try:
                async with asyncio.timeout(timeout_s):
                    await conn.wait()
            except TimeoutError as exc:
                raise UpstreamTimeoutError(f"the stream was silent for {timeout_s:g} s") from exc
