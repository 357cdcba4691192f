"""End to end: the real server process, driven by the official `openai` client.

Generation uses the packaged SmolLM2 at temperature 0, so answers are deterministic.
"""

from __future__ import annotations

import asyncio
import json
import time

import httpx
import openai
import pytest

from tests.servers import RunningServer

pytestmark = pytest.mark.e2e
MODEL = "smollm2-135m-instruct"


@pytest.fixture
def client(server: RunningServer) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{server.base_url}/v1", api_key=server.admin_key, max_retries=0)


@pytest.fixture
def aclient(server: RunningServer) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(
        base_url=f"{server.base_url}/v1", api_key=server.admin_key, max_retries=0
    )


def test_models_list(client: openai.OpenAI) -> None:
    ids = {m.id for m in client.models.list()}
    assert {MODEL, "usem3-multilingual", "echo"} <= ids


def test_chat_is_deterministic_and_counts_tokens(client: openai.OpenAI) -> None:
    kwargs = dict(
        model=MODEL,
        messages=[{"role": "user", "content": "Name three fruits."}],
        temperature=0,
        seed=7,
        max_tokens=24,
    )
    first = client.chat.completions.create(**kwargs)  # type: ignore[call-overload]
    second = client.chat.completions.create(**kwargs)  # type: ignore[call-overload]
    text = first.choices[0].message.content
    assert text and text == second.choices[0].message.content
    assert first.usage is not None and first.usage.prompt_tokens > 5
    assert 0 < first.usage.completion_tokens <= 24


def test_stream_matches_non_stream(client: openai.OpenAI) -> None:
    kwargs = dict(
        model=MODEL,
        messages=[{"role": "user", "content": "Say hello to Agadir."}],
        temperature=0,
        max_tokens=20,
    )
    whole = client.chat.completions.create(**kwargs)  # type: ignore[call-overload]
    pieces, usage = [], None
    for chunk in client.chat.completions.create(  # type: ignore[call-overload]
        stream=True, stream_options={"include_usage": True}, **kwargs
    ):
        if chunk.choices:
            pieces.append(chunk.choices[0].delta.content or "")
        if chunk.usage:
            usage = chunk.usage
    assert "".join(pieces) == whole.choices[0].message.content
    assert usage is not None and usage.completion_tokens == whole.usage.completion_tokens


def test_json_mode_returns_json(client: openai.OpenAI) -> None:
    reply = client.chat.completions.create(
        model=MODEL,
        temperature=0,
        max_tokens=60,
        response_format={"type": "json_object"},
        messages=[{"role": "user", "content": "Describe a city as JSON with name and country."}],
    )
    content = reply.choices[0].message.content or ""
    if reply.choices[0].finish_reason == "stop":
        assert isinstance(json.loads(content), dict)
    else:  # cut by max_tokens: still a JSON object prefix
        assert content.lstrip().startswith("{")


def test_completion_logprobs_with_echo_scores_the_prompt(client: openai.OpenAI) -> None:
    prompt = "The capital of Morocco is Rabat"
    result = client.completions.create(
        model=MODEL, prompt=prompt, echo=True, logprobs=2, max_tokens=0, temperature=0
    )
    choice = result.choices[0]
    assert choice.text == prompt
    lp = choice.logprobs
    assert lp is not None and lp.token_logprobs is not None and lp.tokens is not None
    assert "".join(lp.tokens) == prompt
    assert lp.token_logprobs[0] is None
    assert all(v is not None and v <= 0 for v in lp.token_logprobs[1:])
    assert result.usage is not None and result.usage.prompt_tokens == len(lp.tokens)


def test_completion_generates_with_logprobs(client: openai.OpenAI) -> None:
    result = client.completions.create(
        model=MODEL, prompt="Once upon a time", max_tokens=8, logprobs=1, temperature=0
    )
    lp = result.choices[0].logprobs
    assert lp is not None and lp.tokens and len(lp.tokens) == result.usage.completion_tokens  # type: ignore[union-attr]
    assert "".join(lp.tokens) == result.choices[0].text


def test_embeddings_are_multilingual(client: openai.OpenAI) -> None:
    texts = ["Le marché ouvre le matin.", "السوق يفتح في الصباح.", "Quantum chromodynamics."]
    vectors = [
        d.embedding for d in client.embeddings.create(model="usem3-multilingual", input=texts).data
    ]
    assert all(len(v) == 512 for v in vectors)

    def cos(a: list[float], b: list[float]) -> float:
        dot = sum(x * y for x, y in zip(a, b, strict=True))
        return dot / (sum(x * x for x in a) ** 0.5 * sum(y * y for y in b) ** 0.5)

    assert cos(vectors[0], vectors[1]) > cos(vectors[0], vectors[2]) + 0.1


def test_concurrent_greedy_chats_each_equal_their_solo_answer(
    client: openai.OpenAI, aclient: openai.AsyncOpenAI
) -> None:
    """Isolation: requests decoded in the same batch never leak into one another (KV cells,
    samplers, stops), so each concurrent greedy answer is exactly its answer alone."""
    topics = ["the sea", "Fes", "argan oil", "mint tea", "the Atlas", "a camel", "rain", "bread"]

    def kwargs(topic: str) -> dict[str, object]:
        return dict(
            model=MODEL,
            temperature=0,
            max_tokens=16,
            messages=[{"role": "user", "content": f"Write one sentence about {topic}."}],
        )

    solo = [
        client.chat.completions.create(**kwargs(t)).choices[0].message.content  # type: ignore[call-overload]
        for t in topics
    ]

    async def run() -> list[str | None]:
        replies = await asyncio.gather(
            *(aclient.chat.completions.create(**kwargs(t)) for t in topics)  # type: ignore[call-overload]
        )
        return [r.choices[0].message.content for r in replies]

    together = asyncio.run(run())
    assert len(set(solo)) > 1, "different prompts should give different answers"
    assert together == solo


def test_prompt_over_context_is_413(client: openai.OpenAI) -> None:
    with pytest.raises(openai.APIStatusError) as info:
        client.chat.completions.create(
            model=MODEL, messages=[{"role": "user", "content": "word " * 5000}], max_tokens=4
        )
    assert info.value.status_code == 413
    assert "context" in str(info.value.message)


def test_unknown_model_is_404(client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(model="gpt-99", messages=[{"role": "user", "content": "x"}])


def test_abandoned_stream_frees_its_sequence(server: RunningServer, client: openai.OpenAI) -> None:
    payload = {
        "model": MODEL,
        "stream": True,
        "max_tokens": 400,
        "temperature": 0,
        "messages": [{"role": "user", "content": "Tell me a very long story."}],
    }
    with httpx.stream(
        "POST",
        f"{server.base_url}/v1/chat/completions",
        json=payload,
        headers=server.headers,
        timeout=30,
    ) as response:
        lines = response.iter_lines()
        for _ in range(4):
            next(lines)
    deadline = time.monotonic() + 10
    stats: dict[str, int] = {}
    while time.monotonic() < deadline:
        stats = httpx.get(f"{server.base_url}/healthz").json()["loaded"][MODEL]
        if stats["active"] == 0 and stats["queued"] == 0:
            break
        time.sleep(0.1)
    assert stats == {"active": 0, "queued": 0}
    reply = client.chat.completions.create(
        model=MODEL, max_tokens=4, messages=[{"role": "user", "content": "Hi"}]
    )
    assert reply.choices[0].finish_reason in ("stop", "length")


def test_metrics_count_tokens(server: RunningServer, client: openai.OpenAI) -> None:
    client.chat.completions.create(model="echo", messages=[{"role": "user", "content": "a b c"}])
    text = httpx.get(f"{server.base_url}/metrics").text
    assert 'agadir_completion_tokens_total{model="echo"}' in text
    assert "agadir_requests_in_flight" in text
    assert f'agadir_engine_queue_depth{{model="{MODEL}"}}' in text
    assert f'agadir_prefix_cache_reused_tokens_total{{model="{MODEL}"}}' in text
