"""The audit writer: group commit, so every request's record is durable before it returns.

Callers `await writer.append(record)`; a single writer thread takes everything queued, chains
it and commits it in one transaction (one fsync for SQLite at synchronous=FULL, one WAL flush for
PostgreSQL), then wakes every caller of that batch. While one batch commits the next one
gathers, so the batch size grows with load and the fsync cost per request shrinks. Nothing is
acknowledged before its commit returns; if the commit fails, every caller of the batch gets
`AuditUnavailableError` (503) and the gateway refuses the request instead of serving it
unaudited.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import queue
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeAlias

from agadir.audit.batch import commit_batch
from agadir.audit.errors import AuditUnavailableError
from agadir.audit.record import AuditRecord
from agadir.store import Store

# A queued record and whom to tell: a thread's concurrent future, or an event loop's future.
_Waiter: TypeAlias = (
    "concurrent.futures.Future[int] | tuple[asyncio.AbstractEventLoop, asyncio.Future[int]]"
)
_Item = tuple[AuditRecord, _Waiter]
_Outcome: TypeAlias = "int | AuditUnavailableError"


@dataclass
class WriterStats:
    """Counts for tests and benchmarks: transactions committed and records in them."""

    commits: int = 0
    records: int = 0
    failures: int = 0


class AuditWriter:
    """One per process; `start()` it at startup and `close()` it at shutdown."""

    def __init__(self, store: Store, key: bytes, *, max_batch: int = 1024) -> None:
        self._store = store
        self._key = key
        self._max_batch = max_batch
        self._queue: queue.SimpleQueue[_Item | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._closed = False
        self.stats = WriterStats()

    def start(self) -> AuditWriter:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="agadir-audit", daemon=True)
            self._thread.start()
        return self

    def submit(self, record: AuditRecord) -> concurrent.futures.Future[int]:
        """Queue a record; the future resolves to its seq once committed."""
        if self._closed:
            raise AuditUnavailableError("the audit writer is shut down; the server is stopping")
        self.start()
        future: concurrent.futures.Future[int] = concurrent.futures.Future()
        self._queue.put((record, future))
        return future

    async def append(self, record: AuditRecord) -> int:
        """Return the record's seq once it is committed and durable.

        The writer wakes each event loop once per batch (not once per record): with many
        concurrent requests the per-record thread-safe wake-ups cost more than the commit.
        """
        if self._closed:
            raise AuditUnavailableError("the audit writer is shut down; the server is stopping")
        self.start()
        loop = asyncio.get_running_loop()
        future: asyncio.Future[int] = loop.create_future()
        self._queue.put((record, (loop, future)))
        return await future

    def append_sync(self, record: AuditRecord, timeout: float | None = 30.0) -> int:
        """The same, for threads and the CLI."""
        return self.submit(record).result(timeout)

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            stop = False
            while len(batch) < self._max_batch:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    stop = True
                    break
                batch.append(item)
            self._commit(batch)
            if stop:
                return

    def _commit(self, batch: list[_Item]) -> None:
        try:
            seqs = commit_batch(self._store, self._key, [record for record, _ in batch])
        except AuditUnavailableError as error:
            self.stats.failures += 1
            _notify(batch, [error] * len(batch))
            return
        self.stats.commits += 1
        self.stats.records += len(batch)
        _notify(batch, seqs)

    def close(self, timeout: float = 30.0) -> None:
        """Commit what is queued, then stop the thread."""
        if self._closed:
            return
        self._closed = True
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout)


def _notify(batch: list[_Item], outcomes: Sequence[int | AuditUnavailableError]) -> None:
    """Resolve every waiter of a batch: thread futures directly, each event loop in one call."""
    per_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[int], _Outcome]]] = {}
    for (_, waiter), outcome in zip(batch, outcomes, strict=True):
        if isinstance(waiter, tuple):
            loop, future = waiter
            per_loop.setdefault(loop, []).append((future, outcome))
        elif isinstance(outcome, BaseException):
            waiter.set_exception(outcome)
        else:
            waiter.set_result(outcome)
    for loop, items in per_loop.items():
        try:
            loop.call_soon_threadsafe(_resolve, items)
        except RuntimeError:  # that loop is closed: its callers are gone
            continue


def _resolve(items: list[tuple[asyncio.Future[int], _Outcome]]) -> None:
    for future, outcome in items:
        if future.done():  # the caller was cancelled meanwhile
            continue
        if isinstance(outcome, BaseException):
            future.set_exception(outcome)
        else:
            future.set_result(outcome)
