"""A small HTTP/1.1 client for the upstream path: keep-alive connections to one replica.

Why not aiohttp or httpx here: a general client (URL objects, header multidicts, cookie jars,
tracing hooks, a stream reader per response) costs more CPU per request than the rest of the
upstream path, and the gateway's single event loop is the bound (docs/benchmarks.md, issue 17).
The upstream path needs one shape of request: a POST of a JSON body to a fixed replica, answered
with a Content-Length or chunked body. So a connection is an `asyncio.Protocol` that writes the
request as one buffer and feeds what comes back to `httptools`' C parser (llhttp, as uvicorn).

What it does not do: HTTP/2, proxies, cookies, redirects (a 3xx is returned as it is, never
followed), `Expect: 100-continue`, trailers. Interim 1xx answers are skipped. One request at a
time per connection (no pipelining); a pool holds at most `limit` connections per replica.
"""

from __future__ import annotations

import asyncio
import collections
import ssl as ssl_module
import time

import httptools

from agadir.engines.upstream_errors import (
    NothingReceivedError,
    ResponseCutError,
    UpstreamProtocolError,
    UpstreamTimeoutError,
)

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
        self._active = False  # a request is in flight (or lingering) on it
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
        if not self._active:  # bytes nobody asked for: this connection cannot be trusted
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
        if self._active and not self.complete and self._error is None:
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
        self._active = True
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


class ConnectionPool:
    """At most `limit` keep-alive connections to one host: the most recently used idle one
    first (the warmest), a new one while under the limit, else a wait for one to come back."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        limit: int,
        ssl: ssl_module.SSLContext | None = None,
        server_hostname: str | None = None,
        connect_timeout_s: float = 5.0,
        idle_timeout_s: float = 30.0,
    ) -> None:
        self.host = host
        self.port = port
        self.limit = limit
        self._ssl = ssl
        self._server_hostname = server_hostname if ssl is not None else None
        self._connect_timeout_s = connect_timeout_s
        self._idle_timeout_s = idle_timeout_s
        self._idle: list[Connection] = []
        self._counted: set[Connection] = set()  # open or opening, toward `limit`
        self._opening = 0
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()
        self._closed = False

    @property
    def size(self) -> int:
        """Connections open or being opened."""
        return len(self._counted) + self._opening

    async def request(self, data: bytes, timeout_s: float) -> Connection:
        """Send one request; its connection once the answer's headers are in. The caller must
        `release()` it. A timer fails the answer `timeout_s` after this call (one timer, not a
        task cancellation: cheaper per request); the caller reads the body under it, or
        `disarm()`s it to bound each read instead (a stream).

        A pooled connection that the server had closed while idle (its keep-alive timeout)
        fails before any byte of an answer: that request is sent again once, on a new
        connection, as browsers and aiohttp do."""
        deadline = asyncio.get_running_loop().time() + timeout_s
        fresh = False
        while True:
            conn = await self._acquire_by(deadline, timeout_s, fresh=fresh)
            conn.arm(deadline, timeout_s)
            try:
                conn.send(data)
                await conn.head()
                return conn
            except NothingReceivedError:
                self.release(conn)
                if not conn.reused:
                    raise
                fresh = True
            except BaseException:
                self.release(conn)
                raise

    async def _acquire_by(self, deadline: float, timeout_s: float, *, fresh: bool) -> Connection:
        """A connection: an idle one at once, else (connecting, waiting) within the deadline."""
        if not fresh and not self._closed and (conn := self._pop_idle()) is not None:
            return conn
        try:
            async with asyncio.timeout_at(deadline):
                return await self.acquire(fresh=fresh)
        except TimeoutError as exc:
            raise UpstreamTimeoutError(f"no answer within {timeout_s:g} s") from exc

    async def acquire(self, *, fresh: bool = False) -> Connection:
        if self._closed:
            raise NothingReceivedError("the upstream client is closed")
        while True:
            if not fresh and (conn := self._pop_idle()) is not None:
                return conn
            if fresh and self.size >= self.limit and (idle := self._pop_idle()) is not None:
                idle.close()  # makes room for the new connection
            if self.size < self.limit:
                return await self._connect()
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            try:
                await waiter
            except asyncio.CancelledError:
                if waiter.done() and not waiter.cancelled():
                    self._wake_one()  # woken, then cancelled: pass the turn on
                else:
                    self._waiters.remove(waiter)
                raise

    def _pop_idle(self) -> Connection | None:
        now = time.monotonic()
        while self._idle:
            conn = self._idle.pop()
            if conn.closed:
                continue
            if now - conn.idle_since > self._idle_timeout_s:
                conn.close()
                continue
            return conn
        return None

    async def _connect(self) -> Connection:
        loop = asyncio.get_running_loop()
        self._opening += 1
        try:
            async with asyncio.timeout(self._connect_timeout_s):
                _, conn = await loop.create_connection(
                    lambda: Connection(self),
                    self.host,
                    self.port,
                    ssl=self._ssl,
                    server_hostname=self._server_hostname,
                )
        except BaseException as exc:
            self._opening -= 1
            self._wake_one()  # its slot is free again
            if isinstance(exc, TimeoutError):
                raise NothingReceivedError(
                    f"connecting to {self.host}:{self.port} took over {self._connect_timeout_s:g} s"
                ) from exc
            if isinstance(exc, OSError):  # refused, unreachable, TLS handshake refused
                raise NothingReceivedError(
                    f"cannot connect to {self.host}:{self.port}: {exc}"
                ) from exc
            raise
        self._opening -= 1
        if not conn.closed:  # closed at once: `forget` has nothing to count down
            self._counted.add(conn)
        return conn

    def release(self, conn: Connection, *, linger: bool = False) -> None:
        """Back to the pool if its answer was read to the end and it may be kept. An answer
        left unread closes the connection, unless `linger` (a stream released at its `[DONE]`,
        whose last bytes are still on their way): then it may finish unread and be pooled."""
        conn.disarm()
        if conn._lingering is not None:
            return
        if conn.complete and conn.keep_alive and not conn.closed and not self._closed:
            conn._active = False
            conn.reused = True
            conn.idle_since = time.monotonic()
            self._idle.append(conn)
            self._wake_one()
        elif conn.complete or self._closed or not (linger and conn.linger()):
            conn._active = False
            conn.close()

    def forget(self, conn: Connection) -> None:
        """A connection closed: its slot is free."""
        if conn in self._counted:
            self._counted.discard(conn)
            self._wake_one()

    def _wake_one(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    async def aclose(self) -> None:
        self._closed = True
        for conn in list(self._counted):
            if not conn._active or conn._lingering is not None:
                conn.close()
        self._idle.clear()
