"""Turn an uploaded file into an `ExtractedDocument`: logical-order text plus page spans.

The suffix chooses the extractor; the first bytes must agree with it (a PDF renamed ``.txt`` or
an image renamed ``.md`` is refused, not indexed as noise). Size is checked before anything is
read, and how much text it may expand into is bounded (`limits`). Every failure is a
`KnowledgeError` subclass whose message names the file and the fix.

Formats: PDF (text layer, PDFium), DOCX (python-docx), HTML (trafilatura), Markdown, plain text.
Not handled: OCR of scans, legacy .doc/.xls, spreadsheets, e-books, archives.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Final

from agadir.knowledge.document import ExtractedDocument
from agadir.knowledge.errors import (
    CorruptDocumentError,
    DocumentTooLargeError,
    EmptyDocumentError,
    UnsupportedFormatError,
    describe,
)
from agadir.knowledge.extract.docx import extract_docx, refuse_ole
from agadir.knowledge.extract.html import extract_html
from agadir.knowledge.extract.markdown import extract_markdown
from agadir.knowledge.extract.normalize import assemble
from agadir.knowledge.extract.pdf import extract_pdf_pages
from agadir.knowledge.extract.sniff import sniff
from agadir.knowledge.extract.text import extract_text
from agadir.knowledge.limits import DEFAULT_MAX_BYTES, ExtractionLimits, TextBudget

__all__ = ["DEFAULT_MAX_BYTES", "SUPPORTED_SUFFIXES", "ExtractionLimits", "extract"]

_FORMAT_BY_SUFFIX: Final = {
    ".pdf": "pdf",
    ".docx": "docx",
    ".html": "html",
    ".htm": "html",
    ".md": "markdown",
    ".markdown": "markdown",
    ".txt": "text",
}
SUPPORTED_SUFFIXES: Final = frozenset(_FORMAT_BY_SUFFIX)
_SNIFF_BYTES: Final = 8192
# What each sniffed binary signature must be for each format (None: text-like content).
_EXPECTED: Final = {"pdf": "pdf", "docx": "zip"}
_FORMAT_NAMES: Final = {"pdf": "a PDF", "zip": "a ZIP archive (DOCX, XLSX, ODT...)",
                        "ole": "a legacy Office file (.doc/.xls) or a protected Office file",
                        "png": "a PNG image", "jpeg": "a JPEG image", "gif": "a GIF image",
                        "gzip": "a gzip archive", "elf": "a program"}  # fmt: skip


def _check_content(fmt: str, found: str | None, head: bytes, path: Path) -> None:
    expected = _EXPECTED.get(fmt)
    if found == expected:
        return
    if fmt == "docx" and found == "ole":
        refuse_ole(head, path)
    if expected is None:
        hint = " (rename it to .pdf)" if found == "pdf" else ""
        raise UnsupportedFormatError(
            f"file {describe(path)} is named {path.suffix} but its content is "
            f"{_FORMAT_NAMES.get(str(found), found)}{hint}; upload it with its real extension",
            param="file",
        )
    raise CorruptDocumentError(
        f"file {describe(path)} is named {path.suffix} but is not "
        f"{_FORMAT_NAMES[expected]}; it is damaged or mislabelled: re-export it",
        param="file",
    )


def extract(
    path: Path, *, max_bytes: int | None = None, limits: ExtractionLimits | None = None
) -> ExtractedDocument:
    """Extract `path` (size-checked first, then sniffed) into logical-order text with pages.

    `limits` bounds the file and the text it expands into; `max_bytes` alone overrides only
    the file size (the default limits otherwise)."""
    path = Path(path)
    limits = limits or ExtractionLimits()
    if max_bytes is not None:
        limits = replace(limits, max_file_bytes=max_bytes)
    max_bytes = limits.max_file_bytes
    fmt = _FORMAT_BY_SUFFIX.get(path.suffix.lower())
    if fmt is None:
        supported = ", ".join(sorted(SUPPORTED_SUFFIXES))
        raise UnsupportedFormatError(
            f"file {describe(path)}: the {path.suffix or 'missing'} extension is not supported; "
            f"convert it to one of: {supported}",
            param="file",
        )
    size = path.stat().st_size
    if size > max_bytes:
        raise DocumentTooLargeError(
            f"file {describe(path)} is {size:,} bytes, over the {max_bytes:,}-byte limit; split "
            "it into smaller documents",
            param="file",
        )
    if size == 0:
        raise EmptyDocumentError(f"file {describe(path)} is empty (0 bytes)", param="file")
    with path.open("rb") as f:
        head = f.read(_SNIFF_BYTES)
    _check_content(fmt, sniff(head), head, path)
    meta = {"source_name": path.name, "bytes": str(size)}
    budget = TextBudget(limits, path, size)
    if fmt == "pdf":
        pages, title = extract_pdf_pages(path, budget)
        meta["pages"] = str(len(pages))
        doc = assemble(pages, "pdf", title=title, meta=meta)
    elif fmt == "docx":
        limits.check_archive(path, size)  # before a byte is inflated
        text, title, extra = extract_docx(path, budget)
        doc = assemble([text], "docx", title=title, meta=meta | extra)
    else:
        raw = path.read_bytes()
        if fmt == "html":
            text, title, extra = extract_html(raw, path)
        elif fmt == "markdown":
            text, title, extra = extract_markdown(raw, path)
        else:
            text, extra = extract_text(raw, path)
            title = None
        budget.spend(text)
        doc = assemble([text], fmt, title=title, meta=meta | extra)
    if not doc.text.strip():
        raise EmptyDocumentError(
            f"file {describe(path)} contains no text once extracted; check it is not blank",
            param="file",
        )
    return doc
