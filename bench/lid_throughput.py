"""LID batch throughput on one core: this tree's code vs a baseline tree's, alternating.

Each pass runs one fresh process per side (this tree's ``src`` and ``--baseline-src``, in
ABBA order so neither side always runs second); a process loads the packaged model of its
tree, warms up once, then times ``best_labels`` and ``identify_batch`` over the whole shared
dev split (``--runs`` calls each, median). The table gives the median over ``--passes`` of
wall-clock and CPU (process) time, the ratio, and the 1-minute load average before and after:
on a shared machine CPU time is the steadier figure, wall time the one users see.

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python bench/lid_throughput.py \\
        --baseline-src /work/main/src [--passes 7]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

from lid_data import default_data, read_tsv  # noqa: E402  (imports nothing of agadir)


def worker(src: str, runs: int) -> None:
    """Time the ``agadir`` found under ``src``; prints one JSON object."""
    sys.path.insert(0, src)
    from agadir.lang.lid import best_labels, identify_batch

    _, texts = read_tsv(default_data() / "lid" / "dev.tsv")
    out: dict[str, object] = {"lines": len(texts)}
    for name, fn in (("best_labels", best_labels), ("identify_batch", identify_batch)):
        fn(texts)
        wall, cpu = [], []
        for _ in range(runs):
            w0, c0 = time.perf_counter(), time.process_time()
            fn(texts)
            wall.append(time.perf_counter() - w0)
            cpu.append(time.process_time() - c0)
        out[name] = {"wall": statistics.median(wall), "cpu": statistics.median(cpu)}
    print(json.dumps(out))


def run_side(src: str, runs: int) -> dict[str, dict[str, float]]:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "PYTHONPATH": ""}
    cmd = [sys.executable, __file__, "--worker", src, "--runs", str(runs)]
    done = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True)
    result: dict[str, dict[str, float]] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--src", default=str(ROOT / "src"), help="this side (a frozen copy is safer)")
    ap.add_argument("--baseline-src", default="/work/main/src")
    ap.add_argument("--passes", type=int, default=7)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(args.worker, args.runs)
        return
    sides = {"this tree": args.src, "baseline": args.baseline_src}
    results: dict[str, list[dict[str, dict[str, float]]]] = {k: [] for k in sides}
    load_before = os.getloadavg()[0]
    n_lines = 0
    for i in range(args.passes):
        order = list(sides) if i % 2 == 0 else list(reversed(sides))
        for name in order:
            res = run_side(sides[name], args.runs)
            n_lines = int(res.pop("lines"))  # type: ignore[call-overload]
            results[name].append(res)
        print(f"pass {i + 1}/{args.passes} done, load {os.getloadavg()[0]:.2f}", file=sys.stderr)
    load_after = os.getloadavg()[0]
    print(f"| function | clock | {args.src} (lines/s) | {args.baseline_src} | ratio |")
    print("|---|---|---:|---:|---:|")
    for fn in ("best_labels", "identify_batch"):
        for clock in ("wall", "cpu"):
            ours, base = (
                n_lines / statistics.median(r[fn][clock] for r in results[k]) for k in sides
            )
            print(f"| `{fn}` | {clock} | {ours:,.0f} | {base:,.0f} | {ours / base:.2f} |")
    print(
        f"\n{n_lines} dev lines, medians of {args.passes} passes x {args.runs} calls per "
        f"process; 1-min load average {load_before:.2f} before, {load_after:.2f} after, "
        f"{os.cpu_count()} cores; nice {os.nice(0)}."
    )


if __name__ == "__main__":
    main()
