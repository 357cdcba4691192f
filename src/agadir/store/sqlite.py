"""The embedded store: one SQLite file in WAL mode, durable at every commit.

Why `synchronous=FULL`: in WAL mode, NORMAL only syncs the WAL at checkpoints, so a power cut
can lose the last commits — exactly the audit records the gateway promised were kept. FULL
fsyncs the WAL on every commit; the audit writer's group commit (many records per transaction)
pays that fsync once per batch instead of once per request.

Write transactions start with `BEGIN IMMEDIATE`: they take SQLite's write lock up front, so two
writers never deadlock upgrading a read lock; reads use deferred transactions and, thanks to WAL,
never block the writer. One process should own a SQLite store (use PostgreSQL for replicas).
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, create_engine, event
from sqlalchemy.engine import make_url

from agadir.store.base import SqlStore, StoreKind

_BEGIN_MODE = "agadir_sqlite_begin"


class SqliteStore(SqlStore):
    """SQLite via the stdlib driver, with WAL, FULL sync, foreign keys and a busy timeout."""

    kind: StoreKind = "sqlite"

    def __init__(self, url: str, *, busy_timeout_s: float = 10.0) -> None:
        self.url = url
        parsed = make_url(url)
        if parsed.database and parsed.database != ":memory:" and "mode=" not in url:
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        self.engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": busy_timeout_s},
        )
        read_only = "mode=ro" in url

        @event.listens_for(self.engine, "connect")
        def _on_connect(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
            # Let SQLAlchemy's `begin` event emit BEGIN, so we choose DEFERRED or IMMEDIATE.
            dbapi_conn.isolation_level = None
            cursor = dbapi_conn.cursor()
            if not read_only:
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        @event.listens_for(self.engine, "begin")
        def _on_begin(conn: Connection) -> None:
            mode = conn.get_execution_options().get(_BEGIN_MODE, "DEFERRED")
            conn.exec_driver_sql(f"BEGIN {mode}")

    @contextlib.contextmanager
    def write(self) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            conn.execution_options(**{_BEGIN_MODE: "IMMEDIATE"})
            with conn.begin():
                yield conn
