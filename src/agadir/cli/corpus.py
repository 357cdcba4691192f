"""`agadir corpus`: build a corpus from a recipe, inspect a built corpus.

Thin: parsing and printing only; the work is in `agadir.corpus`.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

app = typer.Typer(help="Build localized training corpora on datatrove.", no_args_is_help=True)


@contextmanager
def _stderr_to(log: Path) -> Iterator[TextIO]:
    """Send everything written to stderr (datatrove's per-task loguru lines, thousands on the
    demo, from this process and its worker processes) to `log`; yield the real terminal for
    the one progress display. Done on file descriptor 2 so forked workers inherit it."""
    log.parent.mkdir(parents=True, exist_ok=True)
    sys.stderr.flush()
    saved = os.dup(2)
    terminal = os.fdopen(os.dup(saved), "w", buffering=1, encoding="utf-8")
    with log.open("ab") as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield terminal
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            terminal.close()


@app.command("build")
def build_cmd(
    recipe: Path = typer.Argument(..., help="Recipe YAML file."),
    executor: str = typer.Option("local", help="local | ray | slurm"),
    workers: int = typer.Option(1, min=1, help="Tasks run at the same time."),
    partition: str | None = typer.Option(None, help="Slurm partition (slurm only)."),
) -> None:
    """Run every stage of RECIPE; rerunning after a crash redoes only unfinished tasks."""
    from agadir.corpus.errors import RecipeError
    from agadir.corpus.recipe import load_recipe
    from agadir.corpus.runner import RunOptions, build

    if executor not in ("local", "ray", "slurm"):
        raise RecipeError(f"unknown executor {executor!r}; allowed: local, ray, slurm")
    spec = load_recipe(recipe)
    opts = RunOptions(executor=executor, workers=workers, slurm_partition=partition)  # type: ignore[arg-type]
    console_log = spec.output.path / "logs" / "console.log"
    with (
        _stderr_to(console_log) as terminal,
        Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total}"),
            TimeElapsedColumn(),
            console=Console(file=terminal),
        ) as bar,
    ):
        task = bar.add_task("ingest", total=1)

        def report(name: str, i: int, n: int) -> None:
            bar.update(task, description=name, completed=i, total=max(n, 1))

        out = build(spec, opts, progress=report)
    card = (
        json.loads((out / "datacard.json").read_text()) if (out / "datacard.json").exists() else {}
    )
    table = Table("language", "documents", "words")
    for lang, v in sorted(card.get("final", {}).items()):
        table.add_row(lang, str(v.get("docs", 0)), str(v.get("words", 0)))
    Console().print(table)
    Console().print(  # soft wrap: paths stay whole, to copy
        f"corpus and datacard in {out}\ndatatrove's log lines in {console_log}", soft_wrap=True
    )


@app.command("inspect")
def inspect_cmd(
    output: Path = typer.Argument(..., help="Output folder of a build."),
    samples: int = typer.Option(2, min=0, help="Documents shown per language / removal step."),
) -> None:
    """Show samples per language and why documents were removed."""
    from agadir.corpus.inspect import removed_samples
    from agadir.corpus.inspect import samples as lang_samples

    console = Console()
    for lang, docs in lang_samples(output, samples).items():
        console.rule(f"[bold]{lang}")
        for d in docs:
            meta = d.get("metadata", {})
            score = meta.get("language_score")
            console.print(f"[dim]{meta.get('source')} {meta.get('licence')} score={score}[/]")
            console.print(d["text"][:300].replace("\n", " "))
    card_path = output / "datacard.json"
    if card_path.exists():
        card = json.loads(card_path.read_text())
        table = Table("removal reason", "documents")
        for reason, n in card.get("removed", {}).items():
            table.add_row(reason, str(n))
        console.print(table)
    for step, docs in removed_samples(output, samples).items():
        console.rule(f"removed by {step}")
        for d in docs:
            reason = d.get("metadata", {}).get("filter_reason", step)
            console.print(f"[red]{reason}[/] {d['text'][:200]!r}")
