"""`agadir keys create|list|revoke|rotate`: the key is printed once, to stdout, and never again."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import typer
from rich.console import Console

from agadir.cli.audit_events import record_cli_event
from agadir.cli.tables import FORMAT_HELP, OutputFormat, emit
from agadir.config import load_settings
from agadir.governance import CreatedKey, KeyService, Limits
from agadir.governance.timespec import parse_duration, parse_expiry
from agadir.store import open_store

app = typer.Typer(help="API keys: create (shown once), list, revoke, rotate.")


def _service() -> KeyService:
    return KeyService(open_store(load_settings().resolved_database_url))


def _when(ts: float | None) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M") if ts else "-"


def _audit(what: str, **extra: Any) -> None:
    record_cli_event(load_settings(), f"keys.{what}", **extra)


def _show_new(created: CreatedKey) -> None:
    err = Console(stderr=True)
    err.print(
        f"key [bold]{created.info.id}[/] for tenant [bold]{created.info.tenant}[/] "
        f"({','.join(sorted(created.info.scopes))}); store it now, it is not shown again:"
    )
    print(created.plaintext)  # stdout alone, so `agadir keys create ... > file` captures it


@app.command()
def create(
    tenant: str = typer.Option(..., help="Owning tenant (see `agadir tenants list`)."),
    scopes: str = typer.Option(
        ..., help="Comma-separated: chat,completions,embeddings,lang,admin,models:NAME,kb:NAME"
    ),
    expires: str | None = typer.Option(None, help="`30d`, `12h` or a date like 2027-01-01."),
    label: str | None = typer.Option(None, help="A note to recognise the key by."),
    rpm: int | None = typer.Option(None, help="Requests per minute for this key."),
    tpm: int | None = typer.Option(None, help="Tokens per minute for this key."),
    tpd: int | None = typer.Option(None, help="Tokens per day for this key."),
) -> None:
    """Create a key and print it once."""
    expires_at = parse_expiry(expires).timestamp() if expires else None
    created = _service().create(
        tenant,
        scopes,
        expires_at=expires_at,
        label=label,
        limits=Limits(rpm=rpm, tpm=tpm, tpd=tpd),
    )
    info = created.info
    _audit("create", key_id=info.id, tenant=info.tenant, scopes=sorted(info.scopes))
    _show_new(created)


@app.command("list")
def list_keys(
    tenant: str | None = typer.Option(None, help="Only this tenant's keys."),
    format: OutputFormat = typer.Option(OutputFormat.table, "--format", help=FORMAT_HELP),
) -> None:
    """List keys (never their secrets); ids are shown in full."""
    now = time.time()
    rows = [
        {
            "id": k.id,
            "tenant": k.tenant,
            "status": k.status(now),
            "scopes": sorted(k.scopes),
            "limits": k.limits.describe(),
            "expires": _when(k.expires_at),
            "label": k.label or "",
        }
        for k in _service().list(tenant)
    ]
    emit(("id", "tenant", "status", "scopes", "limits", "expires", "label"), rows, format)


@app.command()
def revoke(key_id: str = typer.Argument(..., help="The key id (the part after `agk_`).")) -> None:
    """Revoke a key; it stops working within a second on every server."""
    info = _service().revoke(key_id)
    _audit("revoke", key_id=key_id, tenant=info.tenant)
    Console().print(f"revoked key [bold]{key_id}[/]")


@app.command()
def rotate(
    key_id: str = typer.Argument(..., help="The key id to replace."),
    grace: str | None = typer.Option(
        None, help="Keep the old key working this long (e.g. 10m, 1h) while clients switch."
    ),
) -> None:
    """Issue a replacement with the same tenant, scopes and limits; revoke the old key (at
    once, or when --grace runs out)."""
    grace_s = parse_duration(grace).total_seconds() if grace else None
    service = _service()
    created = service.rotate(key_id, grace_s=grace_s)
    old = service.get(key_id)
    _audit(
        "rotate",
        key_id=key_id,
        new_key_id=created.info.id,
        tenant=created.info.tenant,
        grace_s=grace_s,
    )
    if grace_s is not None:
        Console(stderr=True).print(
            f"old key [bold]{key_id}[/] keeps working until {_when(old.expires_at)} UTC"
        )
    _show_new(created)
