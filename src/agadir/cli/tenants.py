"""`agadir tenants create|list|disable|enable`: thin wrappers over `TenantService`."""

from __future__ import annotations

from datetime import UTC, datetime

import typer
from rich.console import Console
from rich.table import Table

from agadir.cli.audit_events import record_cli_event
from agadir.config import load_settings
from agadir.governance import Limits, TenantService
from agadir.store import open_store

app = typer.Typer(help="Tenants: the organisations that own API keys, with their policies.")


def _service() -> TenantService:
    return TenantService(open_store(load_settings().resolved_database_url))


def _when(ts: float | None) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M") if ts else "-"


@app.command()
def create(
    name: str = typer.Argument(..., help="Lowercase name, e.g. `ministry-x`."),
    audit_content: str = typer.Option("hash", help="What the audit keeps: none, hash or full."),
    pii: str = typer.Option("mask", help="PII mode: off, mask, pseudonymise or block."),
    rpm: int | None = typer.Option(None, help="Requests per minute (tenant-wide)."),
    tpm: int | None = typer.Option(None, help="Tokens per minute (tenant-wide)."),
    tpd: int | None = typer.Option(None, help="Tokens per day (tenant-wide)."),
) -> None:
    """Create a tenant."""
    tenant = _service().create(
        name,
        audit_content=audit_content,  # type: ignore[arg-type]
        pii_mode=pii,  # type: ignore[arg-type]
        limits=Limits(rpm=rpm, tpm=tpm, tpd=tpd),
    )
    record_cli_event(
        load_settings(),
        "tenants.create",
        tenant=tenant.name,
        audit_content=tenant.audit_content,
        pii_mode=tenant.pii_mode,
        limits=tenant.limits.describe(),
    )
    Console().print(
        f"created tenant [bold]{tenant.name}[/] (audit {tenant.audit_content}, "
        f"PII {tenant.pii_mode}, {tenant.limits.describe()})"
    )


@app.command("list")
def list_tenants() -> None:
    """List tenants and their policies."""
    table = Table("name", "status", "audit", "pii", "limits", "created")
    for t in _service().list():
        status = "enabled" if t.enabled else f"disabled {_when(t.disabled_at)}"
        table.add_row(
            t.name, status, t.audit_content, t.pii_mode, t.limits.describe(), _when(t.created_at)
        )
    Console().print(table)


@app.command()
def disable(name: str = typer.Argument(..., help="Tenant to disable.")) -> None:
    """Disable a tenant: its keys stop working within a second; its audit records stay."""
    _service().disable(name)
    record_cli_event(load_settings(), "tenants.disable", tenant=name)
    Console().print(f"disabled tenant [bold]{name}[/]")


@app.command()
def enable(name: str = typer.Argument(..., help="Tenant to enable again.")) -> None:
    """Enable a disabled tenant."""
    _service().enable(name)
    record_cli_event(load_settings(), "tenants.enable", tenant=name)
    Console().print(f"enabled tenant [bold]{name}[/]")
