"""Governance cost (issue 3): the echo gateway with everything on vs with governance stripped.

Usage: PYTHONPATH=src python bench/bench_governance.py [--duration 10] [--connections 32]

Rows, measured the same way in the same run with `wrk` (bench/chat_post.lua, one non-streaming
chat completion per request, 32 connections):
- "everything on": `agadir serve --enable-echo`, a tenant with PII `mask` and audit `hash`, a key
  with requests/min, tokens/min and tokens/day limits (set high so nothing is refused): key
  lookup, scopes, three token buckets for the key and three for the tenant, the PII scan of the
  input and of the output, and a durable (group-committed, fsynced) audit record per request.
- "governance off": the same app and engine with the governance layer removed for the bench
  only (no audit middleware; admission, settlement and audit replaced by no-ops). There is no
  such switch in Agadir itself: this exists to price the layer.
Then `agadir audit verify` walks the chain the run produced (records/s).
Targets: ratio >= 0.8, >= 800 req/s with everything on (2 cores, wrk on the same cores).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_gateway import run_wrk
from serve_harness import ROOT, agadir_server, free_port, load1, start_server


def serve_ungoverned(port: int) -> None:
    """The gateway with its governance layer stubbed out (bench baseline only)."""
    import uvicorn

    from agadir.gateway.app import create_app
    from agadir.gateway.governance.middleware import AuditMiddleware
    from agadir.gateway.governance.service import Governance

    async def admit(self: Governance, ctx: object, *, texts: list[str], **_: object) -> list[str]:
        return list(texts)

    async def nothing(*_: object, **__: object) -> None:
        return None

    Governance.admit = admit  # type: ignore[method-assign,assignment]
    Governance.settle = nothing  # type: ignore[method-assign,assignment]
    Governance.audit = nothing  # type: ignore[method-assign,assignment]
    app = create_app(enable_echo=True, dev_open=True)
    app.user_middleware = [m for m in app.user_middleware if m.cls is not AuditMiddleware]
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def make_key(home: Path) -> str:
    env = {**os.environ, "AGADIR_HOME": str(home), "PYTHONPATH": str(ROOT / "src")}
    cli = [sys.executable, "-m", "agadir.cli.main"]
    subprocess.run(
        [
            *cli,
            "tenants",
            "create",
            "bench",
            "--pii",
            "mask",
            "--audit-content",
            "hash",
            "--rpm",
            "10000000",
            "--tpm",
            "1000000000",
            "--tpd",
            "2000000000",
        ],
        env=env,
        check=True,
        capture_output=True,
    )
    out = subprocess.run(
        [
            *cli,
            "keys",
            "create",
            "--tenant",
            "bench",
            "--scopes",
            "chat,models:echo",
            "--rpm",
            "10000000",
            "--tpm",
            "1000000000",
            "--tpd",
            "2000000000",
        ],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout.strip().splitlines()[-1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--serve-ungoverned", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_ungoverned:
        serve_ungoverned(args.port)
        return
    work = Path(tempfile.mkdtemp(prefix="agadir-bench-gov-"))
    results = []
    home_on = work / "on"
    home_on.mkdir()
    key = make_key(home_on)
    env_on = {**os.environ, "AGADIR_HOME": str(home_on), "PYTHONPATH": str(ROOT / "src")}
    on = agadir_server(env_on, work, "--enable-echo")
    on.headers["Authorization"] = f"Bearer {key}"
    try:
        run_wrk(on, "warm-up", args.connections, 2, "echo")
        results.append(run_wrk(on, "everything on", args.connections, args.duration, "echo"))
    finally:
        on.stop()
    port = free_port()
    env_off = {**os.environ, "AGADIR_HOME": str(work / "off"), "PYTHONPATH": str(ROOT / "src")}
    off = start_server(
        "governance off",
        [sys.executable, __file__, "--serve-ungoverned", "--port", str(port)],
        env_off,
        port,
        "/healthz",
        work,
    )
    try:
        run_wrk(off, "warm-up", args.connections, 2, "echo")
        results.append(run_wrk(off, "governance off", args.connections, args.duration, "echo"))
    finally:
        off.stop()
    started = time.perf_counter()
    verify = subprocess.run(
        [sys.executable, "-m", "agadir.cli.main", "audit", "verify"],
        env=env_on,
        capture_output=True,
        text=True,
        timeout=600,
    )
    verify_s = time.perf_counter() - started

    print(
        f"\n## Governance cost ({args.connections} connections, {args.duration} s, "
        f"load {load1():.1f})\n"
    )
    print("| system | req/s | p50 ms | p99 ms | errors | load |")
    print("|---|---:|---:|---:|---:|---:|")
    for r in results:
        print(
            f"| {r.system} | {r.rps:,.0f} | {r.p50_ms:.1f} | {r.p99_ms:.1f} | {r.errors} | "
            f"{r.load:.1f} |"
        )
    ratio = results[0].rps / results[1].rps
    print(
        f"\nratio everything-on / governance-off: **{ratio:.2f}** (target >= 0.8); "
        f"everything on: **{results[0].rps:,.0f} req/s** (target >= 800)"
    )
    print(
        f"\n`agadir audit verify` on this run's chain ({verify_s:.1f} s wall, CLI start "
        f"included): {verify.stdout.strip()}"
    )


if __name__ == "__main__":
    main()
