"""Default-deny egress, and the upstream engine against a real OpenAI-compatible server."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from agadir.config import Settings, UpstreamSettings
from agadir.egress import EgressPolicy, apply_offline_switches
from agadir.engines.base import ChatMessage, SamplingParams, collect
from agadir.engines.upstream import UpstreamEngine
from agadir.errors import EgressDeniedError, EngineUnavailableError
from tests.servers import RunningServer


@pytest.mark.parametrize(
    ("allow", "host", "allowed"),
    [
        ([], "127.0.0.1", True),
        ([], "localhost", True),
        ([], "::1", True),
        ([], "10.0.0.5", False),
        ([], "huggingface.co", False),
        (["10.0.0.0/8"], "10.20.30.40", True),
        (["10.0.0.0/8"], "11.0.0.1", False),
        (["vllm.internal"], "VLLM.internal", True),
        (["vllm.internal"], "evil.internal", False),
    ],
)
def test_egress_policy(allow: list[str], host: str, allowed: bool) -> None:
    policy = EgressPolicy(allow)
    assert policy.allows(host) is allowed
    if not allowed:
        with pytest.raises(EgressDeniedError, match="egress_allow"):
            policy.check(host)


@pytest.fixture
def no_sockets(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[object]]:
    """Record (and refuse) any attempt to open a network connection."""
    attempts: list[object] = []

    def refuse(self: socket.socket, address: object) -> None:
        attempts.append(address)
        raise AssertionError(f"a socket tried to connect to {address}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    yield attempts


async def test_upstream_outside_allow_list_is_refused_before_any_socket(
    settings: Settings, no_sockets: list[object]
) -> None:
    config = UpstreamSettings(name="remote", base_url="http://203.0.113.7:8000/v1")
    engine = UpstreamEngine(config, settings)
    with pytest.raises(EgressDeniedError, match=r"203\.0\.113\.7"):
        await collect(engine.stream_chat([ChatMessage("user", "hi")], SamplingParams()))
    with pytest.raises(EgressDeniedError):
        await engine.embed(["hi"])
    await engine.aclose()
    assert no_sockets == []


async def test_upstream_unreachable_says_so(settings: Settings) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    engine = UpstreamEngine(
        UpstreamSettings(name="down", base_url=f"http://127.0.0.1:{port}/v1"), settings
    )
    with pytest.raises(EngineUnavailableError, match="unreachable"):
        await collect(engine.stream_chat([ChatMessage("user", "hi")], SamplingParams()))
    await engine.aclose()


@pytest.mark.e2e
async def test_upstream_engine_against_a_real_server(
    server: RunningServer, settings: Settings
) -> None:
    config = UpstreamSettings(
        name="up", model="echo", base_url=f"{server.base_url}/v1", api_key=server.admin_key
    )
    engine = UpstreamEngine(config, settings)
    result = await collect(
        engine.stream_chat([ChatMessage("user", "marhba bikom")], SamplingParams(max_tokens=5))
    )
    assert result.text == "marhba bikom" and result.completion_tokens == 2
    completion = await collect(
        engine.stream_complete("a b c", SamplingParams(max_tokens=2, logprobs=True))
    )
    assert completion.text == "a b " and completion.finish_reason == "length"
    assert (await engine.embed(["x", "y"])).vectors[0] != (await engine.embed(["y"])).vectors[0]
    assert await engine.count_tokens("one two three four") >= 1
    await engine.aclose()


def test_offline_switches_are_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    switches = apply_offline_switches()
    assert switches["HF_HUB_OFFLINE"] == "1" and switches["TRANSFORMERS_OFFLINE"] == "1"
