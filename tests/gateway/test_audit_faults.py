"""No audit, no answer: an unwritable audit log turns requests into 503s, never silent serving."""

from __future__ import annotations

from pathlib import Path

import httpx

from agadir.config import Settings
from agadir.gateway.app import create_app
from agadir.governance import TenantService
from agadir.store import open_store

CHAT = "/v1/chat/completions"
BODY = {"model": "echo", "messages": [{"role": "user", "content": "salam"}]}


async def _post(app: object) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://a") as client:
        return await client.post(CHAT, json=BODY)


async def test_read_only_database_refuses_requests(agadir_home: Path) -> None:
    db = agadir_home / "agadir.db"
    agadir_home.mkdir(parents=True)
    store = open_store(f"sqlite:///{db}")
    TenantService(store).create("dev", pii_mode="off")
    store.close()
    settings = Settings(home=agadir_home, database_url=f"sqlite:///file:{db}?mode=ro&uri=true")
    app = create_app(settings, enable_echo=True, dev_open=True)
    async with app.router.lifespan_context(app):
        r = await _post(app)
    assert r.status_code == 503
    error = r.json()["error"]
    assert error["code"] == "audit_unavailable" and "read-only" in error["message"]


async def test_full_disk_refuses_then_recovers(settings: Settings) -> None:
    app = create_app(settings, enable_echo=True, dev_open=True)
    async with app.router.lifespan_context(app):
        assert (await _post(app)).status_code == 200
        store = app.state.agadir.governance.store
        with store.read() as conn:
            pages = conn.exec_driver_sql("PRAGMA page_count").scalar()
        with store.engine.connect() as conn:  # the writer's pooled connection: SQLITE_FULL
            conn.exec_driver_sql(f"PRAGMA max_page_count = {pages}")
        gov = app.state.agadir.governance
        gov.tenants.create("archive", audit_content="full", pii_mode="off")
        key = gov.keys.create("archive", "chat,models:echo").plaintext
        big = {"model": "echo", "messages": [{"role": "user", "content": "x " * 300_000}]}
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://a") as client:
            r = await client.post(CHAT, json=big, headers={"Authorization": f"Bearer {key}"})
        assert r.status_code == 503 and "full" in r.json()["error"]["message"]
        with store.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA max_page_count = 1073741823")
        assert (await _post(app)).status_code == 200
