"""Record a run's headline numbers in a model's manifest in the model store.

A tuned model then carries its own measurements: which tasks, which versions, which numbers,
when, and against which endpoint. Entries are appended; per-sample data stays in the report.
"""

from __future__ import annotations

from typing import Any

from agadir.models.manifest import ModelManifest
from agadir.models.store import ModelStore


def summary(report: dict[str, Any]) -> dict[str, Any]:
    return {
        "finished": report["finished"],
        "endpoint": report["run"]["endpoint"],
        "served_model": report["run"]["model"],
        "tasks": {
            t["task"]: {
                "version": t["version"],
                "fingerprint": t["fingerprint"],
                "n": t["n"],
                "modes": t["modes"],
                "metrics": {
                    name: {k: cell[k] for k in ("value", "low", "high", "n")}
                    for name, cell in t["metrics"].items()
                },
            }
            for t in report["tasks"]
        },
    }


def record_evals(store: ModelStore, name: str, report: dict[str, Any]) -> ModelManifest:
    return store.record_evals(name, summary(report))
