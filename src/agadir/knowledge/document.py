"""The shapes passed between extraction, chunking and indexing.

Offsets are character offsets (Python `str` indices) into `ExtractedDocument.text`, the single
string a document is reduced to. Citations point back into that stored text, so whatever the
extractor produced is the ground truth a quote is checked against.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class PageSpan:
    """Page `number` (1-based) covers ``text[start:end]`` of its document."""

    number: int
    start: int
    end: int


@dataclass
class ExtractedDocument:
    """A document reduced to logical-order text plus where each page lies in it.

    `format` is one of "pdf", "docx", "html", "markdown", "text". Formats without pages
    (everything but PDF) have a single page 1 spanning the whole text.
    """

    text: str
    pages: list[PageSpan]
    format: str
    title: str | None = None
    meta: dict[str, str] = field(default_factory=dict)

    def page_at(self, offset: int) -> int:
        """The page holding character `offset` (the last page for the end of the text)."""
        for page in self.pages:
            if page.start <= offset < page.end:
                return page.number
        return self.pages[-1].number if self.pages else 1


@dataclass(frozen=True)
class ChunkSpan:
    """One retrievable passage: ``text == document.text[start:end]``, on page `page`."""

    index: int
    start: int
    end: int
    page: int
    text: str
