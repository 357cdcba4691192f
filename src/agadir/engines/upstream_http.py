"""A small HTTP/1.1 client for the upstream path: keep-alive connections to one replica.

Why not aiohttp or httpx here: a general client (URL objects, header multidicts, cookie jars,
tracing hooks, a stream reader per response) costs more CPU per request than the rest of the
upstream path, and the gateway's single event loop is the bound (docs/benchmarks.md, issue 17).
The upstream path needs one shape of request: a POST of a JSON body to a fixed replica, answered
with a Content-Length or chunked body. So a connection is an `asyncio.Protocol` that writes the
request as one buffer and feeds what comes back to `httptools`' C parser (llhttp, as uvicorn).

What it does not do: HTTP/2, proxies, cookies, redirects (a 3xx is returned as it is, never
followed), `Expect: 100-continue`, trailers. Interim 1xx answers are skipped. One request at a
time per connection (no pipelining); `upstream_pool` keeps them, per replica.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import httptools

from agadir.engines.upstream_errors import (
    NothingReceivedError,
    ResponseCutError,
    UpstreamProtocolError,
    UpstreamTimeoutError,
)

if TYPE_CHECKING:
    from agadir.engines.upstream_pool import ConnectionPool

MAX_HEAD_BYTES = 64 * 1024  # status line and headers of one answer
_HIGH_WATER = 1 << 20  # stop reading a stream while this much is buffered and not taken
_LINGER_S = 1.0  # how long a connection released mid-answer may take to finish it and be reused


class Connection(asyncio.Protocol):
    """One keep-alive connection carrying one request at a time.

    The parser's callbacks fill the current answer's state (status, body chunks, complete); the
    reader takes what is there and waits on a future only when there is nothing to take.
    """

    def __init__(self, pool: ConnectionPool) -> None:
        self._pool = pool
        self._loop = asyncio.get_running_loop()
        self._parser = httptools.HttpResponseParser(self)
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.reused = False  # carried an answer before: the server may have closed it since
        self.idle_since = 0.0
        self.busy = False  # a request is in flight (or lingering) on it
        self._lingering: asyncio.TimerHandle | None = None
        self._deadline: asyncio.TimerHandle | None = None
        self._begin()

    def _begin(self) -> None:
        self.status = 0
        self.received = 0  # bytes of this answer so far
        self.headers_done = False
        self.complete = False
        self.keep_alive = False
        self._framed = False  # Content-Length or Transfer-Encoding seen
        self._head_bytes = 0
        self._chunks: list[bytes] = []
        self._buffered = 0
        self._paused = False
        self._error: BaseException | None = None
        self._waiter: asyncio.Future[None] | None = None

    # -- asyncio.Protocol ---------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        if not self.busy:  # bytes nobody asked for: this connection cannot be trusted
            self.close()
            return
        self.received += len(data)
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(UpstreamProtocolError(f"the upstream's answer is not HTTP/1.1 ({exc})"))
            return
        if self._head_bytes > MAX_HEAD_BYTES or (
            not self.headers_done and self.received > MAX_HEAD_BYTES
        ):
            self._fail(UpstreamProtocolError("the upstream's answer headers exceed 64 KiB"))

    def eof_received(self) -> bool | None:
        return None  # close our side too: connection_lost follows

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._pool.forget(self)
        if self._lingering is not None:
            self._lingering.cancel()
            self._lingering = None
        if self.busy and not self.complete and self._error is None:
            if self.headers_done and not self._framed:
                self.complete = True  # a body delimited by the end of the connection
            elif self.received == 0:
                why = f": {exc}" if exc else ""
                self._error = NothingReceivedError(f"the upstream closed the connection{why}")
            else:
                self._error = ResponseCutError("the upstream closed the connection mid-answer")
        self._wake()

    # -- httptools callbacks ------------------------------------------------------------------
    def on_header(self, name: bytes, value: bytes) -> None:
        self._head_bytes += len(name) + len(value) + 4
        if name.lower() in (b"content-length", b"transfer-encoding"):
            self._framed = True

    def on_headers_complete(self) -> None:
        status = self._parser.get_status_code()
        if status < 200:  # an interim answer (100 Continue, 103 Early Hints): the real one follows
            self._framed = False
            return
        self.status = status
        self.headers_done = True
        self._wake()

    def on_body(self, body: bytes) -> None:
        if self._lingering is not None:
            return  # nobody reads it any more
        self._chunks.append(body)
        self._buffered += len(body)
        if self._buffered > _HIGH_WATER and not self._paused and self.transport is not None:
            self._paused = True
            self.transport.pause_reading()
        self._wake()

    def on_message_complete(self) -> None:
        if not self.headers_done:
            return  # the end of an interim answer
        self.complete = True
        self.keep_alive = self._parser.should_keep_alive()
        if self._lingering is not None:
            self._lingering.cancel()
            self._lingering = None
            self._pool.release(self)
            return
        self._wake()

    # -- used by the pool and the poster ------------------------------------------------------
    def send(self, data: bytes) -> None:
        """Write one request (start line, headers and body in one buffer)."""
        assert self.transport is not None
        self._begin()
        self.busy = True
        self.transport.write(data)

    async def wait(self) -> None:
        """Until the answer moves on (headers, body bytes, its end); raises how it failed."""
        if self._error is not None:
            raise self._error
        waiter = self._waiter = self._loop.create_future()
        try:
            await waiter
        finally:
            self._waiter = None
        if self._error is not None:
            raise self._error

    async def head(self) -> int:
        """The answer's status, once its headers are in."""
        while not self.headers_done:
            await self.wait()
        if self._error is not None:  # a head over the limit, parsed in one read
            raise self._error
        return self.status

    async def body(self) -> bytes:
        """The whole body, once the answer is complete."""
        while not self.complete:
            await self.wait()
        return self.take()

    def take(self) -> bytes:
        """The body bytes received and not yet taken (b"" when none)."""
        chunks = self._chunks
        if not chunks:
            return b""
        data = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        self._chunks = []
        self._buffered = 0
        if self._paused and self.transport is not None:
            self._paused = False
            self.transport.resume_reading()
        return data

    def linger(self) -> bool:
        """Released before the end of its answer: let the rest arrive for a moment, unread, and
        pool the connection if it completes (a stream's last bytes often trail its `[DONE]`);
        False when it cannot be reused anyway."""
        if not self.headers_done or self._error is not None or self.closed:
            return False
        self._chunks = []
        self._buffered = 0
        if self._paused and self.transport is not None:
            self._paused = False
            self.transport.resume_reading()
        self._lingering = self._loop.call_later(_LINGER_S, self.close)
        return True

    @property
    def lingering(self) -> bool:
        return self._lingering is not None

    def arm(self, deadline: float, timeout_s: float) -> None:
        """Fail the answer at `deadline` (loop time) unless it is released before."""
        self.disarm()
        self._deadline = self._loop.call_at(deadline, self._expire, timeout_s)

    def disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expire(self, timeout_s: float) -> None:
        self._deadline = None
        self._fail(UpstreamTimeoutError(f"no answer within {timeout_s:g} s"))

    def close(self) -> None:
        self.disarm()
        if not self.closed:
            self.closed = True
            self._pool.forget(self)
            if self.transport is not None:
                self.transport.close()

    def _fail(self, error: BaseException) -> None:
        self._error = error
        self.complete = False  # whatever was parsed, this answer failed
        self._wake()
        self.close()

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)
