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
import os
import pickle
import signal
import struct
import subprocess
import sys
from typing import Any

from agadir.audit.errors import AuditUnavailableError
from agadir.audit.record import AuditRecord
from agadir.audit.sqlite_batch import batch_committer
from agadir.audit.writer import WriterStats

log = logging.getLogger("agadir.audit")
_Waiter = tuple[AuditRecord, "asyncio.Future[int]"]


def _read_exact(fd: int, n: int) -> bytes:
    chunks = []
    while n:
        chunk = os.read(fd, n)
        if not chunk:
            raise EOFError("pipe closed")
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def read_frame(fd: int) -> bytes:
    """One length-prefixed frame (4-byte big-endian length, then the payload)."""
    (size,) = struct.unpack(">I", _read_exact(fd, 4))
    return _read_exact(fd, size) if size else b""


def write_frame(fd: int, payload: bytes) -> None:
    data = struct.pack(">I", len(payload)) + payload
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def serve_batches(url: str, key: bytes, rfd: int, wfd: int) -> None:
    """The child's loop: receive a pickled batch, commit it, reply ("ok", seqs) or ("error",
    message). An empty frame or a closed pipe ends it."""
    from agadir.store import open_store

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the group; the parent decides
    store = open_store(url, migrate=False)
    commit = batch_committer(store, key)
    try:
        while True:
            try:
                payload = read_frame(rfd)
            except (EOFError, OSError):
                return
            if not payload:
                return
            reply: tuple[str, Any]
            try:
                reply = ("ok", commit(pickle.loads(payload)))
            except AuditUnavailableError as exc:
                reply = ("error", exc.message)
            except Exception as exc:  # a bug must fail one batch, never stop the writer
                log.exception("audit batch failed")
                reply = ("error", f"the audit writer failed on a batch ({type(exc).__name__})")
            try:
                write_frame(wfd, pickle.dumps(reply))
            except OSError:
                return
    finally:
        store.close()


def main() -> None:
    """Entry point of `python -m agadir.audit.process_writer`: the store URL and the signing
    key arrive as the first frame on stdin (never on the command line, where `ps` shows them)."""
    url, key = pickle.loads(read_frame(0))
    serve_batches(url, key, 0, 1)


class ProcessAuditWriter:
    """The gateway's audit writer: `await append(record)` returns the record's seq once durable."""

    def __init__(self, url: str, key: bytes, *, max_batch: int = 1024) -> None:
        self._url = url
        self._key = key
        self._max_batch = max_batch
        self._process: subprocess.Popen[bytes] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pending: list[_Waiter] = []
        self._inflight: list[_Waiter] | None = None
        self._scheduled = False
        self._closed = False
        self.stats = WriterStats()

    # -- lifecycle ------------------------------------------------------------------------------
    def start(self) -> ProcessAuditWriter:
        if self._process is not None and self._process.poll() is None:
            return self
        # A fresh interpreter (not multiprocessing): nothing of the parent is re-imported or
        # inherited, whatever script embeds the gateway.
        process = subprocess.Popen(
            [sys.executable, "-m", "agadir.audit.process_writer"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            close_fds=True,
        )
        assert process.stdin is not None and process.stdout is not None
        write_frame(process.stdin.fileno(), pickle.dumps((self._url, self._key)))
        self._process = process
        return self

    def close(self, timeout: float = 30.0) -> None:
        """Let the child finish its batch, then stop it."""
        if self._closed:
            return
        self._closed = True
        self._unwatch()
        if self._process is not None:
            with contextlib.suppress(OSError, ValueError):
                write_frame(self._wfd, b"")
            try:
                self._process.wait(timeout)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._close_pipes()
        error = AuditUnavailableError("the audit writer is shut down; the server is stopping")
        self._fail(error)

    # -- appending ------------------------------------------------------------------------------
    def submit(self, record: AuditRecord) -> asyncio.Future[int]:
        """Queue `record`; the future resolves to its seq once durable (or fails with
        `AuditUnavailableError`). Plain function: the caller awaits the future in its own frame,
        so only its coroutine chain is suspended and resumed, not one more level per helper."""
        if self._closed:
            raise AuditUnavailableError("the audit writer is shut down; the server is stopping")
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            self._bind(loop)
        future: asyncio.Future[int] = loop.create_future()
        self._pending.append((record, future))
        if self._inflight is None and not self._scheduled:
            self._scheduled = True
            loop.call_soon(self._send)  # gather everything appended in this loop iteration
        return future

    async def append(self, record: AuditRecord) -> int:
        return await self.submit(record)

    @property
    def _rfd(self) -> int:
        assert self._process is not None and self._process.stdout is not None
        return self._process.stdout.fileno()

    @property
    def _wfd(self) -> int:
        assert self._process is not None and self._process.stdin is not None
        return self._process.stdin.fileno()

    def _close_pipes(self) -> None:
        if self._process is not None:
            for pipe in (self._process.stdin, self._process.stdout):
                if pipe is not None:
                    pipe.close()

    def _bind(self, loop: asyncio.AbstractEventLoop) -> None:
        """Watch the child's replies from `loop` (the first append, or a new loop in tests)."""
        self._unwatch()
        self._loop = loop
        if self._process is not None:
            loop.add_reader(self._rfd, self._on_reply)

    def _unwatch(self) -> None:
        if self._loop is not None and self._process is not None and not self._loop.is_closed():
            with contextlib.suppress(ValueError, OSError):
                self._loop.remove_reader(self._rfd)
        self._loop = None

    def _ensure_child(self) -> None:
        """Replace a child that is gone while no batch was in flight (it died idle, or a
        failure removed it): nothing pending ever reached it, so the batch can go to a new one.
        Checked once per batch, not once per record (each check is a waitpid call)."""
        if self._process is not None and self._process.poll() is None:
            return
        loop = self._loop
        self._unwatch()
        if self._process is not None:
            self._process.wait()
            self._close_pipes()
        self._process = None
        self.start()
        if loop is not None:
            self._bind(loop)

    def _send(self) -> None:
        self._scheduled = False
        if self._inflight is not None or not self._pending:
            return
        try:
            self._ensure_child()
        except OSError as exc:
            self._child_gone(f"cannot start the audit writer process ({exc})")
            return
        batch = self._pending[: self._max_batch]
        self._pending = self._pending[self._max_batch :]
        self._inflight = batch
        try:
            write_frame(self._wfd, pickle.dumps([record for record, _ in batch]))
        except (OSError, ValueError) as exc:
            self._child_gone(f"cannot reach the audit writer process ({exc})")

    def _on_reply(self) -> None:
        try:
            status, value = pickle.loads(read_frame(self._rfd))
        except (EOFError, OSError, struct.error):
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
        if self._process is not None:
            self._process.kill()
            self._process.wait()
            self._close_pipes()
        self._process = None
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


if __name__ == "__main__":
    main()
