"""No content can fail a batch: a record that cannot be encoded goes in repaired and marked,
the records beside it go in untouched, and the chain verifies (both stores)."""

from __future__ import annotations

import orjson
from sqlalchemy import select

from agadir.audit import AuditChain, AuditRecord, PendingContent
from agadir.audit.sqlite_batch import batch_committer
from agadir.store.schema import audit_log

KEY = bytes(range(32))


class Unencodable:
    def __repr__(self) -> str:
        return "Unencodable()"


def test_poisoned_records_are_salvaged_and_their_batch_commits(store):
    commit = batch_committer(store, KEY)
    batch = [
        AuditRecord("chat", 200, tenant="victim", content=PendingContent("full", "salam", "ok")),
        AuditRecord("chat", 200, tenant="p", content=PendingContent("full", "a\ud800b", None)),
        AuditRecord("chat", 200, tenant="p", content=PendingContent("hash", "a\udfffb", None)),
        AuditRecord("chat", 200, tenant="p", extra={"x": Unencodable(), 3: "\ud800"}),
        AuditRecord("chat", 200, tenant="p", content=PendingContent("hash", b"bytes", None)),  # type: ignore[arg-type]
        AuditRecord("chat", 200, tenant="victim", content=PendingContent("full", "bye", "ok")),
    ]
    assert commit(batch) == [1, 2, 3, 4, 5, 6]
    report = AuditChain(store, KEY).verify()
    assert report.ok and report.records == 6, report
    with store.read() as conn:
        rows = conn.execute(select(audit_log.c.body).order_by(audit_log.c.seq)).all()
    bodies = [orjson.loads(r.body) for r in rows]
    assert bodies[0]["content"] == {"request": "salam", "response": "ok"}
    assert "salvaged" not in bodies[0] and "salvaged" not in bodies[5]
    assert bodies[1]["salvaged"]  # names the error (orjson: a TypeError)
    assert bodies[1]["content"] == {"request": "a\\ud800b"}
    assert set(bodies[2]["content"]) == {"request_hmac"} and "salvaged" not in bodies[2]
    assert bodies[3]["extra"] == {"x": "Unencodable()", "3": "\\ud800"}
    assert bodies[4]["content"] == {"unrecordable": True} and bodies[4]["salvaged"]
