"""Relative links and anchors in the labs, their solutions, academy/README.md, docs/ and the
top-level README point at files and headings that exist. No network: URLs with a scheme
(https:, mailto:) are not followed.

Anchors follow GitHub's heading slugs: lower case, punctuation dropped (letters of any script
with their combining marks, digits, `-` and `_` kept), spaces to `-`, a repeated heading gets
`-1`, `-2`...
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from pathlib import Path
from urllib.parse import unquote

import jupytext
import pytest

ROOT = Path(__file__).resolve().parents[2]
FENCE = re.compile(r"^(```|~~~).*?^\1", re.M | re.S)
INLINE_CODE = re.compile(r"`[^`\n]*`")
LINK = re.compile(r"!?\[[^\]\n]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.M)
HTML_ANCHOR = re.compile(r"<a\s+(?:id|name)=\"([^\"]+)\"")


def documents() -> list[Path]:
    found = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    found += sorted((ROOT / "academy").glob("*.md"))
    found += sorted((ROOT / "academy" / "solutions").glob("*.md"))
    found += sorted((ROOT / "academy").glob("lab*.py"))
    return found


@cache
def markdown_of(path: Path) -> str:
    """The Markdown a reader sees: a lab's markdown cells, or the file itself."""
    if path.suffix == ".py":
        notebook = jupytext.read(path)
        return "\n\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")
    return path.read_text(encoding="utf-8")


def prose(text: str) -> str:
    return INLINE_CODE.sub("", FENCE.sub("", text))


def slug(heading: str) -> str:
    heading = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link in a heading: its text
    kept = (
        ch
        for ch in heading.strip().lower()
        if ch.isalnum() or ch in "-_ " or unicodedata.category(ch).startswith("M")
    )
    return "".join(kept).replace(" ", "-")


@cache
def anchors(path: Path) -> frozenset[str]:
    text = FENCE.sub("", markdown_of(path))
    seen: dict[str, int] = {}
    found = set(HTML_ANCHOR.findall(text))
    for heading in HEADING.findall(text):
        base = slug(heading)
        n = seen.get(base, 0)
        found.add(base if n == 0 else f"{base}-{n}")
        seen[base] = n + 1
    return frozenset(found)


def broken_links(path: Path) -> list[str]:
    problems = []
    for target in LINK.findall(prose(markdown_of(path))):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I):
            continue  # https:, mailto:...: not followed (offline)
        file_part, _, anchor = target.partition("#")
        dest = (path.parent / unquote(file_part)).resolve() if file_part else path
        if not dest.exists():
            problems.append(f"{target}: no such file")
            continue
        checkable = anchor and dest.is_file() and dest.suffix in (".md", ".py")
        if checkable and unquote(anchor) not in anchors(dest):
            problems.append(f"{target}: no heading with anchor #{anchor} in {dest.name}")
    return problems


def test_slugs_follow_github() -> None:
    assert slug("Lab 0 — Setup and sovereignty") == "lab-0--setup-and-sovereignty"
    assert slug("`agadir eval`: the harness") == "agadir-eval-the-harness"
    assert slug("ما تعلّمته") == "ما-تعلّمته"


def test_the_checker_finds_a_broken_link(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("# Top\n\n[ok](#top) [bad](b.md) [x](a.md#nowhere)\n")
    assert broken_links(tmp_path / "a.md") == [
        "b.md: no such file",
        "a.md#nowhere: no heading with anchor #nowhere in a.md",
    ]


@pytest.mark.parametrize("path", documents(), ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_resolve(path: Path) -> None:
    assert not broken_links(path), f"{path.relative_to(ROOT)}: {broken_links(path)}"
