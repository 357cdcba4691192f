"""Markdown files: kept as written (headings help retrieval), minus link targets and images.

URLs are noise for retrieval and for quoting, so ``[text](url)`` becomes ``text``, an image
``![alt](src)`` becomes its alt text, and reference definitions (``[id]: url``) are dropped.
Headings, lists, emphasis and tables are left as they are. Not handled: HTML blocks inside
Markdown (kept verbatim) and front matter other than a leading YAML ``title:``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Final

from agadir.knowledge.extract.sniff import decode_text

_IMAGE: Final = re.compile(r"!\[([^\]\n]*)\]\([^)\n]*\)")
_LINK: Final = re.compile(r"(?<!!)\[([^\]\n]+)\]\([^)\n]*\)")
_REF_LINK: Final = re.compile(r"(?<!!)\[([^\]\n]+)\]\[[^\]\n]*\]")
_REF_DEF: Final = re.compile(r"^ {0,3}\[[^\]\n]+\]:\s+\S+.*$\n?", re.MULTILINE)
_FRONT_MATTER: Final = re.compile(r"\A---\n(.*?)\n---\n", re.DOTALL)
_FM_TITLE: Final = re.compile(r"^title:\s*[\"']?(.+?)[\"']?\s*$", re.MULTILINE)
_H1: Final = re.compile(r"^#\s+(.+?)\s*#*\s*$", re.MULTILINE)


def extract_markdown(raw: bytes, path: Path) -> tuple[str, str | None, dict[str, str]]:
    """Text without link targets, a title (front matter or first ``# heading``) and meta."""
    text, encoding = decode_text(raw, path)
    text = text.replace("\r\n", "\n")
    title: str | None = None
    front = _FM_TITLE.search(m.group(1)) if (m := _FRONT_MATTER.match(text)) else None
    if m is not None:
        text = text[m.end() :]
        title = front.group(1) if front else None
    text = _REF_DEF.sub("", text)
    text = _IMAGE.sub(r"\1", text)
    text = _LINK.sub(r"\1", text)
    text = _REF_LINK.sub(r"\1", text)
    if title is None and (h1 := _H1.search(text)):
        title = h1.group(1)
    return text, title, {"encoding": encoding}
