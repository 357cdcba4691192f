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
from dataclasses import dataclass, field
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
from agadir.knowledge.limits import TextBudget

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


@dataclass
class _Line:
    """Glyphs sharing a baseline band; `low`/`high` is the band of the line's first glyph."""

    low: float
    high: float
    glyphs: list[Glyph] = field(default_factory=list)
    sizes: list[float] = field(default_factory=list)

    def holds(self, box: tuple[float, float, float, float]) -> bool:
        centre = (box[1] + box[3]) / 2
        return self.low <= centre <= self.high


def _glyph_text(chars: list[str]) -> str:
    """One glyph's characters in logical order, presentation forms folded.

    Characters of one glyph (a ligature) share its box. A ligature's ToUnicode string is in
    logical order but PDFium's bidi pass reverses it along with its run; a presentation form
    PDFium decomposed itself is already right (and is recognised by its expansion).
    """
    text = "".join(chars)
    if len(chars) > 1 and _is_rtl(text) and text not in _DECOMPOSED:
        text = text[::-1]
    return _fold_presentation_forms(text)


def _rtl_page_lines(textpage: pdfium.PdfTextPage) -> list[str]:
    """Lines of a page holding right-to-left script, rebuilt from glyph positions.

    PDFium's own line breaks are not used: it starts a new line whenever the pen moves left,
    which shaped right-to-left text does between words. A line is instead the run of glyphs (in
    PDFium's order) whose vertical centre stays in the band of the line's first glyph.
    """
    lines: list[_Line] = []
    chars: list[str] = []
    box: tuple[float, float, float, float] | None = None
    size = 10.0

    def flush() -> None:
        if not chars or box is None:
            return
        if not lines or not lines[-1].holds(box):
            lines.append(_Line(box[1], box[3]))
        lines[-1].glyphs.append(Glyph(_glyph_text(chars), box[0], box[2]))
        lines[-1].sizes.append(size)
        chars.clear()

    for i in range(textpage.count_chars()):
        if pdfium_c.FPDFText_IsGenerated(textpage, i):
            continue
        ch = chr(pdfium_c.FPDFText_GetUnicode(textpage, i))
        if ch.isspace() or unicodedata.category(ch) == "Cc":  # fonts map some marks to C0
            flush()
            box = None
            continue
        char_box = textpage.get_charbox(i, loose=True)
        if unicodedata.combining(ch):
            # A mark has no advance, so its loose box is a point at the pen, on the edge
            # between two letters; its ink box lies over the letter it belongs to.
            flush()
            ink = textpage.get_charbox(i)
            box = (ink[0], char_box[1], ink[2], char_box[3])
            chars.append(ch)
            flush()
            box = None
            continue
        if char_box != box:
            flush()
            box = char_box
            size = float(pdfium_c.FPDFText_GetFontSize(textpage, i)) or 10.0
        chars.append(ch)
    flush()
    out: list[str] = []
    for line in lines:
        median = sorted(line.sizes)[len(line.sizes) // 2]
        out.append(visual_to_logical(_attach_marks(line.glyphs), _SPACE_GAP_EM * median))
    return out


def _attach_marks(glyphs: list[Glyph]) -> list[Glyph]:
    """Fold each stand-alone combining mark (haraka, shadda) into the glyph it is drawn over.

    Shaping engines draw marks as separate glyphs whose order relative to their letter varies
    by producer; the letter whose box holds the mark's centre is the one it belongs to.
    """
    marks = [g for g in glyphs if all(unicodedata.combining(ch) for ch in g.text)]
    if not marks:
        return glyphs
    bases = [g for g in glyphs if g not in marks]
    extra: dict[int, str] = {}
    for mark in marks:
        centre = (mark.left + mark.right) / 2

        def distance(k: int, centre: float = centre) -> tuple[float, float]:
            base = bases[k]
            outside = max(base.left - centre, centre - base.right, 0.0)
            return outside, base.right - base.left  # inside first, then the narrowest

        best = min(range(len(bases)), key=distance, default=None)
        if best is None:
            continue
        extra[best] = extra.get(best, "") + mark.text
    return [
        Glyph(g.text + extra[k], g.left, g.right) if k in extra else g for k, g in enumerate(bases)
    ]


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


def extract_pdf_pages(path: Path, budget: TextBudget | None = None) -> tuple[list[str], str | None]:
    """The raw text of every page (logical order) and the document's Title metadata; each
    page is counted against `budget`, so an oversized text layer stops at the page that
    overflows it."""
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
                    text = _page_text(page)
                    pages.append(budget.spend(text) if budget is not None else text)
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
