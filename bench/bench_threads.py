"""OpenMP wait policy and thread count for llama.cpp on this machine, quiet and next to a busy
process: the numbers behind the threads advice in docs/configuration.md.

Usage: PYTHONPATH=src python bench/bench_threads.py [--tokens 96] [--reps 3]

Each configuration runs in its own process (the OpenMP settings are read when libgomp loads),
calling llama-cpp-python directly on the packaged GGUF (AMX repacking off, as agadir's engine
does on AMX CPUs). "busy" rows start one pure-Python busy loop for the duration of the run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from serve_harness import ROOT, gguf_path, load1

CONFIGS = [
    ("2 threads, default (spin)", 2, {}),
    ("2 threads, GOMP_SPINCOUNT=10000", 2, {"GOMP_SPINCOUNT": "10000"}),
    ("2 threads, OMP_WAIT_POLICY=PASSIVE", 2, {"OMP_WAIT_POLICY": "PASSIVE"}),
    ("1 thread", 1, {}),
]


def worker(threads: int, tokens: int, reps: int) -> None:
    import llama_cpp
    import llama_cpp.llama_cpp as low_level

    original = low_level.llama_model_default_params

    def no_extra_buffers() -> llama_cpp.llama_model_params:
        params = original()
        params.use_extra_bufts = False
        return params

    low_level.llama_model_default_params = no_extra_buffers  # type: ignore[assignment]
    llm = llama_cpp.Llama(gguf_path(), n_ctx=2048, n_threads=threads, verbose=False)
    rates = []
    for _ in range(reps):
        started = time.perf_counter()
        out = llm.create_completion("Once upon a time in Agadir,", max_tokens=tokens, temperature=0)
        rates.append(out["usage"]["completion_tokens"] / (time.perf_counter() - started))
    print(statistics.median(rates))


def run(threads: int, extra_env: dict[str, str], busy: bool, args: argparse.Namespace) -> float:
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")}
    env.update(extra_env, PYTHONPATH=str(ROOT / "src"))
    hog = subprocess.Popen([sys.executable, "-c", "while True: pass"]) if busy else None
    try:
        out = subprocess.run(
            [
                sys.executable,
                __file__,
                "--worker",
                str(threads),
                "--tokens",
                str(args.tokens),
                "--reps",
                str(args.reps),
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=True,
        )
    finally:
        if hog is not None:
            hog.kill()
            hog.wait()
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tokens", type=int, default=96)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--worker", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.tokens, args.reps)
        return
    print(
        f"\nllama-cpp-python direct, SmolLM2-135M Q4_1, {args.tokens} tokens, median of "
        f"{args.reps} (load1 at start {load1():.2f})\n"
    )
    print("| configuration | quiet tok/s | next to 1 busy process tok/s |")
    print("|---|---:|---:|")
    for name, threads, extra in CONFIGS:
        quiet = run(threads, extra, False, args)
        busy = run(threads, extra, True, args)
        print(f"| {name} | {quiet:.1f} | {busy:.1f} |", flush=True)


if __name__ == "__main__":
    main()
