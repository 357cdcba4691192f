"""The upstream engine's own SSE reader against a real (aiohttp) server sending what real
servers send: CRLF line ends, comments and other fields, one event's data over several lines,
an error event after the headers; and a killed replica's pooled connections costing nothing.
Each through both HTTP clients (`upstreams[].http_client`: Agadir's own, aiohttp)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import aiohttp
import pytest
from aiohttp import web

from agadir.config import Settings, UpstreamSettings
from agadir.engines.base import ChatMessage, Delta, SamplingParams, collect
from agadir.engines.upstream import UpstreamEngine
from agadir.engines.upstream_client import is_retryable
from agadir.errors import EngineUnavailableError
from tests.upstreams import start_upstream

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_FRAMED = (
    b": a comment line, ignored\r\n"
    b"event: message\r\nid: 1\r\n"
    b'data: {"choices":[{"index":0,"delta":{"content":"Sa"}}]}\r\n\r\n'
    b'data:{"choices":[{"index":0,\n'  # no space after the colon; one event over two lines
    b'data: "delta":{"content":"lam"}}]}\n\n'
    b'data: {"choices":[{"index":0,"delta":{},"finish_reason":"length"}],'
    b'"usage":{"prompt_tokens":4,"completion_tokens":2}}\n\n'
    b"data: [DONE]\n\n"
    b'data: {"choices":[{"index":0,"delta":{"content":"after DONE"}}]}\n\n'
)
_ERROR = (
    b'data: {"choices":[{"index":0,"delta":{"content":"Sa"}}]}\n\n'
    b'data: {"error":{"message":"CUDA out of memory","type":"server_error"}}\n\n'
)


def sse(body: bytes) -> Handler:
    async def handler(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        for piece in (body[:7], body[7:40], body[40:]):  # events cut across TCP writes
            await response.write(piece)
        await response.write_eof()
        return response

    return handler


@pytest.fixture
async def server_url() -> AsyncIterator[Callable[[bytes], Awaitable[str]]]:
    runners: list[web.AppRunner] = []

    async def start(body: bytes) -> str:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", sse(body))
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        runners.append(runner)
        port = runner.addresses[0][1]
        return f"http://127.0.0.1:{port}/v1"

    yield start
    for runner in runners:
        await runner.cleanup()


CLIENTS = pytest.mark.parametrize("client", ["raw", "aiohttp"])


def engine_for(settings: Settings, *urls: str, client: str = "raw") -> UpstreamEngine:
    config = UpstreamSettings.model_validate(
        {
            "name": "up",
            "model": "m",
            "base_urls": list(urls),
            "health_interval_s": 0,
            "http_client": client,
        }
    )
    return UpstreamEngine(config, settings)


@CLIENTS
async def test_sse_framing_as_servers_send_it(
    settings: Settings, server_url: Callable[[bytes], Awaitable[str]], client: str
) -> None:
    engine = engine_for(settings, await server_url(_FRAMED), client=client)
    deltas: list[Delta] = [
        d async for d in engine.stream_chat([ChatMessage("user", "hi")], SamplingParams())
    ]
    await engine.aclose()
    assert "".join(d.text for d in deltas) == "Salam"  # nothing after [DONE]
    assert deltas[-1].finish_reason == "length"
    assert (deltas[-1].prompt_tokens, deltas[-1].completion_tokens) == (4, 2)


@CLIENTS
async def test_an_error_event_mid_stream_fails_the_request_and_counts_against_the_replica(
    settings: Settings, server_url: Callable[[bytes], Awaitable[str]], client: str
) -> None:
    engine = engine_for(settings, await server_url(_ERROR), client=client)
    texts: list[str] = []
    with pytest.raises(EngineUnavailableError, match="CUDA out of memory"):
        async for delta in engine.stream_chat([ChatMessage("user", "hi")], SamplingParams()):
            texts.append(delta.text)
    replica = engine.replicas.replicas[0]
    await engine.aclose()
    assert texts == ["Sa"]
    assert replica.failures == 1


def test_a_write_onto_a_connection_the_replica_closed_is_retryable() -> None:
    assert is_retryable(aiohttp.ClientConnectionResetError("Cannot write to closing transport"))
    # a reset while reading: the replica may have done the work, so not retried
    assert not is_retryable(ConnectionResetError(104, "Connection reset by peer"))


@CLIENTS
async def test_a_killed_replicas_pooled_connections_cost_no_request(
    settings: Settings, client: str
) -> None:
    first, second = start_upstream("a"), start_upstream("b")
    engine = engine_for(settings, first.url, second.url, client=client)
    messages, params = [ChatMessage("user", "hi")], SamplingParams(max_tokens=1)
    try:
        for _ in range(4):  # both replicas hold pooled keep-alive connections
            await collect(engine.stream_chat(messages, params))
            assert [d async for d in engine.stream_chat(messages, params)]
        first.kill()
        answers = [(await collect(engine.stream_chat(messages, params))).text for _ in range(6)]
        streamed = [[d async for d in engine.stream_chat(messages, params)] for _ in range(6)]
    finally:
        await engine.aclose()
        first.stop()
        second.stop()
    assert answers == ["ok"] * 6
    assert all("".join(d.text for d in deltas) == "ok" for deltas in streamed)
