"""Audit and governance hot-path figures: verify rate, group commit vs one commit per record.

Usage: PYTHONPATH=src python bench/bench_audit.py [--records 100000] [--postgres]
Prints a Markdown table (medians of --repeat runs). Targets: verify >= 100,000 records/s.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from agadir.audit import AuditChain, AuditRecord, AuditWriter
from agadir.audit.chain import append_locked
from agadir.governance import KeyService, Limits, QuotaService, TenantService
from agadir.store import Store, open_store
from agadir.store.testing import fresh_postgres_url

KEY = b"b" * 32


def _record(i: int) -> AuditRecord:
    return AuditRecord(
        "chat",
        200,
        tenant="acme",
        key_id="0123456789ab",
        model="smollm2",
        prompt_tokens=20 + i % 50,
        completion_tokens=64,
        latency_ms=12.5,
        pii={"PHONE": 1},
        quota={"requests_remaining": 100},
        content={"request_sha256": "a" * 64, "response_sha256": "b" * 64},
    )


def fill(store: Store, n: int) -> None:
    for start in range(0, n, 10_000):
        with store.write() as conn:
            append_locked(conn, KEY, [_record(i) for i in range(start, min(n, start + 10_000))])


def appends_per_s(store: Store, n: int, concurrency: int, max_batch: int) -> tuple[float, float]:
    writer = AuditWriter(store, KEY, max_batch=max_batch).start()

    async def client(count: int) -> None:
        for i in range(count):
            await writer.append(_record(i))

    async def run() -> None:
        await asyncio.gather(*(client(n // concurrency) for _ in range(concurrency)))

    started = time.perf_counter()
    asyncio.run(run())
    elapsed = time.perf_counter() - started
    writer.close()
    return writer.stats.records / elapsed, writer.stats.records / max(1, writer.stats.commits)


def hot_path_us(store: Store, n: int = 20_000) -> float:
    TenantService(store).create("hot", limits=Limits(rpm=10**9, tpm=10**9))
    keys = KeyService(store)
    raw = keys.create("hot", "chat", limits=Limits(rpm=10**9)).plaintext
    quotas = QuotaService(store)
    keys.authenticate(raw)
    started = time.perf_counter()
    for _ in range(n):
        principal = keys.authenticate(raw)
        principal.require("chat")
        quotas.settle(quotas.reserve(principal, 100), 80)
    elapsed = time.perf_counter() - started
    quotas.close()
    return elapsed / n * 1e6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()
    kinds = ["sqlite"] + (["postgresql"] if args.postgres else [])
    rows = []
    for kind in kinds:
        tmp = Path(tempfile.mkdtemp())
        url = f"sqlite:///{tmp / 'bench.db'}" if kind == "sqlite" else fresh_postgres_url()
        assert url is not None
        store = open_store(url)
        fill(store, args.records)
        rates = [AuditChain(store, KEY).verify().rate for _ in range(args.repeat)]
        rows.append(
            (kind, f"verify {args.records:,} records", f"{statistics.median(rates):,.0f}/s", "")
        )
        single = [appends_per_s(store, 400, 32, 1) for _ in range(args.repeat)]
        group = [appends_per_s(store, 4000, 32, 1024) for _ in range(args.repeat)]
        s_rate = statistics.median(r for r, _ in single)
        g_rate = statistics.median(r for r, _ in group)
        g_batch = statistics.median(b for _, b in group)
        rows.append((kind, "append, 1 commit/record, 32 clients", f"{s_rate:,.0f}/s", "1.0x"))
        rows.append(
            (
                kind,
                f"append, group commit, 32 clients (median batch {g_batch:.0f})",
                f"{g_rate:,.0f}/s",
                f"{g_rate / s_rate:.1f}x",
            )
        )
        hot = statistics.median(
            hot_path_us(
                open_store(url.replace("bench.db", f"h{i}.db")) if kind == "sqlite" else store
            )
            for i in range(1)
        )
        rows.append((kind, "authenticate + scope + reserve + settle", f"{hot:.1f} µs/request", ""))
        store.close()
    print("| store | measure | median | vs 1 commit/record |")
    print("|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
