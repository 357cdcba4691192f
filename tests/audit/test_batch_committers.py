"""The writer process's committers: same chain as `commit_batch`, same 503s, and recovery."""

from __future__ import annotations

import hashlib
import hmac

import orjson
import pytest
from sqlalchemy import select

from agadir.audit import AuditChain, AuditRecord, AuditUnavailableError, PendingContent
from agadir.audit.batch import commit_batch
from agadir.audit.signing import content_key
from agadir.audit.sqlite_batch import SqliteBatchCommitter, batch_committer
from agadir.store import open_store
from agadir.store.schema import audit_log

KEY = bytes(range(32))


def test_batches_chain_with_the_shared_path_and_verify(store):
    commit = batch_committer(store, KEY)
    first = commit([AuditRecord("chat", 200, tenant="acme") for _ in range(3)])
    middle = commit_batch(store, KEY, [AuditRecord("chat", 429, tenant="acme")])
    pending = PendingContent("hash", "salam", None)
    last = commit([AuditRecord("chat", 200, tenant="beta", content=pending), *[]])
    assert first == [1, 2, 3] and middle == [4] and last == [5]
    assert commit([]) == []  # nothing to write: no seq used
    report = AuditChain(store, KEY).verify()
    assert report.ok and report.records == 5, report
    with store.read() as conn:
        body = orjson.loads(
            conn.execute(select(audit_log.c.body).where(audit_log.c.seq == 5)).one()[0]
        )
    keyed = hmac.new(content_key(KEY), b"salam", hashlib.sha256).hexdigest()
    assert body["content"] == {"request_hmac": keyed}


def test_a_full_database_is_a_503_then_the_next_batch_recovers(tmp_path):
    store = open_store(f"sqlite:///{tmp_path / 'agadir.db'}")
    committer = SqliteBatchCommitter(store, KEY)
    committer.commit([AuditRecord("chat", 200)])
    driver = committer._driver()
    pages = driver.execute("PRAGMA page_count").fetchone()[0]
    driver.execute(f"PRAGMA max_page_count = {pages}")  # this connection can grow no more
    big = AuditRecord("chat", 200, content={"request": "x" * 200_000})
    with pytest.raises(AuditUnavailableError) as info:
        committer.commit([big])
    assert info.value.status_code == 503 and "full" in info.value.message
    assert committer.commit([big]) == [2]  # the failed batch took no seq; a new connection
    assert AuditChain(store, KEY).verify().ok
    committer.close()
    store.close()


def test_a_read_only_database_is_a_503(tmp_path):
    path = tmp_path / "agadir.db"
    open_store(f"sqlite:///{path}").close()
    read_only = open_store(f"sqlite:///file:{path}?mode=ro&uri=true", migrate=False)
    with pytest.raises(AuditUnavailableError) as info:
        SqliteBatchCommitter(read_only, KEY).commit([AuditRecord("chat", 200)])
    assert "read-only" in info.value.message
    read_only.close()
