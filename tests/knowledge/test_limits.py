"""Decompression amplification: text per file, expansion ratio, zip-declared sizes, chunk length."""

from __future__ import annotations

from pathlib import Path

import pytest

from agadir.knowledge.chunking import chunk_document
from agadir.knowledge.errors import ExpansionLimitError
from agadir.knowledge.extract import extract
from agadir.knowledge.extract.normalize import assemble
from agadir.knowledge.limits import ExtractionLimits
from tests.knowledge.conftest import write
from tests.knowledge.fixtures_docs import bomb_docx, docx_file

# python-docx's template alone is ~36 KB, so a small ratio makes the DOCX tests bite early.
SMALL = ExtractionLimits(max_text_bytes=1 << 20, max_expansion=2.0, floor_text_bytes=128 * 1024)


def test_budget_is_a_ratio_of_the_file_between_a_floor_and_a_ceiling() -> None:
    assert SMALL.text_budget(1000) == 128 * 1024  # small files: the floor
    assert SMALL.text_budget(100_000) == 200_000  # 2x
    assert SMALL.text_budget(10_000_000) == 1 << 20  # the ceiling


def test_a_docx_declaring_too_much_content_is_refused_before_it_is_inflated(tmp_path: Path) -> None:
    path = bomb_docx(tmp_path / "bomb.docx", 3_000_000)
    assert path.stat().st_size < 60_000
    with pytest.raises(ExpansionLimitError) as err:
        extract(path, limits=SMALL)
    message = err.value.message
    assert "'bomb.docx'" in message and "declares" in message and "uncompressed" in message
    assert "decompression bomb" in message and err.value.status_code == 413


def test_a_docx_expanding_past_its_text_budget_is_refused_while_read(tmp_path: Path) -> None:
    path = bomb_docx(tmp_path / "dense.docx", 300_000)  # declared size within budget, text over it
    with pytest.raises(ExpansionLimitError, match="expands to more text"):
        extract(path, limits=SMALL)
    relaxed = ExtractionLimits(max_expansion=1000.0, floor_text_bytes=1 << 20)
    assert len(extract(path, limits=relaxed).text) >= 299_000


def test_plain_text_over_the_text_ceiling_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "long.txt", "mot " * 300_000)  # 1.2 MB of text, ratio 1
    with pytest.raises(ExpansionLimitError):
        extract(path, limits=SMALL)
    assert extract(path).text.startswith("mot mot")  # default ceiling: 16 MiB


def test_an_ordinary_docx_passes_the_limits(tmp_path: Path) -> None:
    doc = extract(docx_file(tmp_path / "rapport.docx"), limits=SMALL)
    assert "Agadir | 421844 | Souss" in doc.text


@pytest.mark.parametrize(
    "text",
    [
        "x" * 150_000,  # one "word" of 150k characters
        "Intro.\n" + "-" * 9_000 + "\nFin du texte ici.",  # a line of punctuation
        ("mot" * 900 + " ") * 40,  # long words separated by spaces
    ],
)
def test_runs_without_spaces_are_hard_split_into_bounded_chunks(text: str) -> None:
    doc = assemble([text], "text")
    chunks = chunk_document(doc, max_chars=2000)
    assert chunks and all(len(c.text) <= 2000 for c in chunks)
    assert all(doc.text[c.start : c.end] == c.text for c in chunks)
    covered = bytearray(len(doc.text))
    for c in chunks:
        covered[c.start : c.end] = b"\x01" * (c.end - c.start)
    assert all(covered[i] or ch.isspace() for i, ch in enumerate(doc.text))  # nothing dropped


def test_prose_is_unchanged_by_the_character_bound() -> None:
    prose = " ".join(f"Phrase numéro {i} sur les serres du Souss." for i in range(200))
    doc = assemble([prose], "text")
    assert chunk_document(doc) == chunk_document(doc, max_chars=10**9)
