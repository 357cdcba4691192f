"""The current shape of the governance tables, as SQLAlchemy Core objects used by queries.

This module describes the schema *after* every migration; it never creates tables. The DDL that
gets a database here lives in `migrations`, one frozen step per version, so an old database is
upgraded step by step. A test reflects a migrated database and compares it with these tables.

Times are float seconds since the epoch (UTC): portable across SQLite and PostgreSQL, cheap to
compare, and exact enough (microseconds) for audit ordering, which relies on `seq`, not time.
Knowledge-base tables (version 4) are here too; their full-text index is engine-specific DDL
(FTS5 on SQLite, a tsvector column on PostgreSQL) created by the migration, not by this metadata.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Double,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    Table,
    Text,
)

metadata = MetaData()

schema_version = Table(
    "schema_version",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("applied_at", Double, nullable=False),
)

tenants = Table(
    "tenants",
    metadata,
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

api_keys = Table(
    "api_keys",
    metadata,
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
    Column("rpm", Integer, nullable=True),
    Column("tpm", Integer, nullable=True),
    Column("tpd", Integer, nullable=True),
)

quota_buckets = Table(
    "quota_buckets",
    metadata,
    Column("subject", Text, primary_key=True),
    Column("capacity", Double, nullable=False),
    Column("rate", Double, nullable=False),
    Column("level", Double, nullable=False),
    Column("updated", Double, nullable=False),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("ts", Double, nullable=False, index=True),
    Column("kind", Text, nullable=False),
    Column("tenant", Text, nullable=True, index=True),
    Column("key_id", Text, nullable=True),
    Column("body", Text, nullable=False),
    Column("prev_hash", Text, nullable=False),
    Column("hash", Text, nullable=False),
)

audit_head = Table(
    "audit_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("seq", BigInteger, nullable=False),
    Column("hash", Text, nullable=False),
    Column("signature", Text, nullable=False),
)

kb_bases = Table(
    "kb_bases",
    metadata,
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

kb_documents = Table(
    "kb_documents",
    metadata,
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

kb_chunks = Table(
    "kb_chunks",
    metadata,
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

kb_answers = Table(
    "kb_answers",
    metadata,
    Column("key", Text, primary_key=True),
    Column("kb", Text, nullable=False, index=True),
    Column("answer", Text, nullable=False),
    Column("created_at", Double, nullable=False),
)

kb_answer_sources = Table(
    "kb_answer_sources",
    metadata,
    Column("answer_key", Text, ForeignKey("kb_answers.key"), primary_key=True),
    Column("document_id", Text, primary_key=True, index=True),
)
