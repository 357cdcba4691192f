"""A round-robin TCP balancer for tests: what nginx or a Kubernetes Service does in production.

Why TCP and not HTTP: the replicas must see the client's bytes unchanged (headers, SSE), and a
client that opens one connection per request gets one backend per request, in turn — the same
spread nginx gives without keep-alive. It runs its own event loop in a thread, so a test can
use blocking or async clients against it.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
from collections import Counter


class RoundRobinBalancer:
    """Listens on a free loopback port and hands each new connection to the next backend."""

    def __init__(self, backends: list[tuple[str, int]]) -> None:
        self._backends = backends
        self._turn = itertools.cycle(range(len(backends)))
        self.connections: Counter[int] = Counter()  # backend index -> connections handed to it
        self._loop = asyncio.new_event_loop()
        self._started = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._server: asyncio.Server | None = None
        self.port = 0

    def __enter__(self) -> RoundRobinBalancer:
        self._thread.start()
        if not self._started.wait(timeout=30):
            raise RuntimeError("the balancer did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=30)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(
            asyncio.start_server(self._handle, "127.0.0.1", 0)
        )
        self.port = int(self._server.sockets[0].getsockname()[1])
        self._started.set()
        try:
            self._loop.run_forever()
        finally:  # end open connections before closing the loop, so none is left half-done
            self._server.close()
            pending = asyncio.all_tasks(self._loop)
            for task in pending:
                task.cancel()
            self._loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            self._loop.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        index = next(self._turn)
        self.connections[index] += 1
        host, port = self._backends[index]
        try:
            up_reader, up_writer = await asyncio.open_connection(host, port)
        except OSError:
            writer.close()  # a dead backend: the client sees a closed connection, as with nginx
            return
        try:
            await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))
        finally:
            up_writer.close()
            writer.close()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Copy bytes one way until EOF, then half-close so the other side sees the end too."""
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()
    except (ConnectionError, OSError):
        writer.close()  # a broken side: end the other one too instead of waiting forever
