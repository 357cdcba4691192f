"""Every endpoint that reads tenant data passes the one admission path generation passes: a spent
key gets the 429 on each (a request counts, whatever it reads), a `block` tenant gets the PII
refusal on each route that carries text, and the embeddings 404 lists only what the key may use.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from agadir.config import Settings
from agadir.gateway.app import create_app
from agadir.gateway.knowledge.access import knowledge
from agadir.gateway.state import GatewayState
from agadir.governance import Limits
from tests.knowledge.conftest import write

SCOPES = "kb:agri,admin,lang,embeddings,completions,models:*"
EMAIL = "a.b@example.ma"


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    body: dict[str, object] | None = None

    def with_text(self, text: str) -> Route:
        """The same request, its text field replaced (routes that carry text)."""
        assert self.body is not None
        field = next(f for f in ("query", "input", "prompt") if f in self.body)
        return Route(self.method, self.path, {**self.body, field: text})


JOB = "/v1/knowledge/agri/jobs/{job}"
UPLOAD = "/v1/knowledge/notes/documents?background=false"  # the report, not a job
READS = [
    Route("GET", "/v1/knowledge"),
    Route("GET", "/v1/knowledge/agri"),
    Route("GET", "/v1/knowledge/agri/documents"),
    Route("GET", "/v1/knowledge/agri/export"),
    Route("GET", JOB),
    Route("POST", "/detokenize", {"tokens": [1, 2, 3]}),
]
TEXTS = [
    Route("POST", "/v1/knowledge/agri/search", {"query": "tomates"}),
    Route("POST", "/v1/lang/identify", {"input": "salam labas"}),
    Route("POST", "/v1/lang/transliterate", {"input": "salam"}),
    Route("POST", "/v1/lang/normalize", {"input": "salam"}),
    Route("POST", "/v1/embeddings", {"model": "echo", "input": "tomates"}),
    Route("POST", "/tokenize", {"prompt": "tomates"}),
]


@dataclass
class World:
    client: httpx.AsyncClient
    state: GatewayState
    job: str

    def key(self, tenant: str, limits: Limits | None = None) -> dict[str, str]:
        created = self.state.governance.keys.create(tenant, SCOPES, limits=limits)
        return {"Authorization": f"Bearer {created.plaintext}"}

    async def call(self, route: Route, headers: dict[str, str]) -> httpx.Response:
        path = route.path.format(job=self.job)
        return await self.client.request(route.method, path, json=route.body, headers=headers)


@pytest.fixture
async def world(settings: Settings, tmp_path: Path) -> AsyncIterator[World]:
    app = create_app(settings, enable_echo=True)
    async with app.router.lifespan_context(app):
        state: GatewayState = app.state.agadir
        state.governance.tenants.create("plain", pii_mode="off")
        state.governance.tenants.create("health", pii_mode="block", audit_content="full")
        service = await knowledge(state)
        service.bases.create(
            "agri", owner="plain", purpose="advice", legal_basis="public", readers=("health",)
        )
        text = "# Serres\n\nLes tomates sous serre sont plantées en août dans le Souss.\n"
        write(tmp_path / "docs", "souss.md", text)
        await service.ingestor.ingest_paths("agri", [tmp_path / "docs"], owner="plain")
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://agadir") as client:
            plaintext = state.governance.keys.create("plain", SCOPES).plaintext
            owner = {"Authorization": f"Bearer {plaintext}"}
            files = {"files": ("more.md", b"# Irrigation\n\nGoutte a goutte.\n", "text/markdown")}
            upload = await client.post(
                "/v1/knowledge/agri/documents?background=true", files=files, headers=owner
            )
            assert upload.status_code == 202, upload.text
            yield World(client, state, upload.json()["id"])


@pytest.mark.parametrize("route", READS + TEXTS, ids=lambda r: f"{r.method} {r.path}")
async def test_a_spent_key_gets_429_on_every_data_route(world: World, route: Route) -> None:
    key = world.key("plain", Limits(rpm=1))
    first, second = [await world.call(route, key) for _ in range(2)]
    assert first.status_code == 200, first.text
    assert second.status_code == 429, second.text
    error = second.json()["error"]
    assert error["type"] == "rate_limit_error" and int(second.headers["retry-after"]) >= 1


@pytest.mark.parametrize("route", TEXTS, ids=lambda r: r.path)
async def test_block_tenant_gets_the_pii_refusal_on_every_text_route(
    world: World, route: Route
) -> None:
    r = await world.call(route.with_text(f"tomates pour {EMAIL}"), world.key("health"))
    assert r.status_code == 400, r.text
    error = r.json()["error"]
    assert "EMAIL" in error["message"] and EMAIL not in json.dumps(r.json())
    fine = await world.call(route, world.key("health"))
    assert fine.status_code == 200, fine.text  # the refusal is the policy's, not the route's


async def test_embeddings_404_lists_only_the_models_the_key_may_use(world: World) -> None:
    created = world.state.governance.keys.create("plain", "embeddings,models:ec*")
    headers = {"Authorization": f"Bearer {created.plaintext}"}
    body = {"model": "ecno", "input": "x"}
    r = await world.client.post("/v1/embeddings", json=body, headers=headers)
    assert r.status_code == 404, r.text
    message = r.json()["error"]["message"]
    assert "echo" in message and world.state.settings.embedding_model not in message
    narrow = world.state.governance.keys.create("plain", "embeddings,models:echo")
    headers = {"Authorization": f"Bearer {narrow.plaintext}"}
    r = await world.client.post("/v1/embeddings", json=body, headers=headers)
    assert r.status_code == 403 and "echo" not in r.json()["error"]["message"]


async def test_a_key_without_kb_scope_lists_no_base_and_spends_no_request(world: World) -> None:
    # the web page lists bases at sign-in: a chat-only key must keep its whole request budget
    created = world.state.governance.keys.create("plain", "chat,models:*", limits=Limits(rpm=1))
    headers = {"Authorization": f"Bearer {created.plaintext}"}
    for _ in range(3):
        r = await world.client.get("/v1/knowledge", headers=headers)
        assert r.status_code == 200 and r.json()["data"] == [], r.text
    body = {"model": "echo", "messages": [{"role": "user", "content": "salam"}], "max_tokens": 4}
    first = await world.client.post("/v1/chat/completions", json=body, headers=headers)
    assert first.status_code == 200, first.text
    second = await world.client.post("/v1/chat/completions", json=body, headers=headers)
    assert second.status_code == 429, second.text


async def test_writes_that_add_data_count_a_request_and_erasure_never_waits(world: World) -> None:
    key = world.key("plain", Limits(rpm=2))
    body = {"name": "notes", "purpose": "advice", "legal_basis": "public"}
    created = await world.client.post("/v1/knowledge", json=body, headers=key)
    assert created.status_code == 201, created.text
    files = {"files": ("note.md", b"# Note\n\nArgan en juin.\n", "text/markdown")}
    uploaded = await world.client.post(UPLOAD, files=files, headers=key)
    assert uploaded.status_code == 200, uploaded.text
    again = await world.client.post(UPLOAD, files=files, headers=key)
    assert again.status_code == 429, again.text
    refused = await world.client.post("/v1/knowledge", json={**body, "name": "b"}, headers=key)
    assert refused.status_code == 429, refused.text
    erased = await world.client.delete("/v1/knowledge/notes", headers=key)  # budget spent
    assert erased.status_code == 200 and erased.json()["deleted"], erased.text


async def test_detokenized_text_passes_the_output_pii_policy(world: World) -> None:
    state = world.state
    state.governance.tenants.create("masked", pii_mode="mask")
    key = world.key("masked")
    tokens = await world.client.post("/tokenize", json={"prompt": f"mail {EMAIL}"}, headers=key)
    assert tokens.status_code == 200, tokens.text
    engine = await state.engines.get(state.settings.model)
    raw = await engine.encode(f"mail {EMAIL}", add_special=False)  # type: ignore[attr-defined]
    assert tokens.json()["tokens"] != raw  # the masked text was tokenized, not the address
    text = await world.client.post("/detokenize", json={"tokens": raw}, headers=key)
    assert text.status_code == 200, text.text
    assert EMAIL not in text.json()["prompt"] and "mail" in text.json()["prompt"]
