"""PDF extraction on PDFs generated here from known text, Arabic first."""

from __future__ import annotations

from pathlib import Path

import pytest

from agadir.knowledge.errors import (
    CorruptDocumentError,
    EmptyDocumentError,
    EncryptedDocumentError,
    KnowledgeError,
)
from agadir.knowledge.extract import extract
from agadir.lang import normalize_arabic

from .fixtures_docs import (
    ARABIC_LINES,
    ARABIC_PARAGRAPH,
    arabic_pdf,
    blank_pdf,
    encrypted_pdf,
    wrapped_pdf,
)


def _norm(text: str) -> str:
    return " ".join(normalize_arabic(text).split())


@pytest.fixture(scope="module")
def pdf_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pdfs")


@pytest.mark.parametrize("shaping", [True, False], ids=["harfbuzz-shaped", "presentation-forms"])
def test_arabic_lines_come_back_in_logical_order(pdf_dir: Path, shaping: bool) -> None:
    path = arabic_pdf(pdf_dir / f"lines-{shaping}.pdf", [ARABIC_LINES], shaping=shaping)
    doc = extract(path)
    lines = doc.text.split("\n")
    # Same lines, same order, same words in each line (mixed Arabic / French / numbers).
    assert [_norm(line) for line in lines] == [_norm(line) for line in ARABIC_LINES]
    # And in fact identical to the source, character for character.
    assert lines == ARABIC_LINES
    assert doc.format == "pdf"
    assert not any("\ufb50" <= ch <= "\ufeff" for ch in doc.text), "presentation forms left"


def test_wrapped_arabic_paragraph_round_trips(pdf_dir: Path) -> None:
    path = wrapped_pdf(pdf_dir / "para.pdf", [ARABIC_PARAGRAPH], title="تقرير اللغات")
    doc = extract(path)
    assert _norm(doc.text) == _norm(ARABIC_PARAGRAPH)
    assert doc.title == "تقرير اللغات"


def test_multi_page_spans(pdf_dir: Path) -> None:
    pages = [ARABIC_LINES[:2], ["Deuxième page en français.", "Ligne 2."], ARABIC_LINES[6:7]]
    doc = extract(arabic_pdf(pdf_dir / "multi.pdf", pages))
    assert [p.number for p in doc.pages] == [1, 2, 3]
    for span, lines in zip(doc.pages, pages, strict=True):
        assert doc.text[span.start : span.end] == "\n".join(lines)
        assert doc.page_at(span.start) == span.number
        assert doc.page_at(span.end - 1) == span.number
    assert doc.pages[0].start == 0 and doc.pages[-1].end == len(doc.text)
    assert doc.meta["pages"] == "3"


def test_encrypted_pdf_is_refused(pdf_dir: Path) -> None:
    source = arabic_pdf(pdf_dir / "plain.pdf", [ARABIC_LINES[:1]])
    path = encrypted_pdf(source, pdf_dir / "locked.pdf")
    with pytest.raises(EncryptedDocumentError, match="password-protected") as info:
        extract(path)
    assert "locked.pdf" in info.value.message
    assert isinstance(info.value, KnowledgeError) and info.value.status_code == 400


def test_truncated_pdf_is_corrupt(pdf_dir: Path) -> None:
    source = arabic_pdf(pdf_dir / "whole.pdf", [ARABIC_LINES, ARABIC_LINES])
    raw = source.read_bytes()
    path = pdf_dir / "cut.pdf"
    path.write_bytes(raw[: len(raw) // 3])
    with pytest.raises(CorruptDocumentError, match=r"cut\.pdf"):
        extract(path)


def test_garbage_named_pdf_is_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "fake.pdf"
    path.write_bytes(b"this is not a pdf at all\n" * 10)
    with pytest.raises(CorruptDocumentError, match="not a PDF"):
        extract(path)


@pytest.mark.parametrize("image", [False, True], ids=["blank-pages", "image-only"])
def test_pdf_without_text_layer_mentions_ocr(pdf_dir: Path, image: bool) -> None:
    path = blank_pdf(pdf_dir / f"scan-{image}.pdf", image=image)
    with pytest.raises(EmptyDocumentError, match="OCR"):
        extract(path)


def test_harakat_stay_on_their_letters(pdf_dir: Path) -> None:
    lines = ["كَتَبَ الوَلَدُ الدَّرْسَ فِي 3 سَاعَاتٍ.", "إِنَّ مَعَ الْعُسْرِ يُسْرًا"]
    doc = extract(arabic_pdf(pdf_dir / "harakat.pdf", [lines]))
    assert doc.text.split("\n") == lines


def test_french_pdf_keeps_pdfium_text(pdf_dir: Path) -> None:
    lines = ["Article 1er. La présente loi s'applique à Agadir.", "Fait à Rabat, le 18 février."]
    doc = extract(arabic_pdf(pdf_dir / "fr.pdf", [lines]))
    assert doc.text.split("\n") == lines
