"""The generation base shared by chat and completions, in-process on the echo engine: one
stream finaliser (usage only when asked), batched prompts, requests refused rather than
silently coerced, and model errors that reveal only what the key may see."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from agadir.config import Settings
from agadir.gateway.app import create_app
from agadir.gateway.state import GatewayState

CHAT = "/v1/chat/completions"
COMPLETIONS = "/v1/completions"


async def _events(client: httpx.AsyncClient, path: str, body: dict[str, Any]) -> list[Any]:
    async with client.stream("POST", path, json={**body, "stream": True}) as r:
        assert r.status_code == 200, await r.aread()
        lines = [line[6:] async for line in r.aiter_lines() if line.startswith("data: ")]
    assert lines[-1] == "[DONE]"
    return [json.loads(line) for line in lines[:-1]]


def _bodies(text: str) -> dict[str, dict[str, Any]]:
    return {
        CHAT: {"model": "echo", "messages": [{"role": "user", "content": text}]},
        COMPLETIONS: {"model": "echo", "prompt": text, "max_tokens": 50},
    }


@pytest.mark.parametrize("path", [CHAT, COMPLETIONS])
async def test_stream_sends_usage_only_when_asked(
    echo_client: httpx.AsyncClient, path: str
) -> None:
    body = _bodies("one two three")[path]
    plain = await _events(echo_client, path, body)
    assert all(chunk.get("usage") is None for chunk in plain)
    assert all(chunk["choices"] for chunk in plain)
    finishes = [c["choices"][0]["finish_reason"] for c in plain if c["choices"][0]["finish_reason"]]
    assert finishes == ["stop"]

    asked = await _events(echo_client, path, {**body, "stream_options": {"include_usage": True}})
    *chunks, last = asked
    assert last["choices"] == []
    assert last["usage"] == {"prompt_tokens": 3, "completion_tokens": 3, "total_tokens": 6}
    assert all("usage" in c and c["usage"] is None for c in chunks)
    shape = "delta" if path == CHAT else "text"
    texts = [c["choices"][0][shape] for c in chunks]
    joined = "".join(t.get("content", "") if isinstance(t, dict) else t for t in texts)
    assert joined == "one two three"


async def test_batched_prompts_are_one_choice_each(echo_client: httpx.AsyncClient) -> None:
    prompts = ["salam a sahbi", "bonjour tout le monde", "hello"]
    r = await echo_client.post(
        COMPLETIONS, json={"model": "echo", "prompt": prompts, "echo": True, "logprobs": 0}
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert [c["index"] for c in body["choices"]] == [0, 1, 2]
    assert [c["text"] for c in body["choices"]] == [p + p for p in prompts]
    assert body["usage"]["prompt_tokens"] == 3 + 4 + 1
    assert body["usage"]["completion_tokens"] == 3 + 4 + 1

    chunks = await _events(
        echo_client,
        COMPLETIONS,
        {"model": "echo", "prompt": prompts, "stream_options": {"include_usage": True}},
    )
    texts = ["", "", ""]
    finished = []
    for chunk in chunks[:-1]:
        choice = chunk["choices"][0]
        texts[choice["index"]] += choice["text"]
        if choice["finish_reason"]:
            finished.append(choice["index"])
    assert texts == prompts and sorted(finished) == [0, 1, 2]
    assert chunks[-1]["usage"]["completion_tokens"] == 8


async def test_token_id_prompts_on_a_text_only_engine_are_a_400(
    echo_client: httpx.AsyncClient,
) -> None:
    for prompt in ([1, 2, 3], [[1, 2], [3]]):
        r = await echo_client.post(COMPLETIONS, json={"model": "echo", "prompt": prompt})
        assert r.status_code == 400, r.text
        assert r.json()["error"]["param"] == "prompt"
        assert r.json()["error"]["code"] == "unsupported_prompt"


@pytest.mark.parametrize(
    ("path", "extra", "param"),
    [
        (
            CHAT,
            {"tools": [{"type": "function", "function": {"name": "f"}}], "tool_choice": "required"},
            "tool_choice",
        ),
        (
            CHAT,
            {
                "tools": [{"type": "function", "function": {"name": "f"}}],
                "tool_choice": {"type": "function", "function": {"name": "f"}},
            },
            "tool_choice",
        ),
        (CHAT, {"top_logprobs": 2}, "top_logprobs"),
        (CHAT, {"top_logprobs": 2, "logprobs": False}, "top_logprobs"),
        (CHAT, {"max_tokens": True}, "max_tokens"),
        (CHAT, {"max_tokens": "5"}, "max_tokens"),
        (CHAT, {"max_completion_tokens": 2.5}, "max_completion_tokens"),
        (CHAT, {"logprobs": 1}, "logprobs"),
        (CHAT, {"stream": "yes"}, "stream"),
        (CHAT, {"temperature": True}, "temperature"),
        (CHAT, {"seed": False}, "seed"),
        (COMPLETIONS, {"max_tokens": True}, "max_tokens"),
        (COMPLETIONS, {"logprobs": True}, "logprobs"),
        (COMPLETIONS, {"echo": 1}, "echo"),
        (COMPLETIONS, {"suffix": "end"}, "suffix"),
    ],
)
async def test_unsupported_or_mistyped_options_are_a_400(
    echo_client: httpx.AsyncClient, path: str, extra: dict[str, Any], param: str
) -> None:
    r = await echo_client.post(path, json={**_bodies("a b")[path], **extra})
    assert r.status_code == 400, r.text
    error = r.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert error["type"] == "invalid_request_error" and error["param"] == param
    assert param in error["message"]


async def test_tools_the_model_may_ignore_still_answer(echo_client: httpx.AsyncClient) -> None:
    tools = [{"type": "function", "function": {"name": "f"}}]
    for choice in ("auto", "none", None):
        body = {**_bodies("a b")[CHAT], "tools": tools, "tool_choice": choice}
        r = await echo_client.post(CHAT, json=body)
        assert r.status_code == 200, r.text
        assert r.json()["choices"][0]["message"]["content"] == "a b"


async def test_tokenizer_endpoints_refuse_an_engine_without_a_tokenizer(
    echo_client: httpx.AsyncClient,
) -> None:
    r = await echo_client.post("/tokenize", json={"model": "echo", "prompt": "a b"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "unsupported_capability"
    r = await echo_client.post("/v1/tokenize", json={"model": "echo"})
    assert r.status_code == 400


@pytest.fixture
async def governed(settings: Settings) -> AsyncIterator[tuple[httpx.AsyncClient, GatewayState]]:
    app = create_app(settings, enable_echo=True)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://agadir") as client:
            yield client, app.state.agadir


def _key(state: GatewayState, scopes: str) -> dict[str, str]:
    gov = state.governance
    if "acme" not in {t.name for t in gov.tenants.list()}:
        gov.tenants.create("acme", pii_mode="off")
    return {"Authorization": f"Bearer {gov.keys.create('acme', scopes).plaintext}"}


async def test_unknown_model_errors_name_only_models_the_key_may_use(
    governed: tuple[httpx.AsyncClient, GatewayState],
) -> None:
    client, state = governed
    others = [e.name for e in state.engines.entries() if e.name != "echo"]
    assert others, "the packaged models should be listed beside echo"
    narrow = _key(state, "chat,completions,models:echo")
    for method, path, body in (
        ("POST", CHAT, {"model": "gpt-99", "messages": [{"role": "user", "content": "x"}]}),
        ("POST", COMPLETIONS, {"model": "gpt-99", "prompt": "x"}),
        ("POST", "/tokenize", {"model": "gpt-99", "prompt": "x"}),
        ("GET", "/v1/models/gpt-99", None),
    ):
        r = await client.request(method, path, json=body, headers=narrow)
        assert r.status_code == 403, r.text  # scope first: the key may not use that name at all
        assert not any(name in r.text for name in others)
    patterned = _key(state, "chat,models:ec*")
    r = await client.post(
        CHAT,
        json={"model": "ecco", "messages": [{"role": "user", "content": "x"}]},
        headers=patterned,
    )
    assert r.status_code == 404, r.text
    assert "echo" in r.json()["error"]["message"]
    assert not any(name in r.text for name in others)
    r = await client.get("/v1/models/ecco", headers=patterned)
    assert r.status_code == 404 and not any(name in r.text for name in others)
    everything = _key(state, "chat,models:*")
    r = await client.post(
        CHAT,
        json={"model": "gpt-99", "messages": [{"role": "user", "content": "x"}]},
        headers=everything,
    )
    assert r.status_code == 404 and all(name in r.text for name in others)


async def test_streamed_and_plain_chat_count_tokens_under_the_same_model(
    governed: tuple[httpx.AsyncClient, GatewayState],
) -> None:
    client, state = governed
    headers = _key(state, "chat,models:*")

    def generated() -> float:
        value = state.metrics.registry.get_sample_value(
            "agadir_completion_tokens_total", {"model": "echo"}
        )
        return value or 0.0

    body = {"model": "echo", "messages": [{"role": "user", "content": "a b c"}]}
    await client.post(CHAT, json=body, headers=headers)
    assert generated() == 3
    async with client.stream("POST", CHAT, json={**body, "stream": True}, headers=headers) as r:
        assert r.status_code == 200
        _ = [line async for line in r.aiter_lines()]
    assert generated() == 6
