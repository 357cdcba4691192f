from __future__ import annotations

import pytest
from sqlalchemy import inspect, select, text

from agadir.governance import KeyService
from agadir.governance.keys import hash_secret
from agadir.store import LATEST_SCHEMA_VERSION, SchemaTooNewError, open_store
from agadir.store.schema import metadata


def test_fresh_store_is_at_latest_version(store):
    assert store.schema_version() == LATEST_SCHEMA_VERSION


@pytest.mark.filterwarnings("ignore:Did not recognize type 'public.vector'")
def test_migrated_schema_matches_the_tables_queries_use(store):
    with store.read() as conn:
        inspector = inspect(conn)
        for table in metadata.sorted_tables:
            columns = {c["name"] for c in inspector.get_columns(table.name)}
            if store.kind == "postgresql" and table.name == "kb_chunks":
                columns -= {"tsv", "embedding"}  # full-text and pgvector columns, PostgreSQL only
            assert columns == {c.name for c in table.columns}, table.name


def test_knowledge_full_text_index_exists(store):
    with store.read() as conn:
        if store.kind == "sqlite":
            assert inspect(conn).has_table("kb_chunks_fts")
        else:
            assert "tsv" in {c["name"] for c in inspect(conn).get_columns("kb_chunks")}


def test_upgrade_from_version_1_keeps_data(url):
    old = open_store(url, migrate=False)
    assert old.migrate(target=1) == 1
    salt, secret = b"s" * 16, "x" * 43
    with old.write() as conn:
        conn.execute(
            text(
                "INSERT INTO tenants (name, created_at, audit_content, pii_mode, pseudonym_secret)"
                " VALUES ('old', 1.0, 'hash', 'mask', 'ab')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO api_keys (id, tenant, salt, digest, scopes, created_at) "
                "VALUES ('0123456789ab', 'old', :salt, :digest, 'chat', 1.0)"
            ),
            {"salt": salt, "digest": hash_secret(salt, secret)},
        )
        assert not inspect(conn).has_table("audit_log")
    old.close()

    upgraded = open_store(url)
    assert upgraded.schema_version() == LATEST_SCHEMA_VERSION
    principal = KeyService(upgraded).authenticate(f"agk_0123456789ab_{secret}")
    assert principal.tenant.name == "old"
    assert principal.limits.rpm is None  # column added by step 2, NULL for old rows
    with upgraded.read() as conn:
        assert conn.execute(text("SELECT seq FROM audit_head")).scalar() == 0
    upgraded.close()


def test_migrating_twice_is_a_no_op(url):
    first = open_store(url)
    first.close()
    second = open_store(url)
    with second.read() as conn:
        from agadir.store.schema import schema_version

        versions = conn.execute(select(schema_version.c.version)).scalars().all()
    assert sorted(versions) == list(range(1, LATEST_SCHEMA_VERSION + 1))
    second.close()


def test_refuses_a_database_from_a_newer_agadir(store, url):
    with store.write() as conn:
        conn.execute(text("INSERT INTO schema_version VALUES (999, 0.0)"))
    try:
        open_store(url)
    except SchemaTooNewError as exc:
        assert "999" in exc.message
    else:
        raise AssertionError("a too-new schema was accepted")


def test_sqlite_is_wal_with_full_sync(tmp_path):
    store = open_store(f"sqlite:///{tmp_path / 'x.db'}")
    with store.read() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
    store.close()


def test_unknown_url_scheme_says_what_to_use():
    from agadir.store import StoreError

    try:
        open_store("mysql://x/y")
    except StoreError as exc:
        assert "sqlite:///" in exc.message
    else:
        raise AssertionError("mysql accepted")
