"""Prefix cache of the llama.cpp engine: time to first token with the cache ÷ without.

Usage: PYTHONPATH=src python bench/bench_prefix_cache.py [--repeat 7] [--threads 1]
Two engines on the packaged SmolLM2 GGUF in one process, one with `prefix_cache_tokens`
at its default and one with 0, measured alternately (same run, same load). Scenarios:
- second turn of a 4-turn chat: turn 1 is answered, then turn 2's TTFT is timed (a new
  chat each repetition, so only turn 1 and the system prompt can be reused);
- a repeated grounded-style prompt (system prompt, three passages, a question, ~600 tokens):
  sent once, then the identical request is timed.
Prints a Markdown table of medians and the ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from rich.progress import Progress

from agadir.config import LlamaCppSettings
from agadir.engines.base import ChatMessage, SamplingParams, collect
from agadir.engines.llamacpp import LlamaCppEngine
from agadir.models.packaged import PACKAGED_MODELS

SYSTEM = (
    "You are a helpful assistant for travellers in Morocco. Answer briefly and plainly, in "
    "one or two sentences, and mention a city when it helps."
)
CITIES = ["Fes", "Agadir", "Essaouira", "Tangier", "Rabat", "Meknes", "Ouarzazate", "Tetouan"]
PASSAGE = (
    "Passage {n}. The argan tree grows in the south-west of Morocco, around Agadir and "
    "Essaouira. Its nuts are cracked by hand by women's cooperatives, and the kernels are "
    "pressed into oil used for cooking and for cosmetics. The forest is a UNESCO biosphere "
    "reserve since 1998, and goats are known to climb the trees to eat the fruit. "
)
FIRST_TOKEN = SamplingParams(max_tokens=1, temperature=0.0)
ANSWER = SamplingParams(max_tokens=32, temperature=0.0)


async def ttft(engine: LlamaCppEngine, messages: list[ChatMessage]) -> float:
    start = time.perf_counter()
    async for _ in engine.stream_chat(messages, FIRST_TOKEN):
        break
    return time.perf_counter() - start


async def second_turn(engine: LlamaCppEngine, city: str) -> float:
    chat = [ChatMessage("system", SYSTEM), ChatMessage("user", f"Tell me about {city}.")]
    chat.append(ChatMessage("assistant", (await collect(engine.stream_chat(chat, ANSWER))).text))
    chat.append(ChatMessage("user", "What food should I try there?"))
    return await ttft(engine, chat)


def grounded_chat() -> list[ChatMessage]:
    passages = "".join(PASSAGE.format(n=n) * 2 for n in range(1, 4))
    return [
        ChatMessage("system", SYSTEM),
        ChatMessage("user", f"{passages}\nUsing only the passages: where does argan grow?"),
    ]


async def grounded(engine: LlamaCppEngine) -> float:
    chat = grounded_chat()
    await ttft(engine, chat)
    return await ttft(engine, chat)


async def main(repeat: int, threads: int) -> None:
    path = PACKAGED_MODELS[0].path()
    assert path is not None, "the packaged SmolLM2 is not installed"
    engines = {
        "cache": LlamaCppEngine(
            "cache", path, LlamaCppSettings.model_validate({"threads": threads})
        ),
        "none": LlamaCppEngine(
            "none",
            path,
            LlamaCppSettings.model_validate({"threads": threads, "prefix_cache_tokens": 0}),
        ),
    }
    times: dict[tuple[str, str], list[float]] = {}
    with Progress() as progress:
        task = progress.add_task("prefix cache", total=repeat)
        for i in range(repeat):
            for label, engine in engines.items():
                city = CITIES[i % len(CITIES)] + f" (trip {i})"
                times.setdefault(("chat turn 2", label), []).append(await second_turn(engine, city))
                times.setdefault(("grounded, repeated", label), []).append(await grounded(engine))
            progress.advance(task)
    n_grounded = len(engines["cache"].chat_prompt(grounded_chat()))
    print(
        f"\nSmolLM2-135M, {threads} thread(s), {repeat} repetitions, medians;"
        f" grounded prompt {n_grounded} tokens\n"
    )
    print("| scenario | TTFT with cache | TTFT without | with ÷ without |")
    print("|---|---:|---:|---:|")
    for scenario in ("chat turn 2", "grounded, repeated"):
        on = statistics.median(times[(scenario, "cache")])
        off = statistics.median(times[(scenario, "none")])
        print(f"| {scenario} | {on * 1000:.1f} ms | {off * 1000:.1f} ms | {on / off:.2f} |")
    stats = engines["cache"].prefix_cache_stats()
    print(
        f"\ncache: {stats.hits}/{stats.lookups} hits, {stats.reused_tokens} of "
        f"{stats.prompt_tokens} prompt tokens reused"
    )
    for engine in engines.values():
        await engine.aclose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    asyncio.run(main(args.repeat, args.threads))
