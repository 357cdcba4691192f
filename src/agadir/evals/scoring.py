"""Score a task's cached answers: per metric and per slice, with bootstrap 95 % intervals.

The report keeps each sample's statistics, so `compare` can pair two runs on the same samples
without asking any endpoint again.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np

from agadir.evals.runner import TaskRun
from agadir.evals.scorers.base import Metric
from agadir.evals.scorers.registry import scorer
from agadir.evals.stats import bootstrap


def stats_matrix(rows: list[list[float] | None], width: int) -> np.ndarray:
    return np.array([r if r is not None else [0.0] * width for r in rows], dtype=float).reshape(
        len(rows), width
    )


def _width(rows: list[list[float] | None]) -> int:
    return next((len(r) for r in rows if r is not None), 2)


def estimate(metric: Metric, rows: list[list[float] | None]) -> dict[str, Any]:
    applicable = sum(r is not None for r in rows)
    if not applicable:
        return {"value": None, "low": None, "high": None, "n": 0}
    est = bootstrap(stats_matrix(rows, _width(rows)), metric.aggregate)
    out = est.to_dict()
    out["n"] = applicable
    return {k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in out.items()}


def score_run(run: TaskRun) -> dict[str, Any]:
    task = run.task
    judge = scorer(task.spec.scorer)
    samples = run.samples
    records: list[dict[str, Any]] = []
    for sample in samples:
        output = run.outputs[sample["id"]]
        keys = {f: str(sample[f]) for f in task.spec.slices}
        if task.spec.request == "mcq":
            keys["mode"] = str(output.get("mode"))
        records.append(
            {
                "id": sample["id"],
                "slices": keys,
                "stats": judge.score(sample, output, task.spec.reference),
                "output": output,
            }
        )
    metrics: dict[str, Any] = {}
    slices: dict[str, dict[str, dict[str, Any]]] = {}
    for metric in judge.metrics:
        rows = [r["stats"].get(metric.name) for r in records]
        metrics[metric.name] = {
            **estimate(metric, rows),
            "higher_is_better": metric.higher_is_better,
            "scale": metric.scale,
        }
        for field in records[0]["slices"] if records else []:
            for value in sorted({r["slices"][field] for r in records}):
                chosen = [
                    r["stats"].get(metric.name) for r in records if r["slices"][field] == value
                ]
                cell = slices.setdefault(field, {}).setdefault(value, {})
                cell[metric.name] = estimate(metric, chosen)
    modes = Counter(str(r["output"].get("mode")) for r in records if "mode" in r["output"])
    return {
        "task": task.name,
        "version": task.spec.version,
        "fingerprint": task.fingerprint(),
        "description": task.spec.description,
        "request": task.spec.request,
        "scorer": task.spec.scorer,
        "licence": task.spec.licence,
        "n": len(records),
        "asked": run.asked,
        "cached": run.cached,
        "refused": sum(1 for r in records if "refused" in r["output"]),
        "seconds": round(run.seconds, 3),
        "modes": dict(modes),
        "signatures": judge.signatures(),
        "metrics": metrics,
        "slices": slices,
        "samples": records,
    }
