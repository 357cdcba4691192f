"""Chunking: exact offsets, page boundaries, sentence alignment; properties via hypothesis."""

from __future__ import annotations

import itertools
import re
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agadir.knowledge.chunking import chunk_document, count_tokens_regex
from agadir.knowledge.document import ChunkSpan, ExtractedDocument, PageSpan
from agadir.knowledge.errors import KnowledgeError
from agadir.knowledge.extract.normalize import assemble


def _check_invariants(
    doc: ExtractedDocument, chunks: list[ChunkSpan], max_tokens: int, count=count_tokens_regex
) -> None:  # type: ignore[no-untyped-def]
    covered = bytearray(len(doc.text))
    for n, chunk in enumerate(chunks):
        assert chunk.index == n
        assert 0 <= chunk.start < chunk.end <= len(doc.text)
        assert chunk.text == doc.text[chunk.start : chunk.end]
        assert chunk.text == chunk.text.strip(), "surrounding whitespace must be cut by offsets"
        assert chunk.page == doc.page_at(chunk.start)
        page = next(p for p in doc.pages if p.start <= chunk.start < p.end)
        assert chunk.end <= page.end, "a chunk crosses a page boundary"
        if count(chunk.text) > max_tokens:
            assert not re.search(r"\s", chunk.text), "only one unsplittable word may exceed"
        covered[chunk.start : chunk.end] = b"\x01" * (chunk.end - chunk.start)
    for i, ch in enumerate(doc.text):
        assert ch.isspace() or covered[i], f"character {i} ({ch!r}) in no chunk"


def test_regex_token_count() -> None:
    assert count_tokens_regex("Bonjour, le monde!") == 5
    assert count_tokens_regex("كَتَبَ الوَلَدُ الدرسَ؟") == 4  # harakat do not split words
    assert count_tokens_regex("10,000 DH") == 4


def test_sentences_are_packed_and_overlap() -> None:
    sentences = [f"Phrase numéro {i} dit quelque chose." for i in range(12)]
    doc = assemble([" ".join(sentences)], "text")
    chunks = chunk_document(doc, max_tokens=20, overlap_tokens=7)
    _check_invariants(doc, chunks, 20)
    for chunk in chunks:  # aligned on sentences: each chunk is a run of whole sentences
        assert chunk.text.startswith("Phrase") and chunk.text.endswith(".")
    # Neighbours share exactly one 6-token sentence (the most that fits in 7 tokens).
    for a, b in itertools.pairwise(chunks):
        assert a.end > b.start
        assert doc.text[b.start : a.end] == a.text.split(". ")[-1]
    assert len(chunks) == 11


def test_arabic_punctuation_and_weak_boundaries() -> None:
    text = "ما هي الوثائق المطلوبة؟ البطاقة الوطنية، شهادة السكنى، صورتان؛ ثم يقدم الطلب. شكرا!"
    doc = assemble([text], "text")
    chunks = chunk_document(doc, max_tokens=6, overlap_tokens=0)
    assert [c.text for c in chunks] == [
        "ما هي الوثائق المطلوبة؟",
        "البطاقة الوطنية، شهادة السكنى،",
        "صورتان؛ ثم يقدم الطلب.",
        "شكرا!",
    ]


def test_long_sentence_split_between_words() -> None:
    doc = assemble([" ".join(["mot"] * 50)], "text")
    chunks = chunk_document(doc, max_tokens=8, overlap_tokens=0)
    assert [count_tokens_regex(c.text) for c in chunks] == [8] * 6 + [2]
    _check_invariants(doc, chunks, 8)


def test_chunks_stop_at_page_ends() -> None:
    doc = assemble(["Une page courte.", "Deuxième page. Encore une phrase.", "Fin."], "pdf")
    chunks = chunk_document(doc, max_tokens=100, overlap_tokens=10)
    assert [(c.page, c.text) for c in chunks] == [
        (1, "Une page courte."),
        (2, "Deuxième page. Encore une phrase."),
        (3, "Fin."),
    ]


def test_headings_and_paragraphs_are_boundaries() -> None:
    doc = assemble(["# Titre\nPremier paragraphe sans point\n\n## Suite\nTexte"], "markdown")
    chunks = chunk_document(doc, max_tokens=4, overlap_tokens=0)
    assert [c.text for c in chunks] == [
        "# Titre",
        "Premier paragraphe sans point",
        "## Suite\nTexte",
    ]


def test_model_tokenizer_counts_are_respected() -> None:
    def chars(text: str) -> int:  # a "tokenizer" of one token per 3 characters
        return (len(text) + 2) // 3

    doc = assemble(["Un. Deux trois. Quatre cinq six. " * 30], "text")
    chunks = chunk_document(doc, max_tokens=25, overlap_tokens=5, count_tokens=chars)
    _check_invariants(doc, chunks, 25, chars)


def test_bad_parameters() -> None:
    doc = assemble(["x"], "text")
    with pytest.raises(KnowledgeError):
        chunk_document(doc, max_tokens=10, overlap_tokens=10)


def test_chunking_time_grows_linearly_with_size() -> None:
    """1 MB costs about ten times 100 KB (a quadratic step would cost a hundred times).

    A ratio measured in one process, not a wall-clock budget: the suite runs on machines of
    any speed. The speed itself is measured in bench/ (docs/benchmarks.md)."""
    paragraph = (
        "تقع مدينة أكادير على ساحل المحيط الأطلسي، وهي مركز اقتصادي مهم. "
        "Le port d'Agadir est l'un des premiers ports de pêche du Maroc! Est-ce vrai? Oui.\n"
    )

    def seconds(size: int) -> float:
        doc = assemble([paragraph * (size // len(paragraph.encode()) + 1)], "text")
        best = float("inf")
        for _ in range(3):  # best of three: the least disturbed run
            began = time.perf_counter()
            assert chunk_document(doc)
            best = min(best, time.perf_counter() - began)
        return best

    small, large = seconds(100_000), seconds(1_000_000)
    assert large < 30 * small, f"1 MB took {large:.2f} s, 100 KB {small:.3f} s"


_WORDS = st.sampled_from(
    ["مرحبا", "بكم", "Agadir", "le", "2024", "كَتَبَ", "l'été", "x", "très-long-mot-composé"]
)
_SEPS = st.sampled_from([" ", " ", " ", ". ", "؟ ", "، ", "؛ ", ", ", "!\n", "\n\n", "\t", "  "])


@st.composite
def _documents(draw: st.DrawFn) -> ExtractedDocument:
    pages = []
    for _ in range(draw(st.integers(1, 4))):
        n = draw(st.integers(0, 60))
        parts = [draw(_WORDS) + draw(_SEPS) for _ in range(n)]
        pages.append("".join(parts) or "mot")
    return assemble(pages, "pdf")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=_documents(), max_tokens=st.integers(1, 40), overlap=st.integers(0, 39))
def test_properties(doc: ExtractedDocument, max_tokens: int, overlap: int) -> None:
    overlap = min(overlap, max_tokens - 1)
    chunks = chunk_document(doc, max_tokens=max_tokens, overlap_tokens=overlap)
    _check_invariants(doc, chunks, max_tokens)


@settings(max_examples=60, deadline=None)
@given(text=st.text(min_size=1, max_size=300), max_tokens=st.integers(1, 20))
def test_properties_arbitrary_text(text: str, max_tokens: int) -> None:
    doc = ExtractedDocument(text=text, pages=[PageSpan(1, 0, len(text))], format="text")
    _check_invariants(doc, chunk_document(doc, max_tokens=max_tokens, overlap_tokens=0), max_tokens)
