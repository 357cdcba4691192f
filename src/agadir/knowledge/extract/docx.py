"""Word documents (.docx, OOXML) with python-docx: paragraphs and tables in document order.

A table becomes one line per row, cells separated by `` | ``, so a row stays one retrievable
unit. Not handled: headers/footers, footnotes, comments, text boxes, tracked changes (only the
current text is read), and legacy binary `.doc` files (refused with a hint to re-save).
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Final

from agadir.knowledge.errors import CorruptDocumentError, EncryptedDocumentError, describe
from agadir.knowledge.limits import TextBudget

_ENCRYPTED_OOXML: Final = "EncryptedPackage".encode("utf-16-le")


def _table_lines(table: object) -> list[str]:
    from docx.table import Table

    assert isinstance(table, Table)
    lines: list[str] = []
    for row in table.rows:
        cells: list[str] = []
        for cell in row.cells:
            text = " ".join(p.text.strip() for p in cell.paragraphs if p.text.strip())
            if text and (not cells or cells[-1] != text):  # merged cells repeat their text
                cells.append(text)
        if cells:
            lines.append(" | ".join(cells))
    return lines


def refuse_ole(raw_head: bytes, path: Path) -> None:
    """An OLE compound file named .docx is a password-protected DOCX or a renamed .doc."""
    if _ENCRYPTED_OOXML in raw_head:
        raise EncryptedDocumentError(
            f"Word file {describe(path)} is password-protected; save an unprotected copy and "
            "upload that",
            param="file",
        )
    raise CorruptDocumentError(
        f"file {describe(path)} is a legacy Word .doc (binary), not .docx; open it in Word or "
        "LibreOffice and save it as .docx",
        param="file",
    )


def extract_docx(
    path: Path, budget: TextBudget | None = None
) -> tuple[str, str | None, dict[str, str]]:
    """Body text (paragraphs and tables, in order), core-properties title, meta.

    Each block is counted against `budget` as it is read, so an oversized body is refused
    before it is all joined in memory."""
    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from docx.table import Table

    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise CorruptDocumentError(
            f"Word file {describe(path)} cannot be opened ({exc}); it may be truncated or not "
            "a real .docx: re-save it from Word or LibreOffice",
            param="file",
        ) from exc
    blocks: list[str] = []
    tables = 0
    for item in document.iter_inner_content():
        if isinstance(item, Table):
            tables += 1
            lines = _table_lines(item)
        elif item.text.strip():
            lines = [item.text]
        else:
            continue
        if budget is not None:
            for line in lines:
                budget.spend(line)
        blocks.extend(lines)
    title = (document.core_properties.title or "").strip() or None
    return "\n\n".join(blocks), title, {"tables": str(tables)}
