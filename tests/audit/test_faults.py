"""A store that refuses writes must make the writer fail loudly (503), never drop records."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import event
from tests.pg import url_or_skip

from agadir.audit import AuditRecord, AuditUnavailableError, AuditWriter
from agadir.store import open_store

KEY = b"k" * 32


def test_read_only_sqlite_refuses_with_503(tmp_path):
    path = tmp_path / "agadir.db"
    open_store(f"sqlite:///{path}").close()
    read_only = open_store(f"sqlite:///file:{path}?mode=ro&uri=true", migrate=False)
    writer = AuditWriter(read_only, KEY)
    with pytest.raises(AuditUnavailableError) as info:
        asyncio.run(writer.append(AuditRecord("chat", 200)))
    assert info.value.status_code == 503 and "read-only" in info.value.message
    writer.close()
    read_only.close()


def test_full_disk_refuses_with_503_then_recovers(tmp_path):
    store = open_store(f"sqlite:///{tmp_path / 'agadir.db'}")
    writer = AuditWriter(store, KEY).start()
    writer.append_sync(AuditRecord("chat", 200))
    with store.read() as conn:
        pages = conn.exec_driver_sql("PRAGMA page_count").scalar()
    # Cap the database at its current size on the writer's pooled connections: SQLITE_FULL.
    with store.engine.connect() as conn:
        conn.exec_driver_sql(f"PRAGMA max_page_count = {pages}")
    big = AuditRecord("chat", 200, content={"request": "x" * 200_000})
    with pytest.raises(AuditUnavailableError) as info:
        writer.append_sync(big)
    assert "full" in info.value.message
    with store.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA max_page_count = 1073741823")
    writer.append_sync(big)  # space is back: the writer works again
    writer.close()
    store.close()


def test_read_only_postgres_refuses_with_503(tmp_path):
    store = open_store(url_or_skip("postgresql", tmp_path))
    writer = AuditWriter(store, KEY)
    store.engine.pool.dispose()

    @event.listens_for(store.engine, "connect")
    def _read_only(dbapi_conn, _record):
        dbapi_conn.execute("SET default_transaction_read_only = on")
        dbapi_conn.commit()

    with pytest.raises(AuditUnavailableError) as info:
        writer.append_sync(AuditRecord("chat", 200))
    assert "read-only" in info.value.message
    writer.close()
    store.close()
