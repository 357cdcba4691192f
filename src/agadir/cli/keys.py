"""`agadir keys create|list|revoke|rotate`: the key is printed once, to stdout, and never again."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import typer
from rich.console import Console
from rich.table import Table

from agadir.config import load_settings
from agadir.governance import CreatedKey, KeyService, Limits
from agadir.governance.timespec import parse_expiry
from agadir.store import open_store

app = typer.Typer(help="API keys: create (shown once), list, revoke, rotate.")


def _service() -> KeyService:
    return KeyService(open_store(load_settings().resolved_database_url))


def _when(ts: float | None) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M") if ts else "-"


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
    _show_new(created)


@app.command("list")
def list_keys(tenant: str | None = typer.Option(None, help="Only this tenant's keys.")) -> None:
    """List keys (never their secrets)."""
    now = time.time()
    table = Table("id", "tenant", "status", "scopes", "limits", "expires", "label")
    for k in _service().list(tenant):
        table.add_row(
            k.id,
            k.tenant,
            k.status(now),
            ",".join(sorted(k.scopes)),
            k.limits.describe(),
            _when(k.expires_at),
            k.label or "",
        )
    Console().print(table)


@app.command()
def revoke(key_id: str = typer.Argument(..., help="The key id (the part after `agk_`).")) -> None:
    """Revoke a key; it stops working within a second on every server."""
    _service().revoke(key_id)
    Console().print(f"revoked key [bold]{key_id}[/]")


@app.command()
def rotate(key_id: str = typer.Argument(..., help="The key id to replace.")) -> None:
    """Issue a replacement with the same tenant, scopes and limits; revoke the old key."""
    _show_new(_service().rotate(key_id))
