"""Plain text files: decoded (UTF-8, or legacy Arabic/Western code pages) and tidied."""

from __future__ import annotations

from pathlib import Path

from agadir.knowledge.extract.sniff import decode_text


def extract_text(raw: bytes, path: Path) -> tuple[str, dict[str, str]]:
    """The file's text and ``{"encoding": ...}``; a binary file raises `BinaryContentError`."""
    text, encoding = decode_text(raw, path)
    return text, {"encoding": encoding}
