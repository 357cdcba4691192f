"""Files -> extracted text -> chunks -> terms and vectors -> the index, one document at a time.

Each file is its own transaction, so one bad file never costs the rest of the batch: its error
becomes a line in the report (what was skipped and why) and the loop goes on. A file whose
content hash is already stored for the same source is a no-op; a changed file replaces its old
chunks (same document id). Progress goes to a callback so the CLI can draw a rich bar.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
from sqlalchemy.exc import IntegrityError

from agadir.errors import AgadirError
from agadir.knowledge.analysis import terms
from agadir.knowledge.document import ChunkSpan, ExtractedDocument
from agadir.knowledge.index import DocumentIndex
from agadir.knowledge.retrieval import EmbedFn

Status = Literal["added", "replaced", "unchanged", "skipped"]
EMBED_BATCH = 32
DEFAULT_MAX_BYTES = 50 * 1024 * 1024


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


class Ingestor:
    def __init__(
        self, docs: DocumentIndex, embed: EmbedFn, *, max_bytes: int = DEFAULT_MAX_BYTES
    ) -> None:
        self.docs = docs
        self.embed = embed
        self.max_bytes = max_bytes

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
        self, kb: str, path: Path, *, name: str, source: str, owner: str, licence: str | None
    ) -> FileOutcome:
        from agadir.knowledge.chunking import chunk_document
        from agadir.knowledge.extract import extract

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
            doc = await asyncio.to_thread(extract, path, max_bytes=self.max_bytes)
            chunks = chunk_document(doc)
            if not chunks:
                outcome.reason = "no text to index after extraction"
                return outcome
            vectors = []
            for i in range(0, len(chunks), EMBED_BATCH):
                batch = chunks[i : i + EMBED_BATCH]
                vectors.append(await self.embed([embedding_text(doc, c) for c in batch]))
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
        return outcome
