"""One `agadir eval run`: load tasks, ask the endpoint, score, and assemble the report dict.

The CLI and the benchmark both call `evaluate`, so what the figures measure is the command.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from rich.progress import Progress

from agadir.evals.report import REPORT_FORMAT
from agadir.evals.runner import RunConfig, Runner
from agadir.evals.scoring import score_run
from agadir.evals.task import Task, load_task, resolve


def load_tasks(refs: list[str]) -> list[Task]:
    paths = [p for ref in refs for p in resolve(ref)]
    tasks = [load_task(p) for p in paths]
    seen: set[str] = set()
    unique = []
    for task in tasks:
        if task.name not in seen:
            seen.add(task.name)
            unique.append(task)
    return unique


async def evaluate(
    tasks: list[Task], config: RunConfig, progress: Progress | None = None
) -> dict[str, Any]:
    started = time.perf_counter()
    runner = Runner(config)
    try:
        runs = await runner.run(tasks, progress)
        retries = runner.client.retries
    finally:
        await runner.aclose()
    return {
        "format": REPORT_FORMAT,
        "run": config.public(),
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "seconds": round(time.perf_counter() - started, 3),
        "retries": retries,
        "tasks": [score_run(run) for run in runs],
    }
