"""One embeddings request carries at most `embeddings_max_input_tokens` of input: a 413 in
OpenAI's shape, before the encoder spends its CPU and before any quota is taken."""

from __future__ import annotations

from pathlib import Path

import httpx

from agadir.config import Settings
from agadir.gateway.app import create_app


async def test_input_over_the_token_cap_is_a_413(agadir_home: Path) -> None:
    settings = Settings(home=agadir_home, knowledge={"packs": []}, embeddings_max_input_tokens=8)
    app = create_app(settings, enable_echo=True, dev_open=True)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://a") as client:
            fits = {"model": "echo", "input": ["one two three", "four five six seven eight"]}
            assert (await client.post("/v1/embeddings", json=fits)).status_code == 200
            over = {"model": "echo", "input": ["one two three", "four five six seven eight nine"]}
            r = await client.post("/v1/embeddings", json=over)
    assert r.status_code == 413
    error = r.json()["error"]
    assert error["code"] == "context_length_exceeded" and error["param"] == "input"
    assert "embeddings_max_input_tokens" in error["message"] and "Split" in error["message"]
