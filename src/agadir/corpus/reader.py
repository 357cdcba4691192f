"""A datatrove reader that never crashes on bad input and never drops anything silently.

datatrove's own readers log a warning and skip a malformed JSON line, and stop reading a file
at the first undecodable byte. For archives of uneven quality we need the opposite: every
problem is counted (stats ``bad_input/<kind>``) and written with its file and line to
``{issues_dir}/{rank:05d}.jsonl``; the run goes on. Kinds:

``unreadable_file`` (I/O error, corrupt gzip/parquet), ``malformed_json``, ``not_an_object``,
``missing_text`` (no text field / column), ``empty_document``, ``huge_document`` (over
``max_doc_bytes``, skipped), ``decoded_as_<enc>`` (a line that is not UTF-8, decoded with the
fallback encoding and kept: legacy Moroccan files are often Windows-1256).

Formats: ``jsonl`` (``.gz`` ok), ``csv``/``tsv``, ``text`` (one document per file) and
``parquet``. WARC is not handled here (datatrove's WarcReader needs ``warcio``).
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
from collections.abc import Iterator
from typing import Any, Literal

import orjson
from datatrove.data import Document, DocumentsPipeline
from datatrove.io import DataFolderLike, get_datafolder
from datatrove.pipeline.readers.base import BaseDiskReader

InputFormat = Literal["jsonl", "csv", "tsv", "text", "parquet", "warc"]


class SafeReader(BaseDiskReader):
    """Read one input folder in ``fmt``; report bad input with file and line."""

    name = "📖 Safe reader"

    def __init__(
        self,
        data_folder: DataFolderLike,
        fmt: InputFormat,
        issues_dir: str,
        glob_pattern: str | None = None,
        text_key: str = "text",
        id_key: str = "id",
        default_metadata: dict[str, Any] | None = None,
        fallback_encoding: str = "cp1256",
        max_doc_bytes: int = 5_000_000,
    ) -> None:
        super().__init__(
            data_folder,
            glob_pattern=glob_pattern,
            text_key=text_key,
            id_key=id_key,
            default_metadata=default_metadata,
        )
        self.fmt = fmt
        self.issues_dir = issues_dir
        self.fallback_encoding = fallback_encoding
        self.max_doc_bytes = max_doc_bytes
        self._issues: list[dict[str, Any]] = []

    # -- bookkeeping ---------------------------------------------------------------------
    def _issue(self, kind: str, path: str, line: int | None, detail: str = "") -> None:
        self.stat_update(f"bad_input/{kind}")
        self._issues.append({"kind": kind, "file": path, "line": line, "detail": detail[:200]})

    def _decode(self, raw: bytes, path: str, line: int | None) -> str:
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            self._issue(f"decoded_as_{self.fallback_encoding}", path, line)
            return raw.decode(self.fallback_encoding, errors="replace")

    def _doc(self, text: Any, path: str, line: int, extra: dict[str, Any]) -> Document | None:
        if not isinstance(text, str):
            self._issue("missing_text", path, line, f"text field is {type(text).__name__}")
            return None
        if not text.strip():
            self._issue("empty_document", path, line)
            return None
        if len(text) > self.max_doc_bytes // 4 and len(text.encode()) > self.max_doc_bytes:
            self._issue("huge_document", path, line, f"{len(text.encode())} bytes")
            return None
        meta = dict(self.default_metadata or {})
        inner = extra.pop("metadata", None)
        if isinstance(inner, dict):
            meta.update(inner)
        meta.update({k: v for k, v in extra.items() if isinstance(v, str | int | float | bool)})
        meta["file_path"] = path
        meta["line"] = line
        doc_id = str(extra.get(self.id_key) or f"{path}:{line}")
        return Document(text=text, id=doc_id, metadata=meta)

    # -- formats -------------------------------------------------------------------------
    def _open_bytes(self, path: str) -> io.BufferedIOBase:
        f = self.data_folder.open(path, "rb")
        return gzip.GzipFile(fileobj=f) if path.endswith(".gz") else f

    def _jsonl(self, path: str) -> Iterator[Document]:
        with self._open_bytes(path) as f:
            for n, raw in enumerate(f, start=1):
                if len(raw) > self.max_doc_bytes * 2:
                    self._issue("huge_document", path, n, f"{len(raw)} bytes on one line")
                    continue
                if not raw.strip():
                    continue
                try:
                    obj = orjson.loads(raw)
                except orjson.JSONDecodeError:
                    try:
                        obj = json.loads(self._decode(raw, path, n))
                    except json.JSONDecodeError as exc:
                        self._issue("malformed_json", path, n, str(exc))
                        continue
                if not isinstance(obj, dict):
                    self._issue("not_an_object", path, n, type(obj).__name__)
                    continue
                doc = self._doc(obj.pop(self.text_key, None), path, n, obj)
                if doc is not None:
                    yield doc

    def _csv(self, path: str) -> Iterator[Document]:
        with self._open_bytes(path) as f:
            text = self._decode(f.read(), path, None)
        delimiter = "\t" if self.fmt == "tsv" else ","
        reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
        if reader.fieldnames is None or self.text_key not in reader.fieldnames:
            self._issue("missing_text", path, 1, f"no column {self.text_key!r}")
            return
        for row in reader:
            doc = self._doc(row.pop(self.text_key, None), path, reader.line_num, dict(row))
            if doc is not None:
                yield doc

    def _text(self, path: str) -> Iterator[Document]:
        with self._open_bytes(path) as f:
            raw = f.read(self.max_doc_bytes + 1)
        if len(raw) > self.max_doc_bytes:
            self._issue("huge_document", path, 1, f"over {self.max_doc_bytes} bytes")
            return
        doc = self._doc(self._decode(raw, path, None), path, 1, {})
        if doc is not None:
            yield doc

    def _parquet(self, path: str) -> Iterator[Document]:
        import pyarrow.parquet as pq

        with self.data_folder.open(path, "rb") as f:
            pf = pq.ParquetFile(f)
            if self.text_key not in pf.schema_arrow.names:
                self._issue("missing_text", path, None, f"no column {self.text_key!r}")
                return
            n = 0
            for batch in pf.iter_batches(batch_size=1024):
                for row in batch.to_pylist():
                    n += 1
                    doc = self._doc(row.pop(self.text_key, None), path, n, row)
                    if doc is not None:
                        yield doc

    def _warc(self, path: str) -> Iterator[Document]:
        """Web crawls: the main text (trafilatura: no menus, footers or scripts) of every HTML
        `response` record; the page URL and crawl date go into the metadata."""
        from trafilatura import extract
        from warcio.archiveiterator import ArchiveIterator

        with self.data_folder.open(path, "rb") as f:
            for n, record in enumerate(ArchiveIterator(f), start=1):
                if record.rec_type != "response" or record.http_headers is None:
                    continue
                ctype = record.http_headers.get_header("Content-Type") or ""
                if "html" not in ctype.lower():
                    continue
                url = record.rec_headers.get_header("WARC-Target-URI") or ""
                raw = record.content_stream().read(self.max_doc_bytes + 1)
                if len(raw) > self.max_doc_bytes:
                    self._issue("huge_document", path, n, url)
                    continue
                text = extract(self._decode(raw, path, n), include_comments=False)
                if not text:
                    self._issue("no_main_text", path, n, url)
                    continue
                date = record.rec_headers.get_header("WARC-Date")
                doc = self._doc(text, path, n, {"url": url, "warc_date": date})
                if doc is not None:
                    yield doc

    def read_file(self, filepath: str) -> DocumentsPipeline:
        reader = {
            "jsonl": self._jsonl,
            "csv": self._csv,
            "tsv": self._csv,
            "text": self._text,
            "parquet": self._parquet,
            "warc": self._warc,
        }[self.fmt]
        produced = 0
        try:
            for doc in reader(filepath):
                produced += 1
                yield doc
        except Exception as exc:
            self._issue("unreadable_file", filepath, None, f"{type(exc).__name__}: {exc}")
        if produced == 0:
            self.stat_update("bad_input/files_without_documents")

    def run(
        self, data: DocumentsPipeline = None, rank: int = 0, world_size: int = 1
    ) -> DocumentsPipeline:
        self._issues = []
        try:
            yield from super().run(data, rank, world_size)
        finally:
            folder = get_datafolder(self.issues_dir)
            tag = hashlib.sha1(self.data_folder.path.encode()).hexdigest()[:8]
            name = f"{self.fmt}-{tag}-{rank:05d}.jsonl"
            with folder.open(name, "w") as out:
                for issue in self._issues:
                    out.write(json.dumps(issue, ensure_ascii=False) + "\n")
