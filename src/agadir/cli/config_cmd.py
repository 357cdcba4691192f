"""`agadir config show`: the settings in force, secrets masked."""

from __future__ import annotations

import json

import typer
from rich.console import Console

from agadir.config import load_settings

app = typer.Typer(help="Inspect settings (agadir.toml + AGADIR_* variables).", no_args_is_help=True)


@app.command()
def show() -> None:
    """Print the effective settings as JSON."""
    Console().print_json(json.dumps(load_settings().redacted()))
