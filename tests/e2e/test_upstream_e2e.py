"""Agadir in front of upstreams, end to end with the official `openai` client: grounded chat on
an upstream model (another `agadir serve`), and every request parameter reaching the upstream."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest

from tests.servers import RunningServer, start_server, stop_server
from tests.upstreams import InstantUpstream, start_upstream

pytestmark = pytest.mark.e2e


def gateway_env(upstreams: list[dict[str, object]], **extra: str) -> dict[str, str]:
    return {"AGADIR_UPSTREAMS": json.dumps(upstreams), **extra}


@pytest.fixture(scope="module")
def agadir_pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """An echo `agadir serve`, and a second one whose default model is the first (an upstream)."""
    root = tmp_path_factory.mktemp("pair")
    inner = start_server(root / "inner", "--enable-echo", env={"AGADIR_KNOWLEDGE__PACKS": "[]"})
    upstream: dict[str, object] = {"name": "inner-echo", "model": "echo"}
    upstream["base_url"] = f"{inner.base_url}/v1"
    upstream["api_key"] = inner.admin_key
    env = gateway_env([upstream], AGADIR_MODEL="inner-echo")
    env["AGADIR_KNOWLEDGE__PACKS"] = '["agriculture"]'  # the one pack the test asks
    try:
        outer = start_server(root / "outer", env=env)
        yield outer
        stop_server(outer)
    finally:  # the inner server goes even when the outer one never came up
        stop_server(inner)


def test_grounded_chat_on_an_upstream_model(agadir_pair: RunningServer) -> None:
    client = openai.OpenAI(
        base_url=f"{agadir_pair.base_url}/v1", api_key=agadir_pair.admin_key, max_retries=0
    )
    reply = client.chat.completions.create(
        model="kb:agriculture",
        messages=[{"role": "user", "content": "imta kayjniw zitoun f lmaghrib?"}],
        temperature=0,
        max_tokens=32,
    )
    assert reply.choices[0].message.content
    citations = (reply.model_extra or {})["citations"]
    assert citations and any("zaytoun" in c["document"] for c in citations)
    assert reply.usage is not None and reply.usage.prompt_tokens > 50  # passages went upstream
    stream = client.chat.completions.create(
        model="kb:agriculture",
        messages=[{"role": "user", "content": "imta kayjniw zitoun f lmaghrib?"}],
        max_tokens=16,
        stream=True,
    )
    assert "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    card = client.models.retrieve("inner-echo")
    assert (card.model_extra or {})["context_length"] == 8192  # learned from the upstream


@pytest.fixture(scope="module")
def instant() -> Iterator[InstantUpstream]:
    up = start_upstream("instant")
    yield up
    up.stop()


def test_every_parameter_reaches_the_upstream_through_the_gateway(
    instant: InstantUpstream, tmp_path: Path
) -> None:
    env = gateway_env(
        [{"name": "fast", "model": "instant", "base_url": instant.url}],
        AGADIR_KNOWLEDGE__PACKS="[]",
    )
    server = start_server(tmp_path / "home", env=env)
    try:
        client = openai.OpenAI(
            base_url=f"{server.base_url}/v1", api_key=server.admin_key, max_retries=0
        )
        reply = client.chat.completions.create(
            model="fast",
            messages=[{"role": "user", "content": "ECHO_BODY"}],
            presence_penalty=0.5,
            frequency_penalty=0.75,
            logit_bias={"50256": -100},
            user="farmer-7",
            seed=3,
            extra_body={"top_k": 8, "repetition_penalty": 1.1},
        )
        sent = json.loads(reply.choices[0].message.content or "")
        assert sent["presence_penalty"] == 0.5 and sent["frequency_penalty"] == 0.75
        assert sent["logit_bias"] == {"50256": -100} and sent["user"] == "farmer-7"
        assert sent["top_k"] == 8 and sent["repetition_penalty"] == 1.1 and sent["seed"] == 3
        assert sent["model"] == "instant"
        metrics = httpx.get(f"{server.base_url}/metrics").text
        assert f'agadir_upstream_replica_up{{model="fast",replica="{instant.url}"}} 1.0' in metrics
    finally:
        stop_server(server)
