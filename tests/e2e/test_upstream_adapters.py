"""`upstreams[].lora_adapters`: at start every vLLM replica gets the adapters it lacks, through
`/v1/load_lora_adapter`, and `UPSTREAM:ADAPTER` reaches the LoRA module. Two stand-in vLLM
replicas (tests/fake_vllm.py): one started with an adapter already, one without; a third
adapter's folder does not exist, so every replica fails to load it, and says so on /metrics."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest

from tests.servers import free_port, start_server, stop_server
from tests.vllm_stub import FAKE, adapter_dir

pytestmark = pytest.mark.e2e


class Replica:
    def __init__(self, *modules: str) -> None:
        self.port = free_port()
        argv = [sys.executable, str(FAKE), "serve", "/models/tiny", "--port", str(self.port)]
        argv += ["--served-model-name", "tinyup", "--enable-lora"]
        if modules:
            argv += ["--lora-modules", *modules]
        env = {**os.environ, "VLLM_ALLOW_RUNTIME_LORA_UPDATING": "True"}
        self.process = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 30  # a bound for giving up
        while time.monotonic() < deadline:
            try:
                self.models()
                return
            except httpx.HTTPError:
                time.sleep(0.05)
        raise RuntimeError("fake vLLM did not start")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def models(self) -> set[str]:
        body = httpx.get(f"{self.url}/models", timeout=2).json()
        return {card["id"] for card in body["data"]}

    def stop(self) -> None:
        self.process.kill()
        self.process.wait(timeout=10)


@pytest.fixture
def replicas(tmp_path: Path) -> Iterator[tuple[Replica, Replica]]:
    acme = adapter_dir(tmp_path, "acme", 8)
    pair = (Replica(f"acme={acme}"), Replica())
    yield pair
    for replica in pair:
        replica.stop()


def test_every_replica_gets_the_adapters_it_lacks(
    replicas: tuple[Replica, Replica], tmp_path: Path
) -> None:
    first, second = replicas
    adapters = {
        "acme": str(tmp_path / "acme"),
        "beta": str(adapter_dir(tmp_path, "beta", 16)),
        "gone": str(tmp_path / "missing"),
    }
    upstream = {"name": "tinyup", "base_urls": [first.url, second.url], "lora_adapters": adapters}
    env = {
        "AGADIR_UPSTREAMS": json.dumps([upstream]),
        "AGADIR_MODEL": "tinyup",
        "AGADIR_KNOWLEDGE__PACKS": "[]",
    }
    server = start_server(tmp_path / "home", env=env)
    try:
        assert {"acme", "beta"} <= first.models() and {"acme", "beta"} <= second.models()
        assert "gone" not in first.models() | second.models()
        metrics = httpx.get(f"{server.base_url}/metrics", timeout=10).text
        lines = {
            line.split(" ")[0]: float(line.split(" ")[1])
            for line in metrics.splitlines()
            if line.startswith("agadir_upstream_replica_adapters{")
        }

        def count(replica: Replica, state: str) -> float:
            key = f'{{model="tinyup",replica="{replica.url}",state="{state}"}}'
            return lines[f"agadir_upstream_replica_adapters{key}"]

        assert (count(first, "present"), count(first, "loaded"), count(first, "failed")) == (
            1,
            1,
            1,
        )
        assert (count(second, "present"), count(second, "loaded")) == (0, 2)
        assert count(second, "failed") == 1
        log = server.log.read_text()
        assert "failed" in log and "missing" in log

        client = openai.OpenAI(
            base_url=f"{server.base_url}/v1", api_key=server.admin_key, max_retries=0
        )
        assert {"tinyup:acme", "tinyup:beta"} <= {m.id for m in client.models.list()}
        for _ in range(4):  # both replicas serve it, whichever is picked
            reply = client.chat.completions.create(
                model="tinyup:beta", messages=[{"role": "user", "content": "hi"}], max_tokens=8
            )
            assert reply.choices[0].message.content == "served by beta"
            assert reply.model == "tinyup:beta"
    finally:
        stop_server(server)
