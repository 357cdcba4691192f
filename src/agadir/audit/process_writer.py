"""Group commit in a child process, so the audit log does not compete with the event loop.

Why a process: with the writer in a thread of the gateway, every statement of every batch
(BEGIN, head select, insert, head update, commit) wakes the thread, and each wake-up takes the
GIL from the event loop. Measured with 32 clients: the thread writer cost the gateway ~45% of
its throughput while holding the GIL only ~4% of the time (docs/benchmarks.md). A child process
has its own interpreter; the gateway only pickles a batch onto a pipe and reads one reply.

Protocol: the event loop keeps one batch in flight. Records appended while it commits wait in
`_pending` and go together as the next batch: batches grow with load, one fsync each. A caller
is answered only after the child reports the commit durable; if the child fails or dies, every
waiting caller gets `AuditUnavailableError` (503) and the next append starts a new child.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import pickle
import signal
from multiprocessing.connection import Connection
from typing import Any

from agadir.audit.batch import commit_batch
from agadir.audit.errors import AuditUnavailableError
from agadir.audit.record import AuditRecord
from agadir.audit.writer import WriterStats

log = logging.getLogger("agadir.audit")
_Waiter = tuple[AuditRecord, "asyncio.Future[int]"]


def serve_batches(url: str, key: bytes, conn: Connection) -> None:
    """The child's loop: receive a pickled batch, commit it, reply ("ok", seqs) or ("error",
    message). An empty message or a closed pipe ends it."""
    from agadir.store import open_store

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the group; the parent decides
    store = open_store(url, migrate=False)
    try:
        while True:
            try:
                payload = conn.recv_bytes()
            except (EOFError, OSError):
                return
            if not payload:
                return
            reply: tuple[str, Any]
            try:
                reply = ("ok", commit_batch(store, key, pickle.loads(payload)))
            except AuditUnavailableError as exc:
                reply = ("error", exc.message)
            try:
                conn.send_bytes(pickle.dumps(reply))
            except (BrokenPipeError, OSError):
                return
    finally:
        store.close()


def _context() -> Any:
    """forkserver: children fork from a small server process that has already imported this
    module, so starting a writer is fast and never forks the gateway's own threads."""
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["agadir.audit.process_writer"])
    return ctx


class ProcessAuditWriter:
    """The gateway's audit writer: `await append(record)` returns the record's seq once durable."""

    def __init__(self, url: str, key: bytes, *, max_batch: int = 1024) -> None:
        self._url = url
        self._key = key
        self._max_batch = max_batch
        self._process: Any = None
        self._conn: Connection | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pending: list[_Waiter] = []
        self._inflight: list[_Waiter] | None = None
        self._scheduled = False
        self._closed = False
        self.stats = WriterStats()

    # -- lifecycle ------------------------------------------------------------------------------
    def start(self) -> ProcessAuditWriter:
        if self._process is not None and self._process.is_alive():
            return self
        ctx = _context()
        parent, child = ctx.Pipe()
        process = ctx.Process(
            target=serve_batches,
            args=(self._url, self._key, child),
            name="agadir-audit",
            daemon=True,
        )
        process.start()
        child.close()
        self._process, self._conn = process, parent
        return self

    def close(self, timeout: float = 30.0) -> None:
        """Let the child finish its batch, then stop it."""
        if self._closed:
            return
        self._closed = True
        self._unwatch()
        if self._conn is not None:
            with contextlib.suppress(OSError):
                self._conn.send_bytes(b"")
        if self._process is not None:
            self._process.join(timeout)
            if self._process.is_alive():
                self._process.terminate()
        if self._conn is not None:
            self._conn.close()
        error = AuditUnavailableError("the audit writer is shut down; the server is stopping")
        self._fail(error)

    # -- appending ------------------------------------------------------------------------------
    async def append(self, record: AuditRecord) -> int:
        if self._closed:
            raise AuditUnavailableError("the audit writer is shut down; the server is stopping")
        loop = asyncio.get_running_loop()
        self._bind(loop)
        future: asyncio.Future[int] = loop.create_future()
        self._pending.append((record, future))
        if self._inflight is None and not self._scheduled:
            self._scheduled = True
            loop.call_soon(self._send)  # gather everything appended in this loop iteration
        return await future

    def _bind(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._process is None or not self._process.is_alive() or self._conn is None:
            self._unwatch()
            self._conn = None
            self.start()
        if self._loop is not loop:
            self._unwatch()
            self._loop = loop
            assert self._conn is not None
            loop.add_reader(self._conn.fileno(), self._on_reply)

    def _unwatch(self) -> None:
        if self._loop is not None and self._conn is not None and not self._loop.is_closed():
            self._loop.remove_reader(self._conn.fileno())
        self._loop = None

    def _send(self) -> None:
        self._scheduled = False
        if self._inflight is not None or not self._pending or self._conn is None:
            return
        batch = self._pending[: self._max_batch]
        self._pending = self._pending[self._max_batch :]
        self._inflight = batch
        try:
            self._conn.send_bytes(pickle.dumps([record for record, _ in batch]))
        except (OSError, ValueError) as exc:
            self._child_gone(f"cannot reach the audit writer process ({exc})")

    def _on_reply(self) -> None:
        assert self._conn is not None
        try:
            status, value = pickle.loads(self._conn.recv_bytes())
        except (EOFError, OSError):
            self._child_gone("the audit writer process stopped")
            return
        batch, self._inflight = self._inflight or [], None
        if status == "ok":
            self.stats.commits += 1
            self.stats.records += len(batch)
            for (_, future), seq in zip(batch, value, strict=True):
                if not future.done():
                    future.set_result(seq)
        else:
            self.stats.failures += 1
            for _, future in batch:
                if not future.done():
                    future.set_exception(AuditUnavailableError(value))
        if self._pending:
            self._send()

    def _child_gone(self, why: str) -> None:
        log.error("%s; a new one starts with the next request", why)
        self._unwatch()
        if self._conn is not None:
            self._conn.close()
        self._conn, self._process = None, None
        self._fail(AuditUnavailableError(f"{why}; the request was not served. Retry it."))

    def _fail(self, error: AuditUnavailableError) -> None:
        waiting = (self._inflight or []) + self._pending
        self._inflight, self._pending = None, []
        for _, future in waiting:
            if not future.done():
                future.get_loop().call_soon_threadsafe(_set_error, future, error)


def _set_error(future: asyncio.Future[int], error: AuditUnavailableError) -> None:
    if not future.done():
        future.set_exception(error)
