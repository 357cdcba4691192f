"""`agadir audit verify|export|purge`: check, extract and trim the hash-chained audit log."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

import typer
from rich.console import Console

from agadir.audit import AuditChain, export_jsonl, load_key, load_or_create_key, purge
from agadir.audit.retention import newest_record_ts
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


# The documented minimum (docs/governance.md): the EU AI Act (art. 19/26) asks deployers to
# keep logs for at least six months.
MIN_KEEP = timedelta(days=180)


@app.command("purge")
def purge_cmd(
    keep: str = typer.Option(..., help="Keep this much, e.g. 180d (EU AI Act: at least 6 months)."),
    force: bool = typer.Option(
        False, "--force", help="Purge even below 180d, or when nothing would be left."
    ),
) -> None:
    """Delete older records and write a signed checkpoint so the rest still verifies.

    Refuses, unless --force, a window under 180 days or one that would delete every record:
    a purge cannot be undone, and a typo (`--keep 18d`, `--keep 180s`) should not erase the log.
    """
    settings = load_settings()
    store = open_store(settings.resolved_database_url)
    window = parse_duration(keep)
    err = Console(stderr=True)
    if window < MIN_KEEP and not force:
        err.print(
            f"[red]refused[/]: --keep {keep} is shorter than the documented minimum of 180 days "
            "(EU AI Act art. 19/26: at least six months). Use --keep 180d or longer, or add "
            "--force if your policy really requires less."
        )
        raise typer.Exit(2)
    newest = newest_record_ts(store)
    if newest is not None and newest < time.time() - window.total_seconds() and not force:
        err.print(
            f"[red]refused[/]: every record is older than {keep}, so this purge would empty the "
            "audit log. Check the server is still writing records (`agadir audit export "
            "--since 1d`), choose a longer --keep, or add --force to purge them all."
        )
        raise typer.Exit(2)
    result = purge(store, load_or_create_key(settings.home), window)
    if result.purged == 0:
        Console().print(f"nothing older than {keep}; no record purged")
    else:
        Console().print(
            f"purged {result.purged} records (up to seq {result.purged_through}); "
            f"checkpoint {result.checkpoint_seq} written"
        )
