"""`agadir models list|add|remove|verify`: the model store from the command line."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from agadir.config import load_settings
from agadir.models.store import ModelStore

app = typer.Typer(help="Register, list, remove and verify model files.", no_args_is_help=True)


def _store() -> ModelStore:
    settings = load_settings()
    settings.ensure_home()
    store = ModelStore(settings.models_dir)
    store.ensure_packaged()
    return store


@app.command("list")
def list_models() -> None:
    """List registered models with their licence, size and sha256."""
    table = Table("name", "engine", "licence", "size", "context", "sha256", "source")
    for m in _store().manifests():
        table.add_row(
            m.name,
            m.engine,
            m.license,
            f"{m.size_bytes / 1e6:.0f} MB",
            str(m.context_length),
            m.sha256[:16] + "…",
            m.source,
        )
    Console().print(table)


@app.command()
def add(
    path: Annotated[Path, typer.Argument(help="A .gguf file.")],
    name: Annotated[str, typer.Option(help="Name clients will use as `model`.")],
    license: Annotated[str, typer.Option("--license", help="Licence of the weights.")] = "unknown",
    source: Annotated[
        str, typer.Option(help="Where the file came from (URL, vendor).")
    ] = "local file",
) -> None:
    """Register a GGUF file (checked and hashed; the file stays where it is)."""
    manifest = _store().add(path, name=name, license=license, source=source)
    Console().print(
        f"registered [bold]{manifest.name}[/]: {manifest.size_bytes / 1e6:.0f} MB, "
        f"context {manifest.context_length}, sha256 {manifest.sha256}"
    )


@app.command()
def remove(name: Annotated[str, typer.Argument(help="Model name.")]) -> None:
    """Forget a model (its file is not deleted)."""
    manifest = _store().remove(name)
    Console().print(f"removed {manifest.name} (file left at {manifest.path})")


@app.command()
def verify(
    name: Annotated[str | None, typer.Argument(help="One model; all if omitted.")] = None,
) -> None:
    """Re-hash model files and compare with their manifests."""
    results = _store().verify(name)
    console = Console()
    for result in results:
        mark = "[green]ok[/]" if result.ok else "[red]FAILED[/]"
        console.print(f"{mark}  {result.name}: {result.detail}")
    if not all(r.ok for r in results):
        raise typer.Exit(1)
