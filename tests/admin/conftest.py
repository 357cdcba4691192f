"""An in-process gateway with its first-serve admin key, and a client that keeps every response.

Every test in this folder ends with a scan of all the responses it received for secrets (tenant
pseudonym secrets, key salts and digests, in hex and base64), so "no response leaks a secret"
is checked on every endpoint and every error path, not only in one dedicated test.
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from agadir.config import Settings
from agadir.gateway.app import create_app
from agadir.gateway.state import GatewayState
from agadir.store.schema import api_keys, tenants

CHAT = "/v1/chat/completions"


@dataclass
class Admin:
    client: httpx.AsyncClient
    state: GatewayState
    key: str
    app: FastAPI
    seen: list[httpx.Response] = field(default_factory=list)

    @property
    def headers(self) -> dict[str, str]:
        return auth(self.key)

    async def post(self, path: str, json: object = None) -> httpx.Response:
        return await self.client.post(path, json=json, headers=self.headers)

    async def get(self, path: str, **params: str | int) -> httpx.Response:
        return await self.client.get(path, params=params, headers=self.headers)

    async def patch(self, path: str, json: object) -> httpx.Response:
        return await self.client.patch(path, json=json, headers=self.headers)


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def chat(text: str = "hello", model: str = "echo") -> dict[str, object]:
    return {"model": model, "messages": [{"role": "user", "content": text}]}


def error_of(response: httpx.Response) -> dict[str, object]:
    body = response.json()
    assert set(body["error"]) == {"message", "type", "param", "code"}, body
    error: dict[str, object] = body["error"]
    return error


def _secrets(state: GatewayState) -> list[str]:
    with state.governance.store.read() as conn:
        pseudonym = [r.pseudonym_secret for r in conn.execute(select(tenants))]
        blobs = [bytes(b) for r in conn.execute(select(api_keys)) for b in (r.salt, r.digest)]
    encoded = [s for b in blobs for s in (b.hex(), base64.b64encode(b).decode())]
    return [*pseudonym, *encoded, "pseudonym_secret", '"digest"', '"salt"']


@pytest.fixture
async def admin(settings: Settings) -> AsyncIterator[Admin]:
    app = create_app(settings, enable_echo=True)
    state: GatewayState = app.state.agadir
    seen: list[httpx.Response] = []

    async def keep(response: httpx.Response) -> None:
        await response.aread()
        seen.append(response)

    async with app.router.lifespan_context(app):
        key_file = state.governance.admin_key_file()
        assert key_file is not None
        key = Path(key_file).read_text(encoding="ascii").strip()
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://agadir", event_hooks={"response": [keep]}
        ) as client:
            yield Admin(client, state, key, app, seen)
        leaked = [
            (r.request.method, r.request.url.path, secret[:12])
            for secret in _secrets(state)
            for r in seen
            if secret in r.text
        ]
        assert not leaked, f"secrets in responses: {leaked}"
