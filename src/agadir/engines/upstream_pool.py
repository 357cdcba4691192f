"""A pool of keep-alive `upstream_http.Connection`s to one replica, bounded by `limit`.

The most recently used idle connection goes first (the warmest; the oldest ones are left to
expire), a new one is opened while under the limit, else a request waits for one to come back.
A connection comes back only when its answer was read to the end and the server lets it stay
open; everything else is closed, so its slot frees at once.
"""

from __future__ import annotations

import asyncio
import collections
import ssl as ssl_module
import time

from agadir.engines.upstream_errors import NothingReceivedError, UpstreamTimeoutError
from agadir.engines.upstream_http import Connection


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
        if conn.lingering:
            return
        if conn.complete and conn.keep_alive and not conn.closed and not self._closed:
            conn.busy = False
            conn.reused = True
            conn.idle_since = time.monotonic()
            self._idle.append(conn)
            self._wake_one()
        elif conn.complete or self._closed or not (linger and conn.linger()):
            conn.busy = False
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
            if not conn.busy or conn.lingering:
                conn.close()
        self._idle.clear()
