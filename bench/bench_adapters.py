"""Adapters per tenant on the CPU engine: decode tokens/s of 2 tenants on 2 different LoRA
adapters ÷ the same 2 requests on the base model without adapter, side by side in one run.

The base is the packaged SmolLM2-135M-Instruct GGUF. Two LoRA adapters in `agadir tune`'s
default shape (r=8, all linear layers) are made with PEFT on its de-quantized weights (random
LoRA weights: speed does not depend on their values) and converted with llama.cpp's
convert_lora_to_gguf.py. Each round runs two concurrent greedy chats: both on the base (one
context, batched together) or one per adapter (two contexts, one per adapter: llama.cpp applies
an adapter to a whole context). Also reports the process RSS after each phase.

Usage: python bench/bench_adapters.py [--reps 5] [--max-tokens 64] [--threads 2] [--work DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

BASE = "smollm2-135m-instruct"
PROMPTS = (
    "Write a long, detailed story about a fisherman in Agadir who finds a map in a bottle.",
    "Describe a day at a busy market in Marrakech: the sounds, the food, the people.",
)


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def make_adapters(work: Path) -> tuple[Path, dict[str, Path]]:
    """The base GGUF and two LoRA GGUFs on it (built once per work folder)."""
    from agadir.config import load_settings
    from agadir.models.store import ModelStore
    from agadir.tune.base import load_base
    from agadir.tune.converter import find_converters, run_converter
    from agadir.tune.export import save_plain

    settings = load_settings()
    store = ModelStore(settings.models_dir)
    store.ensure_packaged()
    base_gguf = Path(store.get(BASE).path)
    hf = work / "base-hf"
    if not (hf / "config.json").exists():
        loaded = load_base(BASE, settings.models_dir)
        save_plain(loaded.model, loaded.tokenizer, hf)
    adapters = {}
    for name, seed in (("coop", 1), ("bank", 2)):
        target = work / f"{name}-lora-f16.gguf"
        if not target.exists():
            import torch
            from peft import LoraConfig, get_peft_model
            from transformers import AutoModelForCausalLM

            torch.manual_seed(seed)
            model = AutoModelForCausalLM.from_pretrained(hf)
            config = LoraConfig(r=8, lora_alpha=16, target_modules="all-linear")
            peft_dir = work / f"peft-{name}"
            get_peft_model(model, config).save_pretrained(str(peft_dir))
            args = [str(peft_dir), "--base", str(hf), "--outfile", str(target)]
            args += ["--outtype", "f16"]
            done = run_converter(find_converters().lora_to_gguf, args, work / "convert.log")
            if done.returncode != 0:
                raise SystemExit(done.stdout[-3000:])
        adapters[name] = target
    return base_gguf, adapters


async def one_round(engines: Sequence[Any], max_tokens: int) -> float:
    """Two concurrent greedy chats; returns decode tokens/s (after the first token)."""
    from agadir.engines.base import ChatMessage, SamplingParams

    params = SamplingParams(max_tokens=max_tokens, temperature=0.0)

    async def chat(engine: Any, prompt: str) -> tuple[float, float, int]:
        first = 0.0
        n = 0
        stream = engine.stream_chat([ChatMessage("user", prompt)], params)
        async for delta in stream:
            if not first and delta.text:
                first = time.perf_counter()
            if delta.completion_tokens is not None:
                n = delta.completion_tokens
        return first, time.perf_counter(), n

    results = await asyncio.gather(*(chat(e, p) for e, p in zip(engines, PROMPTS, strict=True)))
    start = min(r[0] for r in results)
    end = max(r[1] for r in results)
    return sum(r[2] - 1 for r in results) / (end - start)


async def measure(args: argparse.Namespace, base_gguf: Path, adapters: dict[str, Path]) -> None:
    from agadir.config import LlamaCppSettings
    from agadir.engines.llamacpp import LlamaCppEngine

    config = LlamaCppSettings.model_validate(
        {"threads": args.threads, "contexts": 2, "n_ctx": 1024, "prefix_cache_tokens": 0}
    )
    before = rss_mb()
    base = LlamaCppEngine(BASE, base_gguf, config)
    rss_base = rss_mb()
    views = [base.with_adapter(f"{BASE}:{n}", p) for n, p in adapters.items()]
    plain = [base, base]
    await one_round(plain, 8)  # warm-up: loads pages and both adapter contexts
    await one_round(views, 8)
    rss_adapters = rss_mb()
    rows: dict[str, list[float]] = {"no adapter": [], "2 adapters": []}
    for _ in range(args.reps):  # alternated, so drift hits both sides alike
        rows["no adapter"].append(await one_round(plain, args.max_tokens))
        rows["2 adapters"].append(await one_round(views, args.max_tokens))
    await base.aclose()
    base_med = statistics.median(rows["no adapter"])
    print(
        f"load1 {os.getloadavg()[0]:.2f}, threads {args.threads}, reps {args.reps}, "
        f"{args.max_tokens} tokens per request, 2 concurrent requests\n"
    )
    print("| 2 concurrent chats | decode tok/s (median) | min–max | ÷ no adapter |")
    print("|---|---:|---:|---:|")
    for name, values in rows.items():
        med = statistics.median(values)
        print(
            f"| {name} | {med:.1f} | {min(values):.1f}–{max(values):.1f} | {med / base_med:.2f} |"
        )
    print(
        f"\nRSS: {before:.0f} MB before, {rss_base:.0f} MB with the base loaded, "
        f"{rss_adapters:.0f} MB with both adapter contexts "
        f"(+{rss_adapters - rss_base:.0f} MB for 2 adapters and their KV caches)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--max-tokens", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--work", type=Path, default=None)
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="bench-adapters-"))
    work.mkdir(parents=True, exist_ok=True)
    base_gguf, adapters = make_adapters(work)
    asyncio.run(measure(args, base_gguf, adapters))


if __name__ == "__main__":
    main()
