"""How much a file may grow into: bounds on extracted text and on what a zip declares.

Why: a small file can expand enormously (a 180 KB DOCX held 60 MB of text), and every byte of
text costs chunking, embedding and memory. So a file's text may be at most `max_expansion`
times its own size (but never less than `floor_text_bytes`, because small files carry fixed
overhead, and never more than `max_text_bytes`). For zip-based formats (DOCX) the uncompressed
sizes the archive *declares* are checked before anything is decompressed (python-docx reads
every part into memory, images included): at most `MARKUP_FACTOR` times the text budget,
markup being verbose, plus `MEDIA_FACTOR` times the file (images barely compress, so a legit
file's media is about its own size). Python's `zipfile` never
inflates a member past its declared size (it stops and fails the CRC), so a lying header cannot
get round the check. Text is also counted while it is extracted (PDF pages, DOCX paragraphs),
so a refusal comes early rather than after the whole file is in memory.

Not handled: bounding the CPU time of one extraction (a pathological PDF page can still be
slow; the ingestion runs off the event loop, in its tenant's turn, so it costs only that turn).
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from agadir.knowledge.errors import CorruptDocumentError, ExpansionLimitError, describe

DEFAULT_MAX_BYTES: Final = 50 * 1024 * 1024
MARKUP_FACTOR: Final = 8
MEDIA_FACTOR: Final = 10


@dataclass(frozen=True)
class ExtractionLimits:
    """Per-file bounds; see the module docstring for why each exists."""

    max_file_bytes: int = DEFAULT_MAX_BYTES
    max_text_bytes: int = 16 * 1024 * 1024
    max_expansion: float = 20.0
    floor_text_bytes: int = 1024 * 1024

    def text_budget(self, file_bytes: int) -> int:
        """Most UTF-8 bytes of text a file of `file_bytes` may yield."""
        by_ratio = max(self.floor_text_bytes, int(self.max_expansion * file_bytes))
        return min(self.max_text_bytes, by_ratio)

    def refuse(self, path: Path, file_bytes: int, what: str, limit: int) -> ExpansionLimitError:
        return ExpansionLimitError(
            f"file {describe(path)} ({file_bytes:,} bytes) {what}, over the {limit:,} bytes "
            f"allowed for a file of its size (knowledge.max_expansion = "
            f"{self.max_expansion:g}x, knowledge.max_text_bytes = {self.max_text_bytes:,}); "
            "it looks like a decompression bomb: split it into smaller documents or raise "
            "those settings",
            param="file",
        )

    def check_archive(self, path: Path, file_bytes: int) -> None:
        """Refuse a zip whose declared content would inflate past its budget."""
        try:
            with zipfile.ZipFile(path) as archive:
                declared = sum(info.file_size for info in archive.infolist())
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            raise CorruptDocumentError(
                f"file {describe(path)} is not a readable zip archive ({exc}); re-save it from "
                "Word or LibreOffice",
                param="file",
            ) from exc
        allowed = MARKUP_FACTOR * self.text_budget(file_bytes) + MEDIA_FACTOR * file_bytes
        if declared > allowed:
            raise self.refuse(
                path, file_bytes, f"declares {declared:,} bytes once uncompressed", allowed
            )


class TextBudget:
    """Counts text as an extractor produces it and refuses once past the file's budget."""

    def __init__(self, limits: ExtractionLimits, path: Path, file_bytes: int) -> None:
        self.limits = limits
        self.path = path
        self.file_bytes = file_bytes
        self.budget = self.left = limits.text_budget(file_bytes)

    def spend(self, text: str) -> str:
        """Count `text` (UTF-8 bytes) against the budget; returns it for chaining."""
        self.left -= len(text.encode("utf-8", "surrogatepass"))
        if self.left < 0:
            raise self.limits.refuse(
                self.path, self.file_bytes, "expands to more text", self.budget
            )
        return text
