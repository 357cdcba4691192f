"""LoRA adapters on the llama.cpp engine: each request runs under its own adapter, also when
requests for two adapters decode at the same time, and the context pool stays bounded."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest

from agadir.config import LlamaCppSettings
from agadir.engines.base import ChatMessage, SamplingParams
from agadir.engines.llamacpp import LlamaCppEngine
from tests.tune.adapters import AdapterSet, build
from tests.tune.test_export import converters_or_skip

PROMPTS = ["ⴰⵣⵓⵍ, wach nta mzyan?", "salam, kifach dayr?", "Bonjour, ça va ?"]


@pytest.fixture(scope="module")
def adapter_set(
    tiny_model: Callable[[str], Path], tmp_path_factory: pytest.TempPathFactory
) -> AdapterSet:
    converters_or_skip()
    out = tmp_path_factory.mktemp("adapters")
    return build(tiny_model("llama"), out, {"coop": 1, "bank": 2})


def base_engine(s: AdapterSet, adapter_contexts: int = 4) -> LlamaCppEngine:
    config = LlamaCppSettings.model_validate(
        {"threads": 1, "contexts": 2, "n_ctx": 256, "adapter_contexts": adapter_contexts}
    )
    return LlamaCppEngine("tiny", s.base, config)


async def answer(engine: LlamaCppEngine, prompt: str) -> str:
    params = SamplingParams(max_tokens=12, temperature=0.0)
    parts = [d.text async for d in engine.stream_chat([ChatMessage("user", prompt)], params)]
    return "".join(parts)


def test_concurrent_requests_each_get_their_own_adapter(adapter_set: AdapterSet) -> None:
    async def scenario() -> None:
        base = base_engine(adapter_set)
        engines = {"": base}
        for name, path in adapter_set.adapters.items():
            engines[name] = base.with_adapter(f"tiny:{name}", path)
        try:
            solo = {(n, p): await answer(e, p) for n, e in engines.items() for p in PROMPTS}
            for prompt in PROMPTS:  # the adapters do steer the model, each its own way
                assert len({solo[(n, prompt)] for n in engines}) == 3, solo
            jobs = [(n, p) for _ in range(3) for p in PROMPTS for n in engines]
            got = await asyncio.gather(*(answer(engines[n], p) for n, p in jobs))
            assert got == [solo[job] for job in jobs]
            assert sorted(base.adapters.active()) == ["tiny:bank", "tiny:coop"]
        finally:
            for engine in engines.values():
                await engine.aclose()

    asyncio.run(scenario())


def test_the_pool_is_bounded_and_reloads_an_evicted_adapter(adapter_set: AdapterSet) -> None:
    async def scenario() -> None:
        base = base_engine(adapter_set, adapter_contexts=1)
        coop = base.with_adapter("tiny:coop", adapter_set.adapters["coop"])
        bank = base.with_adapter("tiny:bank", adapter_set.adapters["bank"])
        try:
            first = await answer(coop, PROMPTS[0])
            other = await answer(bank, PROMPTS[0])
            assert base.adapters.active() == ["tiny:bank"]  # coop was closed to make room
            assert await answer(coop, PROMPTS[0]) == first
            assert await answer(bank, PROMPTS[0]) == other != first
            assert base.adapters.loads == 4
        finally:
            await coop.aclose()  # a view: closes nothing
            assert base.adapters.active() == ["tiny:bank"]
            await base.aclose()

    asyncio.run(scenario())
