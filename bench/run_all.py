"""Run every benchmark under bench/ in sequence (what `make bench` calls).

Usage: python bench/run_all.py [--only serve,gateway] [--list]

Each bench runs in its own process with `src` on PYTHONPATH, one after the other (they measure
CPU throughput; running them side by side would measure contention). A bench whose optional
dependency or baseline is missing prints "skipped: why" itself; one that fails does not stop
the others, and the summary at the end says which failed. The 1-minute load average is printed
before each bench, because other work on a shared machine moves every figure.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# (name, script, arguments, what it needs beyond the package)
BENCHES: list[tuple[str, str, list[str], str | None]] = [
    ("pii", "bench_pii.py", [], None),
    ("lid", "bench_lid.py", [], None),
    ("translit", "bench_translit.py", [], None),
    ("fertility", "bench_fertility.py", [], None),
    ("audit", "bench_audit.py", [], None),
    ("serve", "bench_serve.py", [], None),
    ("gateway", "bench_gateway.py", [], "wrk"),
    ("memory", "bench_memory.py", [], None),
    ("upstream", "bench_upstream.py", ["--replicas"], "wrk"),
    ("upstream-client", "bench_upstream_client.py", [], None),
    ("failover", "bench_failover.py", [], None),
]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", help="comma-separated names, e.g. serve,gateway")
    ap.add_argument("--list", action="store_true", help="print the bench names and exit")
    args = ap.parse_args()
    if args.list:
        print("\n".join(name for name, *_ in BENCHES))
        return
    wanted = set(args.only.split(",")) if args.only else None
    env = {**os.environ}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "src"), env.get("PYTHONPATH")]))
    failed: list[str] = []
    for name, script, extra, needs in BENCHES:
        if wanted is not None and name not in wanted:
            continue
        path = ROOT / "bench" / script
        print(f"\n## {name} ({script}), load average {os.getloadavg()[0]:.2f}\n", flush=True)
        if not path.exists():
            print(f"skipped: {script} is not in this checkout")
            continue
        if needs and shutil.which(needs) is None:
            print(f"skipped: `{needs}` is not installed")
            continue
        start = time.monotonic()
        rc = subprocess.call([sys.executable, str(path), *extra], env=env, cwd=ROOT)
        print(f"\n({name}: exit {rc}, {time.monotonic() - start:.0f} s)", flush=True)
        if rc != 0:
            failed.append(name)
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
        sys.exit(1)


if __name__ == "__main__":
    main()
