"""The upstream engine's HTTP clients alone: CPU per request of Agadir's own HTTP/1.1 client
(`http_client = "raw"`) against the aiohttp one, in this process, against the instant upstream.

Usage: PYTHONPATH=src python bench/bench_upstream_client.py [--requests 4000] [--concurrency 16]
       [--streams 300] [--rounds 2]

Whole answers: `--concurrency` coroutines post chat requests in a loop (uvloop, as the gateway
runs), 3 timed passes per client per round; CPU ms per request is this process's CPU time over
the requests (the instant upstream runs in its own process), so it is what the client costs the
gateway's event loop. Streams: one at a time, 4 tokens each, the time to the first event (p50).
The two clients alternate within each round.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_upstream import instant_upstream
from serve_harness import load1, pct

from agadir.egress import EgressPolicy
from agadir.engines.upstream_aiohttp import AiohttpPoster
from agadir.engines.upstream_json import JsonPoster, Poster

BODY: dict[str, Any] = {
    "model": "instant",
    "messages": [{"role": "user", "content": "Salam"}],
    "max_tokens": 4,
    "temperature": 1.0,
    "top_p": 1.0,
}
CLIENTS: dict[str, type[JsonPoster] | type[AiohttpPoster]] = {
    "raw (Agadir's own)": JsonPoster,
    "aiohttp": AiohttpPoster,
}


def client(name: str, url: str) -> Poster:
    cls = CLIENTS[name]
    return cls(url, EgressPolicy([]), api_key="k", max_connections=256, timeout_s=30)


async def whole(name: str, url: str, requests: int, concurrency: int) -> list[float]:
    """CPU ms per request of 3 passes, after a warm-up."""
    poster = client(name, url)

    async def worker(n: int) -> None:
        for _ in range(n):
            await poster.post("/chat/completions", BODY)

    await asyncio.gather(*(worker(50) for _ in range(concurrency)))
    out = []
    for _ in range(3):
        started = time.process_time()
        await asyncio.gather(*(worker(requests // concurrency) for _ in range(concurrency)))
        out.append((time.process_time() - started) * 1000 / requests)
    await poster.aclose()
    return out


async def first_events(name: str, url: str, n: int) -> list[float]:
    poster = client(name, url)
    times = []
    for i in range(n + 20):
        started = time.perf_counter()
        first = None
        async with await poster.stream("/chat/completions", {**BODY, "stream": True}) as events:
            async for _ in events:
                first = first or time.perf_counter()
        if i >= 20 and first is not None:
            times.append((first - started) * 1000)
    await poster.aclose()
    return times


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=4000)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--streams", type=int, default=300)
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    cpu: dict[str, list[float]] = {name: [] for name in CLIENTS}
    ttfe: dict[str, list[float]] = {name: [] for name in CLIENTS}
    loads = [load1()]
    with tempfile.TemporaryDirectory(prefix="agadir-bench-client-") as tmp:
        fast = instant_upstream(Path(tmp), "instant")
        streaming = instant_upstream(Path(tmp), "streaming", "--tokens", "4")
        try:
            for _ in range(args.rounds):
                for name in CLIENTS:
                    cpu[name] += asyncio.run(
                        whole(name, fast.base + "/v1", args.requests, args.concurrency)
                    )
                    ttfe[name] += asyncio.run(
                        first_events(name, streaming.base + "/v1", args.streams)
                    )
                    loads.append(load1())
        finally:
            fast.stop()
            streaming.stop()
    print(
        f"Upstream clients alone, {args.requests} requests x 3 passes x {args.rounds} rounds, "
        f"{args.concurrency} concurrent; load1 {min(loads)}–{max(loads)}\n"
    )
    print("| client | CPU ms / request (median) | passes | first event p50 ms | p99 ms |")
    print("|---|---:|---|---:|---:|")
    for name in CLIENTS:
        passes = ", ".join(f"{v:.3f}" for v in cpu[name])
        print(
            f"| {name} | {statistics.median(cpu[name]):.3f} | {passes} | "
            f"{pct(ttfe[name], 50):.3f} | {pct(ttfe[name], 99):.3f} |"
        )


if __name__ == "__main__":
    main()
