"""Failover of issue 17: one gateway in front of 3 upstream replicas (separate processes) under
load; one replica is killed (SIGKILL), then restarted on the same port.

Usage: PYTHONPATH=src python bench/bench_failover.py [--trials 3] [--clients 16]
       [--down-s 3] [--poll-ms 10]

Per trial, for two configurations (active probes every 5 s + passive ejection, the default; and
passive ejection only, `health_interval_s = 0`, where an ejected replica gets a trial request
after a 5 s rest):
- ejection: time from the kill until `/metrics` shows the replica out of rotation;
- last try: time from the kill until the replica's try counter last moved while it was dead
  (after that, no request went to it); tries sent to the dead replica and how many of them were
  retried on another one;
- failed: requests the clients saw fail (non-200 or a connection error), kill to re-admission;
- re-admission: time from the restarted replica answering again until it served a request.
Times are upper bounds, at the resolution of one `/metrics` scrape (its median duration is in
the table; scrapes are `--poll-ms` apart). The load is `--clients`
closed-loop clients (aiohttp, one event loop in a thread of this process).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_upstream import gateway
from serve_harness import ROOT, Server, free_port, load1, start_server

INSTANT = ROOT / "bench" / "instant_upstream.py"
_METRIC = re.compile(r"^agadir_upstream_replica_(up|requests_total|retries_total)\{(.*)\} (\S+)$")


def replica(logdir: Path, port: int) -> Server:
    cmd = [sys.executable, str(INSTANT), "--port", str(port), "--name", "instant"]
    return start_server(f"replica {port}", cmd, dict(os.environ), port, "/stats", logdir)


def served(server: Server) -> int:
    return int(httpx.get(server.base + "/stats", timeout=2).json()["requests"])


@dataclass
class Load:
    """Closed-loop clients in a background thread; each outcome is (finish time, ok)."""

    gw: Server
    clients: int
    outcomes: list[tuple[float, bool]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=lambda: asyncio.run(self._run()), daemon=True)
        thread.start()
        return thread

    async def _run(self) -> None:
        body = {"model": "pool", "messages": [{"role": "user", "content": "hi"}]}
        url = self.gw.base + "/v1/chat/completions"
        timeout = aiohttp.ClientTimeout(total=30)
        connector = aiohttp.TCPConnector(limit=self.clients)
        async with aiohttp.ClientSession(timeout=timeout, connector=connector) as http:

            async def client() -> None:
                while not self.stop.is_set():
                    try:
                        async with http.post(url, json=body, headers=self.gw.headers) as r:
                            raw = await r.read()
                            ok = r.status == 200 and b'"ok"' in raw
                            if not ok:
                                self.errors.append(f"{r.status} {raw[:300]!r}")
                    except (TimeoutError, aiohttp.ClientError) as exc:
                        ok = False
                        self.errors.append(repr(exc))
                    self.outcomes.append((time.monotonic(), ok))

            await asyncio.gather(*(client() for _ in range(self.clients)))

    def failed_between(self, start: float, end: float) -> tuple[int, int]:
        window = [ok for t, ok in list(self.outcomes) if start <= t <= end]
        return sum(1 for ok in window if not ok), len(window)


def scrape(gw: Server, url: str) -> dict[str, float]:
    """This replica's `up`, `requests_total` and `retries_total` from the gateway's /metrics."""
    text = httpx.get(gw.base + "/metrics", timeout=5).text
    found: dict[str, float] = {}
    for line in text.splitlines():
        m = _METRIC.match(line)
        if m and f'replica="{url}"' in m.group(2):
            found[m.group(1)] = float(m.group(3))
    return found


@dataclass
class Trial:
    eject_ms: float
    last_try_ms: float
    dead_tries: int
    retried: int
    failed: int
    total: int
    readmit_ms: float
    scrape_ms: float  # how long one /metrics scrape took: the resolution of the times above


def trial(gw: Server, load: Load, logdir: Path, victim: Server, args: argparse.Namespace) -> Trial:
    url = victim.base + "/v1"
    poll = args.poll_ms / 1000
    before = scrape(gw, url)
    victim.process.kill()
    victim.process.wait(timeout=10)
    t_kill = time.monotonic()
    eject = last_try = None
    tries = before["requests_total"]
    scrapes: list[float] = []
    while time.monotonic() - t_kill < args.down_s:  # down: watch it leave rotation
        start = time.monotonic()
        m = scrape(gw, url)
        now = time.monotonic()  # read during the scrape: an upper bound
        scrapes.append(now - start)
        if eject is None and m["up"] == 0:
            eject = now
        if m["requests_total"] > tries:
            tries, last_try = m["requests_total"], now
        time.sleep(poll)
    restarted = replica(logdir, int(victim.base.rsplit(":", 1)[1]))
    t_up = time.monotonic()
    readmit = None
    while readmit is None and time.monotonic() - t_up < 30:  # back: first request it serves
        if served(restarted) > 0:
            readmit = time.monotonic()
        time.sleep(poll)
    after = scrape(gw, url)
    failed, total = load.failed_between(t_kill, readmit or time.monotonic())
    victim.process = restarted.process  # the same port, a new process
    return Trial(
        eject_ms=1000 * (eject - t_kill) if eject else float("nan"),
        last_try_ms=1000 * ((last_try or t_kill) - t_kill),
        dead_tries=int(tries - before["requests_total"]),
        retried=int(after["retries_total"] - before["retries_total"]),
        failed=failed,
        total=total,
        readmit_ms=1000 * (readmit - t_up) if readmit else float("nan"),
        scrape_ms=1000 * statistics.median(scrapes),
    )


def scenario(name: str, options: dict[str, object], args: argparse.Namespace) -> list[Trial]:
    with tempfile.TemporaryDirectory(prefix="agadir-bench-failover-") as tmp:
        logdir = Path(tmp)
        replicas = [replica(logdir, free_port()) for _ in range(3)]
        gw: Server | None = None
        try:
            pool = {"name": "pool", "model": "instant", **options}
            pool["base_urls"] = [r.base + "/v1" for r in replicas]
            gw = gateway(logdir, logdir / "home", [pool])
            load = Load(gw, args.clients)
            thread = load.start()
            time.sleep(2)  # warm: every replica in use
            trials = []
            for i in range(args.trials):
                victim = replicas[i % len(replicas)]
                trials.append(trial(gw, load, logdir, victim, args))
                print(f"{name} trial {i}: {trials[-1]} load1 {load1()}", file=sys.stderr)
                time.sleep(1)
            load.stop.set()
            thread.join(timeout=60)
            for error in sorted(set(load.errors)):
                print(f"{name}: {load.errors.count(error)} x {error}", file=sys.stderr)
            return trials
        finally:
            for server in [*replicas, *([gw] if gw else [])]:
                server.stop()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=3)
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--down-s", type=float, default=3.0, help="how long the replica stays dead")
    ap.add_argument("--poll-ms", type=float, default=10.0)
    args = ap.parse_args()
    configs: list[tuple[str, dict[str, object]]] = [
        ("probes every 5 s + passive (default)", {"eject_after": 3, "health_interval_s": 5.0}),
        ("passive only", {"eject_after": 3, "health_interval_s": 0}),
    ]
    results = {name: scenario(name, options, args) for name, options in configs}
    print(f"Failover, 3 replicas, {args.clients} clients, replica dead {args.down_s:.0f} s, ")
    print(f"median of {args.trials} trials (one replica killed per trial), load1 {load1()}\n")
    print(
        "| configuration | ejection ms | last try ms | tries to dead replica | retried | "
        "failed / requests | re-admission ms | one scrape ms |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, trials in results.items():

        def med(key: str, trials: list[Trial] = trials) -> float:
            return statistics.median(getattr(t, key) for t in trials)

        print(
            f"| {name} | {med('eject_ms'):.0f} | {med('last_try_ms'):.0f} | "
            f"{med('dead_tries'):.0f} | {med('retried'):.0f} | "
            f"{sum(t.failed for t in trials)} / {sum(t.total for t in trials)} | "
            f"{med('readmit_ms'):.0f} | {med('scrape_ms'):.0f} |"
        )
    print("\n" + json.dumps({k: [t.__dict__ for t in v] for k, v in results.items()}))


if __name__ == "__main__":
    main()
