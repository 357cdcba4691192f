"""Put runs side by side: paired significance tests on the samples they share, and a plot.

The first report is the baseline; every other is tested against it per task and metric, on the
intersection of sample ids (runs of different task versions are refused: their samples differ).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from agadir.evals.errors import TaskError
from agadir.evals.report import fmt
from agadir.evals.scorers.registry import scorer
from agadir.evals.scoring import stats_matrix
from agadir.evals.stats import paired


def load_report(path: Path) -> dict[str, Any]:
    target = path / "report.json" if path.is_dir() else path
    try:
        report = json.loads(target.read_text())
    except (OSError, ValueError) as exc:
        raise TaskError(f"{target}: not a readable eval report ({exc}).") from exc
    if not isinstance(report, dict) or "tasks" not in report:
        raise TaskError(f"{target}: not an `agadir eval` report (no 'tasks').")
    return report


def _rows(task: dict[str, Any], ids: list[str], metric: str) -> np.ndarray:
    by_id = {s["id"]: s["stats"].get(metric) for s in task["samples"]}
    rows = [by_id[i] for i in ids]
    width = next((len(r) for r in rows if r is not None), 2)
    return stats_matrix(rows, width)


def compare(reports: list[dict[str, Any]], labels: list[str]) -> dict[str, Any]:
    base = reports[0]
    tasks: list[dict[str, Any]] = []
    for task in base["tasks"]:
        metrics = scorer(task["scorer"]).metrics
        entry: dict[str, Any] = {"task": task["task"], "metrics": {}}
        for label, other in zip(labels[1:], reports[1:], strict=True):
            match = next((t for t in other["tasks"] if t["task"] == task["task"]), None)
            if match is None:
                continue
            if match["version"] != task["version"]:
                raise TaskError(
                    f"task {task['task']}: versions differ ({task['version']} vs "
                    f"{match['version']}); rerun both on the same version to compare."
                )
            theirs = {s["id"] for s in match["samples"]}
            ids = [s["id"] for s in task["samples"] if s["id"] in theirs]
            if not ids:
                continue
            for metric in metrics:
                a, b = _rows(task, ids, metric.name), _rows(match, ids, metric.name)
                test = paired(a, b, metric.aggregate)
                entry["metrics"].setdefault(metric.name, {"scale": metric.scale, "runs": {}})
                entry["metrics"][metric.name]["runs"][label] = {
                    "baseline": float(metric.aggregate(a.sum(axis=0))),
                    "value": float(metric.aggregate(b.sum(axis=0))),
                    "higher_is_better": metric.higher_is_better,
                    **test.to_dict(),
                }
        tasks.append(entry)
    return {"baseline": labels[0], "runs": labels, "tasks": tasks}


def markdown(result: dict[str, Any]) -> str:
    lines = [
        f"# Comparison against `{result['baseline']}`",
        "",
        "Δ = run − baseline on the samples both answered; 95 % paired-bootstrap interval; "
        "p from paired bootstrap and from approximate randomisation (1,000 each).",
        "",
        "| task | metric | run | baseline | run value | Δ | 95 % CI | p (boot) | p (perm) |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for task in result["tasks"]:
        for name, cell in task["metrics"].items():
            s = cell["scale"]
            for label, r in cell["runs"].items():
                lines.append(
                    f"| {task['task']} | {name} | {label} | {fmt(r['baseline'], s)} | "
                    f"{fmt(r['value'], s)} | {fmt(r['delta'], s)} | "
                    f"{fmt(r['low'], s)}–{fmt(r['high'], s)} | {r['p_bootstrap']:.3f} | "
                    f"{r['p_permutation']:.3f} |"
                )
    return "\n".join(lines) + "\n"


def plot(result: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [
        (f"{t['task']}:{name}:{label}", r, cell["scale"])
        for t in result["tasks"]
        for name, cell in t["metrics"].items()
        for label, r in cell["runs"].items()
    ]
    fig, ax = plt.subplots(figsize=(8, 0.35 * len(rows) + 1.2))
    for y, (_, r, s) in enumerate(rows):
        if r["delta"] is None or np.isnan(r["delta"]):
            continue
        good = (r["delta"] > 0) == r["higher_is_better"]
        color = "#2a9d4b" if good else "#c8453a"
        ax.errorbar(
            r["delta"] * s,
            y,
            xerr=[[max(0, (r["delta"] - r["low"]) * s)], [max(0, (r["high"] - r["delta"]) * s)]],
            fmt="o",
            color=color,
            capsize=3,
        )
    ax.axvline(0, color="grey", lw=0.8)
    ax.set_yticks(range(len(rows)), [label for label, _, _ in rows], fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel(f"difference from {result['baseline']} (95 % paired bootstrap)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
