"""`agadir audit verify|export|purge`: check, extract and trim the hash-chained audit log."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from agadir.audit import AuditChain, export_jsonl, load_key, load_or_create_key, purge
from agadir.config import load_settings
from agadir.governance.timespec import parse_duration, parse_since
from agadir.store import open_store

app = typer.Typer(help="The audit log: verify the chain, export JSONL, apply retention.")


@app.command()
def verify() -> None:
    """Walk the whole chain; exit 1 and name the first broken record if any."""
    settings = load_settings()
    store = open_store(settings.resolved_database_url)
    report = AuditChain(store, load_key(settings.home)).verify()
    console = Console()
    if report.ok:
        console.print(
            f"[green]ok[/]: {report.records} records verified "
            f"(seq {report.first_seq}..{report.last_seq}, {report.rate:,.0f} records/s)"
        )
        return
    at = report.broken_seq is not None
    Console(stderr=True).print(
        f"[bold red]broken[/]{f' at record {report.broken_seq}' if at else ''}: {report.reason}. "
        f"{report.records} records {'before it ' if at else ''}verified; "
        "investigate the database and its backups."
    )
    raise typer.Exit(1)


@app.command()
def export(
    since: str | None = typer.Option(None, help="Start: a date (2026-01-01) or `7d` ago."),
    until: str | None = typer.Option(None, help="End (exclusive): a date or a duration ago."),
    tenant: str | None = typer.Option(None, help="Only this tenant's records."),
    output: Path | None = typer.Option(None, "-o", "--output", help="File (default: stdout)."),
) -> None:
    """Write records as JSON Lines (hashed bodies plus prev_hash and hash)."""
    store = open_store(load_settings().resolved_database_url)
    lines = export_jsonl(
        store,
        since=parse_since(since) if since else None,
        until=parse_since(until) if until else None,
        tenant=tenant,
    )
    count = 0
    if output is None:
        for line in lines:
            print(line)
            count += 1
    else:
        with output.open("w", encoding="utf-8") as handle:
            for line in lines:
                handle.write(line + "\n")
                count += 1
    Console(stderr=True).print(f"exported {count} records")


@app.command("purge")
def purge_cmd(
    keep: str = typer.Option(..., help="Keep this much, e.g. 180d (EU AI Act: at least 6 months)."),
) -> None:
    """Delete older records and write a signed checkpoint so the rest still verifies."""
    settings = load_settings()
    store = open_store(settings.resolved_database_url)
    result = purge(store, load_or_create_key(settings.home), parse_duration(keep))
    if result.purged == 0:
        Console().print(f"nothing older than {keep}; no record purged")
    else:
        Console().print(
            f"purged {result.purged} records (up to seq {result.purged_through}); "
            f"checkpoint {result.checkpoint_seq} written"
        )
