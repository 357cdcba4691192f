from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import orjson
import pytest
from sqlalchemy import text

from agadir.audit import (
    AuditChain,
    AuditRecord,
    AuditWriter,
    content_for,
    export_jsonl,
    purge,
)
from agadir.audit.signing import content_key

KEY = bytes(range(32))


def _fill(store, n: int = 20, start: float = 1_700_000_000.0) -> None:
    writer = AuditWriter(store, KEY).start()
    for i in range(n):
        tenant = "acme" if i % 2 else "beta"
        writer.append_sync(AuditRecord("chat", 200, tenant=tenant, key_id="k1", ts=start + i))
    writer.close()


def _verify(store):
    return AuditChain(store, KEY).verify()


def test_group_commit_batches_concurrent_appends(store):
    writer = AuditWriter(store, KEY).start()

    async def burst() -> list[int]:
        records = [AuditRecord("chat", 200, tenant="acme") for _ in range(300)]
        return await asyncio.gather(*(writer.append(r) for r in records))

    seqs = asyncio.run(burst())
    writer.close()
    assert sorted(seqs) == list(range(1, 301))
    assert writer.stats.records == 300
    assert writer.stats.commits < 300 / 5  # many records per transaction (one fsync each)
    with store.read() as conn:  # durable: visible to a fresh connection after the await
        assert conn.execute(text("SELECT count(*) FROM audit_log")).scalar() == 300
    report = _verify(store)
    assert report.ok and report.records == 300


def test_untouched_chain_verifies(store):
    _fill(store)
    report = _verify(store)
    assert report.ok and (report.first_seq, report.last_seq) == (1, 20)


TAMPERS = {
    "edit_body": [
        "UPDATE audit_log SET body = replace(body, '\"status\":200', '\"status\":500') "
        "WHERE seq = 7"
    ],
    "edit_column": ["UPDATE audit_log SET tenant = 'other' WHERE seq = 7"],
    "delete": ["DELETE FROM audit_log WHERE seq = 7"],
    "reorder": [  # swap records 7 and 8 (via negative seqs: the primary key stays unique)
        "UPDATE audit_log SET seq = -seq WHERE seq IN (7, 8)",
        "UPDATE audit_log SET seq = CASE seq WHEN -7 THEN 8 ELSE 7 END WHERE seq IN (-7, -8)",
    ],
    "insert": [  # a copy of record 7 inserted before it, later records renumbered
        "UPDATE audit_log SET seq = -(seq + 1) WHERE seq >= 7",
        "UPDATE audit_log SET seq = -seq WHERE seq < 0",
        "INSERT INTO audit_log SELECT 7, ts, kind, tenant, key_id, body, prev_hash, hash "
        "FROM audit_log WHERE seq = 8",
    ],
}


@pytest.mark.parametrize("how", sorted(TAMPERS))
def test_tampering_is_caught_at_the_first_broken_record(store, how):
    _fill(store)
    with store.write() as conn:
        for statement in TAMPERS[how]:
            conn.exec_driver_sql(statement)
    report = _verify(store)
    assert not report.ok
    assert report.broken_seq in (7, 8), report
    assert report.reason


def test_recomputed_hashes_still_fail_on_the_signed_head(store):
    """An attacker who rewrites a record and re-links every later hash is caught by the head."""
    from agadir.audit.chain import link

    _fill(store, 5)
    with store.write() as conn:
        rows = conn.execute(text("SELECT seq, body, prev_hash FROM audit_log ORDER BY seq")).all()
        prev = rows[0].prev_hash
        for seq, body, _ in rows:
            if seq == 3:
                body = body.replace('"status":200', '"status":403')
            digest = link(prev, body.encode())
            conn.execute(
                text("UPDATE audit_log SET body=:b, prev_hash=:p, hash=:h WHERE seq=:s"),
                {"b": body, "p": prev, "h": digest, "s": seq},
            )
            prev = digest
        conn.execute(text("UPDATE audit_head SET hash = :h"), {"h": prev})
    report = _verify(store)
    assert not report.ok and "signature" in (report.reason or "")


def test_truncated_tail_and_deleted_prefix_are_caught(store):
    _fill(store, 10)
    with store.write() as conn:
        conn.execute(text("DELETE FROM audit_log WHERE seq >= 9"))
    assert "head" in (_verify(store).reason or "")
    with store.write() as conn:
        conn.execute(text("DELETE FROM audit_log WHERE seq <= 2"))
    report = _verify(store)
    assert not report.ok and report.broken_seq == 3


def test_purge_writes_a_checkpoint_that_keeps_the_chain_valid(store):
    _fill(store, 20, start=1_700_000_000.0)
    result = purge(store, KEY, timedelta(seconds=10), now=1_700_000_000.0 + 20)
    assert result.purged == 10 and result.purged_through == 10
    report = _verify(store)
    assert report.ok and report.first_seq == 11 and report.records == 11  # 10 kept + checkpoint
    # A forged checkpoint (edited without the key) is refused.
    with store.write() as conn:
        conn.exec_driver_sql(
            "UPDATE audit_log SET body = replace(body, '\"purged\":10', '\"purged\":9') "
            "WHERE kind = 'checkpoint'"
        )
    assert not _verify(store).ok


def test_purge_with_nothing_old_is_a_no_op(store):
    _fill(store, 3, start=1_700_000_000.0)
    assert purge(store, KEY, timedelta(days=1), now=1_700_000_010.0).purged == 0
    assert _verify(store).records == 3


def test_export_filters_and_lines_rehash(store):
    _fill(store, 10, start=1_700_000_000.0)
    since = datetime.fromtimestamp(1_700_000_002, UTC)
    until = datetime.fromtimestamp(1_700_000_008, UTC)
    lines = list(export_jsonl(store, since=since, until=until, tenant="acme"))
    records = [orjson.loads(line) for line in lines]
    assert [r["seq"] for r in records] == [4, 6, 8]
    from agadir.audit.chain import canonical, link

    for record in records:
        digest, prev = record.pop("hash"), record.pop("prev_hash")
        assert link(prev, canonical(record)) == digest


def test_content_policy():
    import hashlib
    import hmac

    key = content_key(KEY)
    assert content_for("none", "a", "b", key) is None
    hashed = content_for("hash", "salam", None, key)
    assert hashed == {"request_hmac": hmac.new(key, b"salam", hashlib.sha256).hexdigest()}
    assert hashed["request_hmac"] != hashlib.sha256(b"salam").hexdigest()  # keyed, not bare
    assert content_for("hash", "salam", None, content_key(b"other" * 8)) != hashed
    assert content_for("full", "a", "b", key) == {"request": "a", "response": "b"}


def test_a_deleted_chain_head_is_reported_not_raised(store):
    _fill(store, 4)
    with store.write() as conn:
        conn.execute(text("DELETE FROM audit_head"))
    report = _verify(store)
    assert not report.ok and report.records == 4 and report.broken_seq is None
    assert "head is missing" in (report.reason or "")
