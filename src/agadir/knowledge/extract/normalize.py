"""Light clean-up of extracted text, and assembling pages into one `ExtractedDocument`.

The stored text is what citations quote, so it stays readable and close to the source: NFC,
no control characters, runs of spaces and tabs collapsed, trailing spaces dropped, at most one
blank line between paragraphs. It does not fold Arabic spelling variants or case (that is
`agadir.lang.normalize`, applied by the index to its search keys, not to stored text).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

from agadir.knowledge.document import ExtractedDocument, PageSpan

_DROP: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufeff\u00ad]")
_SPACES: Final = re.compile(r"[^\S\n]+")  # any whitespace but newline (tabs, NBSP, em space...)
_BLANK_LINES: Final = re.compile(r"\n{3,}")
PAGE_SEPARATOR: Final = "\n\n"


def tidy(text: str) -> str:
    """NFC, controls removed, spaces collapsed, <= 1 blank line between paragraphs."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = _DROP.sub("", text)
    text = _SPACES.sub(" ", text)
    text = "\n".join(line.strip() for line in text.split("\n"))
    return _BLANK_LINES.sub("\n\n", text).strip()


def assemble(
    pages: list[str],
    fmt: str,
    *,
    title: str | None = None,
    meta: dict[str, str] | None = None,
) -> ExtractedDocument:
    """One document from its pages' raw text; page spans cover exactly each page's text.

    Pages are joined with a blank line, which belongs to no page: a chunk never starts there
    because chunks are stripped of surrounding whitespace.
    """
    parts: list[str] = []
    spans: list[PageSpan] = []
    offset = 0
    for number, raw in enumerate(pages, start=1):
        if number > 1:
            parts.append(PAGE_SEPARATOR)
            offset += len(PAGE_SEPARATOR)
        text = tidy(raw)
        parts.append(text)
        spans.append(PageSpan(number=number, start=offset, end=offset + len(text)))
        offset += len(text)
    clean_title = tidy(title) if title else None
    return ExtractedDocument(
        text="".join(parts),
        pages=spans,
        format=fmt,
        title=clean_title or None,
        meta=dict(meta or {}),
    )
