"""What a file's bytes say it is, and how to turn text-format bytes into `str`.

The suffix picks the extractor, but people rename files: a PDF saved as ``.txt`` would be
indexed as a page of binary noise. So every file is sniffed from its first bytes and refused
when content and suffix disagree. Text is decoded as UTF-8 (BOM or not); legacy Moroccan files
are often Windows-1256 (Arabic) or Windows-1252 (French), accepted only when the result reads
as text. Not handled: UTF-16 files without a BOM, EBCDIC, and guessing other code pages.
"""

from __future__ import annotations

import codecs
import re
from pathlib import Path
from typing import Final

from agadir.knowledge.errors import BinaryContentError, describe

_MAGIC: Final = (
    (b"%PDF-", "pdf"),
    (b"PK\x03\x04", "zip"),  # DOCX, XLSX, ODT, EPUB, plain ZIP
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "ole"),  # legacy .doc/.xls, encrypted OOXML
    (b"\x89PNG", "png"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"GIF8", "gif"),
    (b"\x1f\x8b", "gzip"),
    (b"\x7fELF", "elf"),
)
_CONTROL: Final = re.compile(rb"[\x00-\x08\x0b\x0e-\x1a\x1c-\x1f\x7f]")
_ARABIC_LETTER: Final = re.compile("[\u0621-\u064a]")
_LETTER: Final = re.compile(r"[^\W\d_]")
_MAX_CONTROL_SHARE: Final = 0.01


def sniff(head: bytes) -> str | None:
    """The binary format named by the first bytes ("pdf", "zip", ...), or None for text-like."""
    for magic, name in _MAGIC:
        if head.startswith(magic):
            return name
    if b"%PDF-" in head[:1024]:  # PDF readers accept junk before the header
        return "pdf"
    return None


def _looks_binary(raw: bytes) -> bool:
    if b"\x00" in raw:
        return True
    sample = raw[:65536]
    return len(_CONTROL.findall(sample)) > _MAX_CONTROL_SHARE * max(len(sample), 1)


def _readable(text: str) -> bool:
    bad = sum(1 for ch in text if not (ch.isprintable() or ch in "\n\r\t\f"))
    return bad <= _MAX_CONTROL_SHARE * max(len(text), 1)


def decode_text(raw: bytes, path: Path) -> tuple[str, str]:
    """The text and the encoding it was read with; `BinaryContentError` if it is not text."""
    for bom, codec in ((codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if raw.startswith(bom):
            try:
                return raw.decode(codec), codec
            except UnicodeDecodeError:
                break
    if _looks_binary(raw):
        raise BinaryContentError(
            f"file {describe(path)} is binary (NUL or control bytes), not text; upload the "
            "original document (PDF, DOCX, HTML, Markdown or plain text)",
            param="file",
        )
    try:
        return raw.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    arabic = raw.decode("cp1256", errors="replace")
    letters = _LETTER.findall(arabic)
    if letters and len(_ARABIC_LETTER.findall(arabic)) >= 0.3 * len(letters) and _readable(arabic):
        return arabic, "cp1256"
    western = raw.decode("cp1252", errors="replace")
    if "\ufffd" not in western and _readable(western):
        return western, "cp1252"
    raise BinaryContentError(
        f"file {describe(path)} is neither UTF-8 nor readable Windows-1256/1252 text; "
        "save it as UTF-8 and upload it again",
        param="file",
    )
