"""Gateway CPU per governed request, in process: a figure that a busy machine does not move much.

Usage: PYTHONPATH=src python bench/bench_governance_cpu.py [--requests 3000] [--rounds 3]

`bench_governance.py` measures throughput with wrk, which needs quiet cores; when other jobs
share the machine its ratio swings by ±0.15 run to run. This script prices the same request
(non-streaming echo chat; tenant with PII `mask`, audit `hash`, key and tenant rpm/tpm/tpd
buckets; a durable audit record) by the CPU time of the gateway's own process (`process_time`,
the audit writer child excluded), driven in process with httpx's ASGI transport, against the
same app with governance stubbed out as in `bench_governance.py`. Prints µs per request, median
of `--rounds`, and the ratio off/on (what the throughput ratio would be if the gateway's CPU
were the only limit).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import httpx

BODY = {"model": "echo", "messages": [{"role": "user", "content": "salam, kif dayr?"}]}


async def cpu_per_request(governed: bool, requests: int) -> float:
    from agadir.config import Settings
    from agadir.gateway.app import create_app
    from agadir.gateway.governance.middleware import AuditMiddleware
    from agadir.governance import Limits

    home = Path(tempfile.mkdtemp(prefix="agadir-bench-cpu-"))
    settings = Settings.model_validate({"home": home, "knowledge": {"packs": []}})
    app = create_app(settings, enable_echo=True, dev_open=not governed)
    if not governed:
        app.user_middleware = [m for m in app.user_middleware if m.cls is not AuditMiddleware]
    headers = {}
    async with app.router.lifespan_context(app):
        gov = app.state.agadir.governance
        if governed:
            limits = Limits(rpm=10_000_000, tpm=1_000_000_000, tpd=2_000_000_000)
            gov.tenants.create("bench", pii_mode="mask", audit_content="hash", limits=limits)
            key = gov.keys.create("bench", "chat,models:echo", limits=limits).plaintext
            headers["Authorization"] = f"Bearer {key}"
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://a") as client:
            for _ in range(200):  # warm-up
                await client.post("/v1/chat/completions", json=BODY, headers=headers)
            started = time.process_time()
            for _ in range(requests):
                r = await client.post("/v1/chat/completions", json=BODY, headers=headers)
                assert r.status_code == 200, r.text
            return (time.process_time() - started) / requests * 1e6


def stub_governance() -> None:
    """As `bench_governance.serve_ungoverned`: admission, settlement and audit do nothing."""
    from agadir.gateway.governance.service import Governance

    async def admit(self: Governance, ctx: object, *, texts: list[str], **_: object) -> list[str]:
        return list(texts)

    async def nothing(*_: object, **__: object) -> None:
        return None

    for name, stub in (("admit", admit), ("settle", nothing), ("audit", nothing)):
        setattr(Governance, name, stub)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    on = [asyncio.run(cpu_per_request(True, args.requests)) for _ in range(args.rounds)]
    stub_governance()
    off = [asyncio.run(cpu_per_request(False, args.requests)) for _ in range(args.rounds)]
    on_us, off_us = statistics.median(on), statistics.median(off)
    print("| system | gateway CPU µs per request (median) | rounds |")
    print("|---|---:|---|")
    print(f"| everything on | {on_us:.0f} | {', '.join(f'{v:.0f}' for v in on)} |")
    print(f"| governance off | {off_us:.0f} | {', '.join(f'{v:.0f}' for v in off)} |")
    print(f"\nCPU ratio off / on: **{off_us / on_us:.2f}**")


if __name__ == "__main__":
    main()
