"""`agadir kb ...`: knowledge bases from the operator's shell.

Everything but `ask` works on the store directly (the operator's own machine, like `agadir
keys`); changes are written to the audit chain as `cli:kb.*` events. `ask` goes through a
running server (`model: "kb:NAME"`), so the answer passes the same governance as any client's.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from agadir.cli.audit_events import record_cli_event
from agadir.cli.tables import FORMAT_HELP, OutputFormat, emit
from agadir.config import Settings, load_settings
from agadir.errors import InvalidRequestError
from agadir.governance.admin_key import ADMIN_TENANT
from agadir.knowledge.bases import check_name
from agadir.knowledge.ingest import FileOutcome, IngestReport, expand
from agadir.knowledge.service import KnowledgeService

app = typer.Typer(help="Knowledge bases: create, ingest, search, ask, erase, export.")
console = Console()


@contextmanager
def _service() -> Iterator[tuple[KnowledgeService, Settings]]:
    from agadir.engines.embeddings import SentenceEncoderEngine
    from agadir.knowledge.service import engine_embedder
    from agadir.store import open_store

    settings = load_settings()
    store = open_store(settings.resolved_database_url)
    encoder = SentenceEncoderEngine(
        settings.embedding_model, threads=settings.llamacpp.threads or 2
    )
    try:
        yield (
            KnowledgeService.from_settings(store, engine_embedder(encoder), settings.knowledge),
            settings,
        )
    finally:
        store.close()


def _audit(settings: Settings, service: KnowledgeService, what: str, **extra: Any) -> None:
    """Record a change made from the shell in the same hash chain as the server's requests."""
    record_cli_event(settings, f"kb.{what}", store=service.store, **extra)


def _when(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M")


@app.command()
def create(
    name: Annotated[str, typer.Argument(help="Lower-case name, e.g. `onssa-notes`.")],
    purpose: Annotated[str, typer.Option(help="Why this base exists (Law 09-08).")],
    legal_basis: Annotated[str, typer.Option(help="Legal basis of the processing.")],
    owner: Annotated[str, typer.Option(help="Owning tenant.")] = ADMIN_TENANT,
    title: Annotated[str | None, typer.Option(help="Display title.")] = None,
    retention_days: Annotated[int, typer.Option(help="Keep documents N days (0 = keep).")] = 0,
    reader: Annotated[
        list[str] | None, typer.Option(help="Another tenant that may read it (* = all).")
    ] = None,
) -> None:
    """Create a knowledge base owned by a tenant."""
    check_name(name)
    with _service() as (service, settings):
        service.tenant_must_exist(owner)
        base = service.bases.create(
            name,
            owner=owner,
            title=title,
            purpose=purpose,
            legal_basis=legal_basis,
            retention_days=retention_days,
            readers=tuple(reader or ()),
        )
        _audit(settings, service, "create", kb=name, owner=owner)
    console.print(f"created knowledge base [bold]{base.name}[/] owned by {base.owner}")


@app.command("list")
def list_() -> None:
    """List knowledge bases with their owner, purpose and size."""
    with _service() as (service, _):
        table = Table("name", "owner", "readers", "documents", "chunks", "purpose", "created")
        for b in service.bases.all():
            docs, chunks = service.bases.counts(b.name)
            table.add_row(
                b.name,
                b.owner,
                ",".join(b.readers) or "-",
                str(docs),
                str(chunks),
                b.purpose,
                _when(b.created_at),
            )
    console.print(table)


@app.command()
def docs(
    name: Annotated[str, typer.Argument(help="Knowledge base.")],
    format: Annotated[OutputFormat, typer.Option("--format", help=FORMAT_HELP)] = (
        OutputFormat.table
    ),
) -> None:
    """List a base's documents with their provenance (ids and hashes in full)."""
    with _service() as (service, _):
        rows = [
            {
                "id": d.id,
                "name": d.name,
                "pages": d.pages,
                "chunks": d.chunks,
                "licence": d.licence,
                "sha256": d.sha256,
                "added": _when(d.added_at),
                "source": d.source,
            }
            for d in service.documents(name)
        ]
    columns = ("id", "name", "pages", "chunks", "licence", "sha256", "added", "source")
    emit(columns, rows, format, paste=("id", "sha256"), console=console)


def _print_report(report: IngestReport) -> None:
    console.print(
        f"[bold]{report.kb}[/]: {report.count('added')} added, {report.count('replaced')} "
        f"replaced, {report.count('unchanged')} unchanged, {report.count('skipped')} skipped, "
        f"{report.chunks} chunks"
    )
    for f in report.files:
        if f.status == "skipped":
            console.print(f"  [yellow]skipped[/] {f.source}: {f.reason}", highlight=False)


@app.command()
def ingest(
    name: Annotated[str, typer.Argument(help="Knowledge base.")],
    paths: Annotated[list[Path], typer.Argument(help="Files or folders (recursed).")],
    licence: Annotated[str | None, typer.Option(help="Licence of these documents.")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Ingest PDF, DOCX, HTML, Markdown and text files; unchanged files are skipped."""
    files = expand(paths)
    with _service() as (service, settings):
        base = service.bases.get(name)
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            disable=json_out,
        ) as progress:
            task = progress.add_task(f"ingesting into {name}", total=len(files))

            def step(outcome: FileOutcome) -> None:
                progress.advance(task)

            report = asyncio.run(
                service.ingestor.ingest_paths(
                    name, files, owner=base.owner, licence=licence, progress=step
                )
            )
        _audit(
            settings,
            service,
            "ingest",
            kb=name,
            added=report.count("added") + report.count("replaced"),
            skipped=report.count("skipped"),
            documents=[f.document_id for f in report.files if f.document_id],
        )
    if json_out:
        sys.stdout.write(json.dumps(report.to_dict(), ensure_ascii=False, indent=1) + "\n")
    else:
        _print_report(report)
    if report.files and report.count("skipped") == len(report.files):
        raise typer.Exit(1)


@app.command()
def search(
    name: Annotated[str, typer.Argument(help="Knowledge base.")],
    query: Annotated[str, typer.Argument(help="What to look for, in any language or script.")],
    k: Annotated[int, typer.Option(help="Passages to show.")] = 5,
    mode: Annotated[str, typer.Option(help="hybrid, bm25 or dense.")] = "hybrid",
) -> None:
    """Show the best passages for a query, with document, page and span."""
    if mode not in ("hybrid", "bm25", "dense"):
        raise InvalidRequestError(f"unknown mode {mode!r}: use hybrid, bm25 or dense")
    with _service() as (service, _):
        service.bases.get(name)
        hits = asyncio.run(service.search([name], query, k=k, mode=mode))  # type: ignore[arg-type]
    for i, h in enumerate(hits, start=1):
        p = h.passage
        console.print(
            f"[bold][{i}][/] {p.document} p.{p.page} [{p.start}:{p.end}] "
            f"[dim]score {h.score:.4f} cos {h.similarity:.2f}[/]"
        )
        console.print(f"    {p.text[:400]}", highlight=False, markup=False)
    if not hits:
        console.print("no passage found")


@app.command()
def ask(
    name: Annotated[str, typer.Argument(help="Knowledge base.")],
    question: Annotated[str, typer.Argument(help="The question, in any language or script.")],
    url: Annotated[str | None, typer.Option(help="Server base URL (…/v1).")] = None,
    api_key: Annotated[
        str | None, typer.Option(envvar="AGADIR_API_KEY", help="API key with kb:NAME.")
    ] = None,
    max_tokens: Annotated[int, typer.Option(help="Longest answer, in tokens.")] = 256,
) -> None:
    """Ask a running server a grounded question; prints the answer and its citations."""
    settings = load_settings()
    base = (url or f"http://{settings.host}:{settings.port}/v1").rstrip("/")
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    payload = {
        "model": f"kb:{name}",
        "messages": [{"role": "user", "content": question}],
        "max_tokens": max_tokens,
        "temperature": 0,
    }
    try:
        response = httpx.post(
            f"{base}/chat/completions", json=payload, headers=headers, timeout=600
        )
    except httpx.ConnectError as exc:
        raise InvalidRequestError(
            f"no server at {base}: start one with `agadir serve` (or pass --url)"
        ) from exc
    body = response.json()
    if response.status_code != 200:
        message = body.get("error", {}).get("message", response.text)
        raise InvalidRequestError(f"server answered {response.status_code}: {message}")
    console.print(body["choices"][0]["message"]["content"], markup=False, highlight=False)
    for c in body.get("citations") or []:
        mark = "*" if c.get("cited") else " "
        console.print(
            f"{mark}[{c['index']}] {c['document']} p.{c['page']} [{c['start']}:{c['end']}]: "
            f"{c['quote'][:300]}",
            markup=False,
            highlight=False,
        )


@app.command("rm-doc")
def rm_doc(
    name: Annotated[str, typer.Argument(help="Knowledge base.")],
    document_id: Annotated[str, typer.Argument(help="Document id (see `agadir kb docs`).")],
) -> None:
    """Erase one document: chunks, index rows, vectors and cached answers, then compact."""
    with _service() as (service, settings):
        n = asyncio.run(service.remove_document(name, document_id))
        _audit(settings, service, "erase_document", kb=name, document_id=document_id, chunks=n)
    console.print(f"erased {document_id} from {name} ({n} chunks)")


@app.command()
def erase(
    name: Annotated[str, typer.Argument(help="Knowledge base.")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Erase a whole knowledge base and everything derived from its documents."""
    if not yes and not typer.confirm(f"Erase knowledge base {name!r} and all its documents?"):
        raise typer.Exit(1)
    with _service() as (service, settings):
        docs_n, chunks = asyncio.run(service.erase(name))
        _audit(settings, service, "erase", kb=name, documents=docs_n, chunks=chunks)
    console.print(f"erased {name}: {docs_n} documents, {chunks} chunks")


@app.command()
def purge() -> None:
    """Erase documents older than their base's retention (run it daily, e.g. from cron)."""
    with _service() as (service, settings):
        purged = asyncio.run(service.purge_expired())
        for kb, doc_id, n in purged:
            _audit(settings, service, "purge", kb=kb, document_id=doc_id, chunks=n)
    console.print(f"purged {len(purged)} expired documents")


@app.command()
def export(
    name: Annotated[str, typer.Argument(help="Knowledge base.")],
    out: Annotated[Path | None, typer.Option(help="JSONL file (default: stdout).")] = None,
) -> None:
    """Export documents with provenance, text and chunk spans as JSONL."""
    with _service() as (service, settings):
        count = 0
        with ExitStack() as stack:  # one document in memory at a time, whatever the base's size
            sink = sys.stdout.buffer if out is None else stack.enter_context(out.open("wb"))
            for line in service.export_jsonl(name):
                sink.write(line)
                count += 1
            sink.flush()
        _audit(settings, service, "export", kb=name, documents=count)
    if out is not None:
        console.print(f"wrote {count} documents to {out}")


@app.command("load-pack")
def load_pack_cmd(
    name: Annotated[str, typer.Argument(help="Sample pack: agriculture or tourism.")],
) -> None:
    """(Re)load a sample sector pack shipped with Agadir."""
    from agadir.knowledge.packs import load_pack

    with _service() as (service, settings):
        report = asyncio.run(load_pack(service, name, only_if_missing=False))
        assert report is not None
        _audit(settings, service, "load_pack", kb=name, added=report.count("added"))
    _print_report(report)
