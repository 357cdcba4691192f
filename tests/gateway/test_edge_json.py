"""One rule for request bodies at the edge: invalid Unicode, invalid UTF-8 and deep nesting are a
400 `invalid_json` in OpenAI's shape on every route and every string field, and audited."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import select

from agadir.config import Settings
from agadir.gateway.app import create_app
from agadir.gateway.json_body import MAX_DEPTH, QUICK_BYTES
from agadir.gateway.state import GatewayState
from agadir.store.schema import audit_log

CHAT = "/v1/chat/completions"
LONE = "a\ud800b"  # sent as the escape "a\\ud800b" (json.dumps' default), as the probe did


@dataclass
class Edge:
    client: httpx.AsyncClient
    state: GatewayState
    headers: dict[str, str]

    def records(self) -> list[dict[str, object]]:
        with self.state.governance.store.read() as conn:
            rows = conn.execute(select(audit_log.c.body).order_by(audit_log.c.seq)).all()
        return [json.loads(r.body) for r in rows]


@pytest.fixture
async def edge(settings: Settings) -> AsyncIterator[Edge]:
    app = create_app(settings, enable_echo=True)
    async with app.router.lifespan_context(app):
        state: GatewayState = app.state.agadir
        state.governance.tenants.create("coop", audit_content="full", pii_mode="mask")
        scopes = "admin,chat,completions,embeddings,lang,models:*,kb:*"
        key = state.governance.keys.create("coop", scopes).plaintext
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://agadir") as client:
            yield Edge(client, state, {"Authorization": f"Bearer {key}"})


def invalid_json(response: httpx.Response) -> str:
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert error["type"] == "invalid_request_error" and error["code"] == "invalid_json"
    return str(error["message"])


@pytest.mark.parametrize(
    ("path", "body"),
    [
        (CHAT, {"model": "echo", "messages": [{"role": "user", "content": LONE}]}),
        (
            CHAT,
            {
                "model": "echo",
                "messages": [{"role": "user", "content": [{"type": "text", "text": LONE}]}],
            },
        ),
        (CHAT, {"model": "echo", "messages": [{"role": "user", "content": "x"}], "user": LONE}),
        ("/v1/completions", {"model": "echo", "prompt": [LONE]}),
        ("/v1/embeddings", {"model": "echo", "input": ["ok", LONE]}),
        ("/v1/lang/identify", {"input": LONE}),
        ("/v1/knowledge", {"name": "kb1", "title": LONE, "purpose": "p", "legal_basis": "l"}),
        ("/v1/knowledge/kb1/search", {"query": LONE}),
        ("/admin/tenants", {"name": "t1", "pii_mode": LONE}),
    ],
)
async def test_a_lone_surrogate_anywhere_is_a_400_and_audited(
    edge: Edge, path: str, body: dict[str, object]
) -> None:
    headers = {**edge.headers, "content-type": "application/json"}
    r = await edge.client.post(path, content=json.dumps(body).encode(), headers=headers)
    assert "surrogate" in invalid_json(r)
    record = edge.records()[-1]
    assert record["endpoint"] == path and record["status"] == 400
    # the chat still works, and the writer that recorded the refusal is the same process
    ok = await edge.client.post(
        CHAT,
        json={"model": "echo", "messages": [{"role": "user", "content": "salam"}]},
        headers=edge.headers,
    )
    assert ok.status_code == 200
    assert edge.state.governance.writer.stats.failures == 0


async def test_invalid_utf8_and_deep_nesting_are_invalid_json(edge: Edge) -> None:
    raw = b'{"model": "echo", "messages": [{"role": "user", "content": "caf\xe9"}]}'
    headers = {**edge.headers, "content-type": "application/json"}
    r = await edge.client.post(CHAT, content=raw, headers=headers)
    assert "UTF-8" in invalid_json(r)
    deep = b'{"model": "echo", "messages": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    r = await edge.client.post(CHAT, content=deep, headers=headers)
    assert "nested too deep" in invalid_json(r)
    r = await edge.client.post(CHAT, content=b'{"model": ', headers=headers)
    invalid_json(r)
    nested = {"model": "echo", "messages": [{"role": "user", "content": "x"}], "metadata": {}}
    inner: dict[str, object] = nested["metadata"]  # type: ignore[assignment]
    for _ in range(MAX_DEPTH):  # deeper than the rule, shallower than any parser's own limit
        inner["a"] = {}
        inner = inner["a"]  # type: ignore[assignment]
    r = await edge.client.post(CHAT, content=json.dumps(nested).encode(), headers=headers)
    assert "nested too deep" in invalid_json(r)


async def test_big_bodies_get_the_same_rule(edge: Edge) -> None:
    """Above QUICK_BYTES the check takes a faster path: same verdicts."""
    headers = {**edge.headers, "content-type": "application/json"}
    filler = "salam " * (QUICK_BYTES // 5)
    for bad in (b"\xff", b"\\ud800"):
        raw = json.dumps({"model": "echo", "messages": [{"role": "user", "content": filler}]})
        body = raw.encode().replace(b"salam ", b"sa" + bad + b"lam ", 1)
        invalid_json(await edge.client.post(CHAT, content=body, headers=headers))
    emoji = {"model": "echo", "messages": [{"role": "user", "content": filler + "\U0001f600"}]}
    body = json.dumps(emoji).encode()  # the emoji as the escaped pair \ud83d\ude00: valid
    assert b"\\ud83d\\ude00" in body
    r = await edge.client.post(CHAT, content=body, headers=headers)
    assert r.status_code == 200, r.text


async def test_a_body_in_many_parts_is_checked_whole_and_served(edge: Edge) -> None:
    text = "salam " * 200_000

    async def parts() -> AsyncIterator[bytes]:
        raw = json.dumps({"model": "echo", "messages": [{"role": "user", "content": text}]})
        data = raw.encode()
        for start in range(0, len(data), 65_536):
            yield data[start : start + 65_536]

    headers = {**edge.headers, "content-type": "application/json"}
    r = await edge.client.post(CHAT, content=parts(), headers=headers)
    assert r.status_code == 200, r.text
    assert r.json()["usage"]["prompt_tokens"] == 200_000
