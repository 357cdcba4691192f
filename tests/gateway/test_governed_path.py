"""The request path under governance: 401/403/429 in OpenAI's shape, PII policy, audit records."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import select, update

from agadir.audit import AuditChain
from agadir.audit.signing import content_key
from agadir.config import Settings
from agadir.gateway.app import create_app
from agadir.gateway.governance.middleware import AuditMiddleware
from agadir.gateway.state import GatewayState
from agadir.governance import Limits
from agadir.store.schema import api_keys, audit_log

CHAT = "/v1/chat/completions"


@dataclass
class Governed:
    client: httpx.AsyncClient
    state: GatewayState

    def key(self, tenant: str, scopes: str, **tenant_options: object) -> str:
        gov = self.state.governance
        if tenant not in {t.name for t in gov.tenants.list()}:
            gov.tenants.create(tenant, **tenant_options)  # type: ignore[arg-type]
        return gov.keys.create(tenant, scopes).plaintext

    def records(self) -> list[dict[str, object]]:
        with self.state.governance.store.read() as conn:
            rows = conn.execute(select(audit_log.c.body).order_by(audit_log.c.seq)).all()
        return [json.loads(r.body) for r in rows]


@pytest.fixture
async def governed(settings: Settings) -> AsyncIterator[Governed]:
    app = create_app(settings, enable_echo=True)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://agadir") as client:
            yield Governed(client, app.state.agadir)


def chat(text: str, model: str = "echo", **extra: object) -> dict[str, object]:
    return {"model": model, "messages": [{"role": "user", "content": text}], **extra}


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def error_of(response: httpx.Response) -> dict[str, object]:
    body = response.json()
    assert set(body["error"]) == {"message", "type", "param", "code"}
    return body["error"]


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ({}, "missing_api_key"),
        ({"Authorization": "Bearer not-a-key"}, "invalid_api_key"),
        ({"Authorization": "Bearer agk_0123456789ab_" + "x" * 32}, "invalid_api_key"),
    ],
)
async def test_requests_without_a_valid_key_are_401_and_audited(
    governed: Governed, headers: dict[str, str], code: str
) -> None:
    r = await governed.client.post(CHAT, json=chat("hi"), headers=headers)
    assert r.status_code == 401
    error = error_of(r)
    assert error["type"] == "authentication_error" and error["code"] == code
    denied = [rec for rec in governed.records() if rec["kind"] == "request"]
    assert denied[-1]["status"] == 401 and denied[-1]["endpoint"] == CHAT


async def test_revoked_and_expired_keys_are_refused(governed: Governed) -> None:
    key = governed.key("coop", "chat,models:echo")
    assert (await governed.client.post(CHAT, json=chat("a"), headers=auth(key))).status_code == 200
    key_id = key.split("_")[1]
    governed.state.governance.keys.revoke(key_id)
    time.sleep(1.1)  # the key cache lives one second
    r = await governed.client.post(CHAT, json=chat("a"), headers=auth(key))
    assert r.status_code == 401 and error_of(r)["code"] == "revoked_api_key"
    other = governed.key("coop", "chat,models:echo")
    with governed.state.governance.store.write() as conn:
        conn.execute(
            update(api_keys)
            .where(api_keys.c.id == other.split("_")[1])
            .values(expires_at=time.time() - 5)
        )
    time.sleep(1.1)
    r = await governed.client.post(CHAT, json=chat("a"), headers=auth(other))
    assert r.status_code == 401 and error_of(r)["code"] == "expired_api_key"


async def test_scopes_are_enforced_and_models_filtered(governed: Governed) -> None:
    embed_only = governed.key("tourism", "embeddings,models:echo")
    r = await governed.client.post(CHAT, json=chat("x"), headers=auth(embed_only))
    assert r.status_code == 403 and error_of(r)["type"] == "permission_error"
    chat_other_model = governed.key("tourism", "chat,models:smollm2*")
    r = await governed.client.post(CHAT, json=chat("x"), headers=auth(chat_other_model))
    assert r.status_code == 403 and "models:echo" in str(error_of(r)["message"])
    listed = await governed.client.get("/v1/models", headers=auth(chat_other_model))
    assert [m["id"] for m in listed.json()["data"]] == ["smollm2-135m-instruct"]
    r = await governed.client.post(
        "/v1/embeddings", json={"model": "echo", "input": "x"}, headers=auth(embed_only)
    )
    assert r.status_code == 200


async def test_rate_limit_is_429_with_retry_after(governed: Governed) -> None:
    key = governed.key("ministry", "chat,models:echo", limits=Limits(rpm=2))
    ok = [await governed.client.post(CHAT, json=chat("x"), headers=auth(key)) for _ in range(2)]
    assert [r.status_code for r in ok] == [200, 200]
    assert ok[1].headers["x-ratelimit-limit-requests"] == "2"
    assert ok[1].headers["x-ratelimit-remaining-requests"] == "0"
    r = await governed.client.post(CHAT, json=chat("x"), headers=auth(key))
    assert r.status_code == 429 and error_of(r)["type"] == "rate_limit_error"
    assert int(r.headers["retry-after"]) >= 1
    assert governed.records()[-1]["status"] == 429


async def test_pii_is_masked_before_the_engine_and_counted_not_stored(governed: Governed) -> None:
    key = governed.key("coop", "chat,models:echo", pii_mode="mask", audit_content="full")
    text = "3iyet liya f 0612345678 ola sift l ahmed@example.ma"
    r = await governed.client.post(CHAT, json=chat(text), headers=auth(key))
    reply = r.json()["choices"][0]["message"]["content"]
    assert "0612345678" not in reply and "[PHONE]" in reply and "[EMAIL]" in reply
    record = governed.records()[-1]
    assert record["pii"] == {"EMAIL": 1, "PHONE": 1}
    assert "0612345678" not in json.dumps(record)  # even with full content, values are masked


async def test_pseudonyms_are_stable_within_a_tenant(governed: Governed) -> None:
    key = governed.key("bank", "chat,models:echo", pii_mode="pseudonymise")
    replies = []
    for text in ("0612345678", "+212 6 12 34 56 78"):
        r = await governed.client.post(CHAT, json=chat(text), headers=auth(key))
        replies.append(r.json()["choices"][0]["message"]["content"])
    assert replies[0] == replies[1] and replies[0].startswith("[PHONE_")


async def test_block_mode_refuses_with_the_types_found(governed: Governed) -> None:
    key = governed.key("health", "chat,models:echo", pii_mode="block")
    r = await governed.client.post(CHAT, json=chat("mon email: a.b@example.ma"), headers=auth(key))
    assert r.status_code == 400
    error = error_of(r)
    assert "EMAIL" in str(error["message"]) and "a.b@example.ma" not in str(error["message"])
    assert governed.records()[-1]["status"] == 400


async def test_streams_are_audited_before_done_and_chain_verifies(governed: Governed) -> None:
    key = governed.key("coop", "chat,completions,models:echo", audit_content="hash")
    payload = chat("salam 3likom", stream=True)
    async with governed.client.stream("POST", CHAT, json=payload, headers=auth(key)) as r:
        lines = [line async for line in r.aiter_lines() if line.startswith("data: ")]
    assert lines[-1] == "data: [DONE]"
    record = governed.records()[-1]
    assert record["status"] == 200 and record["tokens"] == {"prompt": 2, "completion": 2}
    assert set(record["content"]) == {"request_hmac", "response_hmac"}
    assert record["model"] == "echo" and record["tenant"] == "coop"
    r = await governed.client.post(
        "/v1/completions", json={"model": "echo", "prompt": "a b"}, headers=auth(key)
    )
    assert r.status_code == 200
    gov = governed.state.governance
    report = AuditChain(gov.store, gov.writer._key).verify()
    assert report.ok, report


async def test_dev_open_serves_without_a_key_and_says_so(settings: Settings) -> None:
    app = create_app(settings, enable_echo=True, dev_open=True)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://a") as client:
            assert (await client.post(CHAT, json=chat("x"))).status_code == 200
            assert (await client.get("/admin/tenants")).status_code in (401, 403, 404)
        state: GatewayState = app.state.agadir
        with state.governance.store.read() as conn:
            bodies = [json.loads(r.body) for r in conn.execute(select(audit_log.c.body))]
    start = next(b for b in bodies if b["kind"] == "event")
    assert start["extra"]["dev_open"] is True
    assert any(b["tenant"] == "dev" and b["status"] == 200 for b in bodies)


async def test_hashed_content_is_the_audit_keyed_hmac_of_what_was_sent_and_answered(
    governed: Governed,
) -> None:
    """Hashing happens in the audit writer's process; it must hash the masked texts, keyed
    (a bare sha256 of a short value is reversed by trying every candidate)."""
    key = governed.key("notary", "chat,models:echo", pii_mode="mask", audit_content="hash")
    r = await governed.client.post(CHAT, json=chat("call 0612345678 now"), headers=auth(key))
    reply = r.json()["choices"][0]["message"]["content"]
    record = governed.records()[-1]
    hashing = content_key(governed.state.governance.writer._key)

    def digest(text: str) -> str:
        return hmac.new(hashing, text.encode("utf-8"), hashlib.sha256).hexdigest()

    assert record["content"] == {
        "request_hmac": digest("call [PHONE] now"),
        "response_hmac": digest(reply),
    }
    assert record["content"]["request_hmac"] != hashlib.sha256(b"call [PHONE] now").hexdigest()
    assert record["pii"] == {"PHONE": 1}  # the echo repeats the masked text: none out


async def test_revoking_or_disabling_here_refuses_the_next_request(governed: Governed) -> None:
    """No cache delay for changes made through this server (the admin API uses these)."""
    gov = governed.state.governance
    key = governed.key("port", "chat,models:echo")
    spare = governed.key("port", "chat,models:echo")
    for k in (key, spare):  # both keys are now in the key cache
        assert (
            await governed.client.post(CHAT, json=chat("a"), headers=auth(k))
        ).status_code == 200
    gov.keys.revoke(key.split("_")[1])
    r = await governed.client.post(CHAT, json=chat("a"), headers=auth(key))
    assert r.status_code == 401 and error_of(r)["code"] == "revoked_api_key"
    gov.tenants.disable("port")
    r = await governed.client.post(CHAT, json=chat("a"), headers=auth(spare))
    assert r.status_code == 401 and error_of(r)["code"] == "tenant_disabled"
    assert [rec["status"] for rec in governed.records()[-2:]] == [401, 401]


async def test_every_answer_is_durable_before_the_client_reads_it(governed: Governed) -> None:
    """Concurrent requests: each 200 the client holds already has its own record stored."""
    key = governed.key("archive", "chat,models:echo", audit_content="full")

    async def one(i: int) -> bool:
        r = await governed.client.post(CHAT, json=chat(f"note {i}"), headers=auth(key))
        assert r.status_code == 200
        contents = [rec["content"] for rec in governed.records() if rec["tenant"] == "archive"]
        return {"request": f"note {i}", "response": f"note {i}"} in contents

    assert all(await asyncio.gather(*(one(i) for i in range(20))))
    assert governed.state.governance.writer.stats.commits < 20  # group commit did group


async def test_routes_authenticate_without_the_audit_middleware(settings: Settings) -> None:
    """`authenticated` falls back to checking the key itself when no middleware did."""
    app = create_app(settings, enable_echo=True)
    app.user_middleware = [m for m in app.user_middleware if m.cls is not AuditMiddleware]
    async with app.router.lifespan_context(app):
        gov = app.state.agadir.governance
        gov.tenants.create("lab")
        key = gov.keys.create("lab", "chat,models:echo").plaintext
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://a") as client:
            assert (await client.post(CHAT, json=chat("x"), headers=auth(key))).status_code == 200
            r = await client.post(CHAT, json=chat("x"))
            assert r.status_code == 401 and error_of(r)["code"] == "missing_api_key"
