"""Serving figures of issue 2: engine efficiency, concurrency, and `llama_cpp.server` under load.

Usage: PYTHONPATH=src python bench/bench_serve.py [--omp-wait-policy both] [--reps 5]

(a) Efficiency: single-stream tokens/s of `agadir serve` (streaming chat over HTTP, greedy,
    fixed prompt) divided by tokens/s of llama-cpp-python called directly (in a subprocess) on
    the same GGUF, threads and per-sequence n_ctx, streaming `create_completion` on the same
    chat-formatted prompt. Tokens/s = completion tokens / (last token time - request time), so
    prefill and HTTP are included on our side, which is what a user sees. Target >= 0.95.
(b) Concurrency: N clients (default 4) each stream `--per-client` chats back to back; aggregate
    tokens/s = all completion tokens / wall time; ratio to single-stream (target > 1.3);
    time-to-first-token p50/p95 (target p95 <= 1 s); every stream must complete.
(c) The same load against `python -m llama_cpp.server` (through bench/llamacpp_server_patched.py,
    which only turns off AMX weight repacking that crashes this llama.cpp build), with its
    default `--interrupt_requests` and with `--interrupt_requests False`.

Why separate processes for everything: llama.cpp uses OpenMP; threads of an idle model in the
benchmark's own process would spin and steal the cores from the server being measured. Only
one server or direct run is alive at a time. The 1-minute load average is recorded per phase.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from serve_harness import (
    PROMPTS,
    ROOT,
    Stream,
    agadir_server,
    gguf_path,
    llamacpp_server,
    load1,
    pct,
    run_load,
    warm_up,
)


@dataclass
class LoadStats:
    system: str
    policy: str
    streams: int
    completed: int
    empty: int
    agg_tok_s: float  # median over repetitions
    ttft_p50: float
    ttft_p95: float
    load: float


def load_stats(system: str, policy: str, reps: list[list[Stream]], load: float) -> LoadStats:
    """Aggregate tokens/s per repetition (median), TTFT percentiles over all completed streams."""
    aggs = []
    for streams in reps:
        wall = max(s.end for s in streams) - min(s.start for s in streams)
        aggs.append(sum(s.tokens for s in streams if s.error is None) / wall)
    flat = [s for streams in reps for s in streams]
    ttfts = [s.ttft for s in flat if s.ttft is not None] or [float("nan")]
    return LoadStats(
        system,
        policy,
        len(flat),
        sum(s.completed for s in flat),
        sum(s.tokens == 0 for s in flat),
        statistics.median(aggs),
        pct(ttfts, 50),
        pct(ttfts, 95),
        load,
    )


# -- llama-cpp-python called directly (run in a child process) ----------------------------------
def direct_worker(threads: int, max_tokens: int) -> None:
    """Greedy streaming `create_completion` on the chat-formatted prompt, one run per stdin line.

    Why a long-lived child answering on demand: the parent alternates direct runs with
    `agadir serve` runs, so each pair sees the same load from whatever else uses the cores.
    """
    sys.path.insert(0, str(ROOT / "bench"))
    import llama_cpp
    import llamacpp_server_patched as patched
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    llama_cpp.llama_cpp.llama_model_default_params = patched._params_without_extra_buffers
    llm = llama_cpp.Llama(
        gguf_path(), n_ctx=2048, n_threads=threads, n_threads_batch=threads, verbose=False
    )
    meta = llm.metadata
    fmt = Jinja2ChatFormatter(
        template=meta["tokenizer.chat_template"],
        eos_token=llm.detokenize([llm.token_eos()]).decode(),
        bos_token=llm.detokenize([llm.token_bos()]).decode() if llm.token_bos() >= 0 else "",
        add_generation_prompt=True,
    )
    prompt = fmt(messages=[{"role": "user", "content": PROMPTS[0]}]).prompt
    n_prompt = len(llm.tokenize(prompt.encode(), add_bos=llm._model.add_bos_token(), special=True))
    print(f"prompt tokens: {n_prompt}", file=sys.stderr)
    for rep in range(1 << 30):  # run 0 warms caches and is not reported
        if rep and not sys.stdin.readline():
            return
        llm.reset()  # no prefix reuse between runs: the server side has none either
        start = time.perf_counter()
        ttft, tokens, finish = None, 0, None
        for chunk in llm.create_completion(
            prompt, max_tokens=max_tokens, temperature=0.0, stream=True
        ):
            choice: Any = chunk["choices"][0]  # type: ignore[index]
            if choice["text"]:
                tokens += 1
                ttft = ttft if ttft is not None else time.perf_counter() - start
            finish = choice["finish_reason"] or finish
        row = {"start": start, "ttft": ttft, "end": time.perf_counter(), "tokens": tokens}
        print(json.dumps({**row, "finish": finish}), flush=True)


class DirectRunner:
    """The direct llama-cpp-python child: `run()` asks it for one generation."""

    def __init__(self, env: dict[str, str], threads: int, max_tokens: int) -> None:
        cmd = [sys.executable, __file__, "--direct-worker", "--threads", str(threads)]
        cmd += ["--max-tokens", str(max_tokens)]
        self.proc = subprocess.Popen(
            cmd, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        self._read()  # the warm-up run

    def _read(self) -> Stream:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"direct llama-cpp-python worker died (exit {self.proc.wait()})")
        r = json.loads(line)
        return Stream(r["start"], r["ttft"], r["end"], r["tokens"], r["finish"], None)

    def run(self) -> Stream:
        assert self.proc.stdin is not None
        self.proc.stdin.write("run\n")
        self.proc.stdin.flush()
        return self._read()

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)


# -- the suite ----------------------------------------------------------------------------------
@dataclass
class Single:
    system: str
    policy: str
    tok_s: float  # median over repetitions
    decode_tok_s: float  # (tokens - 1) / (last token - first token), median
    ttft: float
    tokens: int
    load: float
    paired_ratio: float | None = None  # median of (agadir / direct) over alternating pairs


def single_stats(system: str, policy: str, streams: list[Stream], load: float) -> Single:
    decode = [
        (s.tokens - 1) / (s.end - s.start - s.ttft) for s in streams if s.ttft and s.tokens > 1
    ]
    return Single(
        system,
        policy,
        statistics.median(s.tok_s for s in streams),
        statistics.median(decode),
        statistics.median(s.ttft or 0.0 for s in streams),
        int(statistics.median(s.tokens for s in streams)),
        load,
    )


def suite_env(policy: str, home: Path, threads: int) -> dict[str, str]:
    env = {**os.environ, "AGADIR_HOME": str(home), "AGADIR_LLAMACPP__THREADS": str(threads)}
    env.pop("AGADIR_CONFIG", None)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "src"), env.get("PYTHONPATH")]))
    env.pop("OMP_WAIT_POLICY", None)
    if policy != "default":
        env["OMP_WAIT_POLICY"] = policy.upper()
    return env


def run_suite(policy: str, args: argparse.Namespace, tmp: Path) -> tuple[list[Single], list[Any]]:
    env = suite_env(policy, tmp / f"home-{policy}", args.threads)
    singles: list[Single] = []
    loads: list[Any] = []
    t, clients, per, mt = args.threads, args.clients, args.per_client, args.max_tokens
    server = agadir_server(env, tmp)
    direct = DirectRunner(env, t, mt)
    try:
        warm_up(server)
        print(f"[{policy}] direct / agadir single, alternating (load {load1()})", file=sys.stderr)
        pairs = [(direct.run(), run_load(server, 1, 1, mt)[0]) for _ in range(args.reps)]
        direct.close()
        ratio = statistics.median(a.tok_s / d.tok_s for d, a in pairs)
        d_stats = single_stats("llama-cpp-python direct", policy, [d for d, _ in pairs], load1())
        a_stats = single_stats("agadir serve", policy, [a for _, a in pairs], load1())
        singles += [d_stats, replace(a_stats, paired_ratio=ratio)]
        print(f"[{policy}] agadir {clients} clients", file=sys.stderr)
        reps = [run_load(server, clients, per, mt) for _ in range(args.load_reps)]
        loads.append(load_stats("agadir serve", policy, reps, load1()))
    finally:
        direct.close()
        server.stop()

    if args.skip_llamacpp_server:
        return singles, loads
    for interrupt in (True, False):
        server = llamacpp_server(env, tmp, t, interrupt)
        try:
            warm_up(server)
            print(f"[{policy}] {server.name} {clients} clients", file=sys.stderr)
            n = 1 if interrupt else args.load_reps
            reps = [run_load(server, clients, per, mt) for _ in range(n)]
            loads.append(load_stats(server.name, policy, reps, load1()))
        finally:
            server.stop()
    return singles, loads


def report(singles: list[Single], loads: list[LoadStats], args: argparse.Namespace) -> str:
    lines = [
        f"Single stream (max_tokens {args.max_tokens}, greedy, {args.threads} threads, "
        f"median of {args.reps} alternating direct/agadir pairs; ratio = median of per-pair "
        "ratios of tok/s)",
        "",
        "| OMP_WAIT_POLICY | system | tok/s | decode tok/s | TTFT s | tokens | ratio | load1 |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    direct = {s.policy: s.tok_s for s in singles if s.system.startswith("llama-cpp")}
    for s in singles:
        ratio = s.paired_ratio if s.paired_ratio is not None else s.tok_s / direct[s.policy]
        lines.append(
            f"| {s.policy} | {s.system} | {s.tok_s:.1f} | {s.decode_tok_s:.1f} | {s.ttft:.3f} | "
            f"{s.tokens} | {ratio:.3f} | {s.load} |"
        )
    ours = {s.policy: s.tok_s for s in singles if s.system == "agadir serve"}
    lines += [
        "",
        f"{args.clients} concurrent streaming clients x {args.per_client} chats each "
        f"(aggregate: median of repetitions; ratio = aggregate / agadir single-stream)",
        "",
        "| OMP_WAIT_POLICY | server | completed | empty | aggregate tok/s | ratio | "
        "TTFT p50 s | TTFT p95 s | load1 |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for x in loads:
        lines.append(
            f"| {x.policy} | {x.system} | {x.completed}/{x.streams} | {x.empty} | "
            f"{x.agg_tok_s:.1f} | {x.agg_tok_s / ours[x.policy]:.2f} | {x.ttft_p50:.3f} | "
            f"{x.ttft_p95:.3f} | {x.load} |"
        )
    return "\n".join(lines)


def plot(loads: list[LoadStats], singles: list[Single], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
    labels = [f"{s.system}\n1 client ({s.policy})" for s in singles]
    labels += [f"{x.system}\n{x.completed}/{x.streams} done ({x.policy})" for x in loads]
    values = [s.tok_s for s in singles] + [x.agg_tok_s for x in loads]
    ax1.barh(labels, values, color="tab:green")
    ax1.set_xlabel("tokens/s (aggregate)")
    ax1.tick_params(axis="y", labelsize=7)
    ax2.barh([f"{x.system} ({x.policy})" for x in loads], [x.ttft_p95 for x in loads])
    ax2.axvline(1.0, color="red", linestyle="--", label="target 1 s")
    ax2.set_xlabel("time to first token, p95 (s)")
    ax2.tick_params(axis="y", labelsize=7)
    ax2.legend()
    fig.suptitle("SmolLM2-135M Q4_1 on 2 CPU cores: streaming chat")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--omp-wait-policy",
        choices=["default", "passive", "active", "both"],
        default="both",
        help="'both' runs the whole suite with the default policy, then with PASSIVE",
    )
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--reps", type=int, default=5, help="single-stream repetitions")
    ap.add_argument("--load-reps", type=int, default=2, help="repetitions of the client load")
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--per-client", type=int, default=2)
    ap.add_argument("--max-tokens", type=int, default=128)
    ap.add_argument("--skip-llamacpp-server", action="store_true")
    ap.add_argument("--plot", type=Path, default=ROOT / "docs" / "img" / "serve_throughput.png")
    ap.add_argument("--direct-worker", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.direct_worker:
        direct_worker(args.threads, args.max_tokens)
        return
    if not args.skip_llamacpp_server:
        try:
            import llama_cpp.server.app  # noqa: F401
        except ImportError as exc:
            print(f"skipped llama_cpp.server: {exc} (pip install sse-starlette starlette-context)")
            args.skip_llamacpp_server = True
    policies = ["default", "passive"] if args.omp_wait_policy == "both" else [args.omp_wait_policy]
    singles: list[Single] = []
    loads: list[LoadStats] = []
    with tempfile.TemporaryDirectory(prefix="agadir-bench-serve-") as tmp:
        for policy in policies:
            s, x = run_suite(policy, args, Path(tmp))
            singles += s
            loads += x
    print(report(singles, loads, args))
    plot(loads, singles, args.plot)
    print(f"\nwrote {args.plot}")


if __name__ == "__main__":
    main()
