"""The upstream path of issue 17: Agadir in front of an OpenAI-compatible server, against the
in-process echo engine and the upstream alone, side by side in one run.

Usage: PYTHONPATH=src python bench/bench_upstream.py [--duration 10] [--connections 32]
       [--rounds 3] [--streams 8] [--ttft 200] [--replicas] [--profile] [--cpu]
       [--litellm PYTHON] [--baseline-src DIR]

Non-streaming rows: `wrk -t1 -c32` (bench/chat_post.lua), one instant upstream answering "ok"
(bench/instant_upstream.py), `agadir serve` authenticated with its admin key, everything on. The
three targets are measured in turns, `--rounds` times, and the table gives each one's median
round; ratios are taken within a round, so a busy neighbour slows all three alike.
- "upstream alone": wrk straight at the instant upstream.
- "agadir, echo in-process": the gateway with its built-in echo engine.
- "agadir -> upstream": the same gateway, model served by the instant upstream.
- `--replicas`: the same with the model on 2 upstream replicas (each its own process).
- `--litellm PYTHON`: a LiteLLM proxy (installed in a throwaway venv, never a dependency).
- `--baseline-src DIR`: a second gateway running another version's `src/` (e.g. main's, from
  `git archive HEAD src | tar -x -C DIR`), its echo and upstream rows measured in the same
  rounds (and in the TTFT and CPU tables): an A/B on one machine state.
`--cpu`: CPU ms per request of the gateway (with its audit writer), the upstream(s) and wrk, one
run per Agadir target: where the bound is on a small host.
Streaming: `--streams` concurrent streams of 128 tokens, 4 ms apart, straight from the upstream
and through Agadir: time to first token (p50) and tokens/s per stream (median); then `--ttft`
single streams per path in turns (upstream alone, Agadir's echo, Agadir -> upstream): TTFT
p50/p99 and what each path adds to the upstream's.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_gateway import WrkResult, profile, run_wrk
from serve_harness import ROOT, Server, agadir_server, free_port, pct, start_server

INSTANT = ROOT / "bench" / "instant_upstream.py"


def instant_upstream(logdir: Path, name: str, *extra: str) -> Server:
    port = free_port()
    cmd = [sys.executable, str(INSTANT), "--port", str(port), "--name", name, *extra]
    return start_server(f"upstream {name}", cmd, dict(os.environ), port, "/stats", logdir)


def gateway(
    logdir: Path, home: Path, upstreams: list[dict[str, object]], src: Path = ROOT / "src"
) -> Server:
    env = {**os.environ, "AGADIR_HOME": str(home), "PYTHONPATH": str(src)}
    env["AGADIR_UPSTREAMS"] = json.dumps(upstreams)
    env["AGADIR_KNOWLEDGE__PACKS"] = "[]"
    env.pop("AGADIR_CONFIG", None)
    return agadir_server(env, logdir, "--enable-echo")


def litellm_proxy(logdir: Path, python: str, upstream: Server) -> Server:
    config = logdir / "litellm.yaml"
    config.write_text(
        "model_list:\n  - model_name: instant\n    litellm_params:\n"
        f"      model: openai/instant\n      api_base: {upstream.base}/v1\n      api_key: none\n"
    )
    port = free_port()
    exe = Path(python).parent / "litellm"
    cmd = [str(exe), "--config", str(config), "--port", str(port), "--num_workers", "1"]
    # a master key (no database): requests are authenticated, as Agadir's are with its admin key
    key = "sk-bench-" + secrets.token_hex(16)
    env = {**os.environ, "LITELLM_LOG": "ERROR", "LITELLM_MASTER_KEY": key}
    server = start_server("litellm", cmd, env, port, "/health/liveliness", logdir)
    server.headers["Authorization"] = f"Bearer {key}"
    return server


# -- streaming ------------------------------------------------------------------------------------
@dataclass
class StreamStats:
    ttft_ms: float
    tok_s: float
    tokens: int


async def _stream(
    client: httpx.AsyncClient, server: Server, model: str, max_tokens: int = 128
) -> StreamStats:
    body = {
        "model": model,
        "messages": [{"role": "user", "content": "Salam"}],
        "max_tokens": max_tokens,
        "stream": True,
    }
    start = time.perf_counter()
    first: float | None = None
    tokens = 0
    url = server.base + "/v1/chat/completions"
    async with client.stream("POST", url, json=body, headers=server.headers) as response:
        async for line in response.aiter_lines():
            if line.startswith("data: {") and '"content":"' in line.replace(": ", ":"):
                obj = json.loads(line[6:])
                for choice in obj.get("choices") or []:
                    if (choice.get("delta") or {}).get("content"):
                        tokens += 1
                        first = first or time.perf_counter()
    end = time.perf_counter()
    assert first is not None, "no token came back"
    return StreamStats((first - start) * 1000, tokens / (end - first) if end > first else 0, tokens)


def run_streams(server: Server, model: str, streams: int, rounds: int = 3) -> list[StreamStats]:
    async def go() -> list[StreamStats]:
        async with httpx.AsyncClient(timeout=60) as client:
            out: list[StreamStats] = []
            for _ in range(rounds):
                out += await asyncio.gather(
                    *(_stream(client, server, model) for _ in range(streams))
                )
            return out

    return asyncio.run(go())


def run_ttft(targets: list[tuple[str, Server, str]], n: int) -> dict[str, list[float]]:
    """Time to first token of one stream at a time (4 tokens), the targets in turns, `n` each:
    the latency a path adds, without the queueing of concurrent streams."""

    async def go() -> dict[str, list[float]]:
        out: dict[str, list[float]] = {name: [] for name, _, _ in targets}
        async with httpx.AsyncClient(timeout=60) as client:
            for i in range(n + 5):
                for name, server, model in targets:
                    stats = await _stream(client, server, model, max_tokens=4)
                    if i >= 5:  # the first few warm connections and caches
                        out[name].append(stats.ttft_ms)
        return out

    return asyncio.run(go())


# -- main -----------------------------------------------------------------------------------------
def median_row(rows: list[WrkResult]) -> WrkResult:
    return sorted(rows, key=lambda r: r.rps)[len(rows) // 2]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--streams", type=int, default=8)
    ap.add_argument("--ttft", type=int, default=200, help="sequential streams per TTFT target")
    ap.add_argument("--replicas", action="store_true", help="also 2 upstream replicas")
    ap.add_argument("--profile", action="store_true", help="py-spy the gateway (upstream path)")
    ap.add_argument("--cpu", action="store_true", help="CPU per request of each process")
    ap.add_argument("--litellm", metavar="PYTHON", help="python of a venv with litellm[proxy]")
    ap.add_argument("--baseline-src", metavar="DIR", help="another version's src/ for an A/B")
    args = ap.parse_args()
    if shutil.which("wrk") is None:
        print("skipped: wrk is not installed (Debian: apt-get install -y wrk)")
        return
    results: dict[str, list[WrkResult]] = {}
    ratios: dict[str, list[float]] = {}
    servers: list[Server] = []
    cpu_md = ""
    with tempfile.TemporaryDirectory(prefix="agadir-bench-up-") as tmp:
        logdir = Path(tmp)
        try:
            up = instant_upstream(logdir, "instant")
            slow = instant_upstream(logdir, "streaming", "--tokens", "128", "--token-delay-ms", "4")
            servers += [up, slow]
            pool = [up]  # the processes serving "instant"
            upstreams: list[dict[str, object]] = [
                {"name": "fast", "model": "instant", "base_url": f"{up.base}/v1"},
                {"name": "streaming", "base_url": f"{slow.base}/v1"},
            ]
            if args.replicas:
                second = instant_upstream(logdir, "instant")
                servers.append(second)
                pool.append(second)
                urls = [f"{up.base}/v1", f"{second.base}/v1"]
                upstreams.append({"name": "pair", "model": "instant", "base_urls": urls})
            gw = gateway(logdir, logdir / "home", upstreams)
            servers.append(gw)
            targets: list[tuple[str, Server, str]] = [
                ("upstream alone", up, "instant"),
                ("agadir, echo in-process", gw, "echo"),
                ("agadir -> upstream", gw, "fast"),
            ]
            if args.replicas:
                targets.append(("agadir -> 2 upstream replicas", gw, "pair"))
            base: Server | None = None
            if args.baseline_src:
                src = Path(args.baseline_src).resolve()
                base = gateway(logdir, logdir / "home-baseline", upstreams, src)
                servers.append(base)
                targets.append(("baseline: agadir, echo in-process", base, "echo"))
                targets.append(("baseline: agadir -> upstream", base, "fast"))
            if args.litellm:
                lite = litellm_proxy(logdir, args.litellm, up)
                servers.append(lite)
                targets.append(("LiteLLM proxy -> upstream", lite, "instant"))
            for _, server, model in targets:
                run_wrk(server, "warm-up", 4, 2, model)
            for round_ in range(args.rounds):
                row: dict[str, WrkResult] = {}
                for name, server, model in targets:
                    row[name] = run_wrk(server, name, args.connections, args.duration, model)
                    results.setdefault(name, []).append(row[name])
                    print(f"round {round_}: {row[name]}", file=sys.stderr)
                _ratios(row, ratios)
            direct = run_streams(slow, "streaming", args.streams)
            through = run_streams(gw, "streaming", args.streams)
            ttft_targets = [
                ("upstream alone", slow, "streaming"),
                ("agadir, echo in-process", gw, "echo"),
                ("agadir -> upstream", gw, "streaming"),
            ]
            if base is not None:
                ttft_targets.append(("baseline: agadir, echo in-process", base, "echo"))
                ttft_targets.append(("baseline: agadir -> upstream", base, "streaming"))
            ttft = run_ttft(ttft_targets, args.ttft)
            profile_md = profile(gw, args, logdir, model="fast") if args.profile else ""
            if args.cpu:
                gateways = [t for t in targets if t[1] is gw or t[1] is base]
                cpu_md = cpu_split(gateways, pool, args)
        finally:
            for server in reversed(servers):
                server.stop()
    report(args, results, ratios, direct, through, profile_md)
    if args.cpu:
        print(cpu_md)
    report_ttft(ttft)


def _ratios(row: dict[str, WrkResult], ratios: dict[str, list[float]]) -> None:
    pairs: list[tuple[str, str, str]] = [
        ("agadir -> upstream ÷ echo in-process", "agadir -> upstream", "agadir, echo in-process"),
        ("agadir -> upstream ÷ upstream alone", "agadir -> upstream", "upstream alone"),
        ("2 replicas ÷ 1", "agadir -> 2 upstream replicas", "agadir -> upstream"),
        ("agadir -> upstream ÷ LiteLLM", "agadir -> upstream", "LiteLLM proxy -> upstream"),
        ("agadir -> upstream ÷ baseline's", "agadir -> upstream", "baseline: agadir -> upstream"),
        (
            "baseline: agadir -> upstream ÷ its echo",
            "baseline: agadir -> upstream",
            "baseline: agadir, echo in-process",
        ),
        (
            "baseline: agadir -> upstream ÷ LiteLLM",
            "baseline: agadir -> upstream",
            "LiteLLM proxy -> upstream",
        ),
    ]
    for label, a, b in pairs:
        if a in row and b in row:
            ratios.setdefault(label, []).append(row[a].rps / row[b].rps)


def report(
    args: argparse.Namespace,
    results: dict[str, list[WrkResult]],
    ratios: dict[str, list[float]],
    direct: list[StreamStats],
    through: list[StreamStats],
    profile_md: str,
) -> None:
    print(
        f"Upstream path, non-streaming chat, wrk -t1 -c{args.connections}, {args.duration} s, "
        f"median of {args.rounds} rounds\n"
    )
    print("| target | req/s | p50 ms | p99 ms | errors |")
    print("|---|---:|---:|---:|---:|")
    for name, rows in results.items():
        r = median_row(rows)
        print(f"| {name} | {r.rps:,.0f} | {r.p50_ms:.2f} | {r.p99_ms:.2f} | {r.errors} |")
    print("\n| ratio (within each round) | median | rounds |")
    print("|---|---:|---|")
    for label, values in ratios.items():
        rounds = ", ".join(f"{v:.2f}" for v in values)
        print(f"| {label} | {statistics.median(values):.2f} | {rounds} |")
    med: Callable[[list[float]], float] = statistics.median
    d_ttft, t_ttft = pct([s.ttft_ms for s in direct], 50), pct([s.ttft_ms for s in through], 50)
    d_tok, t_tok = med([s.tok_s for s in direct]), med([s.tok_s for s in through])
    print(f"\nStreaming, {args.streams} concurrent streams of 128 tokens, 4 ms apart\n")
    print("| path | TTFT p50 ms | tokens/s per stream (median) |")
    print("|---|---:|---:|")
    print(f"| upstream alone | {d_ttft:.2f} | {d_tok:.1f} |")
    print(f"| agadir -> upstream | {t_ttft:.2f} | {t_tok:.1f} |")
    print(
        f"\nTTFT added p50: {t_ttft - d_ttft:+.2f} ms; "
        f"tokens/s through ÷ direct: {t_tok / d_tok:.3f}"
    )
    if profile_md:
        print("\npy-spy profile of the gateway, upstream path under the same load\n")
        print(profile_md)


def _cpu_s(proc: psutil.Process) -> float:
    """CPU seconds of a process and its children (the gateway's audit writer)."""
    total = 0.0
    for p in [proc, *proc.children(recursive=True)]:
        with contextlib.suppress(psutil.NoSuchProcess):
            times = p.cpu_times()
            total += times.user + times.system
    return total


def cpu_split(
    targets: list[tuple[str, Server, str]],
    upstreams: list[Server],
    args: argparse.Namespace,
) -> str:
    """Where the machine's time goes per request, for one wrk run of each target: the gateway
    (with its audit writer), the upstream process(es) and wrk itself. On a 2-core host this says
    which process is the bound."""
    rows = [
        f"\nCPU per request, one wrk run of {args.duration} s each (ms of CPU / request)\n",
        "| target | req/s | gateway | upstream(s) | wrk | total | cores busy |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    up_procs = [psutil.Process(u.process.pid) for u in upstreams]
    for name, server, model in targets:
        gw_proc = psutil.Process(server.process.pid)  # the gateway serving this target
        before = (_cpu_s(gw_proc), sum(_cpu_s(p) for p in up_procs), _children_cpu())
        result = run_wrk(server, name, args.connections, args.duration, model)
        after = (_cpu_s(gw_proc), sum(_cpu_s(p) for p in up_procs), _children_cpu())
        requests = result.rps * args.duration
        ms = [1000 * (b - a) / requests for a, b in zip(before, after, strict=True)]
        busy = sum(b - a for a, b in zip(before, after, strict=True)) / args.duration
        rows.append(
            f"| {name} | {result.rps:,.0f} | {ms[0]:.3f} | {ms[1]:.3f} | {ms[2]:.3f} | "
            f"{sum(ms):.3f} | {busy:.2f} |"
        )
    return "\n".join(rows)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # waited children: the wrk runs
    return usage.ru_utime + usage.ru_stime


def report_ttft(ttft: dict[str, list[float]]) -> None:
    base50, base99 = pct(ttft["upstream alone"], 50), pct(ttft["upstream alone"], 99)
    n = len(ttft["upstream alone"])
    print(f"\nTime to first token, one stream at a time, {n} streams per target, in turns\n")
    print("| path | TTFT p50 ms | p99 ms | added p50 ms | added p99 ms |")
    print("|---|---:|---:|---:|---:|")
    for name, values in ttft.items():
        p50, p99 = pct(values, 50), pct(values, 99)
        print(f"| {name} | {p50:.2f} | {p99:.2f} | {p50 - base50:+.2f} | {p99 - base99:+.2f} |")


if __name__ == "__main__":
    main()
