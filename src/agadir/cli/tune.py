"""`agadir tune`: adapt a model to local data from a recipe.

Thin: parsing and printing only; the work is in `agadir.tune`. The heavy extra (torch, TRL,
PEFT) is checked before anything imports it, so a missing extra prints the install command.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.syntax import Syntax
from rich.table import Table

app = typer.Typer(
    help="Adapt a model to local data: LoRA, full fine-tuning, continued pretraining.",
    no_args_is_help=True,
)


@app.command("run")
def run_cmd(
    recipe: Path = typer.Argument(..., help="Tuning recipe YAML file."),
    device: str | None = typer.Option(
        None, help="cpu | cuda | auto; overrides the recipe's `device`."
    ),
) -> None:
    """Train as RECIPE says; rerunning after a kill resumes from the last checkpoint."""
    from agadir.tune.deps import require_tune_extra

    require_tune_extra()
    from agadir.config import load_settings
    from agadir.tune.errors import TuneRecipeError
    from agadir.tune.recipe import load_tune_recipe
    from agadir.tune.run import resolved_yaml, run_recipe

    spec = load_tune_recipe(recipe)
    if device is not None:
        if device not in ("cpu", "cuda", "auto"):
            raise TuneRecipeError(f"unknown device {device!r}; allowed: cpu, cuda, auto")
        spec.device = device  # type: ignore[assignment]
    err = Console(stderr=True)
    err.rule("[bold]resolved recipe")
    err.print(Syntax(resolved_yaml(spec), "yaml"))
    summary = run_recipe(spec, models_dir=load_settings().models_dir, console=err)
    table = Table("steps", "first loss", "last loss", "eval loss", "tokens/s", "wall s")

    def fmt(value: float | None) -> str:
        return "-" if value is None else f"{value:.3f}"

    table.add_row(
        str(summary.steps),
        fmt(summary.first_loss),
        fmt(summary.last_loss),
        fmt(summary.eval_loss),
        f"{summary.tokens_per_s:,.0f}",
        f"{summary.wall_s:.1f}",
    )
    Console().print(table)
    if summary.stopped_early:
        Console().print("stopped early: the eval loss stopped improving")
    Console().print(f"run folder: {summary.output} (final/, loss.png, summary.json)")
