"""Ordered schema migrations with a `schema_version` table.

Each step is frozen once released: it carries its own table definitions (never the live ones in
`schema`) so that replaying step 1 on a new database gives exactly what version 1 shipped, and
later steps upgrade it. Steps run in one transaction each; the caller holds the store's
migration lock so two gateway replicas starting together do not race.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Double,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Table,
    Text,
    inspect,
    select,
    text,
)
from sqlalchemy.exc import DBAPIError

from agadir.store import schema
from agadir.store.errors import SchemaTooNewError

Step = Callable[[Connection], None]


def _v1_tenants_and_keys(conn: Connection) -> None:
    md = MetaData()
    Table(
        "tenants",
        md,
        Column("name", Text, primary_key=True),
        Column("created_at", Double, nullable=False),
        Column("disabled_at", Double, nullable=True),
        Column("audit_content", Text, nullable=False),
        Column("pii_mode", Text, nullable=False),
        Column("pseudonym_secret", Text, nullable=False),
        Column("rpm", Integer, nullable=True),
        Column("tpm", Integer, nullable=True),
        Column("tpd", Integer, nullable=True),
    )
    Table(
        "api_keys",
        md,
        Column("id", Text, primary_key=True),
        Column("tenant", Text, ForeignKey("tenants.name"), nullable=False, index=True),
        Column("salt", LargeBinary, nullable=False),
        Column("digest", LargeBinary, nullable=False),
        Column("scopes", Text, nullable=False),
        Column("label", Text, nullable=True),
        Column("created_at", Double, nullable=False),
        Column("expires_at", Double, nullable=True),
        Column("revoked_at", Double, nullable=True),
        Column("rotated_from", Text, nullable=True),
    )
    md.create_all(conn)


def _v2_key_limits_and_buckets(conn: Connection) -> None:
    for column in ("rpm", "tpm", "tpd"):
        conn.execute(text(f"ALTER TABLE api_keys ADD COLUMN {column} INTEGER"))
    md = MetaData()
    Table(
        "quota_buckets",
        md,
        Column("subject", Text, primary_key=True),
        Column("capacity", Double, nullable=False),
        Column("rate", Double, nullable=False),
        Column("level", Double, nullable=False),
        Column("updated", Double, nullable=False),
    )
    md.create_all(conn)


def _v3_audit(conn: Connection) -> None:
    md = MetaData()
    log = Table(
        "audit_log",
        md,
        Column("seq", BigInteger, primary_key=True, autoincrement=False),
        Column("ts", Double, nullable=False),
        Column("kind", Text, nullable=False),
        Column("tenant", Text, nullable=True),
        Column("key_id", Text, nullable=True),
        Column("body", Text, nullable=False),
        Column("prev_hash", Text, nullable=False),
        Column("hash", Text, nullable=False),
    )
    Index("ix_audit_log_ts", log.c.ts)
    Index("ix_audit_log_tenant", log.c.tenant)
    head = Table(
        "audit_head",
        md,
        Column("id", Integer, primary_key=True, autoincrement=False),
        Column("seq", BigInteger, nullable=False),
        Column("hash", Text, nullable=False),
        Column("signature", Text, nullable=False),
    )
    md.create_all(conn)
    # The single head row exists from the start so that concurrent writers (replicas) can always
    # lock it; seq 0 with the genesis hash means "empty chain".
    conn.execute(head.insert().values(id=1, seq=0, hash="0" * 64, signature=""))


def _v4_knowledge(conn: Connection) -> None:
    md = MetaData()
    tenants = Table("tenants", md, Column("name", Text, primary_key=True))  # exists since v1
    Table(
        "kb_bases",
        md,
        Column("name", Text, primary_key=True),
        Column("owner", Text, ForeignKey("tenants.name"), nullable=False, index=True),
        Column("title", Text, nullable=False),
        Column("purpose", Text, nullable=False),
        Column("legal_basis", Text, nullable=False),
        Column("retention_days", Integer, nullable=False),
        Column("readers", Text, nullable=False),
        Column("created_at", Double, nullable=False),
        Column("generation", BigInteger, nullable=False),
    )
    Table(
        "kb_documents",
        md,
        Column("id", Text, primary_key=True),
        Column("kb", Text, ForeignKey("kb_bases.name"), nullable=False, index=True),
        Column("name", Text, nullable=False),
        Column("source", Text, nullable=False),
        Column("sha256", Text, nullable=False),
        Column("licence", Text, nullable=True),
        Column("owner", Text, nullable=False),
        Column("format", Text, nullable=False),
        Column("title", Text, nullable=True),
        Column("pages", Integer, nullable=False),
        Column("body", Text, nullable=False),
        Column("added_at", Double, nullable=False),
    )
    Table(
        "kb_chunks",
        md,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("document_id", Text, ForeignKey("kb_documents.id"), nullable=False, index=True),
        Column("kb", Text, nullable=False, index=True),
        Column("seq", Integer, nullable=False),
        Column("page", Integer, nullable=False),
        Column("start", Integer, nullable=False),
        Column("end", Integer, nullable=False),
        Column("terms", Text, nullable=False),
        Column("vector", LargeBinary, nullable=False),
        sqlite_autoincrement=True,  # a chunk id is never reused after an erasure
    )
    Table(
        "kb_answers",
        md,
        Column("key", Text, primary_key=True),
        Column("kb", Text, nullable=False, index=True),
        Column("answer", Text, nullable=False),
        Column("created_at", Double, nullable=False),
    )
    Table(
        "kb_answer_sources",
        md,
        Column("answer_key", Text, ForeignKey("kb_answers.key"), primary_key=True),
        Column("document_id", Text, primary_key=True, index=True),
    )
    md.create_all(conn, tables=[t for t in md.sorted_tables if t is not tenants])
    # The BM25 index is engine-specific. SQLite: an FTS5 table keyed by chunk id whose second
    # column holds one opaque token per base (`kb_token`), so the knowledge-base filter is a
    # column filter answered by the index inside the MATCH (reading an unindexed column would
    # cost a row lookup per candidate). PostgreSQL: a generated tsvector column ('simple'
    # config: our analyser already folded and stemmed the terms) with a GIN index.
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(
            "CREATE VIRTUAL TABLE kb_chunks_fts USING fts5("
            "terms, kbtoken, tokenize = 'unicode61 remove_diacritics 2')"
        )
    else:
        conn.exec_driver_sql(
            "ALTER TABLE kb_chunks ADD COLUMN tsv tsvector "
            "GENERATED ALWAYS AS (to_tsvector('simple', terms)) STORED"
        )
        conn.exec_driver_sql("CREATE INDEX ix_kb_chunks_tsv ON kb_chunks USING gin (tsv)")
        _pgvector_column(conn)


def _pgvector_column(conn: Connection) -> None:
    """Add `kb_chunks.embedding vector(512)` when pgvector can be enabled; otherwise leave the
    vectors in `bytea` only (dense search then runs in the gateway, as on SQLite).

    The extension goes in `public` so that every schema of the database (tests use one schema
    each) finds the same type. A role that may not create it is not an error: the savepoint
    is rolled back and the column skipped.
    """
    try:
        with conn.begin_nested():
            conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS vector SCHEMA public")
    except DBAPIError:  # no pgvector here, or no right to enable it: an optional feature
        return
    conn.exec_driver_sql("ALTER TABLE kb_chunks ADD COLUMN embedding public.vector(512)")


STEPS: tuple[Step, ...] = (
    _v1_tenants_and_keys,
    _v2_key_limits_and_buckets,
    _v3_audit,
    _v4_knowledge,
)
LATEST = len(STEPS)


def current_version(conn: Connection) -> int:
    """The highest applied step, 0 for an empty database."""
    if not inspect(conn).has_table("schema_version"):
        return 0
    value = conn.execute(
        select(schema.schema_version.c.version)
        .order_by(schema.schema_version.c.version.desc())
        .limit(1)
    ).scalar()
    return int(value or 0)


def upgrade(conn: Connection, target: int | None = None) -> int:
    """Apply missing steps up to `target` (default: latest) inside the caller's transaction."""
    goal = LATEST if target is None else target
    if not inspect(conn).has_table("schema_version"):
        schema.schema_version.create(conn)
    version = current_version(conn)
    if version > LATEST:
        raise SchemaTooNewError(
            f"the database is at schema version {version} but this Agadir knows up to {LATEST}; "
            "upgrade Agadir (or point database_url at another database)."
        )
    for number in range(version + 1, goal + 1):
        STEPS[number - 1](conn)
        conn.execute(schema.schema_version.insert().values(version=number, applied_at=time.time()))
    return max(version, goal)
