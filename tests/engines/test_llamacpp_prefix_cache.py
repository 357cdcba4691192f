"""Prefix cache of the llama.cpp engine: reused prefixes never change a greedy answer.

Each check runs the same requests on an engine with the cache and one without (the real
SmolLM2 GGUF, temperature 0) and compares the answers, then checks the cache was used.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from agadir.config import LlamaCppSettings
from agadir.engines.base import ChatMessage, SamplingParams, collect
from agadir.engines.llamacpp import LlamaCppEngine
from agadir.engines.llamacpp_prefix import PrefixCache

GREEDY = SamplingParams(max_tokens=24, temperature=0.0)
SYSTEM = (
    "You are a helpful assistant for travellers in Morocco. Answer briefly and plainly, in "
    "one or two sentences, and mention a city when it helps."
)


def test_longest_match_wins_and_one_token_is_left_to_evaluate() -> None:
    cache = PrefixCache(3, max_tokens=100)
    cache.store(0, [1, 2, 3])
    cache.store(1, [1, 2, 3, 4, 5])
    assert cache.choose([0, 1, 2], [1, 2, 3, 4, 9], reuse=True) == (1, 4)
    cache.store(1, [1, 2, 3, 4, 9])
    assert cache.choose([0, 1, 2], [1, 2, 3, 4, 9], reuse=True) == (1, 4)  # not all 5
    assert cache.choose([0, 2], [7, 8], reuse=True) == (2, 0)  # never used: first to take
    assert (cache.stats.lookups, cache.stats.hits, cache.stats.reused_tokens) == (3, 2, 8)


def test_scoring_requests_and_a_disabled_cache_reuse_nothing() -> None:
    cache = PrefixCache(2, max_tokens=100)
    cache.store(0, [1, 2, 3])
    assert cache.choose([0, 1], [1, 2, 3, 4], reuse=False)[1] == 0
    off = PrefixCache(2, max_tokens=0)
    off.store(0, [1, 2, 3])
    assert off.choose([0, 1], [1, 2, 3, 4], reuse=True)[1] == 0


def test_least_recently_used_idle_slots_are_evicted_over_budget() -> None:
    cache = PrefixCache(3, max_tokens=5)
    for slot in (2, 0, 1):  # use order: 2 oldest, then 0, then 1
        cache.choose([slot], [9], reuse=True)
        cache.store(slot, [slot] * 3)
    assert cache.over_budget(busy=set()) == [2, 0]  # 9 tokens kept, 5 allowed
    assert cache.over_budget(busy={2}) == [0]  # a busy slot is not the cache's to empty


@pytest.fixture(scope="module")
def pair(smollm_path: Path) -> Iterator[tuple[LlamaCppEngine, LlamaCppEngine]]:
    """The same model with the cache and without it."""
    cached = LlamaCppEngine(
        "cached", smollm_path, LlamaCppSettings.model_validate({"contexts": 4, "threads": 1})
    )
    plain = LlamaCppEngine(
        "plain",
        smollm_path,
        LlamaCppSettings.model_validate({"contexts": 4, "threads": 1, "prefix_cache_tokens": 0}),
    )
    yield cached, plain
    for engine in (cached, plain):
        asyncio.run(engine.aclose())


async def answer(engine: LlamaCppEngine, messages: list[ChatMessage]) -> str:
    return (await collect(engine.stream_chat(messages, GREEDY))).text


async def test_same_prompt_three_times(pair: tuple[LlamaCppEngine, LlamaCppEngine]) -> None:
    cached, plain = pair
    messages = [ChatMessage("system", SYSTEM), ChatMessage("user", "Where is Agadir?")]
    expected = await answer(plain, messages)
    before = cached.prefix_cache_stats().reused_tokens
    replies = [await answer(cached, messages) for _ in range(3)]
    assert replies == [expected] * 3
    n_prompt = len(cached.chat_prompt(messages))
    # the 2nd and 3rd requests evaluate only the last prompt token
    assert cached.prefix_cache_stats().reused_tokens - before >= 2 * (n_prompt - 1)


async def first_token(engine: LlamaCppEngine, messages: list[ChatMessage]) -> dict[str, float]:
    """The five most likely first tokens and their logprobs."""
    params = SamplingParams(max_tokens=1, temperature=0.0, logprobs=True, top_logprobs=5)
    return dict((await collect(engine.stream_chat(messages, params))).logprobs[0].top)


async def test_four_turn_chat(pair: tuple[LlamaCppEngine, LlamaCppEngine]) -> None:
    """Each turn reuses the previous turns' cells and predicts what a fresh evaluation does.

    Whole greedy answers are not compared here: llama.cpp's CPU kernels are not
    batch-invariant, so evaluating a prompt in two parts (as `n_batch` chunking already does,
    cache or not) moves logits by rounding noise, enough to flip a near tie (even the first
    token's, on this 135M model).
    The next-token distribution is compared instead. Prefilling these prompts in chunks of 16
    without any cache already moves its top logprobs by up to 0.13 (measured); wrong positions
    or stale cells would change them by whole units.
    """
    cached, plain = pair
    questions = ["Name a city in Morocco.", "What is it known for?", "And its food?", "Thanks!"]
    history = [ChatMessage("system", SYSTEM)]
    before = cached.prefix_cache_stats().reused_tokens
    reused = 0
    for question in questions:
        history.append(ChatMessage("user", question))
        await answer(cached, history)  # the turn as a client sends it: its cells stay cached
        got, want = await first_token(cached, history), await first_token(plain, history)
        assert len(got.keys() & want.keys()) >= 3, (got, want)
        for token in got.keys() & want.keys():
            assert got[token] == pytest.approx(want[token], abs=0.3)
        reused += len(cached.chat_prompt(history)) - 1  # the logprob call reuses all but one
        history.append(ChatMessage("assistant", await answer(plain, history)))
    assert cached.prefix_cache_stats().reused_tokens - before >= reused


async def test_concurrent_requests_sharing_a_system_prompt(
    pair: tuple[LlamaCppEngine, LlamaCppEngine],
) -> None:
    cached, plain = pair
    topics = ["Fes", "mint tea", "the Atlas", "argan oil", "Essaouira", "couscous"]
    chats = [
        [ChatMessage("system", SYSTEM), ChatMessage("user", f"Tell me about {t}.")] for t in topics
    ]
    expected = [await answer(plain, chat) for chat in chats]
    await answer(cached, chats[0])  # warm: the system prompt is now in a slot
    for _ in range(2):  # the second round finds every slot holding a shared prefix
        assert list(await asyncio.gather(*(answer(cached, c) for c in chats))) == expected
    assert len(set(expected)) > 1
