"""`agadir models list|add|remove|verify`: the model store from the command line."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from agadir.cli.audit_events import record_cli_event
from agadir.config import Settings, load_settings
from agadir.models.store import ModelStore, VerifyResult

app = typer.Typer(help="Register, list, remove and verify model files.", no_args_is_help=True)


def _store() -> ModelStore:
    settings = load_settings()
    settings.ensure_home()
    store = ModelStore(settings.models_dir)
    store.ensure_packaged()
    return store


@app.command("list")
def list_models() -> None:
    """List registered models with their licence, size, sha256 and lineage (what a tuned model
    was made from: base model and data sets; the whole lineage is in its manifest)."""
    table = Table("name", "engine", "licence", "size", "context", "sha256", "source", "from")
    for m in _store().manifests():
        table.add_row(
            m.name,
            m.engine,
            m.license,
            f"{m.size_bytes / 1e6:.0f} MB",
            str(m.context_length),
            m.sha256[:16] + "…",
            m.source,
            f"adapter on {m.base}" if m.kind == "adapter" else _lineage_summary(m.lineage),
        )
    Console().print(table)


def _lineage_summary(lineage: dict[str, Any] | None) -> str:
    """``base (sha256…) + method on N examples of data files``, or "-" for plain files."""
    if not lineage:
        return "-"
    base = lineage.get("base", {})
    data = lineage.get("data", [])
    used = sum(int(d.get("examples_used") or 0) for d in data)
    names = ", ".join(Path(str(d.get("path", "?"))).name for d in data)
    sha = str(base.get("sha256") or "")[:12]
    ref = str(base.get("ref", "?"))
    ref = ref if base.get("kind") == "hub" else Path(ref).name
    return f"{ref} ({sha}…) + {lineage.get('method', '?')} on {used} ex. of {names}"


@app.command()
def add(
    path: Annotated[
        Path, typer.Argument(help="A .gguf file (or, with --engine vllm, a model folder).")
    ],
    name: Annotated[str, typer.Option(help="Name clients will use as `model`.")],
    engine: Annotated[
        str,
        typer.Option(
            help="llamacpp (a GGUF, in-process) or vllm (a Hugging Face folder, vllm serve)."
        ),
    ] = "llamacpp",
    license: Annotated[str, typer.Option("--license", help="Licence of the weights.")] = "unknown",
    source: Annotated[
        str, typer.Option(help="Where the file came from (URL, vendor).")
    ] = "local file",
) -> None:
    """Register a GGUF file, or a Hugging Face model folder for vLLM (checked and hashed; the
    files stay where they are)."""
    if engine not in ("llamacpp", "vllm"):
        raise typer.BadParameter("use llamacpp or vllm", param_hint="--engine")
    manifest = _store().add(path, name=name, license=license, source=source, engine=engine)
    settings = load_settings()
    record_cli_event(
        settings,
        "models.add",
        model=manifest.name,
        sha256=manifest.sha256,
        license=manifest.license,
        source=manifest.source,
        path=manifest.path,
    )
    console = Console()
    console.print(
        f"registered [bold]{manifest.name}[/]: {manifest.size_bytes / 1e6:.0f} MB, "
        f"context {manifest.context_length}, sha256 {manifest.sha256}"
    )
    _note_running_server(settings, console)


@app.command("add-adapter")
def add_adapter(
    path: Annotated[
        Path,
        typer.Argument(
            help="A LoRA .gguf adapter (agadir tune export --lora-gguf), or a PEFT adapter "
            "folder for a vLLM base."
        ),
    ],
    base: Annotated[str, typer.Option(help="The registered base model it was trained on.")],
    name: Annotated[str, typer.Option(help="Adapter name; clients use BASE:NAME as `model`.")],
    license: Annotated[str, typer.Option("--license", help="Licence of the adapter.")] = "unknown",
    source: Annotated[
        str, typer.Option(help="Where the adapter came from (tenant, run).")
    ] = "local file",
) -> None:
    """Register a LoRA adapter on a base model, served as BASE:NAME to keys whose scopes allow
    it (e.g. --scopes chat,models:BASE:NAME)."""
    manifest = _store().add_adapter(path, base=base, name=name, license=license, source=source)
    settings = load_settings()
    record_cli_event(
        settings,
        "models.add",
        model=manifest.name,
        sha256=manifest.sha256,
        base=manifest.base,
        base_sha256=manifest.base_sha256,
        license=manifest.license,
        source=manifest.source,
        path=manifest.path,
    )
    console = Console()
    console.print(
        f"registered adapter [bold]{manifest.name}[/] on {manifest.base} "
        f"(base sha256 {str(manifest.base_sha256)[:16]}…), sha256 {manifest.sha256}"
    )
    _note_running_server(settings, console)


@app.command()
def remove(name: Annotated[str, typer.Argument(help="Model name.")]) -> None:
    """Forget a model (its file is not deleted)."""
    manifest = _store().remove(name)
    settings = load_settings()
    record_cli_event(settings, "models.remove", model=manifest.name, sha256=manifest.sha256)
    console = Console()
    console.print(f"removed {manifest.name} (file left at {manifest.path})")
    _note_running_server(settings, console)


def _server_running(settings: Settings) -> str | None:
    """The URL of an `agadir serve` answering on the configured address, if any."""
    import httpx

    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::", "") else settings.host
    url = f"http://{host}:{settings.port}"
    try:
        ok = httpx.get(f"{url}/healthz", timeout=0.5).status_code == 200
    except httpx.HTTPError:
        return None
    return url if ok else None


def _note_running_server(settings: Settings, console: Console) -> None:
    """A running server re-reads the store when it changes: say so, so that a user does not
    restart it for nothing (a request already running keeps the model it started with)."""
    url = _server_running(settings)
    if url:
        console.print(
            f"The server running at {url} applies this change at its next request "
            "(no restart needed)."
        )


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
        if not result.ok:
            console.print(f"      {_verify_hint(result)}", highlight=False)
    if not all(r.ok for r in results):
        raise typer.Exit(1)


def _verify_hint(result: VerifyResult) -> str:
    """What to do about a failed check, so the message ends in an action."""
    if result.detail.startswith("file missing"):
        return (
            "Put the file back where it was registered (or restore it from a backup), or "
            f"forget the model with `agadir models remove {result.name}`."
        )
    return (
        "The file changed since it was registered: it may be damaged or tampered with. "
        "Restore it from a backup and verify again; if you replaced it on purpose, re-register "
        f"it: `agadir models remove {result.name}` then "
        f"`agadir models add PATH --name {result.name} --license ... --source ...`."
    )
