"""Files -> extracted text -> chunks -> terms and vectors -> the index, one document at a time.

Each file is its own transaction, so one bad file never costs the rest of the batch: its error
becomes a line in the report (what was skipped and why) and the loop goes on. A file whose
content hash is already stored for the same source is a no-op; a changed file replaces its old
chunks (same document id). Progress goes to a callback so the CLI can draw a rich bar.

The CPU work of a file (extraction, chunking, terms) runs in a worker thread, never on the
event loop, so a server's other requests go on while a big file is read. A file can be
abandoned between embedding batches (`should_stop`): nothing of it is stored then.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Literal

import numpy as np
from sqlalchemy.exc import IntegrityError

from agadir.errors import AgadirError
from agadir.knowledge.analysis import terms
from agadir.knowledge.document import ChunkSpan, ExtractedDocument
from agadir.knowledge.index import DocumentIndex
from agadir.knowledge.limits import DEFAULT_MAX_BYTES, ExtractionLimits
from agadir.knowledge.retrieval import EmbedFn

__all__ = ["DEFAULT_MAX_BYTES", "FileOutcome", "IngestReport", "Ingestor"]

log = logging.getLogger(__name__)
Status = Literal["added", "replaced", "unchanged", "skipped", "cancelled"]
EMBED_BATCH = 32


class _Stopped(Exception):
    """The file was abandoned on request between two steps."""


@dataclass
class FileOutcome:
    name: str
    source: str
    status: Status
    document_id: str | None = None
    chunks: int = 0
    reason: str | None = None


@dataclass
class IngestReport:
    kb: str
    files: list[FileOutcome] = field(default_factory=list)

    def count(self, status: Status) -> int:
        return sum(1 for f in self.files if f.status == status)

    @property
    def chunks(self) -> int:
        return sum(f.chunks for f in self.files)

    def to_dict(self) -> dict[str, object]:
        return {
            "kb": self.kb,
            "added": self.count("added"),
            "replaced": self.count("replaced"),
            "unchanged": self.count("unchanged"),
            "skipped": self.count("skipped"),
            "cancelled": self.count("cancelled"),
            "chunks": self.chunks,
            "files": [asdict(f) for f in self.files],
        }


def printable(name: str) -> str:
    """A file name as text that can be stored and printed (undecodable bytes replaced)."""
    return os.fsencode(name).decode("utf-8", "replace")


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def expand(paths: Iterable[Path]) -> list[Path]:
    """Files named, plus every file under the folders named (sorted, hidden files left out)."""
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            out.extend(
                p
                for p in sorted(path.rglob("*"))
                if p.is_file() and not any(part.startswith(".") for part in p.parts[-1:])
            )
        else:
            out.append(path)
    return out


def embedding_text(doc: ExtractedDocument, chunk: ChunkSpan) -> str:
    """What the encoder sees for a chunk: the text, after the document title when the chunk
    does not carry it. A passage deep in a note often never names its subject; the title puts
    it back, which helps most for questions in another language than the document."""
    title = (doc.title or "").strip()
    if title and title not in chunk.text:
        return f"{title}\n{chunk.text}"
    return chunk.text


def prepare(path: Path, limits: ExtractionLimits) -> tuple[ExtractedDocument, list[ChunkSpan]]:
    """Extract and chunk one file: the CPU-bound part of ingestion, run in a worker thread."""
    from agadir.knowledge.chunking import chunk_document
    from agadir.knowledge.extract import extract

    doc = extract(path, limits=limits)
    return doc, chunk_document(doc)


class Ingestor:
    def __init__(
        self,
        docs: DocumentIndex,
        embed: EmbedFn,
        *,
        max_bytes: int | None = None,
        limits: ExtractionLimits | None = None,
        embed_batch: int = EMBED_BATCH,
    ) -> None:
        self.docs = docs
        self.embed = embed
        self.embed_batch = embed_batch
        self.limits = limits or ExtractionLimits()
        if max_bytes is not None:
            self.limits = replace(self.limits, max_file_bytes=max_bytes)

    async def ingest_paths(
        self,
        kb: str,
        paths: Iterable[Path],
        *,
        owner: str,
        licence: str | None = None,
        progress: Callable[[FileOutcome], None] | None = None,
        sources: dict[Path, str] | None = None,
    ) -> IngestReport:
        """Ingest files and folders; `sources` may name a file's provenance (URL, upload)."""
        report = IngestReport(kb)
        for path in expand(paths):
            source = (sources or {}).get(path) or printable(str(path.resolve()))
            outcome = await self.ingest_file(
                kb, path, name=printable(path.name), source=source, owner=owner, licence=licence
            )
            report.files.append(outcome)
            if progress is not None:
                progress(outcome)
        return report

    async def ingest_file(
        self,
        kb: str,
        path: Path,
        *,
        name: str,
        source: str,
        owner: str,
        licence: str | None,
        should_stop: Callable[[], bool] | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> FileOutcome:
        """One file, its own transaction; every failure is a `skipped` outcome with a reason.
        `progress(embedded, total)` is called after each embedding batch."""

        def check_stop() -> None:
            if should_stop is not None and should_stop():
                raise _Stopped

        outcome = FileOutcome(name=name, source=source, status="skipped")
        try:
            if not path.is_file():
                raise FileNotFoundError(f"{path}: no such file")
            sha = await asyncio.to_thread(sha256_file, path)
            existing = await asyncio.to_thread(self.docs.find, kb, source)
            if existing is not None and existing.sha256 == sha:
                outcome.status, outcome.document_id = "unchanged", existing.id
                outcome.chunks = existing.chunks
                return outcome
            doc, chunks = await asyncio.to_thread(prepare, path, self.limits)
            if not chunks:
                outcome.reason = "no text to index after extraction"
                return outcome
            vectors = []
            for i in range(0, len(chunks), self.embed_batch):
                check_stop()
                batch = chunks[i : i + self.embed_batch]
                vectors.append(await self.embed([embedding_text(doc, c) for c in batch]))
                if progress is not None:
                    progress(i + len(batch), len(chunks))
            check_stop()
            matrix = np.vstack(vectors).astype(np.float32)
            doc_licence = licence or doc.meta.get("licence")
            doc_id = await asyncio.to_thread(
                lambda: self.docs.put(
                    kb=kb,
                    name=name,
                    source=source,
                    sha256=sha,
                    licence=doc_licence,
                    owner=owner,
                    doc=doc,
                    chunks=chunks,
                    terms=[" ".join(terms(c.text)) for c in chunks],
                    vectors=matrix,
                )
            )
            outcome.status = "replaced" if existing is not None else "added"
            outcome.document_id, outcome.chunks = doc_id, len(chunks)
        except AgadirError as exc:
            outcome.reason = exc.message
        except (OSError, UnicodeError, ValueError) as exc:
            outcome.reason = f"{type(exc).__name__}: {exc}"
        except IntegrityError:
            outcome.reason = f"knowledge base {kb!r} was erased during the ingestion"
        except _Stopped:
            outcome.status, outcome.reason = "cancelled", "ingestion cancelled"
        except Exception as exc:  # a parser's own error type: this file, never the batch
            log.exception("ingesting %s failed", source)
            outcome.reason = f"could not be read ({type(exc).__name__}); re-save the file"
        return outcome
