"""How long one large request holds the event loop (issue 11): /healthz probed during big bodies.

Usage: PYTHONPATH=src python bench/bench_big_body.py [--sizes 1,4,8] [--repeat 3]

`agadir serve --enable-echo` with its first-serve admin key (audit on, PII policy off). For each
body size (MB of chat content, `max_tokens` 1, the JSON escape of every character kept plain
ASCII) it sends the big request `--repeat` times while a second client asks `/healthz` every
5 ms; the longest `/healthz` answer is how long the loop was held. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from serve_harness import ROOT, agadir_server, load1


def probe(base: str, stop: threading.Event, worst: list[float]) -> None:
    with httpx.Client(base_url=base, timeout=30) as client:
        while not stop.is_set():
            started = time.perf_counter()
            client.get("/healthz")
            worst.append(time.perf_counter() - started)
            time.sleep(0.005)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1,4,7")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="agadir-bench-big-"))
    env = {"AGADIR_HOME": str(work / "home"), "PYTHONPATH": str(ROOT / "src")}
    server = agadir_server({**os.environ, **env}, work, "--enable-echo")
    rows: list[tuple[int, list[int], list[float], list[float]]] = []
    try:
        with httpx.Client(base_url=server.base, headers=server.headers, timeout=120) as client:
            for mb in (int(s) for s in args.sizes.split(",")):
                text = ("salam 3likom, " * (mb * 1024 * 1024 // 14))[: mb * 1024 * 1024]
                message = {"role": "user", "content": text}
                body = {"model": "echo", "messages": [message], "max_tokens": 1}
                stalls: list[float] = []
                totals: list[float] = []
                statuses: set[int] = set()
                for _ in range(args.repeat):
                    stop, worst = threading.Event(), [0.0]
                    prober = threading.Thread(target=probe, args=(server.base, stop, worst))
                    prober.start()
                    time.sleep(0.05)
                    started = time.perf_counter()
                    statuses.add(client.post("/v1/chat/completions", json=body).status_code)
                    totals.append(time.perf_counter() - started)
                    stop.set()
                    prober.join()
                    stalls.append(max(worst))
                rows.append((mb, sorted(statuses), sorted(totals), sorted(stalls)))
    finally:
        server.stop()
    print(f"\n## Event loop held by one large chat request (load {load1():.1f})\n")
    print("| body MB | status | request s (median) | longest /healthz ms (median / max) |")
    print("|---:|---|---:|---:|")
    for mb, codes, times, holds in rows:
        mid = len(holds) // 2
        print(
            f"| {mb} | {','.join(map(str, codes))} | {times[mid]:.2f} | "
            f"{holds[mid] * 1000:.0f} / {holds[-1] * 1000:.0f} |"
        )


if __name__ == "__main__":
    main()
