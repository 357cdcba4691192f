"""The store protocol: what governance and audit services need from a database.

Two implementations exist (`SqliteStore`, `PostgresStore`). Services write SQLAlchemy Core against
`engine`, and only ask the store for the things that differ between engines: how to open a
*serialised* write transaction, and which quota strategy fits (see `governance.quotas`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Literal, Protocol, runtime_checkable

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from agadir.store import migrations
from agadir.store.errors import StoreError

StoreKind = Literal["sqlite", "postgresql"]


@runtime_checkable
class Store(Protocol):
    """A migrated governance database."""

    kind: StoreKind
    url: str
    engine: Engine

    def write(self) -> contextlib.AbstractContextManager[Connection]:
        """A transaction that may write; committed on exit (durably), rolled back on error."""
        ...

    def read(self) -> contextlib.AbstractContextManager[Connection]:
        """A read-only transaction (a consistent snapshot where the engine offers one)."""
        ...

    def migrate(self, target: int | None = None) -> int:
        """Upgrade the schema to `target` (default: latest); return the version now in force."""
        ...

    def schema_version(self) -> int: ...

    def close(self) -> None: ...


class SqlStore:
    """Behaviour shared by both implementations; subclasses build the engine and the lock."""

    kind: StoreKind
    url: str
    engine: Engine

    @contextlib.contextmanager
    def write(self) -> Iterator[Connection]:
        with self.engine.connect() as conn, conn.begin():
            yield conn

    @contextlib.contextmanager
    def read(self) -> Iterator[Connection]:
        with self.engine.connect() as conn, conn.begin():
            yield conn

    def _lock_migrations(self, conn: Connection) -> None:
        """Serialise schema upgrades between processes (engine-specific)."""

    def migrate(self, target: int | None = None) -> int:
        try:
            with self.write() as conn:
                self._lock_migrations(conn)
                return migrations.upgrade(conn, target)
        except SQLAlchemyError as exc:
            raise StoreError(f"cannot migrate the store at {self.safe_url}: {exc}") from exc

    def schema_version(self) -> int:
        with self.read() as conn:
            return migrations.current_version(conn)

    @property
    def safe_url(self) -> str:
        """The URL with any password hidden, for messages."""
        return self.engine.url.render_as_string(hide_password=True)

    def close(self) -> None:
        self.engine.dispose()
