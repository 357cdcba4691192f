"""The upstream engine on the `openai` client, against a real (tiny) OpenAI-compatible server:
every parameter forwarded, no invented token ids, context length learned, replicas balanced."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator

import pytest

from agadir.config import Settings, UpstreamSettings
from agadir.engines.base import ChatMessage, SamplingParams, collect
from agadir.engines.upstream import FALLBACK_CONTEXT, UpstreamEngine
from agadir.errors import EngineUnavailableError, InvalidRequestError
from tests.upstreams import InstantUpstream, start_upstream


@pytest.fixture(scope="module")
def upstream() -> Iterator[InstantUpstream]:
    up = start_upstream("instant", "--tokens", "3", "--context", "32768")
    yield up
    up.stop()


def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}/v1"  # nothing listens once closed


def engine_for(settings: Settings, *urls: str, **options: object) -> UpstreamEngine:
    config = UpstreamSettings(name="up", model="instant", base_urls=list(urls), **options)
    return UpstreamEngine(config, settings)


async def test_every_parameter_reaches_the_upstream(
    settings: Settings, upstream: InstantUpstream
) -> None:
    engine = engine_for(settings, upstream.url)
    params = SamplingParams(
        max_tokens=7,
        temperature=0.3,
        top_p=0.9,
        stop=("\n",),
        seed=11,
        presence_penalty=0.5,
        frequency_penalty=-0.25,
        json_mode=True,
        extra={"logit_bias": {"42": -100}, "top_k": 5, "user": "u-1"},
    )
    result = await collect(engine.stream_chat([ChatMessage("user", "ECHO_BODY")], params))
    sent = json.loads(result.text)
    assert sent["presence_penalty"] == 0.5 and sent["frequency_penalty"] == -0.25
    assert sent["logit_bias"] == {"42": -100} and sent["top_k"] == 5 and sent["user"] == "u-1"
    assert sent["response_format"] == {"type": "json_object"}
    assert (sent["max_tokens"], sent["temperature"], sent["top_p"]) == (7, 0.3, 0.9)
    assert (sent["stop"], sent["seed"], sent["model"]) == (["\n"], 11, "instant")
    assert "stream" not in sent  # a non-streaming request is one whole answer upstream
    streamed = [d async for d in engine.stream_chat([ChatMessage("user", "ECHO_BODY")], params)]
    sent = json.loads("".join(d.text for d in streamed))
    assert sent["stream"] is True and sent["presence_penalty"] == 0.5 and sent["top_k"] == 5
    await engine.aclose()


async def test_stream_and_whole_answers_agree(
    settings: Settings, upstream: InstantUpstream
) -> None:
    engine = engine_for(settings, upstream.url)
    messages = [ChatMessage("user", "hi")]
    whole = await collect(engine.stream_chat(messages, SamplingParams(max_tokens=2)))
    deltas = [d async for d in engine.stream_chat(messages, SamplingParams(max_tokens=2))]
    assert whole.text == "".join(d.text for d in deltas) == "ok ok"
    assert whole.finish_reason == deltas[-1].finish_reason == "length"
    assert whole.completion_tokens == deltas[-1].completion_tokens == 2
    completion = await collect(engine.stream_complete("a", SamplingParams(max_tokens=1)))
    assert completion.text == "ok" and completion.finish_reason == "stop"
    await engine.aclose()


async def test_no_tokenizer_means_no_token_ids(
    settings: Settings, upstream: InstantUpstream
) -> None:
    engine = engine_for(settings, upstream.url)
    with pytest.raises(InvalidRequestError, match="no /tokenize"):
        await engine.tokenize("salam")
    assert await engine.count_tokens("x" * 30) == 10  # a marked estimate, never ids
    await engine.aclose()


async def test_context_length_from_the_upstream_or_the_config(
    settings: Settings, upstream: InstantUpstream
) -> None:
    engine = engine_for(settings, upstream.url)
    assert engine.info().context_length == FALLBACK_CONTEXT and not engine.context_known
    await engine.prepare()
    assert engine.info().context_length == 32768
    await engine.aclose()
    configured = engine_for(settings, upstream.url, context_length=1024)
    await configured.prepare()
    assert configured.info().context_length == 1024
    await configured.aclose()


async def test_upstream_error_keeps_its_message(
    settings: Settings, upstream: InstantUpstream
) -> None:
    engine = UpstreamEngine(
        UpstreamSettings(name="up", base_url=upstream.url.removesuffix("/v1") + "/nope"), settings
    )
    with pytest.raises(InvalidRequestError, match="answered 404: not found"):
        await collect(engine.stream_chat([ChatMessage("user", "hi")], SamplingParams()))
    await engine.aclose()


async def test_refused_connection_is_retried_on_another_replica(
    settings: Settings, upstream: InstantUpstream
) -> None:
    dead = closed_port_url()
    engine = engine_for(settings, dead, upstream.url, eject_after=2, health_interval_s=0)
    for _ in range(4):
        result = await collect(engine.stream_chat([ChatMessage("user", "hi")], SamplingParams()))
        assert result.text == "ok ok ok"
    down, live = engine.replicas.replicas
    assert not down.in_rotation and down.ejections == 1 and down.failures == 2
    assert down.retries == 2 and live.failures == 0 and live.outstanding == down.outstanding == 0
    await engine.aclose()


async def test_all_replicas_down_says_unreachable(settings: Settings) -> None:
    engine = engine_for(settings, closed_port_url(), closed_port_url(), health_interval_s=0)
    with pytest.raises(EngineUnavailableError, match="unreachable"):
        await collect(engine.stream_chat([ChatMessage("user", "hi")], SamplingParams()))
    assert sum(r.requests for r in engine.replicas.replicas) == 2  # each tried once
    await engine.aclose()


async def test_probe_readmits_an_ejected_replica(
    settings: Settings, upstream: InstantUpstream
) -> None:
    engine = engine_for(settings, upstream.url, eject_after=1)
    replica = engine.replicas.replicas[0]
    engine.replicas.failed(replica)
    assert not replica.in_rotation
    assert await engine.replicas.probe(replica) is not None
    assert replica.in_rotation
    await engine.aclose()


async def test_least_outstanding_requests_wins(settings: Settings) -> None:
    engine = engine_for(settings, "http://127.0.0.1:1/v1", "http://127.0.0.1:2/v1")
    a, b = engine.replicas.replicas
    a.outstanding = 3
    assert engine.replicas.pick() is b
    b.outstanding = 5
    assert engine.replicas.pick() is a
    a.outstanding = b.outstanding = 0
    assert {engine.replicas.pick(), engine.replicas.pick()} == {a, b}  # ties alternate
    await engine.aclose()
