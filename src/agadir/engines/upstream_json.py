"""JSON answers and SSE streams from one replica over a pooled aiohttp session.

Why not the `openai` client here: for an instant upstream, its request pipeline (typed options,
header merging, an httpx2 request/response pair on top of aiohttp's) cost more CPU than the rest
of the gateway per request, and kept the upstream path at about a third of the in-process echo
path (docs/benchmarks.md). A whole answer is one JSON body each way: this posts the body as
Agadir built it (every parameter forwarded) and parses the reply with orjson. A stream is the
same request with `stream: true`; its SSE events are parsed here too (`EventStream`), which took
about 1.3 ms off each stream's time to first token against the SDK's stream over aiohttp.

Egress: a replica's URL never changes, so its host is checked once, on first use (refused before
any socket opens), and a localhost name is pinned to 127.0.0.1. Redirects are not followed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import orjson
from yarl import URL

from agadir.egress import LOOPBACK_ADDRESS, EgressPolicy, is_localhost_name

_LINE_BYTES = 1 << 20


class UpstreamStatusError(Exception):
    """The upstream answered an HTTP error; `message` is the error body's message if any."""

    def __init__(self, status_code: int, message: str) -> None:
        super().__init__(f"{status_code}: {message}")
        self.status_code = status_code
        self.message = message


class EventStream:
    """An open SSE response: iterate it for each event's JSON object; `async with` releases it.

    Framing as the SSE specification has it (fields per line, an empty line ends an event,
    several `data:` lines join with a newline); only `data` matters for OpenAI's streams. `[DONE]`
    ends the stream. An event carrying `error` (how vLLM and others report a failure after the
    headers went out) raises `UpstreamStatusError(502, its message)`.
    """

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self.response = response

    async def __aenter__(self) -> EventStream:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.response.release()  # back to the pool when read to the end; closed otherwise

    def __aiter__(self) -> AsyncIterator[dict[str, Any]]:
        return self._events()

    async def _events(self) -> AsyncIterator[dict[str, Any]]:
        data: list[bytes] = []
        async for raw in self.response.content:  # one line at a time, '\n' kept
            line = raw.rstrip(b"\r\n")
            if line.startswith(b"data:"):
                value = line[5:]
                data.append(value[1:] if value.startswith(b" ") else value)
            elif not line and data:
                event = _event(b"\n".join(data))
                data = []
                if event is None:
                    return
                yield event
        if data and (event := _event(b"\n".join(data))) is not None:
            yield event


def _event(payload: bytes) -> dict[str, Any] | None:
    """One event's data as a JSON object; None for `[DONE]`."""
    if payload.startswith(b"[DONE]"):
        return None
    try:
        event = orjson.loads(payload)
    except orjson.JSONDecodeError:
        raise UpstreamStatusError(502, "the upstream streamed an event that is not JSON") from None
    if not isinstance(event, dict):
        raise UpstreamStatusError(502, "the upstream streamed an event that is not a JSON object")
    error = event.get("error")
    if error:
        message = error.get("message") if isinstance(error, dict) else error
        raise UpstreamStatusError(502, str(message or error)[:500])
    return event


class JsonPoster:
    def __init__(
        self,
        base_url: str,
        policy: EgressPolicy,
        *,
        api_key: str | None,
        max_connections: int,
        timeout_s: float,
    ) -> None:
        self.base = URL(base_url)
        self.policy = policy
        self.headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if api_key:
            self.headers["Authorization"] = f"Bearer {api_key}"
        self.max_connections = max_connections
        self.timeout = aiohttp.ClientTimeout(total=timeout_s, sock_connect=5.0)
        # a stream may run for minutes: bound the wait for each read, not the whole
        self.stream_timeout = aiohttp.ClientTimeout(sock_read=timeout_s, sock_connect=5.0)
        self.stream_headers = {**self.headers, "Accept": "text/event-stream"}
        self._session: aiohttp.ClientSession | None = None
        self._checked = False

    def _target(self, path: str) -> URL:
        if not self._checked:
            host = self.base.host or ""
            self.policy.check(host)  # once: the host of a replica never changes
            if is_localhost_name(host):
                self.headers["Host"] = self.stream_headers["Host"] = self.base.raw_authority
                self.base = self.base.with_host(LOOPBACK_ADDRESS)
            self._checked = True
        return URL(f"{self.base}{path}", encoded=True)

    def _open(self) -> aiohttp.ClientSession:
        connector = aiohttp.TCPConnector(
            limit=self.max_connections, limit_per_host=self.max_connections, keepalive_timeout=30
        )
        return aiohttp.ClientSession(
            connector=connector,
            timeout=self.timeout,
            json_serialize=_dumps,
            trust_env=False,
            read_bufsize=_LINE_BYTES,  # an SSE line (an event with logprobs) may be long
        )

    async def stream(self, path: str, body: dict[str, Any]) -> EventStream:
        """Send a streamed request; return once the upstream's headers are in (an error status
        raises here, before any event: a failure a replica set may retry elsewhere)."""
        url = self._target(path)
        session = self._session or self._open()
        self._session = session
        response = await session.post(
            url,
            data=orjson.dumps(body),
            headers=self.stream_headers,
            allow_redirects=False,
            timeout=self.stream_timeout,
        )
        if response.status >= 400:
            async with response:
                raise UpstreamStatusError(response.status, _message(await response.read()))
        return EventStream(response)

    async def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        url = self._target(path)
        session = self._session or self._open()
        self._session = session
        async with session.post(
            url, data=orjson.dumps(body), headers=self.headers, allow_redirects=False
        ) as response:
            raw = await response.read()
            status = response.status
        if status >= 400:
            raise UpstreamStatusError(status, _message(raw))
        try:
            data = orjson.loads(raw)
        except orjson.JSONDecodeError:
            data = None
        if not isinstance(data, dict):
            raise UpstreamStatusError(502, "the upstream's answer is not a JSON object")
        return data

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


def _dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def _message(raw: bytes) -> str:
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
