"""Knowledge over HTTP under governance: access rules, search, grounded chat with citations,
erasure through the API, and the audit records they leave."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from agadir.config import Settings
from agadir.gateway.app import create_app
from agadir.gateway.knowledge.access import knowledge
from agadir.gateway.state import GatewayState
from agadir.store.schema import audit_log
from tests.knowledge.conftest import write

SOUSS = (
    "# Calendrier du Souss\n\nDans le Souss-Massa, les tomates sous serre sont plantées en "
    "août et septembre. La récolte des agrumes a lieu de novembre à avril. "
    "Les serres sont aérées le matin pour limiter les maladies.\n"
)
ONSSA = (
    "# الصحة النباتية\n\nيراقب المكتب الوطني للسلامة الصحية للمنتجات الغذائية (أونسا) "
    "استيراد النباتات والبذور. يجب أن ترافق كل شحنة شهادة صحة نباتية صادرة عن بلد المنشأ.\n"
)


@dataclass
class Api:
    client: httpx.AsyncClient
    state: GatewayState

    def key(self, tenant: str, scopes: str) -> dict[str, str]:
        gov = self.state.governance
        if tenant not in {t.name for t in gov.tenants.list()}:
            gov.tenants.create(tenant, pii_mode="off")
        return {"Authorization": f"Bearer {gov.keys.create(tenant, scopes).plaintext}"}

    def records(self) -> list[dict[str, object]]:
        with self.state.governance.store.read() as conn:
            rows = conn.execute(select(audit_log.c.body).order_by(audit_log.c.seq)).all()
        return [json.loads(r.body) for r in rows]


@pytest.fixture
async def api(settings: Settings, tmp_path: Path) -> AsyncIterator[Api]:
    app = create_app(settings, enable_echo=True)
    async with app.router.lifespan_context(app):
        state: GatewayState = app.state.agadir
        state.governance.tenants.create("coop", pii_mode="off")
        service = await knowledge(state)
        service.bases.create("agri", owner="coop", purpose="advice", legal_basis="public")
        write(tmp_path / "docs", "souss.md", SOUSS)
        write(tmp_path / "docs", "onssa.md", ONSSA)
        await service.ingestor.ingest_paths("agri", [tmp_path / "docs"], owner="coop")
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://agadir") as client:
            yield Api(client, state)


def ask(text: str, **extra: object) -> dict[str, object]:
    body: dict[str, object] = {"model": "echo", "knowledge_base": "agri", "temperature": 0}
    return {**body, "messages": [{"role": "user", "content": text}], **extra}


async def test_reader_lists_searches_and_sees_kb_models(api: Api) -> None:
    reader = api.key("coop", "chat,models:*,kb:agri")
    bases = (await api.client.get("/v1/knowledge", headers=reader)).json()["data"]
    assert [(b["name"], b["documents"], b["owner"]) for b in bases] == [("agri", 2, "coop")]
    models = (await api.client.get("/v1/models", headers=reader)).json()["data"]
    assert "kb:agri" in {m["id"] for m in models}
    r = await api.client.post(
        "/v1/knowledge/agri/search", json={"query": "شهادة صحة نباتية"}, headers=reader
    )
    assert r.status_code == 200
    hit = r.json()["data"][0]
    assert hit["document"] == "onssa.md" and "شهادة" in hit["text"]


async def test_no_scope_other_tenant_and_missing_base_get_the_same_403(api: Api) -> None:
    no_scope = api.key("coop", "chat,models:*")
    other = api.key("hotel", "chat,models:*,kb:*")
    answers = [
        await api.client.post("/v1/knowledge/agri/search", json={"query": "x"}, headers=no_scope),
        await api.client.post("/v1/knowledge/agri/search", json={"query": "x"}, headers=other),
        await api.client.post("/v1/knowledge/nope/search", json={"query": "x"}, headers=other),
        await api.client.post("/v1/chat/completions", json=ask("tomates"), headers=other),
    ]
    for r in answers:
        assert r.status_code == 403, r.text
        error = r.json()["error"]
        assert error["type"] == "permission_error"
        assert "souss" not in r.text.lower() and "onssa" not in r.text.lower()
    assert (await api.client.get("/v1/knowledge", headers=other)).json()["data"] == []


async def test_grounded_chat_returns_verified_citations(api: Api) -> None:
    reader = api.key("coop", "chat,models:*,kb:agri")
    r = await api.client.post(
        "/v1/chat/completions",
        json=ask("Quand plante-t-on les tomates dans le Souss ?"),
        headers=reader,
    )
    assert r.status_code == 200, r.text
    body = r.json()
    citations = body["citations"]
    assert citations and citations[0]["document"] == "souss.md"
    service = await knowledge(api.state)
    for c in citations:
        stored = service.docs.body(c["document_id"])
        assert stored is not None and stored[c["start"] : c["end"]] == c["quote"]
        assert c["page"] == 1 and c["kb"] == "agri"
    record = api.records()[-1]
    assert record["endpoint"] == "/v1/chat/completions" and record["chunks"]
    assert record["extra"]["kb"] == "agri"


async def test_streamed_grounded_chat_carries_citations_in_the_final_chunk(api: Api) -> None:
    reader = api.key("coop", "chat,models:*,kb:agri")
    async with api.client.stream(
        "POST", "/v1/chat/completions", json=ask("أونسا شهادة", stream=True), headers=reader
    ) as r:
        events = [line[6:] async for line in r.aiter_lines() if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    final = [c for c in chunks if c["choices"] and c["choices"][0]["finish_reason"]]
    assert final and final[0]["citations"][0]["document"] == "onssa.md"


async def test_a_question_nothing_supports_says_so_in_its_language(api: Api) -> None:
    reader = api.key("coop", "chat,models:*,kb:agri")
    r = await api.client.post(
        "/v1/chat/completions", json=ask("Quelle est la capitale du Japon ?"), headers=reader
    )
    body = r.json()
    assert r.status_code == 200
    assert body["citations"] == []
    assert "base de connaissances" in body["choices"][0]["message"]["content"]


async def test_erasure_over_http_needs_admin_and_is_audited(api: Api) -> None:
    reader = api.key("coop", "chat,models:*,kb:agri")
    admin = api.key("coop", "admin,kb:agri")
    docs = (await api.client.get("/v1/knowledge/agri/documents", headers=reader)).json()["data"]
    onssa = next(d for d in docs if d["name"] == "onssa.md")
    path = f"/v1/knowledge/agri/documents/{onssa['id']}"
    assert (await api.client.delete(path, headers=reader)).status_code == 403
    r = await api.client.delete(path, headers=admin)
    assert r.status_code == 200 and r.json()["deleted"] is True and r.json()["chunks_removed"] >= 1
    assert (await api.client.delete(path, headers=admin)).status_code == 404
    hits = await api.client.post(
        "/v1/knowledge/agri/search", json={"query": "شهادة صحة نباتية", "top_k": 10}, headers=reader
    )
    assert all(h["document"] != "onssa.md" for h in hits.json()["data"])
    record = api.records()[-3]
    assert record["extra"]["action"] == "erase_document"
    assert record["extra"]["document_id"] == onssa["id"]


async def test_upload_reports_each_file(api: Api) -> None:
    admin = api.key("coop", "admin,kb:agri")
    files = [
        ("files", ("dattes.md", b"# Dattes\n\nLa datte Mejhoul vient du Tafilalet.\n")),
        ("files", ("dattes.md", b"# Dattes bis\n\nAutre texte.\n")),
        ("files", ("junk.txt", bytes(range(256)) * 10)),
    ]
    r = await api.client.post("/v1/knowledge/agri/documents", files=files, headers=admin)
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["added"] == 1 and report["skipped"] == 2
    reasons = {f["name"]: f["reason"] for f in report["files"] if f["status"] == "skipped"}
    assert "duplicate" in reasons["dattes.md"] and reasons["junk.txt"]


async def test_deterministic_answers_are_cached_until_a_source_is_erased(api: Api) -> None:
    reader = api.key("coop", "chat,models:*,kb:agri")
    admin = api.key("coop", "admin,kb:agri")
    question = ask("Quand plante-t-on les tomates dans le Souss ?")
    first = await api.client.post("/v1/chat/completions", json=question, headers=reader)
    second = await api.client.post("/v1/chat/completions", json=question, headers=reader)
    assert first.json()["choices"] == second.json()["choices"]
    records = [r for r in api.records() if r["endpoint"] == "/v1/chat/completions"]
    assert "cached_answer" not in records[-2]["extra"] and records[-1]["extra"]["cached_answer"]
    with api.state.governance.store.read() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM kb_answers").scalar() == 1
    docs = (await api.client.get("/v1/knowledge/agri/documents", headers=reader)).json()["data"]
    for d in docs:
        await api.client.delete(f"/v1/knowledge/agri/documents/{d['id']}", headers=admin)
    with api.state.governance.store.read() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM kb_answers").scalar() == 0
        assert conn.exec_driver_sql("SELECT count(*) FROM kb_answer_sources").scalar() == 0


async def test_odd_upload_names_and_sizes_are_refused_per_file(api: Api) -> None:
    admin = api.key("coop", "admin,kb:agri")
    service = await knowledge(api.state)
    service.ingestor.limits = replace(service.ingestor.limits, max_file_bytes=2048)
    files = [
        ("files", ("..", b"# x\n\ntext\n")),
        ("files", ("big.md", b"# Big\n\n" + b"mot " * 1000)),
        ("files", ("ok.md", b"# Ok\n\nLe cumin de Taliouine.\n")),
    ]
    r = await api.client.post("/v1/knowledge/agri/documents", files=files, headers=admin)
    assert r.status_code == 200, r.text
    outcome = {f["name"]: f for f in r.json()["files"]}
    assert outcome["ok.md"]["status"] == "added"
    assert "max_file_bytes" in outcome["big.md"]["reason"]
    assert any("file name" in (f.get("reason") or "") for f in r.json()["files"])


async def test_other_tenants_admin_gets_one_403_and_kb_models_resolve(api: Api) -> None:
    stranger = api.key("hotel", "admin,chat,models:*,kb:*")
    for path in ("/v1/knowledge/agri", "/v1/knowledge/nope"):
        r = await api.client.delete(path, headers=stranger)
        assert r.status_code == 403, (path, r.text)
    reader = api.key("coop", "chat,models:*,kb:agri")
    card = (await api.client.get("/v1/models/kb:agri", headers=reader)).json()
    assert card["id"] == "kb:agri" and card["owned_by"] == "knowledge"
    assert (await api.client.get("/v1/models/kb:agri", headers=stranger)).status_code == 404


async def test_a_recreated_base_never_serves_the_old_one(api: Api, tmp_path: Path) -> None:
    reader = api.key("coop", "chat,models:*,kb:agri")
    search = {"query": "tomates serre Souss", "top_k": 3}
    before = await api.client.post("/v1/knowledge/agri/search", json=search, headers=reader)
    assert before.json()["data"]
    service = await knowledge(api.state)
    await service.erase("agri")
    service.bases.create("agri", owner="coop", purpose="advice", legal_basis="public")
    write(tmp_path / "new", "dattes.md", "# Dattes\n\nLa datte Mejhoul du Tafilalet.\n")
    await service.ingestor.ingest_paths("agri", [tmp_path / "new"], owner="coop")
    after = await api.client.post("/v1/knowledge/agri/search", json=search, headers=reader)
    assert [h["document"] for h in after.json()["data"]] == ["dattes.md"]
