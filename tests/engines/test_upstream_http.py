"""Agadir's own HTTP/1.1 client for upstreams (`engines.upstream_http` under `JsonPoster`)
against real local servers that write their answers as the test scripts them: lengths, chunks,
bytes cut anywhere, keep-alive, servers closing connections, oversized or broken heads, slow
answers."""

from __future__ import annotations

import asyncio
import ssl
import subprocess
import time
from pathlib import Path

import orjson
import pytest

from agadir.egress import EgressPolicy
from agadir.engines.upstream_client import is_retryable
from agadir.engines.upstream_errors import (
    NothingReceivedError,
    ResponseCutError,
    UpstreamProtocolError,
    UpstreamStatusError,
    UpstreamTimeoutError,
)
from agadir.engines.upstream_json import JsonPoster
from agadir.engines.upstream_pool import ConnectionPool
from agadir.errors import EgressDeniedError
from tests.scripted_http import Handler, ScriptedServer, Seen, answer, chunked, scripted

OK = orjson.dumps({"choices": [{"message": {"content": "ok"}}]})
EVENTS = (
    b'data: {"choices":[{"delta":{"content":"Sa"}}]}\n\n',
    b'data: {"choices":[{"delta":{"content":"lam"}}]}\n\ndata: [DONE]\n\n',
)


def poster(
    url: str, *, limit: int = 8, timeout_s: float = 5.0, key: str | None = None
) -> JsonPoster:
    policy = EgressPolicy([])
    return JsonPoster(url, policy, api_key=key, max_connections=limit, timeout_s=timeout_s)


async def answered_twice(handler: Handler) -> ScriptedServer:
    """Two whole answers in a row from a server running `handler`; the server's record."""
    async with scripted(handler) as server:
        client = poster(server.url)
        for _ in range(2):
            assert await client.post("/chat/completions", {}) == orjson.loads(OK)
        await client.aclose()
    return server


def replying(wire: bytes, *, keep: bool = True) -> Handler:
    """A handler writing the same bytes to every request."""

    async def handler(seen: Seen, writer: asyncio.StreamWriter) -> bool:
        writer.write(wire)
        return keep

    return handler


async def write_in_pieces(writer: asyncio.StreamWriter, data: bytes, size: int) -> None:
    for start in range(0, len(data), size):
        writer.write(data[start : start + size])
        await writer.drain()
        await asyncio.sleep(0.001)  # each piece its own read on the client's side


async def test_content_length_answers_reuse_one_connection() -> None:
    async with scripted(replying(answer(200, OK, "Content-Type: application/json"))) as server:
        client = poster(server.url, key="sk-1")
        for _ in range(3):
            assert await client.post("/chat/completions", {"n": 1}) == orjson.loads(OK)
        await client.aclose()
    assert server.connections == 1 and [s.on_connection for s in server.seen] == [1, 2, 3]
    first = server.seen[0]
    assert (first.method, first.path, first.body) == ("POST", "/v1/chat/completions", b'{"n":1}')
    assert first.headers["authorization"] == "Bearer sk-1"
    assert first.headers["content-type"] == "application/json"


async def test_chunked_answer_cut_at_every_byte_and_an_interim_answer() -> None:
    async def handler(seen: Seen, writer: asyncio.StreamWriter) -> bool:
        whole = b"HTTP/1.1 100 Continue\r\n\r\n" + chunked(OK[:5], OK[5:])
        await write_in_pieces(writer, whole, 1)
        return True

    server = await answered_twice(handler)
    assert server.connections == 1


async def test_a_stream_is_read_as_it_arrives_and_its_connection_reused() -> None:
    async def handler(seen: Seen, writer: asyncio.StreamWriter) -> bool:
        await write_in_pieces(writer, chunked(*EVENTS), 7)  # events cut across reads
        return True

    async with scripted(handler) as server:
        client = poster(server.url)
        for _ in range(2):
            async with await client.stream("/chat/completions", {"stream": True}) as events:
                texts = [e["choices"][0]["delta"]["content"] async for e in events]
            assert texts == ["Sa", "lam"]
            await asyncio.sleep(0.05)  # the terminating chunk trails [DONE]
        await client.aclose()
    assert server.connections == 1  # released at [DONE], pooled once the body ended
    assert server.seen[0].headers["accept"] == "text/event-stream"


async def test_a_body_ended_by_closing_the_connection() -> None:
    wire = b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n" + OK
    server = await answered_twice(replying(wire, keep=False))
    assert server.connections == 2  # never pooled


async def test_a_connection_the_server_closed_while_idle_is_replaced() -> None:
    async def handler(seen: Seen, writer: asyncio.StreamWriter) -> bool:
        writer.write(answer(200, OK))
        return False  # closes each connection after one answer, without saying so

    async with scripted(handler) as server:
        client = poster(server.url)
        assert await client.post("/chat/completions", {}) == orjson.loads(OK)
        await asyncio.sleep(0.05)  # the close has arrived: the pooled connection is known dead
        assert await client.post("/chat/completions", {}) == orjson.loads(OK)
        await client.aclose()
    assert server.connections == 2 and len(server.seen) == 2


async def test_a_request_on_a_connection_closed_in_flight_is_sent_again_once() -> None:
    async def handler(seen: Seen, writer: asyncio.StreamWriter) -> bool:
        if seen.on_connection == 2:  # the server's keep-alive ran out as the request arrived
            return False
        writer.write(answer(200, OK))
        return True

    server = await answered_twice(handler)
    assert server.connections == 2 and len(server.seen) == 3


async def test_a_new_connection_closed_before_any_byte_fails_retryable() -> None:
    async with scripted(replying(b"", keep=False)) as server:
        client = poster(server.url)
        with pytest.raises(NothingReceivedError) as caught:
            await client.post("/chat/completions", {})
        await client.aclose()
    assert len(server.seen) == 1  # not sent again: it was a new connection
    assert is_retryable(caught.value)


async def test_a_connection_cut_mid_answer_is_not_retryable() -> None:
    async with scripted(replying(answer(200, OK)[:-3], keep=False)) as server:
        client = poster(server.url)
        with pytest.raises(ResponseCutError) as caught:
            await client.post("/chat/completions", {})
        await client.aclose()
    assert not is_retryable(caught.value)


async def test_refused_connection_is_retryable() -> None:
    async with scripted(replying(b"")) as server:
        url = server.url
    client = poster(url)  # nothing listens there any more
    with pytest.raises(NothingReceivedError, match="cannot connect") as caught:
        await client.post("/chat/completions", {})
    await client.aclose()
    assert is_retryable(caught.value)


@pytest.mark.parametrize(
    "wire",
    [
        b"HTTP/1.1 200 OK\r\nX-Big: " + b"a" * 70_000 + b"\r\nContent-Length: 2\r\n\r\nok",
        b"SMTP ready\r\n\r\n",
    ],
    ids=["oversized header", "not HTTP"],
)
async def test_a_head_over_64_kib_or_not_http_fails(wire: bytes) -> None:
    async with scripted(replying(wire)) as server:
        client = poster(server.url)
        with pytest.raises(UpstreamProtocolError):
            await client.post("/chat/completions", {})
        await client.aclose()


async def test_an_error_status_keeps_its_message_and_a_non_json_answer_is_a_502() -> None:
    async def handler(seen: Seen, writer: asyncio.StreamWriter) -> bool:
        if seen.path.endswith("/chat/completions"):
            writer.write(answer(429, b'{"error":{"message":"slow down"}}'))
        else:
            writer.write(answer(200, b"<html>"))
        return True

    async with scripted(handler) as server:
        client = poster(server.url)
        with pytest.raises(UpstreamStatusError, match="slow down") as caught:
            await client.stream("/chat/completions", {})
        assert caught.value.status_code == 429
        with pytest.raises(UpstreamStatusError, match="not a JSON object") as caught:
            await client.post("/completions", {})
        assert caught.value.status_code == 502
        await client.aclose()
    assert server.connections == 1  # error bodies were read to the end: the connection stayed


async def test_whole_answers_have_a_total_timeout_and_streams_one_per_read() -> None:
    async def handler(seen: Seen, writer: asyncio.StreamWriter) -> bool:
        if seen.path.endswith("/completions") and not seen.path.endswith("chat/completions"):
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nok")  # 8 bytes short
            await asyncio.sleep(1)
        else:  # a stream: one event every 0.1 s, then silence
            writer.write(chunked()[: -len(b"0\r\n\r\n")])
            for _ in range(4):
                writer.write(b"%x\r\n%b\r\n" % (len(EVENTS[0]), EVENTS[0]))
                await writer.drain()
                await asyncio.sleep(0.1)
            await asyncio.sleep(1)
        return False

    async with scripted(handler) as server:
        client = poster(server.url, timeout_s=0.3)
        started = time.perf_counter()
        with pytest.raises(UpstreamTimeoutError):
            await client.post("/completions", {})
        assert 0.25 < time.perf_counter() - started < 1.0
        texts: list[str] = []
        with pytest.raises(UpstreamTimeoutError, match="silent"):
            async with await client.stream("/chat/completions", {}) as events:
                async for event in events:  # 0.4 s in all: each wait is under 0.3 s
                    texts.append(event["choices"][0]["delta"]["content"])
        assert texts == ["Sa"] * 4
        await client.aclose()


async def test_the_pool_keeps_to_its_limit() -> None:
    async def handler(seen: Seen, writer: asyncio.StreamWriter) -> bool:
        await asyncio.sleep(0.02)
        writer.write(answer(200, OK))
        return True

    async with scripted(handler) as server:
        client = poster(server.url, limit=2)
        answers = await asyncio.gather(*(client.post("/completions", {}) for _ in range(8)))
        await client.aclose()
    assert answers == [orjson.loads(OK)] * 8
    assert server.connections == 2


async def test_a_cancelled_request_frees_its_connection() -> None:
    async def handler(seen: Seen, writer: asyncio.StreamWriter) -> bool:
        if seen.connection == 1:
            await asyncio.sleep(1)  # never answered before the cancel
        writer.write(answer(200, OK))
        return True

    async with scripted(handler) as server:
        client = poster(server.url, limit=1)
        task = asyncio.create_task(client.post("/completions", {}))
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert await client.post("/completions", {}) == orjson.loads(OK)  # the one slot is free
        await client.aclose()
    assert server.connections == 2


async def test_localhost_is_pinned_with_its_host_header_and_checked_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with scripted(replying(answer(200, OK))) as server:
        port = server.url.rsplit(":", 1)[1].split("/")[0]
        client = poster(f"http://localhost:{port}/v1")
        checks: list[str] = []
        check = client.policy.check

        def counted(host: str) -> None:
            checks.append(host)
            check(host)

        monkeypatch.setattr(client.policy, "check", counted)
        for _ in range(3):
            await client.post("/completions", {})
        await client.aclose()
    assert checks == ["localhost"]
    assert server.seen[0].headers["host"] == f"localhost:{port}"


async def test_a_host_outside_the_allow_list_opens_no_socket() -> None:
    client = poster("http://203.0.113.7:8000/v1")
    with pytest.raises(EgressDeniedError):
        await client.post("/completions", {})
    assert client._pool is None


async def test_https_with_the_server_name_checked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert, key)
    trusting = ssl.create_default_context(cafile=str(cert))
    monkeypatch.setattr("agadir.engines.upstream_json.ssl.create_default_context", lambda: trusting)

    async with scripted(replying(answer(200, OK)), tls=tls) as server:
        port = server.url.rsplit(":", 1)[1].split("/")[0]
        client = poster(f"https://localhost:{port}/v1")  # pinned to 127.0.0.1, named localhost
        assert await client.post("/completions", {}) == orjson.loads(OK)
        await client.aclose()
        by_address = poster(f"https://127.0.0.1:{port}/v1")  # the certificate names localhost
        with pytest.raises(NothingReceivedError, match="certificate"):
            await by_address.post("/completions", {})
        await by_address.aclose()


async def test_a_stream_left_before_its_end_closes_its_connection_at_once() -> None:
    async def handler(seen: Seen, writer: asyncio.StreamWriter) -> bool:
        writer.write(chunked()[: -len(b"0\r\n\r\n")])
        for _ in range(20):
            writer.write(b"%x\r\n%b\r\n" % (len(EVENTS[0]), EVENTS[0]))
            await writer.drain()
            await asyncio.sleep(0.02)
        return True

    async with scripted(handler) as server:
        client = poster(server.url)
        async with await client.stream("/chat/completions", {}) as events:
            async for _ in events:
                break  # the gateway's client went away: the upstream should stop generating
        assert client._pool is not None and client._pool.size == 0
        await client.aclose()


async def test_a_stream_whose_body_never_ends_after_done_is_closed_after_a_moment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("agadir.engines.upstream_http._LINGER_S", 0.05)

    async def handler(seen: Seen, writer: asyncio.StreamWriter) -> bool:
        writer.write(chunked(*EVENTS)[: -len(b"0\r\n\r\n")])  # no terminating chunk
        await asyncio.sleep(0.5)
        return False

    async with scripted(handler) as server:
        client = poster(server.url)
        async with await client.stream("/chat/completions", {}) as events:
            assert len([e async for e in events]) == 2
        assert client._pool is not None and client._pool.size == 1  # lingering
        await asyncio.sleep(0.15)
        assert client._pool.size == 0
        await client.aclose()


async def test_a_new_connection_finds_room_in_a_pool_full_of_idle_ones() -> None:
    async with scripted(replying(answer(200, OK))) as server:
        host, port = server.url.split("//")[1].split("/")[0].split(":")
        pool = ConnectionPool(host, int(port), limit=1)
        first = await pool.request(b"GET /v1 HTTP/1.1\r\nHost: x\r\n\r\n", 5)
        await first.body()
        pool.release(first)  # idle, and the pool is at its limit
        second = await asyncio.wait_for(pool.acquire(fresh=True), 2)
        assert second is not first and first.closed and pool.size == 1
        pool.release(second)
        await pool.aclose()


async def test_the_total_timeout_covers_waiting_for_a_connection_and_for_headers() -> None:
    async def handler(seen: Seen, writer: asyncio.StreamWriter) -> bool:
        await asyncio.sleep(0.6)  # holds the pool's one connection, and never answers in time
        writer.write(answer(200, OK))
        return True

    async with scripted(handler) as server:
        client = poster(server.url, limit=1, timeout_s=0.2)
        started = time.perf_counter()
        outcomes = await asyncio.gather(
            client.post("/completions", {}),
            client.stream("/chat/completions", {}),
            return_exceptions=True,
        )
        assert time.perf_counter() - started < 0.5
        assert all(isinstance(o, UpstreamTimeoutError) for o in outcomes), outcomes
        await client.aclose()
