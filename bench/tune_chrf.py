"""`bench_tune.py --mode chrf`: chrF++ of the packaged SmolLM2-135M before vs after a Darija LoRA.

Train: a short LoRA (`agadir tune run`'s code, assistant-only loss) on TRAIN rows of the shared
parallel data, eng_Latn→ary_Arab from NLLB-Seed (CC BY-SA 4.0, openlanguagedata/seed) and
ary_Latn→eng_Latn from DODa (MIT, darija-open-dataset/dataset commit f6b952c), one direction
each: the two the headline names. The prompts are the `agadir eval` tasks' own prompts, so
training and measuring ask the same way. A wall-clock budget stops training (the LR schedule
still spans ``--steps``).

Measure: the run is exported (`agadir tune export`'s code) and quantized to q4_1, the packaged
base's own type, so base and tuned are served alike by one `agadir serve` and asked the same
greedy chats by `agadir eval` (tasks translate-eng-ary_Arab and translate-ary_Latn-eng, built
from DEV rows); `agadir eval compare`'s paired bootstrap gives each direction's Δ chrF++ and
its 95 % interval. Training rows equal to an eval sample's source are counted and printed (the
shared splits keep them apart; the count should be 0).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from pathlib import Path
from typing import Any

import yaml
from transformers import TrainerCallback

BASE = "smollm2-135m-instruct"
TUNED = "smollm2-darija-chrf"
# SmolLM2-135M has 30 layers; a PEFT target_modules string is a full-match regex on module names
TOP_LAYERS = r"model\.layers\.(2[2-9])\.(self_attn|mlp)\.\w+_proj"
# eval task -> (TRAIN file, source column, target column, licence)
DIRECTIONS = {
    "translate-eng-ary_Arab": (
        "nllb_seed_multiway.train.tsv",
        "eng_Latn",
        "ary_Arab",
        "CC-BY-SA-4.0",
    ),
    "translate-ary_Latn-eng": ("doda_ary_Latn-eng_Latn.train.tsv", "ary_Latn", "eng_Latn", "MIT"),
}


class WallClockStop(TrainerCallback):
    """Stops training ``budget_s`` after its first step began: "a few minutes of LoRA", whatever
    the load (base loading and data preparation are not counted)."""

    def __init__(self, budget_s: float) -> None:
        self.budget_s = budget_s
        self.started = time.perf_counter()

    def on_train_begin(self, args: Any, state: Any, control: Any, **kw: Any) -> None:
        self.started = time.perf_counter()

    def on_step_end(self, args: Any, state: Any, control: Any, **kw: Any) -> None:
        if time.perf_counter() - self.started > self.budget_s:
            control.should_training_stop = True


def write_recipe(work: Path, data: Path, tasks: dict[str, Any], args: argparse.Namespace) -> Path:
    templates, specs = {}, []
    for name, (tsv, src, tgt, licence) in DIRECTIONS.items():
        templates[f"{src}-{tgt}"] = tasks[name].spec.prompt.replace("{source}", "{text}")
        specs.append(
            {
                "kind": "parallel",
                "path": str(data / "parallel" / tsv),
                "source": src,
                "target": tgt,
                "both_directions": False,
                "max_examples": args.examples,
                "license": licence,
            }
        )
    recipe = {
        "name": TUNED,
        "base": BASE,
        "method": "lora",
        "device": "cpu",
        "output": str(work / "run"),
        "eval_fraction": 0.01,
        "templates": templates,
        "data": specs,
        # the top layers only: backward then stops there, which halves a CPU step
        "lora": {"r": 16, "alpha": 32, "target_modules": TOP_LAYERS},
        "train": {
            "max_steps": args.steps,
            "learning_rate": args.lr,
            "batch_size": 2,
            "max_length": 160,
            "warmup_steps": 2,
            "logging_steps": 1,
            "eval_steps": 1000,
            "save_steps": 1000,
            "early_stop_patience": None,
        },
    }
    path = work / "recipe.yaml"
    path.write_text(yaml.safe_dump(recipe, allow_unicode=True, sort_keys=False), "utf-8")
    return path


def train_overlap(data: Path, tasks: dict[str, Any]) -> int:
    """Training rows whose source text is an eval sample's source (the splits should make 0)."""
    import csv

    overlap = 0
    for name, (tsv, src, _tgt, _licence) in DIRECTIONS.items():
        sources = {str(s["source"]).strip() for s in tasks[name].samples}
        with (data / "parallel" / tsv).open(encoding="utf-8") as fh:
            rows = csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
            overlap += sum(1 for row in rows if (row.get(src) or "").strip() in sources)
    return overlap


def evaluate_both(server: Any, tasks: list[Any], work: Path) -> dict[str, Any]:
    from agadir.evals.compare import compare
    from agadir.evals.runner import RunConfig
    from agadir.evals.session import evaluate

    key = server.headers["Authorization"].removeprefix("Bearer ")
    reports = []
    for model in (BASE, f"{TUNED}-q4_1"):
        config = RunConfig(
            endpoint=f"{server.base}/v1",
            model=model,
            api_key=key,
            concurrency=2,
            timeout=600.0,
            cache_path=work / "eval-cache.sqlite",
        )
        reports.append(asyncio.run(evaluate(tasks, config)))
        (work / f"report-{model}.json").write_text(json.dumps(reports[-1]), "utf-8")
    return {"reports": reports, "compare": compare(reports, ["base", "tuned"])}


def run_chrf(args: argparse.Namespace, root: Path, data: Path) -> None:
    import os
    import tempfile

    from serve_harness import agadir_server, load1

    from agadir.evals.compare import markdown, plot
    from agadir.evals.task import Task, builtin_tasks, load_task
    from agadir.models.store import ModelStore
    from agadir.tune.export import Exporter, register
    from agadir.tune.recipe import load_tune_recipe
    from agadir.tune.run import run_recipe

    work = args.work or Path(tempfile.mkdtemp(prefix="bench-tune-chrf-"))
    home = work / "home"
    models = home / "models"
    ModelStore(models).ensure_packaged()
    full = {name: load_task(builtin_tasks()[name]) for name in DIRECTIONS}
    tasks = {n: Task(t.spec, t.path, t.samples[: args.samples]) for n, t in full.items()}
    overlap = train_overlap(data, full)
    recipe = load_tune_recipe(write_recipe(work, data, tasks, args))
    load = load1()
    started = time.perf_counter()
    summary = run_recipe(recipe, models, callbacks=[WallClockStop(args.train_minutes * 60)])
    train_s = time.perf_counter() - started
    export_s = 0.0  # a rerun with the same --work finds the run finished and the model registered
    if f"{TUNED}-q4_1" not in {m.name for m in ModelStore(models).manifests()}:
        exporter = Exporter(recipe.output, models_dir=models, quants=["q4_1"], outtype="f16")
        result = exporter.run()
        register(result, exporter, models, TUNED, replace=True)
        export_s = result.wall_s

    env = {**os.environ, "AGADIR_HOME": str(home), "AGADIR_LLAMACPP__THREADS": str(args.threads)}
    env.pop("AGADIR_CONFIG", None)
    server = agadir_server(env, work)
    eval_started = time.perf_counter()
    try:
        out = evaluate_both(server, list(tasks.values()), work)
    finally:
        server.stop()
    eval_s = time.perf_counter() - eval_started

    data_report = json.loads((recipe.output / "data_report.json").read_text("utf-8"))
    print(f"\n### chrF++ before/after a Darija LoRA (load average at start {load:.1f})\n")
    print(
        f"LoRA r 16 on {data_report['train']} TRAIN prompts ({args.examples} per direction), "
        f"{summary.steps} steps × batch 2 (packed to 160 tokens), lr {args.lr}, adapters on "
        f"layers 22-29 of 30: "
        f"{summary.wall_s:.0f} s training ({train_s:.0f} s with base load), "
        f"{summary.tokens_per_s:.0f} tokens/s on 2 CPU cores (nice 19, shared); "
        f"train loss {summary.first_loss} → {summary.last_loss}, "
        f"eval loss {summary.eval_loss}. Export + q4_1: {export_s:.0f} s. "
        f"Eval ({args.samples} DEV samples per direction, both models): {eval_s:.0f} s. "
        f"Training rows equal to an eval source: {overlap}.\n"
    )
    print(markdown(out["compare"]))
    for task in out["reports"][0]["tasks"]:
        signature = task.get("signatures", {}).get("chrf++")
        if signature:
            print(f"- {task['task']}: `{signature}`")
    for report, label in zip(out["reports"], ("base", "tuned"), strict=True):
        for task in report["tasks"]:
            first = task["samples"][0]
            text = first["output"].get("text", "")[:120].replace("\n", " ")
            print(f"- {label} {task['task']} first answer: {text!r}")
    plot(out["compare"], root / "docs" / "img" / "tune_chrf.png")
