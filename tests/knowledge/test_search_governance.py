"""Knowledge search passes the same admission as generation: quota and rate (429), the tenant's
PII policy on the query (block: 400, mask: the audit never sees the value), and content hashed
with the audit key in `hash` mode."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from agadir.audit.signing import content_key
from agadir.config import Settings
from agadir.gateway.app import create_app
from agadir.gateway.knowledge.access import knowledge
from agadir.gateway.state import GatewayState
from agadir.governance import Limits
from agadir.store.schema import audit_log
from tests.knowledge.conftest import write

SEARCH = "/v1/knowledge/agri/search"
READERS = {  # tenant -> (pii mode, audit content)
    "plain": ("off", "hash"),
    "health": ("block", "full"),
    "notary": ("mask", "full"),
}


@dataclass
class Searches:
    client: httpx.AsyncClient
    state: GatewayState

    def key(self, tenant: str, limits: Limits | None = None) -> dict[str, str]:
        created = self.state.governance.keys.create(tenant, "kb:agri", limits=limits)
        return {"Authorization": f"Bearer {created.plaintext}"}

    def last_record(self) -> dict[str, object]:
        with self.state.governance.store.read() as conn:
            row = conn.execute(select(audit_log.c.body).order_by(audit_log.c.seq.desc())).first()
        assert row is not None
        return dict(json.loads(row.body))


@pytest.fixture
async def searches(settings: Settings, tmp_path: Path) -> AsyncIterator[Searches]:
    app = create_app(settings, enable_echo=True)
    async with app.router.lifespan_context(app):
        state: GatewayState = app.state.agadir
        for name, (pii, content) in READERS.items():
            state.governance.tenants.create(name, pii_mode=pii, audit_content=content)
        service = await knowledge(state)
        service.bases.create(
            "agri", owner="plain", purpose="advice", legal_basis="public", readers=tuple(READERS)
        )
        text = "# Serres\n\nLes tomates sous serre sont plantées en août dans le Souss.\n"
        write(tmp_path / "docs", "souss.md", text)
        await service.ingestor.ingest_paths("agri", [tmp_path / "docs"], owner="plain")
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://agadir") as client:
            yield Searches(client, state)


async def test_an_exhausted_key_gets_429_on_search(searches: Searches) -> None:
    key = searches.key("plain", Limits(rpm=2))
    answers = [
        await searches.client.post(SEARCH, json={"query": "tomates"}, headers=key) for _ in range(3)
    ]
    assert [r.status_code for r in answers] == [200, 200, 429]
    assert answers[2].json()["error"]["type"] == "rate_limit_error"
    assert int(answers[2].headers["retry-after"]) >= 1
    assert answers[1].headers["x-ratelimit-remaining-requests"] == "0"
    assert searches.last_record()["status"] == 429


async def test_block_policy_refuses_a_search_as_it_refuses_a_chat(searches: Searches) -> None:
    query = {"query": "tomates pour a.b@example.ma"}
    r = await searches.client.post(SEARCH, json=query, headers=searches.key("health"))
    assert r.status_code == 400, r.text
    error = r.json()["error"]
    assert "EMAIL" in error["message"] and "a.b@example.ma" not in error["message"]
    record = searches.last_record()
    assert record["status"] == 400 and "a.b@example.ma" not in json.dumps(record)


async def test_mask_policy_searches_and_audits_the_masked_query(searches: Searches) -> None:
    query = {"query": "tomates 0612345678"}
    r = await searches.client.post(SEARCH, json=query, headers=searches.key("notary"))
    assert r.status_code == 200, r.text
    record = searches.last_record()
    assert record["content"] == {"request": "tomates [PHONE]"}
    assert record["pii"] == {"PHONE": 1} and record["extra"] == {"kb": "agri"}


async def test_hash_mode_keys_the_query_digest_with_the_audit_key(searches: Searches) -> None:
    r = await searches.client.post(
        SEARCH, json={"query": "0612345678"}, headers=searches.key("plain")
    )
    assert r.status_code == 200, r.text
    content = searches.last_record()["content"]
    audit_key = searches.state.governance.writer._key
    keyed = hmac.new(content_key(audit_key), b"0612345678", hashlib.sha256).hexdigest()
    assert content == {"request_hmac": keyed}
    assert keyed != hashlib.sha256(b"0612345678").hexdigest()
