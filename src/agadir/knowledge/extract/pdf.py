"""PDF text layer -> pages of logical-order text, with PDFium (pypdfium2).

Why PDFium: it is the engine Chrome uses, ships as a self-contained wheel, and reads damaged
files that pure-Python parsers reject; it is also an order of magnitude faster than pdfminer.
Its own text order is right for left-to-right pages, so those are taken as PDFium gives them.
Pages with right-to-left script are rebuilt glyph by glyph from positions (see `bidi`): PDFium's
bidi guess misplaces numbers next to Arabic punctuation and reverses lam-alef ligatures, and
older producers draw Arabic as presentation-form glyphs (U+FB50-U+FEFF) in visual order, which
we fold back to base letters (NFKC on those code points only).

Not handled: OCR of scanned pages (refused with `EmptyDocumentError`), annotations and form
fields, reading order across columns beyond what PDFium's line grouping gives.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from pathlib import Path
from typing import Final

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from agadir.knowledge.errors import (
    CorruptDocumentError,
    EmptyDocumentError,
    EncryptedDocumentError,
    describe,
)
from agadir.knowledge.extract.bidi import Glyph, visual_to_logical

# PDFium is not thread-safe; one document at a time per process (pypdfium2 documents this).
_PDFIUM_LOCK: Final = threading.Lock()
_RTL_CHARS: Final = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc]")
_PRESENTATION_FORMS: Final = re.compile("[\ufb00-\ufdff\ufe70-\ufefc]")
# Multi-character expansions of Arabic presentation forms (lam-alef, the FC-block ligatures):
# PDFium decomposes these glyphs itself, already in logical order.
_DECOMPOSED: Final = frozenset(
    exp
    for cp in (*range(0xFB50, 0xFE00), *range(0xFE70, 0xFEFD))
    if len(exp := unicodedata.normalize("NFKC", chr(cp))) > 1
)
_SPACE_GAP_EM: Final = 0.15  # a gap wider than 0.15 em between glyphs is a word space


def _fold_presentation_forms(text: str) -> str:
    return _PRESENTATION_FORMS.sub(lambda m: unicodedata.normalize("NFKC", m.group()), text)


def _is_rtl(text: str) -> bool:
    return any(unicodedata.bidirectional(ch) in ("R", "AL") for ch in text)


def _rtl_page_lines(textpage: pdfium.PdfTextPage) -> list[str]:
    """Lines of a page holding right-to-left script, rebuilt from glyph positions."""
    lines: list[str] = []
    glyphs: list[Glyph] = []
    sizes: list[float] = []
    group: list[str] = []
    group_box: tuple[float, float, float, float] | None = None

    def flush_group() -> None:
        # Characters of one glyph (a ligature) share its box. A ligature's ToUnicode string is
        # in logical order but PDFium's bidi pass reverses it with its run; a presentation form
        # PDFium decomposed itself is already right (and is recognised by its expansion).
        if group and group_box is not None:
            text = "".join(group)
            if len(group) > 1 and _is_rtl(text) and text not in _DECOMPOSED:
                text = text[::-1]
            glyphs.append(Glyph(_fold_presentation_forms(text), group_box[0], group_box[2]))
        group.clear()

    def flush_line() -> None:
        flush_group()
        size = sorted(sizes)[len(sizes) // 2] if sizes else 10.0
        lines.append(visual_to_logical(glyphs, _SPACE_GAP_EM * size))
        glyphs.clear()
        sizes.clear()

    for i in range(textpage.count_chars()):
        ch = chr(pdfium_c.FPDFText_GetUnicode(textpage, i))
        if ch in "\r\n":
            if ch == "\n":
                flush_line()
            continue
        generated = bool(pdfium_c.FPDFText_IsGenerated(textpage, i))
        if generated or ch.isspace() or ch == "\x00":
            flush_group()
            group_box = None
            continue
        box = textpage.get_charbox(i, loose=True)
        if box != group_box:
            flush_group()
            group_box = box
            sizes.append(float(pdfium_c.FPDFText_GetFontSize(textpage, i)) or 10.0)
        group.append(ch)
    flush_line()
    return lines


def _page_text(page: pdfium.PdfPage) -> str:
    textpage = page.get_textpage()
    try:
        plain = textpage.get_text_range()
        if not _RTL_CHARS.search(plain):
            return _fold_presentation_forms(plain.replace("\r\n", "\n").replace("\r", "\n"))
        return "\n".join(_rtl_page_lines(textpage))
    finally:
        textpage.close()


def _open(path: Path) -> pdfium.PdfDocument:
    try:
        return pdfium.PdfDocument(path)
    except pdfium.PdfiumError as exc:
        if exc.err_code == pdfium_c.FPDF_ERR_PASSWORD:
            raise EncryptedDocumentError(
                f"PDF {describe(path)} is password-protected; remove the protection (e.g. print "
                "to a new PDF) and upload it again",
                param="file",
            ) from exc
        raise CorruptDocumentError(
            f"PDF {describe(path)} cannot be read ({exc}); it may be truncated or damaged: "
            "re-export it from its source application",
            param="file",
        ) from exc


def extract_pdf_pages(path: Path) -> tuple[list[str], str | None]:
    """The raw text of every page (logical order) and the document's Title metadata."""
    with _PDFIUM_LOCK:
        doc = _open(path)
        try:
            title = (doc.get_metadata_dict().get("Title") or "").strip() or None
            pages: list[str] = []
            for index in range(len(doc)):
                try:
                    page = doc[index]
                except pdfium.PdfiumError as exc:
                    raise CorruptDocumentError(
                        f"PDF {describe(path)}: page {index + 1} cannot be read ({exc}); "
                        "re-export the file from its source application",
                        param="file",
                    ) from exc
                try:
                    pages.append(_page_text(page))
                finally:
                    page.close()
        finally:
            doc.close()
    if not any(p.strip() for p in pages):
        raise EmptyDocumentError(
            f"PDF {describe(path)} has no text layer ({len(pages)} page(s) of images or blank "
            "pages); scanned documents need OCR, which Agadir does not do: run OCR first "
            "(e.g. ocrmypdf) and upload the result",
            param="file",
        )
    return pages, title
