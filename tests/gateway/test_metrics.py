"""`/metrics`: series labelled by route template, and the option to require an operator key."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from agadir.config import Settings
from agadir.gateway.app import create_app
from agadir.gateway.state import GatewayState


def endpoints(metrics_text: str) -> set[str]:
    return set(re.findall(r'agadir_requests_total\{endpoint="([^"]*)"', metrics_text))


async def test_requests_are_labelled_by_route_template(echo_client: httpx.AsyncClient) -> None:
    """Knowledge, lang, admin and parametrised routes each get their own series; a path no
    route matches is `other`, so a client cannot create label values at will."""
    await echo_client.post("/v1/lang/identify", json={"text": "salam cv"})
    await echo_client.post("/v1/knowledge/laws/search", json={"query": "x"})
    await echo_client.post("/v1/knowledge/tourism/search", json={"query": "x"})
    await echo_client.get("/admin/tenants")
    await echo_client.get("/v1/models/echo")
    await echo_client.get("/no/such/path/8c1f")
    text = (await echo_client.get("/metrics")).text
    seen = endpoints(text)
    assert {
        "/v1/lang/identify",
        "/v1/knowledge/{kb}/search",
        "/admin/tenants",
        "/v1/models/{model_id}",
        "other",
    } <= seen, seen
    assert "laws" not in text and "8c1f" not in text
    assert (
        'agadir_requests_total{endpoint="/v1/knowledge/{kb}/search"' in text
        and "agadir_request_latency_seconds_count" in text
    )


@pytest.fixture
async def guarded(agadir_home: Path) -> AsyncIterator[tuple[httpx.AsyncClient, GatewayState]]:
    settings = Settings(home=agadir_home, knowledge={"packs": []}, metrics_require_key=True)
    app = create_app(settings, enable_echo=True)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://agadir") as client:
            yield client, app.state.agadir


async def test_metrics_can_require_an_operator_key(
    guarded: tuple[httpx.AsyncClient, GatewayState],
) -> None:
    client, state = guarded
    gov = state.governance
    first_serve = Path(str(gov.admin_key_file())).read_text(encoding="ascii").strip()
    gov.tenants.create("coop")
    keys = {
        "operator_metrics": gov.keys.create("admin", "metrics").plaintext,
        "operator_chat": gov.keys.create("admin", "chat,admin").plaintext,
        "tenant_metrics": gov.keys.create("coop", "metrics,admin").plaintext,
    }

    async def scrape(key: str | None) -> httpx.Response:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        return await client.get("/metrics", headers=headers)

    assert (await scrape(None)).status_code == 401
    assert (await scrape("agk_0123456789ab_nonsense")).status_code == 401
    for name in ("operator_chat", "tenant_metrics"):
        refused = await scrape(keys[name])
        assert refused.status_code == 403, name
        assert refused.json()["error"]["type"] == "permission_error"
        assert "agadir_requests_total" not in refused.text
    for key in (keys["operator_metrics"], first_serve):  # the first-serve key has every scope
        ok = await scrape(key)
        assert ok.status_code == 200 and "agadir_requests_total" in ok.text


async def test_metrics_are_open_by_default(echo_client: httpx.AsyncClient) -> None:
    assert (await echo_client.get("/metrics")).status_code == 200
