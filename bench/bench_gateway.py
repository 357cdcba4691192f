"""Gateway overhead of issue 2: `agadir serve` with the echo engine against bare upstreams.

Usage: PYTHONPATH=src python bench/bench_gateway.py [--duration 10] [--connections 32]
       [--profile]   (also samples the agadir server with py-spy under load)

Every row is measured the same way, in the same run, by `wrk` (bench/chat_post.lua posts one
non-streaming chat completion per request): 32 connections for throughput and loaded latency,
then 1 connection for the latency of a request on an idle server. Rows:
- "upstream alone": a bare ASGI app under uvicorn (same loop/http as agadir) returning a fixed
  chat completion: the floor any Python gateway on uvicorn starts from.
- "FastAPI + pydantic": the same reply behind a FastAPI route that validates the request with a
  pydantic model: how much the framework alone costs.
- "agadir serve (echo)": the real server, authenticated with its admin key (key lookup, scopes,
  quota, audit record, metrics): what a client pays.
Added latency = agadir p50 - upstream p50. Targets: >= 1,000 req/s on 2 cores, p50 added <= 2 ms.
wrk runs on the same 2 cores (one thread), so the absolute numbers include its share.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Response
from pydantic import BaseModel

sys.path.insert(0, str(Path(__file__).resolve().parent))
from serve_harness import ROOT, Server, agadir_server, free_port, load1, start_server

LUA = ROOT / "bench" / "chat_post.lua"
REPLY = json.dumps(
    {
        "id": "chatcmpl-bench",
        "object": "chat.completion",
        "created": 0,
        "model": "echo",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "Salam, how is the weather?"},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 9, "completion_tokens": 5, "total_tokens": 14},
    }
).encode()


# -- the two baselines (run as child processes: `--serve raw|fastapi --port N`) ------------------
async def raw_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Bare ASGI: drain the body, answer the fixed reply (health checks get the same)."""
    if scope["type"] != "http":
        return
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(REPLY))]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": REPLY})


class Message(BaseModel):
    role: str
    content: str


class ChatRequest(BaseModel):
    model: str
    messages: list[Message]
    max_tokens: int | None = None


def fastapi_app() -> FastAPI:
    app = FastAPI()

    @app.post("/v1/chat/completions")
    async def chat(request: ChatRequest) -> Response:
        return Response(REPLY, media_type="application/json")

    @app.get("/healthz")
    async def health() -> Response:
        return Response(b"{}", media_type="application/json")

    return app


def serve_baseline(kind: str, port: int) -> None:
    import uvicorn

    app = raw_app if kind == "raw" else fastapi_app()
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


# -- measuring -------------------------------------------------------------------------------------
@dataclass
class WrkResult:
    system: str
    connections: int
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    load: float


def run_wrk(server: Server, system: str, conns: int, duration: int, model: str) -> WrkResult:
    env = {**os.environ, "WRK_MODEL": model, "WRK_AUTH": server.headers.get("Authorization", "")}
    cmd = ["wrk", "-t1", f"-c{conns}", f"-d{duration}s", "--timeout", "10s", "-s", str(LUA)]
    out = subprocess.run(
        [*cmd, server.base], env=env, capture_output=True, text=True, timeout=duration + 60
    )
    line = next(x for x in out.stdout.splitlines() if x.startswith('{"requests"'))
    r = json.loads(line)
    errors = sum(r[k] for k in ("connect_errors", "read_errors", "write_errors", "timeouts"))
    errors += r["status_errors"]
    return WrkResult(
        system,
        conns,
        r["requests"] / (r["duration_us"] / 1e6),
        r["p50_us"] / 1000,
        r["p99_us"] / 1000,
        errors,
        load1(),
    )


def baseline_server(kind: str, logdir: Path) -> Server:
    port = free_port()
    cmd = [sys.executable, __file__, "--serve", kind, "--port", str(port)]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    return start_server(f"baseline-{kind}", cmd, env, port, "/healthz", logdir)


def profile(server: Server, args: argparse.Namespace, out: Path, model: str = "echo") -> str:
    """Sample the server with py-spy while wrk loads it; return the top frames as Markdown."""
    raw = out / "profile.txt"
    exe = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    # --gil: only the thread holding the GIL, i.e. Python work, not idle pool threads waiting
    cmd = [exe, "record", "--gil", "--format", "raw", "-o", str(raw), "-r", "200"]
    cmd += ["-d", str(args.duration), "-p", str(server.process.pid)]
    spy = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    run_wrk(server, "profile", args.connections, args.duration, model)
    spy.wait(timeout=60)
    own: Counter[tuple[str, str]] = Counter()  # (frame, its caller)
    inclusive: Counter[str] = Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = stack.split(";")
        n = int(count)
        total += n
        own[frames[-1], frames[-2] if len(frames) > 1 else ""] += n
        for frame in set(frames):
            if "agadir/" in frame and "agadir/cli/" not in frame:
                inclusive[frame] += n
    rows = ["| self % | frame | called from |", "|---:|---|---|"]
    rows += [f"| {100 * n / total:.1f} | `{f}` | `{c}` |" for (f, c), n in own.most_common(15)]
    rows += ["", "| inclusive % | agadir frame |", "|---:|---|"]
    rows += [f"| {100 * n / total:.1f} | `{f}` |" for f, n in inclusive.most_common(20)]
    return "\n".join(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--profile", action="store_true", help="py-spy the agadir server")
    ap.add_argument("--serve", choices=["raw", "fastapi"], help=argparse.SUPPRESS)
    ap.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve:
        serve_baseline(args.serve, args.port)
        return
    if shutil.which("wrk") is None:
        print("skipped: wrk is not installed (Debian: apt-get install -y wrk)")
        return
    spy = Path(sys.executable).parent / "py-spy"
    if args.profile and not (shutil.which("py-spy") or spy.exists()):
        print("profile skipped: py-spy is not installed (pip install py-spy)")
        args.profile = False
    results: list[WrkResult] = []
    profile_md = ""
    with tempfile.TemporaryDirectory(prefix="agadir-bench-gw-") as tmp:
        home = Path(tmp) / "home"
        env = {**os.environ, "AGADIR_HOME": str(home), "PYTHONPATH": str(ROOT / "src")}
        env.pop("AGADIR_CONFIG", None)
        starters = [
            ("upstream alone (bare ASGI)", lambda: baseline_server("raw", Path(tmp))),
            ("FastAPI + pydantic", lambda: baseline_server("fastapi", Path(tmp))),
            ("agadir serve (echo)", lambda: agadir_server(env, Path(tmp), "--enable-echo")),
        ]
        for system, start in starters:
            server = start()
            try:
                run_wrk(server, system, 4, 2, "echo")  # warm-up
                for conns in (args.connections, 1):
                    results.append(run_wrk(server, system, conns, args.duration, "echo"))
                    print(f"{system} c{conns}: {results[-1]}", file=sys.stderr)
                if args.profile and system.startswith("agadir"):
                    profile_md = profile(server, args, Path(tmp))
            finally:
                server.stop()
    base = {r.connections: r.p50_ms for r in results if r.system.startswith("upstream")}
    print(f"Gateway overhead, non-streaming chat, wrk -t1, {args.duration} s per row\n")
    print("| system | connections | req/s | p50 ms | p99 ms | p50 added ms | errors | load1 |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        added = r.p50_ms - base[r.connections]
        print(
            f"| {r.system} | {r.connections} | {r.rps:,.0f} | {r.p50_ms:.2f} | {r.p99_ms:.2f} | "
            f"{added:+.2f} | {r.errors} | {r.load} |"
        )
    if profile_md:
        print("\npy-spy profile of agadir serve under the same load\n")
        print(profile_md)


if __name__ == "__main__":
    main()
