"""In-process HTTP tests against the echo engine: shapes, usage, streaming, bad input."""

from __future__ import annotations

import json

import httpx
import pytest

CHAT = "/v1/chat/completions"


def _error(response: httpx.Response) -> dict[str, object]:
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"message", "type", "param", "code"}
    assert body["error"]["message"]
    return body["error"]


async def test_chat_returns_openai_shape_with_usage(echo_client: httpx.AsyncClient) -> None:
    r = await echo_client.post(
        CHAT, json={"model": "echo", "messages": [{"role": "user", "content": "salam a sahbi"}]}
    )
    assert r.status_code == 200
    body = r.json()
    assert body["object"] == "chat.completion"
    assert body["choices"][0]["message"] == {"role": "assistant", "content": "salam a sahbi"}
    assert body["choices"][0]["finish_reason"] == "stop"
    assert body["usage"] == {"prompt_tokens": 3, "completion_tokens": 3, "total_tokens": 6}


async def test_chat_max_tokens_and_stop(echo_client: httpx.AsyncClient) -> None:
    msg = [{"role": "user", "content": "one two three four five"}]
    r = await echo_client.post(CHAT, json={"model": "echo", "messages": msg, "max_tokens": 2})
    assert r.json()["choices"][0]["message"]["content"] == "one two "
    assert r.json()["choices"][0]["finish_reason"] == "length"
    r = await echo_client.post(CHAT, json={"model": "echo", "messages": msg, "stop": ["thr"]})
    assert r.json()["choices"][0]["message"]["content"] == "one two "
    assert r.json()["choices"][0]["finish_reason"] == "stop"


async def test_chat_stream_events_end_with_usage_and_done(echo_client: httpx.AsyncClient) -> None:
    payload = {
        "model": "echo",
        "stream": True,
        "stream_options": {"include_usage": True},
        "messages": [{"role": "user", "content": "a b c"}],
    }
    async with echo_client.stream("POST", CHAT, json=payload) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        lines = [line async for line in r.aiter_lines() if line.startswith("data: ")]
    assert lines[-1] == "data: [DONE]"
    chunks = [json.loads(line[6:]) for line in lines[:-1]]
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks if c["choices"])
    assert text == "a b c"
    finals = [c for c in chunks if c["choices"] and c["choices"][0]["finish_reason"]]
    assert finals[0]["usage"] is None  # usage comes once, in its own chunk
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["total_tokens"] == 6


async def test_completions_echo_and_logprobs(echo_client: httpx.AsyncClient) -> None:
    r = await echo_client.post(
        "/v1/completions",
        json={
            "model": "echo",
            "prompt": "hello world",
            "echo": True,
            "logprobs": 1,
            "max_tokens": 5,
        },
    )
    body = r.json()
    assert r.status_code == 200
    assert body["choices"][0]["text"] == "hello worldhello world"
    lp = body["choices"][0]["logprobs"]
    assert lp["tokens"][:2] == ["hello ", "world"]
    assert len(lp["tokens"]) == len(lp["token_logprobs"]) == len(lp["text_offset"])
    assert body["usage"]["prompt_tokens"] == 2


async def test_embeddings_float_and_base64(echo_client: httpx.AsyncClient) -> None:
    r = await echo_client.post("/v1/embeddings", json={"model": "echo", "input": ["a", "b"]})
    body = r.json()
    assert [d["index"] for d in body["data"]] == [0, 1]
    assert len(body["data"][0]["embedding"]) == 16
    r = await echo_client.post(
        "/v1/embeddings", json={"model": "echo", "input": "a", "encoding_format": "base64"}
    )
    assert isinstance(r.json()["data"][0]["embedding"], str)


async def test_models_lists_packaged_default_with_sha(echo_client: httpx.AsyncClient) -> None:
    r = await echo_client.get("/v1/models")
    cards = {m["id"]: m for m in r.json()["data"]}
    assert "smollm2-135m-instruct" in cards and "echo" in cards
    assert len(cards["smollm2-135m-instruct"]["sha256"]) == 64
    assert cards["usem3-multilingual"]["capabilities"] == ["embedding"]
    r = await echo_client.get("/v1/models/smollm2-135m-instruct")
    assert r.json()["license"] == "Apache-2.0"


@pytest.mark.parametrize(
    ("payload", "status", "param"),
    [
        ({"model": "nope", "messages": [{"role": "user", "content": "x"}]}, 404, "model"),
        ({"model": "echo", "messages": []}, 422, "messages"),
        ({"model": "echo", "messages": "hello"}, 422, "messages"),
        (
            {"model": "echo", "messages": [{"role": "user", "content": "x"}], "temperature": 7},
            422,
            "temperature",
        ),
        (
            {"model": "echo", "messages": [{"role": "user", "content": "x"}], "max_tokens": -1},
            422,
            "max_tokens",
        ),
        (
            {"model": "echo", "messages": [{"role": "user", "content": "x"}], "top_p": "high"},
            400,  # a scalar of the wrong JSON type: refused before pydantic could coerce it
            "top_p",
        ),
        ({"model": "echo", "messages": [{"role": "wizard", "content": "x"}]}, 422, None),
        ({"messages": [{"role": "user", "content": "x"}]}, 422, "model"),
        ({"model": "echo", "messages": [{"role": "user", "content": "x"}], "n": 3}, 422, "n"),
        (
            {"model": "usem3-multilingual", "messages": [{"role": "user", "content": "x"}]},
            400,
            "model",
        ),
        (
            {
                "model": "echo",
                "messages": [{"role": "user", "content": "x"}],
                "response_format": {"type": "json_schema"},
            },
            400,
            "response_format",
        ),
    ],
)
async def test_bad_chat_requests_get_precise_errors(
    echo_client: httpx.AsyncClient, payload: dict[str, object], status: int, param: str | None
) -> None:
    r = await echo_client.post(CHAT, json=payload)
    assert r.status_code == status, r.text
    error = _error(r)
    if param is not None:
        assert str(error["param"]).startswith(param)


async def test_malformed_json_is_400(echo_client: httpx.AsyncClient) -> None:
    r = await echo_client.post(
        CHAT,
        content=b'{"model": "echo", "messages": [',
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 400
    assert _error(r)["code"] == "invalid_json"


async def test_oversized_body_is_413(echo_client: httpx.AsyncClient) -> None:
    big = "x" * (9 * 1024 * 1024)
    r = await echo_client.post(
        CHAT, json={"model": "echo", "messages": [{"role": "user", "content": big}]}
    )
    assert r.status_code == 413
    assert _error(r)["code"] == "request_too_large"


async def test_unknown_route_and_method(echo_client: httpx.AsyncClient) -> None:
    assert (await echo_client.get("/v1/nothing")).status_code == 404
    r = await echo_client.get(CHAT)
    assert r.status_code == 405
    _error(r)


async def test_stream_with_unknown_model_errors_before_streaming(
    echo_client: httpx.AsyncClient,
) -> None:
    r = await echo_client.post(
        CHAT,
        json={"model": "ghost", "stream": True, "messages": [{"role": "user", "content": "x"}]},
    )
    assert r.status_code == 404
    assert _error(r)["code"] == "model_not_found"


async def test_health_and_metrics(echo_client: httpx.AsyncClient) -> None:
    await echo_client.post(
        CHAT, json={"model": "echo", "messages": [{"role": "user", "content": "a b"}]}
    )
    health = (await echo_client.get("/healthz")).json()
    assert health["status"] == "ok" and "deny" in health["egress"]
    text = (await echo_client.get("/metrics")).text
    assert 'agadir_requests_total{endpoint="/v1/chat/completions",status="200"} 1.0' in text
    assert 'agadir_completion_tokens_total{model="echo"} 2.0' in text
    assert "agadir_request_latency_seconds_bucket" in text
