"""Write a run's report: ``report.json`` (everything, per-sample statistics included),
``report.md`` (tables with 95 % intervals and the sacrebleu signatures) and one PNG per task
(each metric overall and per slice, with its interval as an error bar).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

REPORT_FORMAT = 1


def fmt(value: float | None, scale: float = 1.0) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value * scale:.1f}"


def interval(cell: dict[str, Any], scale: float) -> str:
    return f"{fmt(cell.get('low'), scale)}–{fmt(cell.get('high'), scale)}"


def markdown(report: dict[str, Any]) -> str:
    run = report["run"]
    lines = [
        f"# Evaluation of `{run['model']}`",
        "",
        f"Endpoint `{run['endpoint']}`, temperature {run['temperature']}, seed {run['seed']}, "
        f"{report['finished']}. Intervals are bootstrap 95 % (1,000 resamples).",
        "",
    ]
    for task in report["tasks"]:
        lines += [f"## {task['task']} (v{task['version']}, {task['n']} samples)", ""]
        if task["modes"]:
            modes = ", ".join(f"{m}: {n}" for m, n in task["modes"].items())
            lines += [f"MCQ mode: {modes}.", ""]
        lines += ["| metric | value | 95 % CI | n |", "|---|---:|---:|---:|"]
        for name, cell in task["metrics"].items():
            arrow = "↑" if cell["higher_is_better"] else "↓"
            scale = cell["scale"]
            lines.append(
                f"| {name} {arrow} | {fmt(cell['value'], scale)} | {interval(cell, scale)} "
                f"| {cell['n']} |"
            )
        for field, values in task["slices"].items():
            names = list(task["metrics"])
            lines += ["", f"By {field}:", "", f"| {field} | " + " | ".join(names) + " |"]
            lines.append("|---|" + "---:|" * len(names))
            for value, cells in values.items():
                row = [
                    f"{fmt(cells[m]['value'], task['metrics'][m]['scale'])} "
                    f"({interval(cells[m], task['metrics'][m]['scale'])}, n={cells[m]['n']})"
                    for m in names
                ]
                lines.append(f"| {value} | " + " | ".join(row) + " |")
        if task["signatures"]:
            lines += ["", "Signatures:", ""]
            lines += [f"- {name}: `{sig}`" for name, sig in task["signatures"].items()]
        lines.append("")
    return "\n".join(lines)


def task_png(task: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    metrics = list(task["metrics"])
    groups: list[tuple[str, dict[str, Any]]] = [("all", task["metrics"])]
    for field, by_value in task["slices"].items():
        groups += [(f"{field}={value}", cells) for value, cells in by_value.items()]
    fig, axes = plt.subplots(1, len(metrics), figsize=(3.2 * len(metrics) + 1, 3.2), squeeze=False)
    for ax, name in zip(axes[0], metrics, strict=True):
        scale = task["metrics"][name]["scale"]
        labels: list[str] = []
        values: list[float] = []
        errors: list[list[float]] = [[], []]
        for label, cells in groups:
            cell = cells.get(name, {})
            if cell.get("value") is None:
                continue
            v = cell["value"] * scale
            low = (cell["low"] if cell.get("low") is not None else cell["value"]) * scale
            high = (cell["high"] if cell.get("high") is not None else cell["value"]) * scale
            labels.append(label)
            values.append(v)
            errors[0].append(max(0.0, v - low))
            errors[1].append(max(0.0, high - v))
        ax.barh(labels, values, xerr=errors, color="#3b7dd8", capsize=3)
        ax.invert_yaxis()
        arrow = "higher" if task["metrics"][name]["higher_is_better"] else "lower"
        ax.set_title(f"{name} ({arrow} is better)", fontsize=9)
        ax.tick_params(labelsize=7)
    fig.suptitle(f"{task['task']} — n={task['n']}", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write(report: dict[str, Any], out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / "report.json", out / "report.md"]
    paths[0].write_text(json.dumps(report, ensure_ascii=False, indent=1))
    paths[1].write_text(markdown(report))
    for task in report["tasks"]:
        png = out / f"{task['task']}.png"
        task_png(task, png)
        paths.append(png)
    if report["tasks"]:
        paths.append(out / "summary.png")
        summary_png(report, paths[-1])
    return paths


def summary_png(report: dict[str, Any], path: Path) -> None:
    """One bar per task: its first metric with the 95 % interval (the run at a glance)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = []
    for task in report["tasks"]:
        name, cell = next(iter(task["metrics"].items()))
        if cell["value"] is None:
            continue
        s = cell["scale"]
        low = cell["low"] if cell["low"] is not None else cell["value"]
        high = cell["high"] if cell["high"] is not None else cell["value"]
        label = (
            f"{task['task']} · {name} {'↑' if cell['higher_is_better'] else '↓'} (n={task['n']})"
        )
        rows.append(
            (label, cell["value"] * s, (cell["value"] - low) * s, (high - cell["value"]) * s)
        )
    fig, ax = plt.subplots(figsize=(8, 0.4 * len(rows) + 1.2))
    ax.barh(
        [r[0] for r in rows],
        [r[1] for r in rows],
        xerr=[[max(0, r[2]) for r in rows], [max(0, r[3]) for r in rows]],
        color="#3b7dd8",
        capsize=3,
    )
    ax.invert_yaxis()
    ax.tick_params(labelsize=7)
    ax.set_xlabel("score (chrF++/BLEU 0-100, rates in %), 95 % bootstrap interval")
    ax.set_title(f"{report['run']['model']} — agadir eval", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
