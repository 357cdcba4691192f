"""The scale-out store: PostgreSQL through psycopg 3, shared by several gateway replicas.

Durability comes from PostgreSQL itself (`synchronous_commit=on`, the default: COMMIT returns
once the WAL is flushed). Cross-process coordination uses the database: a transaction-scoped
advisory lock for migrations, row locks (`FOR UPDATE`) for the audit chain head, and atomic
single-statement updates for quota buckets.
"""

from __future__ import annotations

from sqlalchemy import Connection, create_engine, text

from agadir.store.base import SqlStore, StoreKind

# An arbitrary constant naming Agadir's migration lock among advisory locks.
_MIGRATION_LOCK = 0x4A6164_6972


class PostgresStore(SqlStore):
    """PostgreSQL with a connection pool sized for a gateway worker and its audit writer."""

    kind: StoreKind = "postgresql"

    def __init__(self, url: str, *, pool_size: int = 8) -> None:
        if url.startswith("postgresql://") or url.startswith("postgres://"):
            url = "postgresql+psycopg://" + url.split("://", 1)[1]
        self.url = url
        self.engine = create_engine(
            url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True
        )

    def _lock_migrations(self, conn: Connection) -> None:
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _MIGRATION_LOCK})
