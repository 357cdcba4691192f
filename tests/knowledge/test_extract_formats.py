"""DOCX, HTML, Markdown and text extraction, dispatching and refusals."""

from __future__ import annotations

from pathlib import Path

import pytest

from agadir.knowledge.errors import (
    BinaryContentError,
    CorruptDocumentError,
    DocumentTooLargeError,
    EmptyDocumentError,
    EncryptedDocumentError,
    UnsupportedFormatError,
)
from agadir.knowledge.extract import SUPPORTED_SUFFIXES, extract

from .fixtures_docs import arabic_pdf, article_html, docx_file


def test_docx_paragraphs_and_tables_in_order(tmp_path: Path) -> None:
    doc = extract(docx_file(tmp_path / "rapport.docx", title="Rapport"))
    expected = [
        "Rapport annuel 2024",
        "Premier paragraphe en français.",
        "الفقرة الثانية باللغة العربية.",
        "Ville | Population | Région",
        "Agadir | 421844 | Souss",
        "Paragraphe après le tableau.",
    ]
    assert [p for p in doc.text.split("\n") if p] == expected
    assert doc.title == "Rapport" and doc.format == "docx"
    assert doc.pages[0].start == 0 and doc.pages[0].end == len(doc.text)


def test_docx_that_is_not_a_zip_is_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "broken.docx"
    path.write_bytes(docx_file(tmp_path / "ok.docx").read_bytes()[:200])
    with pytest.raises(CorruptDocumentError, match="broken"):
        extract(path)


def test_encrypted_ooxml_is_refused(tmp_path: Path) -> None:
    # The shape of a protected OOXML file: an OLE container with an EncryptedPackage stream.
    ole = (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504 + "EncryptedPackage".encode("utf-16-le")
    )
    path = tmp_path / "secret.docx"
    path.write_bytes(ole + b"\x00" * 1000)
    with pytest.raises(EncryptedDocumentError, match="password"):
        extract(path)
    (tmp_path / "old.docx").write_bytes(ole[:8] + b"\x00" * 2000)
    with pytest.raises(CorruptDocumentError, match=r"legacy Word \.doc"):
        extract(tmp_path / "old.docx")


def test_html_main_content_without_menus_or_footer(tmp_path: Path) -> None:
    doc = extract(article_html(tmp_path / "page.html"))
    assert doc.title == "Guide & démarches — Agadir"
    assert "Pour renouveler votre carte nationale" in doc.text
    assert "يمكن تقديم الطلب في أي مقاطعة أمنية" in doc.text
    for noise in ("Contactez-nous", "Mentions légales", "do-not-index", "Menu principal"):
        assert noise not in doc.text
    assert doc.meta["html_mode"] == "main"


def test_html_falls_back_to_full_text(tmp_path: Path) -> None:
    path = tmp_path / "list.htm"
    path.write_text(
        "<html><body><table><tr><td>Tarif</td><td>20 DH</td></tr></table></body></html>"
    )
    doc = extract(path)
    assert "Tarif" in doc.text and "20 DH" in doc.text
    assert doc.title is None


def test_markdown_keeps_headings_drops_urls(tmp_path: Path) -> None:
    path = tmp_path / "guide.md"
    path.write_text(
        "# Guide du contribuable\n\nVoir [le portail](https://example.ma/portail) et "
        "![logo DGI](img/logo.png).\n\n## المراجع\n\n[ref]: https://example.ma/ref\n",
        encoding="utf-8",
    )
    doc = extract(path)
    assert doc.text == "# Guide du contribuable\n\nVoir le portail et logo DGI.\n\n## المراجع"
    assert doc.title == "Guide du contribuable" and doc.format == "markdown"


@pytest.mark.parametrize(
    ("raw", "encoding", "expected"),
    [
        ("\ufeffسلام  عليكم\r\n\r\n\r\n\tMerci".encode(), "utf-8", "سلام عليكم\n\nMerci"),
        ("مرحبا بكم في أكادير، المغرب".encode("cp1256"), "cp1256", "مرحبا بكم في أكادير، المغرب"),
        ("Café à Marrakech, été".encode("cp1252"), "cp1252", "Café à Marrakech, été"),
    ],
)
def test_text_encodings(tmp_path: Path, raw: bytes, encoding: str, expected: str) -> None:
    path = tmp_path / "note.txt"
    path.write_bytes(raw)
    doc = extract(path)
    assert doc.text == expected
    assert doc.meta["encoding"] == encoding
    assert doc.pages[0].end == len(expected)


def test_binary_txt_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "junk.txt"
    path.write_bytes(bytes(range(256)) * 20)
    with pytest.raises(BinaryContentError, match="binary"):
        extract(path)
    path.write_bytes(b"mostly text \x01\x02\x03\x04\x05\x06 " * 50)
    with pytest.raises(BinaryContentError):
        extract(path)


def test_pdf_renamed_txt_is_refused(tmp_path: Path) -> None:
    pdf = arabic_pdf(tmp_path / "a.pdf", [["Bonjour"]])
    renamed = tmp_path / "a.txt"
    renamed.write_bytes(pdf.read_bytes())
    with pytest.raises(UnsupportedFormatError, match=r"rename it to \.pdf"):
        extract(renamed)


def test_size_checked_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_bytes(b"a" * 2000)
    with pytest.raises(DocumentTooLargeError, match="1,000-byte limit"):
        extract(path, max_bytes=1000)


@pytest.mark.parametrize("content", [b"", b"   \n\n\t "])
def test_empty_files(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "vide.md"
    path.write_bytes(content)
    with pytest.raises(EmptyDocumentError):
        extract(path)


def test_unknown_suffix_lists_supported(tmp_path: Path) -> None:
    path = tmp_path / "table.xlsx"
    path.write_bytes(b"PK\x03\x04")
    with pytest.raises(UnsupportedFormatError) as info:
        extract(path)
    for suffix in SUPPORTED_SUFFIXES:
        assert suffix in info.value.message
    assert info.value.status_code == 415
