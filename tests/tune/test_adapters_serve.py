"""Adapters per tenant through a real `agadir serve` and the openai client: each tenant's key
sees and uses only its adapter, and under concurrency every answer is the one its own adapter
gives alone (an adapter applied to another tenant's request would change it)."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.servers import start_server, stop_server
from tests.tune.adapters import build
from tests.tune.test_cli_errors import agadir
from tests.tune.test_export import converters_or_skip

PROMPTS = ["ⴰⵣⵓⵍ, wach nta mzyan?", "salam, kifach dayr?", "Bonjour, ça va ?"]
TENANTS = {"coop": "tiny:coop", "bank": "tiny:bank"}


def test_two_tenants_on_two_adapters(
    tiny_model: Callable[[str], Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import openai

    converters_or_skip()
    made = build(tiny_model("llama"), tmp_path, {"coop": 1, "bank": 2})
    home = tmp_path / "home"
    done = agadir("models", "add", str(made.base), "--name", "tiny", home=home)
    assert done.returncode == 0, done.stderr
    for name, path in made.adapters.items():
        done = agadir(
            "models", "add-adapter", str(path), "--base", "tiny", "--name", name, home=home
        )
        assert done.returncode == 0, done.stderr
        assert f"tiny:{name}" in done.stdout
    refused = agadir(
        "models", "add-adapter", str(made.base), "--base", "tiny", "--name", "x", home=home
    )
    assert refused.returncode != 0 and "not a LoRA GGUF adapter" in refused.stderr + refused.stdout

    server = start_server(home, "--model", "tiny")
    try:
        admin = httpx.Client(base_url=server.base_url, headers=server.headers, timeout=60)
        keys = {}
        for tenant, model in TENANTS.items():
            assert admin.post("/admin/tenants", json={"name": tenant}).status_code == 201
            r = admin.post("/admin/keys", json={"tenant": tenant, "scopes": f"chat,models:{model}"})
            assert r.status_code == 201, r.text
            keys[tenant] = str(r.json()["key"])
        clients = {
            t: openai.OpenAI(base_url=f"{server.base_url}/v1", api_key=k, max_retries=0)
            for t, k in keys.items()
        }

        def ask(tenant: str, prompt: str, model: str | None = None) -> str:
            reply = clients[tenant].chat.completions.create(
                model=model or TENANTS[tenant],
                messages=[{"role": "user", "content": prompt}],
                max_tokens=12,
                temperature=0,
            )
            return str(reply.choices[0].message.content)

        for tenant, model in TENANTS.items():
            listed = [m.id for m in clients[tenant].models.list().data]
            assert listed == [model]
        card = admin.get("/v1/models/tiny:coop").json()
        assert card["parent"] == "tiny"
        with pytest.raises(openai.PermissionDeniedError):
            ask("coop", PROMPTS[0], model="tiny:bank")
        with pytest.raises(openai.PermissionDeniedError):
            ask("bank", PROMPTS[0], model="tiny")

        solo = {(t, p): ask(t, p) for t in TENANTS for p in PROMPTS}
        for prompt in PROMPTS:
            assert solo[("coop", prompt)] != solo[("bank", prompt)]
        jobs = [(t, p) for _ in range(4) for p in PROMPTS for t in TENANTS]
        with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
            got = list(pool.map(lambda job: ask(*job), jobs))
        assert got == [solo[job] for job in jobs]
    finally:
        stop_server(server)
