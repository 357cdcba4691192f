"""`agadir eval` figures, side by side in one run against one `agadir serve` (packaged SmolLM2):

1. Samples/s on the same log-likelihood task and endpoint: `agadir eval` (CLI, cold cache,
   default concurrency) vs lm-evaluation-harness `local-completions` at its default settings.
   Both are timed as whole commands (process start included), on the first --items items of
   the shipped `mcq-darija-translation` task; their accuracies are printed to show they agree.
2. Time saved by the answer cache: the same `agadir eval` command run again.
3. A baseline report of SmolLM2 on every shipped task (first --limit samples each; pii-echo
   with a key of a masking tenant), written to docs/eval-baseline/ with its PNGs and a summary
   PNG at docs/img/eval_baseline.png. Sized to run in minutes on 2 CPU cores; the intervals
   are wide at this size, and say so.

    python bench/bench_eval.py [--items 20] [--limit 8] [--skip-lm-eval]
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
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from serve_harness import Server, agadir_server  # noqa: E402

MODEL = "smollm2-135m-instruct"
MCQ = "mcq-darija-translation"


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, subprocess.CompletedProcess[str]]:
    started = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT, timeout=3600)
    return time.perf_counter() - started, done


def agadir_eval(
    server: Server, key: str, model: str, task: Path, cache: Path, out: Path
) -> tuple[float, dict]:
    env = {**os.environ, "AGADIR_EVAL_API_KEY": key}
    cmd = [sys.executable, "-m", "agadir.cli.main", "eval", "run", str(task), "-m", model,
           "--endpoint", f"{server.base}/v1", "--cache", str(cache), "--out", str(out)]  # fmt: skip
    seconds, done = timed(cmd, env)
    if done.returncode != 0:
        raise SystemExit(f"agadir eval failed:\n{done.stderr[-3000:]}")
    return seconds, json.loads((out / "report.json").read_text())


def lm_eval(
    server: Server, key: str, model: str, tmp: Path, items: list[dict]
) -> tuple[float, float | str]:
    from agadir.evals.lm_eval_task import write_lm_eval_task

    tasks = write_lm_eval_task(tmp / "lm", "agadir_bench_mcq", items)
    out = tmp / "lm-out"
    cmd = [sys.executable, "-m", "lm_eval", "--model", "local-completions", "--model_args",
           f"model={model},base_url={server.base}/v1/completions,auth_token={key}",
           "--tasks", "agadir_bench_mcq", "--include_path", str(tasks),
           "--output_path", str(out)]  # fmt: skip
    env = {**os.environ, "OPENAI_API_KEY": key, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1",
           "HF_HOME": str(tmp / "hf")}  # fmt: skip
    seconds, done = timed(cmd, env)
    if done.returncode != 0:
        last = [line for line in done.stderr.splitlines() if line.strip()][-1:]
        return seconds, f"failed: {last[0][:160] if last else done.returncode}"
    (results,) = out.rglob("results_*.json")
    return seconds, float(
        json.loads(results.read_text())["results"]["agadir_bench_mcq"]["acc,none"]
    )


def masking_key(server: Server) -> str:
    admin = httpx.Client(base_url=server.base, headers=server.headers, timeout=30)
    admin.post("/admin/tenants", json={"name": "bench-mask", "pii_mode": "mask"})
    r = admin.post("/admin/keys", json={"tenant": "bench-mask", "scopes": "chat,models:*"})
    r.raise_for_status()
    return str(r.json()["key"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--items", type=int, default=20, help="MCQ items for the throughput figure")
    ap.add_argument("--limit", type=int, default=8, help="samples per task in the baseline")
    ap.add_argument("--skip-lm-eval", action="store_true")
    ap.add_argument("--skip-baseline", action="store_true")
    ap.add_argument("--model", default=MODEL, help="model for the throughput figure")
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "eval-baseline")
    args = ap.parse_args()

    import asyncio

    from agadir.evals.report import summary_png, write
    from agadir.evals.runner import RunConfig
    from agadir.evals.session import evaluate
    from agadir.evals.task import Task, builtin_tasks, load_task

    tmp = Path(tempfile.mkdtemp(prefix="bench-eval-"))
    env = {**os.environ, "AGADIR_HOME": str(tmp / "home")}
    env.pop("AGADIR_CONFIG", None)
    server = agadir_server(env, tmp, *(["--enable-echo"] if args.model == "echo" else []))
    try:
        key = server.headers["Authorization"].split(" ", 1)[1]
        shipped = load_task(builtin_tasks()[MCQ])
        items = shipped.samples[: args.items]
        task_dir = tmp / "task"
        task_dir.mkdir()
        (task_dir / "items.jsonl").write_text(
            "".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items)
        )
        spec = shipped.path.read_text().replace(f"data/{MCQ}.jsonl", "items.jsonl")
        (task_dir / "mcq.yaml").write_text(spec)
        cache = tmp / "cache.sqlite"
        cold, report = agadir_eval(
            server, key, args.model, task_dir / "mcq.yaml", cache, tmp / "r1"
        )
        warm, again = agadir_eval(server, key, args.model, task_dir / "mcq.yaml", cache, tmp / "r2")
        ours = report["tasks"][0]["metrics"]["acc"]["value"]
        if args.skip_lm_eval:
            theirs_s, theirs = float("nan"), "skipped"
        else:
            theirs_s, theirs = lm_eval(server, key, args.model, tmp, items)
        n = len(items)
        print(f"\n## agadir eval vs lm-eval ({n} four-way MCQ items, loglik, {args.model})\n")
        print("| command | seconds | samples/s | acc |")
        print("|---|---:|---:|---:|")
        print(f"| agadir eval (cold cache) | {cold:.1f} | {n / cold:.2f} | {ours:.3f} |")
        theirs_cell = f"{theirs:.3f}" if isinstance(theirs, float) else theirs
        rate = f"{n / theirs_s:.2f}" if isinstance(theirs, float) else "—"
        print(f"| lm-eval local-completions (defaults) | {theirs_s:.1f} | {rate} | {theirs_cell} |")
        print(f"| agadir eval rerun (cache) | {warm:.1f} | {n / warm:.2f} | "
              f"{again['tasks'][0]['metrics']['acc']['value']:.3f} |")  # fmt: skip
        print(f"\nCache: rerun {warm:.1f} s vs {cold:.1f} s cold, {cold - warm:.1f} s saved "
              f"({again['tasks'][0]['asked']} requests on the rerun)")  # fmt: skip

        if args.skip_baseline:
            return
        print(f"\n## Baseline: {MODEL} on every shipped task (first {args.limit} samples)\n")
        tasks = [load_task(p) for p in builtin_tasks().values()]
        tasks = [Task(t.spec, t.path, t.samples[: args.limit]) for t in tasks]
        masked = masking_key(server)

        def cfg(api_key: str) -> RunConfig:
            return RunConfig(endpoint=f"{server.base}/v1", model=MODEL, api_key=api_key,
                             cache_path=tmp / "baseline.sqlite", concurrency=2)  # fmt: skip

        started = time.perf_counter()
        main_report = asyncio.run(evaluate([t for t in tasks if t.name != "pii-echo"], cfg(key)))
        pii = asyncio.run(evaluate([t for t in tasks if t.name == "pii-echo"], cfg(masked)))
        main_report["tasks"] += pii["tasks"]
        main_report["seconds"] = round(time.perf_counter() - started, 1)
        main_report["note"] = (
            f"first {args.limit} samples per task; pii-echo with a key of a masking tenant"
        )
        if args.out.exists():
            shutil.rmtree(args.out)
        write(main_report, args.out)
        # the per-sample answers and references stay out of the repo (report.md has the figures)
        (args.out / "report.json").unlink(missing_ok=True)
        for png in args.out.glob("*.png"):
            if png.name != "summary.png":
                png.unlink()  # per-task PNGs stay out of the repo; the summary is kept
        summary_png(main_report, ROOT / "docs" / "img" / "eval_baseline.png")
        (args.out / "summary.png").unlink(missing_ok=True)
        print("| task | metric | value | 95 % CI | n |")
        print("|---|---|---:|---:|---:|")
        for t in main_report["tasks"]:
            for name, cell in t["metrics"].items():
                s = cell["scale"]
                v = "—" if cell["value"] is None else f"{cell['value'] * s:.1f}"
                ci = "—" if cell["low"] is None else f"{cell['low'] * s:.1f}–{cell['high'] * s:.1f}"
                print(f"| {t['task']} | {name} | {v} | {ci} | {cell['n']} |")
        print(f"\nBaseline took {main_report['seconds']} s; report in {args.out}")
    finally:
        server.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
