"""Grounded chat through `kb:NAME` counts its tokens under the model that generated, streamed
or not (the two paths once disagreed: streamed chat counted them under `kb:NAME`)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from agadir.config import Settings
from agadir.gateway.app import create_app
from agadir.gateway.knowledge.access import knowledge
from agadir.gateway.state import GatewayState
from tests.knowledge.conftest import write

SOUSS = (
    "# Calendrier du Souss\n\nDans le Souss-Massa, les tomates sous serre sont plantées en "
    "août et septembre. La récolte des agrumes a lieu de novembre à avril.\n"
)


def _count(state: GatewayState, model: str) -> float:
    value = state.metrics.registry.get_sample_value(
        "agadir_completion_tokens_total", {"model": model}
    )
    return value or 0.0


async def test_kb_chat_counts_tokens_under_the_generating_model(
    agadir_home: Path, tmp_path: Path
) -> None:
    settings = Settings(home=agadir_home, model="echo", knowledge={"packs": []})
    app = create_app(settings, enable_echo=True)
    async with app.router.lifespan_context(app):
        state: GatewayState = app.state.agadir
        gov = state.governance
        gov.tenants.create("coop", pii_mode="off")
        service = await knowledge(state)
        service.bases.create("agri", owner="coop", purpose="advice", legal_basis="public")
        write(tmp_path / "docs", "souss.md", SOUSS)
        await service.ingestor.ingest_paths("agri", [tmp_path / "docs"], owner="coop")
        headers = {
            "Authorization": f"Bearer {gov.keys.create('coop', 'chat,models:*,kb:agri').plaintext}"
        }
        body = {
            "model": "kb:agri",
            "temperature": 0,
            "messages": [{"role": "user", "content": "Quand plante-t-on les tomates ?"}],
        }
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://agadir") as client:
            plain = await client.post("/v1/chat/completions", json=body, headers=headers)
            assert plain.status_code == 200, plain.text
            after_plain = _count(state, "echo")
            assert after_plain == plain.json()["usage"]["completion_tokens"] > 0
            async with client.stream(
                "POST",
                "/v1/chat/completions",
                json={**body, "stream": True, "stream_options": {"include_usage": True}},
                headers=headers,
            ) as r:
                lines = [line[6:] async for line in r.aiter_lines() if line.startswith("data: ")]
        usage = json.loads(lines[-2])["usage"]
        assert _count(state, "echo") == after_plain + usage["completion_tokens"]
        assert _count(state, "kb:agri") == 0
        chunks = [json.loads(line) for line in lines[:-1]]
        assert all(c["model"] == "kb:agri" for c in chunks)
        assert any("citations" in c for c in chunks)
