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


@app.command("export")
def export_cmd(
    run: Path = typer.Argument(..., help="A finished run folder (the recipe's `output`)."),
    quant: str | None = typer.Option(
        None, help="Comma-separated llama.cpp quantization types, e.g. q8_0,q4_k_m."
    ),
    outtype: str = typer.Option("f16", help="Float type of the converted GGUF: f16 | f32 | bf16."),
    lora_gguf: bool = typer.Option(
        False, "--lora-gguf", help="Also export the LoRA adapter as a GGUF adapter."
    ),
    name: str | None = typer.Option(
        None, help="Model-store name prefix (default: the recipe's name); adds -f16, -q8_0…"
    ),
    out: Path | None = typer.Option(None, help="Where the files go (default: RUN/export)."),
    register: bool = typer.Option(True, help="Register the GGUF files in the model store."),
    replace: bool = typer.Option(False, help="Replace models already registered by that name."),
    pre_tokenizer: str | None = typer.Option(
        None, help="llama.cpp pre-tokenizer name for a tokenizer its converter does not know."
    ),
) -> None:
    """Merge RUN's adapter, convert to GGUF with llama.cpp's converter, quantize, register."""
    from agadir.tune.deps import require_tune_extra

    require_tune_extra()
    from agadir.config import load_settings
    from agadir.tune.export import Exporter
    from agadir.tune.export import register as register_exports
    from agadir.tune.quantize import parse_quants

    settings = load_settings()
    err = Console(stderr=True)
    exporter = Exporter(
        run,
        models_dir=settings.models_dir,
        out=out,
        outtype=outtype,
        quants=parse_quants(quant),
        lora_gguf=lora_gguf,
        pre_tokenizer=pre_tokenizer,
        console=err,
    )
    result = exporter.run()
    if register:
        settings.ensure_home()
        register_exports(
            result, exporter, settings.models_dir, name or exporter.stem, replace=replace
        )
    table = Table("type", "file", "size", "registered as")
    for f in result.files:
        table.add_row(f.kind, str(f.path), f"{f.size_bytes / 1e6:.1f} MB", f.registered_as or "-")
    Console().print(table)
    Console().print(f"exported in {result.wall_s:.1f} s; Hugging Face folder: {result.hf_folder}")
    served = next((f.registered_as for f in result.files if f.registered_as), None)
    if served:
        Console().print(f"serve it: agadir serve --model {served}")
