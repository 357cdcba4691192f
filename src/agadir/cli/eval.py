"""`agadir eval run|list|compare|record`: measure an OpenAI-compatible endpoint on tasks.

The API key is read from an environment variable (``--api-key-env``, default
``AGADIR_EVAL_API_KEY``), never from the command line, and is not written to any report.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(
    help="Evaluate a model behind any OpenAI-compatible endpoint on Moroccan-language tasks.",
    no_args_is_help=True,
)


def _default_cache() -> Path:
    from agadir.config import load_settings

    return load_settings().home / "eval-cache.sqlite"


@app.command("list")
def list_tasks() -> None:
    """List the shipped tasks."""
    from rich.table import Column

    from agadir.evals.task import builtin_tasks, load_task

    table = Table(Column("task", no_wrap=True), "request", "scorer", "samples", "slices")
    for path in builtin_tasks().values():
        task = load_task(path)
        spec = task.spec
        table.add_row(spec.name, spec.request, spec.scorer, str(len(task.samples)),
                      ", ".join(spec.slices))  # fmt: skip
    console = Console()
    console.print(table)
    console.print("Sources and licences: src/agadir/evals/tasks/SOURCES.md")


@app.command("run")
def run(
    tasks: Annotated[list[str], typer.Argument(help="Shipped task names, YAML files, or 'all'.")],
    model: Annotated[str, typer.Option("--model", "-m", help="Model name at the endpoint.")],
    endpoint: Annotated[
        str,
        typer.Option(
            "--endpoint", "-e", envvar="AGADIR_EVAL_ENDPOINT", help="OpenAI base URL (…/v1)."
        ),
    ] = "http://127.0.0.1:8000/v1",
    api_key_env: Annotated[
        str, typer.Option(help="Environment variable holding the API key.")
    ] = "AGADIR_EVAL_API_KEY",
    out: Annotated[Path | None, typer.Option(help="Report folder (default: eval-runs/…).")] = None,
    cache: Annotated[Path | None, typer.Option(help="Answer cache (SQLite).")] = None,
    concurrency: Annotated[int, typer.Option(min=1, max=256, help="Requests in flight.")] = 8,
    limit: Annotated[int | None, typer.Option(min=1, help="First N samples per task.")] = None,
    timeout: Annotated[float, typer.Option(min=1, help="Seconds per request.")] = 120.0,
    retries: Annotated[int, typer.Option(min=0, help="Retries on 429/5xx/drops.")] = 5,
    temperature: Annotated[float, typer.Option(min=0, help="0 = deterministic.")] = 0.0,
    seed: Annotated[int, typer.Option(help="Sampling seed sent with each request.")] = 0,
    mcq_mode: Annotated[
        str, typer.Option(help="auto (loglik, else letter), loglik or letter.")
    ] = "auto",
    record: Annotated[
        str | None, typer.Option(help="Also record the results in this model-store manifest.")
    ] = None,
) -> None:
    """Run tasks against an endpoint; write report.json, report.md and a PNG per task."""
    from agadir.evals.report import markdown, write
    from agadir.evals.runner import RunConfig
    from agadir.evals.session import evaluate, load_tasks

    if mcq_mode not in ("auto", "loglik", "letter"):
        raise typer.BadParameter("use auto, loglik or letter", param_hint="--mcq-mode")
    loaded = load_tasks(tasks)
    config = RunConfig(
        endpoint=endpoint,
        model=model,
        api_key=os.environ.get(api_key_env) or None,
        concurrency=concurrency,
        timeout=timeout,
        max_retries=retries,
        temperature=temperature,
        seed=seed,
        limit=limit,
        mcq_mode=mcq_mode,  # type: ignore[arg-type]
        cache_path=cache or _default_cache(),
    )
    report = asyncio.run(evaluate(loaded, config))
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    folder = out or Path("eval-runs") / f"{re.sub(r'[^A-Za-z0-9._-]', '_', model)}-{stamp}"
    paths = write(report, folder)
    console = Console()
    console.print(markdown(report), markup=False, highlight=False)
    asked = sum(t["asked"] for t in report["tasks"])
    cached = sum(t["cached"] for t in report["tasks"])
    console.print(f"{asked} answers asked, {cached} from the cache; report: {paths[0].parent}")
    if record:
        _record(report, record)


def _record(report: dict[str, object], name: str) -> None:
    from agadir.cli.models import _store
    from agadir.evals.manifest import record_evals

    manifest = record_evals(_store(), name, report)
    Console().print(f"recorded in the manifest of {manifest.name} ({len(manifest.evals)} runs)")


@app.command("record")
def record_cmd(
    report: Annotated[Path, typer.Argument(help="A report.json or its folder.")],
    model: Annotated[str, typer.Option("--model", "-m", help="Model-store name.")],
) -> None:
    """Record a finished run's results in a model's manifest."""
    from agadir.evals.compare import load_report

    _record(load_report(report), model)


@app.command("compare")
def compare_cmd(
    reports: Annotated[
        list[Path], typer.Argument(help="Two or more reports; the first is the baseline.")
    ],
    out: Annotated[Path | None, typer.Option(help="Write compare.json/.md/.png here.")] = None,
) -> None:
    """Paired significance tests of runs against the first, with a plot."""
    from agadir.evals.compare import compare, load_report, markdown, plot

    if len(reports) < 2:
        raise typer.BadParameter("give at least two reports", param_hint="REPORTS")
    loaded = [load_report(p) for p in reports]
    labels = [_label(p, r) for p, r in zip(reports, loaded, strict=True)]
    result = compare(loaded, labels)
    text = markdown(result)
    Console().print(text, markup=False, highlight=False)
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / "compare.json").write_text(json.dumps(result, ensure_ascii=False, indent=1))
        (out / "compare.md").write_text(text)
        plot(result, out / "compare.png")
        Console().print(f"written to {out}")


def _label(path: Path, report: dict[str, object]) -> str:
    run = report.get("run")
    model = run.get("model") if isinstance(run, dict) else None
    name = path.name if path.is_dir() else path.parent.name
    return f"{model}@{name}" if model else name
