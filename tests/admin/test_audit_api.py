"""`/admin/audit/verify`, the audit tail with its filters, and usage totals per tenant."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from agadir.audit import AuditRecord, AuditWriter, load_or_create_key
from agadir.gateway.admin import audit_queries
from agadir.store import open_store
from agadir.store.schema import audit_log
from agadir.store.testing import store_url
from tests.admin.conftest import CHAT, Admin, auth, chat


async def key_for(admin: Admin, tenant: str, audit_content: str = "hash") -> str:
    r = await admin.post("/admin/tenants", {"name": tenant, "audit_content": audit_content})
    assert r.status_code == 201, r.text
    r = await admin.post("/admin/keys", {"tenant": tenant, "scopes": "chat,models:echo"})
    return str(r.json()["key"])


async def test_verify_reports_an_intact_chain_then_names_the_edited_record(admin: Admin) -> None:
    key = await key_for(admin, "coop")
    for _ in range(3):
        await admin.client.post(CHAT, json=chat(), headers=auth(key))
    report = (await admin.get("/admin/audit/verify")).json()
    assert report["ok"] is True and report["broken_seq"] is None and report["reason"] is None
    assert report["records"] >= 6 and report["last_seq"] == report["records"]
    with admin.state.governance.store.write() as conn:
        conn.execute(
            update(audit_log).where(audit_log.c.seq == 3).values(body=audit_log.c.body + " ")
        )
    broken = (await admin.get("/admin/audit/verify")).json()
    assert broken["ok"] is False and broken["broken_seq"] == 3 and "modified" in broken["reason"]


async def test_tail_is_newest_first_and_filters(admin: Admin) -> None:
    coop, bank = await key_for(admin, "coop"), await key_for(admin, "bank")
    for _ in range(3):
        await admin.client.post(CHAT, json=chat(), headers=auth(coop))
    await admin.client.post(CHAT, json=chat(), headers=auth(bank))

    everything = (await admin.get("/admin/audit")).json()
    seqs = [r["seq"] for r in everything["data"]]
    assert seqs == sorted(seqs, reverse=True) and everything["next_before"] is None
    assert all(len(r["hash"]) == 64 for r in everything["data"])

    coop_only = (await admin.get("/admin/audit", tenant="coop", kind="request")).json()["data"]
    assert len(coop_only) == 3 and {r["tenant"] for r in coop_only} == {"coop"}

    page = (await admin.get("/admin/audit", tenant="coop", limit=2)).json()
    assert len(page["data"]) == 2 and page["next_before"] == page["data"][-1]["seq"]
    rest = (await admin.get("/admin/audit", tenant="coop", before=page["next_before"])).json()
    assert len(rest["data"]) == 1 and rest["next_before"] is None

    admin_calls = (await admin.get("/admin/audit", kind="admin")).json()["data"]
    created = [r for r in admin_calls if r.get("extra", {}).get("action") == "keys.create"]
    assert {r["extra"]["tenant"] for r in created} == {"coop", "bank"}
    assert all(len(r["extra"]["key_id"]) == 12 for r in created)

    future = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    assert (await admin.get("/admin/audit", since=future)).json()["data"] == []
    assert len((await admin.get("/admin/audit", until="1h")).json()["data"]) == 0
    too_many = await admin.get("/admin/audit", limit=100_000)
    assert too_many.status_code == 422
    bad = await admin.get("/admin/audit", since="yesterday")
    assert bad.status_code == 400 and "24h" in bad.json()["error"]["message"]


async def test_usage_counts_requests_tokens_and_errors_per_tenant(admin: Admin) -> None:
    coop, bank = await key_for(admin, "coop"), await key_for(admin, "bank")
    answers = [await admin.client.post(CHAT, json=chat("one two"), headers=auth(coop))]
    answers.append(await admin.client.post(CHAT, json=chat("three"), headers=auth(coop)))
    denied = await admin.client.post(
        CHAT, json=chat(model="smollm2-135m-instruct"), headers=auth(coop)
    )
    assert denied.status_code == 403
    answers.append(await admin.client.post(CHAT, json=chat("four"), headers=auth(bank)))
    await admin.client.post(CHAT, json=chat())  # no key: counted under tenant null

    usage = (await admin.get("/admin/usage", since="1h")).json()
    rows = {row["tenant"]: row for row in usage["data"]}
    assert list(rows) == ["bank", "coop", None]
    expected_prompt = sum(a.json()["usage"]["prompt_tokens"] for a in answers[:2])
    expected_completion = sum(a.json()["usage"]["completion_tokens"] for a in answers[:2])
    assert rows["coop"] == {
        "tenant": "coop",
        "requests": 3,
        "errors": 1,
        "prompt_tokens": expected_prompt,
        "completion_tokens": expected_completion,
        "total_tokens": expected_prompt + expected_completion,
    }
    assert rows["bank"]["requests"] == 1 and rows["bank"]["errors"] == 0
    assert rows[None]["requests"] == 1 and rows[None]["errors"] == 1
    assert (await admin.get("/admin/usage", since="2999-01-01")).json()["data"] == []


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_usage_and_tail_sql_on_both_stores(kind: str, tmp_path: Path) -> None:
    url = store_url(kind, tmp_path)
    if url is None:
        pytest.skip("PostgreSQL unavailable: pip install 'agadir[postgres]' (pgserver)")
    store = open_store(url)
    writer = AuditWriter(store, load_or_create_key(tmp_path)).start()
    try:
        now = datetime.now(UTC)
        old = (now - timedelta(days=3)).timestamp()
        records = [
            AuditRecord(
                "/v1/chat/completions", 200, "a", "k1", prompt_tokens=5, completion_tokens=7
            ),
            AuditRecord("/v1/chat/completions", 429, "a", "k1", error_type="rate_limit_exceeded"),
            AuditRecord("/v1/embeddings", 200, "b", "k2", prompt_tokens=11),
            AuditRecord("/v1/chat/completions", 200, "b", "k2", prompt_tokens=100, ts=old),
            AuditRecord("/admin/tenants", 201, "admin", "k0", kind="admin"),
        ]
        for record in records:
            writer.append_sync(record)
        rows = audit_queries.usage(store, since=now - timedelta(days=1))
        assert rows == [
            audit_queries.UsageRow("a", requests=2, errors=1, prompt_tokens=5, completion_tokens=7),
            audit_queries.UsageRow(
                "b", requests=1, errors=0, prompt_tokens=11, completion_tokens=0
            ),
        ]
        week = audit_queries.usage(
            store, since=now - timedelta(days=7), until=now - timedelta(days=2)
        )
        assert week == [audit_queries.UsageRow("b", 1, 0, 100, 0)]
        tail, more = audit_queries.tail(store, limit=2, tenant="b")
        assert [r["seq"] for r in tail] == [4, 3] and more is None
        tail, more = audit_queries.tail(store, limit=1, kind="admin")
        assert tail[0]["tenant"] == "admin" and more is None
    finally:
        writer.close()
        store.close()
