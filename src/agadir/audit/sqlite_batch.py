"""Group commit on one raw SQLite connection: what the audit writer process does per batch.

Why not `Store.write()`: through SQLAlchemy each batch pays a pool checkout, a `begin` event,
result objects for every statement and a checkin — measured at ~40% of the writer process's
CPU per batch of 11 records (727 -> 455 us). The writer process owns one connection for its
life, so it talks to the driver directly. The statements, the chain and the durability are the
same as `commit_batch`: `BEGIN IMMEDIATE` takes the write lock, the head is read under it, and
`COMMIT` returns once the WAL is fsynced (`synchronous=FULL`, set when the store connects).

SQLite only; other stores use `commit_batch`.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable, Sequence
from typing import Any

from agadir.audit.batch import commit_batch, explain_failure
from agadir.audit.chain import INSERT_COLUMNS, chain_rows
from agadir.audit.errors import AuditUnavailableError
from agadir.audit.record import AuditRecord
from agadir.store import Store

_INSERT = f"INSERT INTO audit_log ({INSERT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
_HEAD = "SELECT seq, hash FROM audit_head WHERE id = 1"
_MOVE_HEAD = "UPDATE audit_head SET seq = ?, hash = ?, signature = ? WHERE id = 1"


class SqliteBatchCommitter:
    """`commit(records)` -> their seqs once durable, or `AuditUnavailableError` (503)."""

    def __init__(self, store: Store, key: bytes) -> None:
        self._store = store
        self._key = key
        self._conn: Any = None  # SQLAlchemy's pooled DBAPI proxy, opened on first use

    def _driver(self) -> sqlite3.Connection:
        if self._conn is None:
            self._conn = self._store.engine.raw_connection()
        driver: sqlite3.Connection = self._conn.driver_connection
        return driver

    def commit(self, records: Sequence[AuditRecord]) -> list[int]:
        try:
            db = self._driver()
            cursor = db.cursor()
            cursor.execute("BEGIN IMMEDIATE")
            try:
                seq, prev = cursor.execute(_HEAD).fetchone()
                rows, last, head, signature = chain_rows(self._key, records, int(seq), str(prev))
                if rows:
                    cursor.executemany(_INSERT, rows)
                    cursor.execute(_MOVE_HEAD, (last, head, signature))
                cursor.execute("COMMIT")
            except BaseException:
                if db.in_transaction:
                    with contextlib.suppress(sqlite3.Error):
                        cursor.execute("ROLLBACK")
                raise
        except (sqlite3.Error, OSError) as exc:
            self._discard()  # the next batch gets a fresh connection, not this one back
            raise AuditUnavailableError(explain_failure(exc)) from exc
        return list(range(int(seq) + 1, last + 1))

    def _discard(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(sqlite3.Error):
                self._conn.invalidate()
            self._conn = None

    def close(self) -> None:
        """Give the connection back to the store's pool."""
        if self._conn is not None:
            with contextlib.suppress(sqlite3.Error):
                self._conn.close()
            self._conn = None


def batch_committer(store: Store, key: bytes) -> Callable[[Sequence[AuditRecord]], list[int]]:
    """The fastest correct way to commit batches to `store` from a single writer."""
    if store.kind == "sqlite":
        return SqliteBatchCommitter(store, key).commit
    return lambda records: commit_batch(store, key, records)
