"""Tests for agadir.lang: LID, normalisation (property-tested), transliteration, segments, CLI."""

from __future__ import annotations

import csv
import itertools
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agadir import lang
from agadir.lang.errors import LangInputError

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
needs_data = pytest.mark.skipif(not DATA.is_dir(), reason="shared data not present")


def _tsv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))


@pytest.mark.parametrize(
    "text", ["", "   ", "😀😀🎉", "123 456,78", "https://example.ma/x", "Привет мир", "\u200f"]
)
def test_und_for_text_without_known_letters(text: str) -> None:
    assert lang.identify(text) == [("und", 1.0)]


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("salam khouya labas 3lik, fin ghadi lyoum?", "ary_Latn"),
        ("Je ne sais pas ce que tu veux dire par là.", "fra_Latn"),
        ("The committee will publish its report next week.", "eng_Latn"),
        ("ⴰⵣⵓⵍ ⴼⵍⵍⴰⵡⵏ ⵎⴰⵏⵉⴽ ⴰⵏⵏ ⵜⵍⵍⴰⵎ", "zgh_Tfng"),
    ],
)
def test_identify_obvious_lines(text: str, label: str) -> None:
    ranked = lang.identify(text)
    assert ranked[0][0] == label
    assert abs(sum(p for _, p in lang.identify(text, k=12)) - 1.0) < 1e-6


def test_identify_batch_matches_single_and_handles_huge_line() -> None:
    texts = ["salam 3likom", "", "x" * 1_000_000, "كيفاش داير"]
    batch = lang.identify_batch(texts)
    assert batch == [lang.identify(t) for t in texts]
    with pytest.raises(LangInputError):
        lang.identify_batch([b"bytes"])  # type: ignore[list-item]


@needs_data
def test_dev_macro_f1_meets_target() -> None:
    from agadir.lang.lid import best_labels

    rows = [r for r in _tsv(DATA / "lid" / "dev.tsv") if len(r) == 2]
    gold = [r[0] for r in rows]
    pred = best_labels([r[1] for r in rows])
    f1s = []
    for label in lang.LABELS:
        tp = sum(g == p == label for g, p in zip(gold, pred, strict=True))
        fp = sum(p == label != g for g, p in zip(gold, pred, strict=True))
        fn = sum(g == label != p for g, p in zip(gold, pred, strict=True))
        f1s.append(2 * tp / (2 * tp + fp + fn))
    assert sum(f1s) / len(f1s) >= 0.95


def test_segments_offsets_cover_tokens() -> None:
    text = "واش نتا مزيان ? je pense que oui, on se voit demain matin"
    spans = lang.segments(text)
    assert spans and all(text[s.start : s.end] == s.text for s in spans)
    assert {s.label.split("_")[1] for s in spans} >= {"Arab", "Latn"}
    assert lang.segments("   ") == []


_ARABIC_CHARS = st.text(
    alphabet=st.sampled_from([*"اأإآىيةؤئءبتـًٌٍَُِّْ٠١٩۰۹،؟؛ \u200f", "a", "A", "3"]),
    max_size=40,
)


@settings(max_examples=300, deadline=None)
@given(st.one_of(_ARABIC_CHARS, st.text(max_size=40)))
def test_normalisers_are_idempotent(text: str) -> None:
    for fn in (lang.normalize_arabic, lang.normalize_arabizi, lang.normalize_tifinagh):
        once = fn(text)
        assert fn(once) == once
    once = lang.normalize(text)
    assert lang.normalize(once) == once


def test_normalize_examples() -> None:
    assert lang.normalize_arabic("إِنَّ الأَمْرَ ٣؟") == "ان الامر 3?"
    assert lang.normalize_arabic("مدرسة", ta_marbuta=False) == "مدرسة"
    assert lang.normalize_arabizi("BZZZAAAF 3afak") == "bzaf 3afak"
    assert lang.normalize_arabizi("khllaaT") == "khllaat"
    assert lang.normalize("ⵣʷ") == "ⵣ\u2d6f"
    with pytest.raises(LangInputError):
        lang.normalize("x", lang="Cyrl")


@needs_data
def test_tifinagh_round_trip_on_every_shared_line() -> None:
    lines: list[str] = []
    for split in ("train", "dev"):
        lines += [r[1] for r in _tsv(DATA / "lid" / f"{split}.tsv") if r[0].endswith("_Tfng")]
        for row in _tsv(DATA / "parallel" / f"nllb_seed_multiway.{split}.tsv")[1:]:
            lines.extend((row[4], row[5]))
    assert len(lines) > 10_000
    assert all(lang.latin_to_tifinagh(lang.tifinagh_to_latin(t)) == t for t in lines)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ⴰⴱⴳⴷⴹⵖⵯⵞ abdeɛ\\\u0323ḍIO1")), max_size=30))
def test_tifinagh_round_trip_property(text: str) -> None:
    assert lang.latin_to_tifinagh(lang.tifinagh_to_latin(text)) == text


def test_ircam_examples() -> None:
    assert lang.tifinagh_to_latin("ⴰⵣⵓⵍ") == "azul"
    assert lang.latin_to_tifinagh("tamaziɣt") == "ⵜⴰⵎⴰⵣⵉⵖⵜ"


def test_arabizi_to_arabic_ranked_candidates() -> None:
    cands = lang.arabizi_to_arabic("salam 3likom", n=5)
    assert cands[0][0] == "السلام عليكم"  # the lexicon's set phrase comes first
    assert any(c.startswith("سلام ") for c, _ in cands)
    assert "سالام عليكوم" in [c for c, _ in cands]  # then the char model's readings
    assert len(cands) == 5 and all(a[1] >= b[1] for a, b in itertools.pairwise(cands))
    assert lang.arabizi_to_arabic("", n=2) == [("", 0.0)]
    with pytest.raises(LangInputError):
        lang.arabizi_to_arabic("x", n=0)


def test_arabic_to_arabizi() -> None:
    assert lang.arabic_to_arabizi("شكرا بزاف") == "chkra bzaf"


def _cli(args: list[str], stdin: bytes) -> subprocess.CompletedProcess[bytes]:
    code = "from agadir.cli.lang import app; app(prog_name='lang')"
    return subprocess.run(
        [sys.executable, "-c", code, *args], input=stdin, capture_output=True, timeout=60
    )


def test_cli_id_json_and_bad_utf8(tmp_path: Path) -> None:
    out = _cli(["id", "--format", "json"], b"salam khouya\n\n")
    assert out.returncode == 0, out.stderr
    assert b'"ary_Latn"' in out.stdout and b'"und"' in out.stdout
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"ok line\n\xff\xfe broken\n")
    code = (
        "import sys\nfrom agadir.cli.lang import app\nfrom agadir.errors import AgadirError\n"
        "try:\n    app(['id', sys.argv[1]], standalone_mode=False)\n"
        "except AgadirError as e:\n    print(e.message); sys.exit(2)\n"
    )
    res = subprocess.run([sys.executable, "-c", code, str(bad)], capture_output=True, timeout=60)
    assert res.returncode == 2 and b"line 2" in res.stdout
