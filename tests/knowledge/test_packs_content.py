"""Content checks for the sample sector packs shipped in `agadir/knowledge/packs/`.

The packs are data, not code, so these tests guard what code cannot: that every pack parses,
that each document is a well-formed, attributed, reasonably sized note, that the promised
language mix (French, MSA, Darija) is really there, and that the question sets used by the RAG
recall evaluation point at documents that exist. No model beyond the packaged LID is used.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from agadir.lang import identify_batch

PACKS_DIR = Path(__file__).resolve().parents[2] / "src" / "agadir" / "knowledge" / "packs"
PACK_NAMES = ("agriculture", "tourism")
REQUIRED_META = {
    "name": str,
    "title": str,
    "purpose": str,
    "legal_basis": str,
    "retention_days": int,
    "licence": str,
    "attribution": str,
    "description": str,
}
QUESTION_LANGS = ("ary_Arab", "ary_Latn", "arb_Arab", "fra_Latn", "eng_Latn")
MIN_QUESTIONS_PER_LANG = 5
MIN_QUESTIONS = 25
MIN_WORDS, MAX_WORDS = 100, 600
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*\.md$")
ARABIC_LETTER = re.compile(r"[\u0621-\u064A]")
# Function words that Modern Standard Arabic does not use; a Darija note is full of them.
_DARIJA_MARKER_WORDS = (
    "ديال ديالو ديالها ديالهم ديالك كيفاش شنو بزاف واش حيت دابا ملي غادي باش فين فوقاش "
    "كاين كاينة كاينين بحال ماشي شوية هادي هادا بلاصة شحال شكون"
)
DARIJA_MARKERS = frozenset(_DARIJA_MARKER_WORDS.split())
ARABIC_TOKEN = re.compile(r"[\u0621-\u064A\u06A0-\u06FF]+")


def _pack_dir(name: str) -> Path:
    return PACKS_DIR / name


def _meta(name: str) -> dict[str, Any]:
    return tomllib.loads((_pack_dir(name) / "pack.toml").read_text(encoding="utf-8"))


def _documents(name: str) -> list[Path]:
    return sorted(_pack_dir(name).glob("*.md"))


def _questions(name: str) -> list[dict[str, Any]]:
    lines = (_pack_dir(name) / "questions.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def _body_lines(text: str) -> list[str]:
    """Non-empty lines without the licence line, which is boilerplate in another language."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[:-1]


def _document_label(text: str) -> str:
    """Whole-document language: LID probabilities summed over lines, weighted by line length.

    The LID reads at most 400 characters of a text, so a note is classified line by line and
    the soft scores are pooled; this is steadier than a vote of per-line winners when MSA and
    Darija lines are individually confusable.
    """
    lines = _body_lines(text)
    scores: Counter[str] = Counter()
    for line, ranked in zip(lines, identify_batch(lines, k=14, min_confidence=0.0), strict=True):
        for label, prob in ranked:
            scores[label] += prob * len(line)
    return scores.most_common(1)[0][0]


def _darija_marker_count(text: str) -> int:
    return sum(1 for tok in ARABIC_TOKEN.findall(text) if tok in DARIJA_MARKERS)


def test_both_packs_are_present() -> None:
    found = {p.parent.name for p in PACKS_DIR.glob("*/pack.toml")}
    assert set(PACK_NAMES) <= found


@pytest.mark.parametrize("name", PACK_NAMES)
def test_pack_toml_has_the_required_fields(name: str) -> None:
    meta = _meta(name)
    for key, kind in REQUIRED_META.items():
        assert isinstance(meta.get(key), kind), f"{name}: {key} missing or not {kind.__name__}"
        if kind is str:
            assert meta[key].strip(), f"{name}: {key} is empty"
    assert meta["name"] == name
    assert meta["licence"] == "CC BY 4.0"
    assert meta["attribution"] == "Agadir authors"
    assert meta["retention_days"] >= 0
    # "purpose" is one sentence: it is shown next to every answer drawn from the base.
    assert meta["purpose"].count(". ") == 0 and meta["purpose"].endswith(".")


@pytest.mark.parametrize("name", PACK_NAMES)
def test_documents_are_well_formed(name: str) -> None:
    docs = _documents(name)
    assert 8 <= len(docs) <= 14, f"{name}: expected about 10 documents, found {len(docs)}"
    for path in docs:
        assert SLUG.match(path.name), f"{path.name}: not an ASCII slug"
        text = path.read_bytes().decode("utf-8")  # raises on anything but UTF-8
        assert text.startswith("# ") and len(text.splitlines()[0]) > 4, path.name
        last = text.rstrip().splitlines()[-1]
        assert "CC BY 4.0" in last and "Agadir authors" in last, f"{path.name}: licence line"
        words = len(text.split())
        assert MIN_WORDS <= words <= MAX_WORDS, f"{path.name}: {words} words"


@pytest.mark.parametrize("name", PACK_NAMES)
def test_only_documents_and_metadata_in_the_pack_folder(name: str) -> None:
    # The loader ingests every .md/.txt/.html/.pdf/.docx it finds: a stray README would become
    # a retrievable "document" with no facts in it.
    extra = {
        p.name
        for p in _pack_dir(name).iterdir()
        if p.suffix != ".md" and p.name not in {"pack.toml", "questions.jsonl"}
    }
    assert not extra, f"{name}: unexpected files {sorted(extra)}"


@pytest.mark.parametrize("name", PACK_NAMES)
def test_language_mix_by_identification(name: str) -> None:
    labels = {p.name: _document_label(p.read_text(encoding="utf-8")) for p in _documents(name)}
    latin = [n for n, lab in labels.items() if lab.endswith("_Latn")]
    arabic = [n for n, lab in labels.items() if lab.endswith("_Arab")]
    counts = Counter(labels.values())
    assert all(labels[n] == "fra_Latn" for n in latin), labels
    assert counts["fra_Latn"] >= 2, labels
    assert set(arabic) == {n for n, lab in labels.items() if lab in {"arb_Arab", "ary_Arab"}}
    assert len(arabic) >= 4, labels
    assert counts["arb_Arab"] >= 2, labels
    assert counts["ary_Arab"] >= 2, labels


@pytest.mark.parametrize("name", PACK_NAMES)
def test_darija_and_msa_are_both_written(name: str) -> None:
    """A check independent of the LID model: Darija notes use Darija function words, MSA not."""
    arabic = [
        p.read_text(encoding="utf-8")
        for p in _documents(name)
        if len(ARABIC_LETTER.findall(p.read_text(encoding="utf-8"))) > 200
    ]
    markers = [_darija_marker_count(text) for text in arabic]
    assert sum(1 for m in markers if m >= 8) >= 2, markers
    assert sum(1 for m in markers if m == 0) >= 2, markers


@pytest.mark.parametrize("name", PACK_NAMES)
def test_questions_point_at_existing_documents(name: str) -> None:
    questions = _questions(name)
    docs = {p.name for p in _documents(name)}
    assert len(questions) >= MIN_QUESTIONS
    ids = [q["id"] for q in questions]
    assert len(ids) == len(set(ids)), "question ids must be unique"
    for q in questions:
        assert set(q) == {"id", "question", "lang", "gold"}, q
        assert q["gold"] in docs, f"{q['id']}: gold {q['gold']} is not a document of {name}"
        assert q["lang"] in QUESTION_LANGS, q
        assert len(q["question"].split()) >= 3, q
    per_lang = Counter(q["lang"] for q in questions)
    for lang in QUESTION_LANGS:
        assert per_lang[lang] >= MIN_QUESTIONS_PER_LANG, f"{name}: {lang} has {per_lang[lang]}"
    # Every document is the answer to at least one question, so the recall set covers the pack.
    assert {q["gold"] for q in questions} == docs


@pytest.mark.parametrize("name", PACK_NAMES)
def test_question_scripts_match_their_labels(name: str) -> None:
    for q in _questions(name):
        has_arabic = bool(ARABIC_LETTER.search(q["question"]))
        assert has_arabic == q["lang"].endswith("_Arab"), q
        if q["lang"] == "ary_Arab":
            assert _darija_marker_count(q["question"]) >= 1, q


def test_ids_are_unique_across_packs() -> None:
    ids = [q["id"] for name in PACK_NAMES for q in _questions(name)]
    assert len(ids) == len(set(ids))
