"""Issue 12 regressions: short everyday Darija lines, MSA with or without harakat, common words.

The tables are the ones a new user tried (see docs/languages.md); the property test checks
that harakat, shadda and tatweel never decide an MSA line's label (the features fold them).
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agadir import lang
from agadir.lang._fold import fold_text
from agadir.lang.lid_markers import VARIETIES, marker_table, word_hash

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"

_MARKS = ["\u064e", "\u064f", "\u0650", "\u0652", "\u0651", "\u064b", "\u064c", "\u064d", "\u0640"]
#: MSA lines written for this test (not from any data set), bare and vocalised forms are drawn.
_MSA = [
    "هل تستطيع مساعدتي؟",
    "ذهب الطالب إلى المكتبة ليقرأ كتابا جديدا.",
    "يجب على الحكومة أن تهتم بالتعليم والصحة.",
    "لماذا لم تحضر الاجتماع أمس؟",
    "هذه المدينة جميلة جدا في فصل الربيع.",
    "أين تقع محطة القطار من فضلك؟",
    "سوف نسافر إلى مراكش في الأسبوع القادم.",
    "إن العلم نور والجهل ظلام.",
]


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("واش عندك شي وقت دابا؟", "ary_Arab"),
        ("بغيت نمشي للسوق غدا", "ary_Arab"),
        ("شنو سميتك؟", "ary_Arab"),
        ("ڭاع ما فهمتش", "ary_Arab"),
        ("هل تستطيع مساعدتي؟", "arb_Arab"),
    ],
)
def test_issue_lid_table(text: str, label: str) -> None:
    assert lang.identify(text)[0][0] == label


@pytest.mark.parametrize(
    ("arabizi", "arabic"),
    [("safi", "صافي"), ("sahbi", "صاحبي"), ("chokran", "شكرا"), ("salam 3likom", "السلام عليكم")],
)
def test_issue_transliteration_table(arabizi: str, arabic: str) -> None:
    assert lang.arabizi_to_arabic(arabizi)[0][0] == arabic


def test_french_and_english_words_can_stay_latin() -> None:
    text = "ana f taxi w ma kaynch wifi"
    kept = lang.arabizi_to_arabic(text, keep_latin=True)[0][0]
    assert "taxi" in kept and "wifi" in kept and "كاينش" in kept
    default = lang.arabizi_to_arabic(text)[0][0]
    assert "taxi" not in default  # the default writes everything in Arabic script


def _msa_lines() -> list[str]:
    lines = list(_MSA)
    dev = DATA / "lid" / "dev.tsv"
    if dev.is_file():
        with dev.open(encoding="utf-8", newline="") as fh:
            rows = csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
            lines += [r[1] for r in rows if len(r) >= 2 and r[0] == "arb_Arab"][:200]
    return lines


_LINES = _msa_lines()


@st.composite
def _vocalised(draw: st.DrawFn) -> tuple[str, str]:
    """An MSA line and the same line with random harakat/shadda/tatweel added or removed."""
    line = draw(st.sampled_from(_LINES))
    out = []
    for ch in line:
        if draw(st.booleans()) and ch in _MARKS:
            continue  # remove a mark the line already had
        out.append(ch)
        if "\u0621" <= ch <= "\u064a" and draw(st.integers(0, 3)) == 0:
            out.append(draw(st.sampled_from(_MARKS)))
    return line, "".join(out)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_vocalised())
def test_harakat_never_change_an_msa_lines_label(pair: tuple[str, str]) -> None:
    line, vocalised = pair
    assert lang.identify(vocalised)[0][0] == lang.identify(line)[0][0]


def test_vocalised_msa_keeps_its_label() -> None:
    vocalised = "هَلْ تَسْتَطِيعُ مُسَاعَدَتِي؟"
    assert lang.identify(vocalised) == lang.identify("هل تستطيع مساعدتي؟")
    assert lang.identify(vocalised)[0][0] == "arb_Arab"


def test_folding_and_marker_table() -> None:
    assert fold_text("هَلْ أَنـــتَ هُنَا؟") == "هل انت هنا "
    hashes, classes = marker_table()
    assert len(hashes) == len(classes) > 100
    assert list(hashes) == sorted(hashes)
    for word, variety in (("دابا", "ary"), ("ڭاع", "ary"), ("دلوقتي", "arz"), ("هل", "arb")):
        i = int(np.searchsorted(hashes, np.uint64(word_hash(fold_text(word)))))
        assert VARIETIES[int(classes[i])] == variety
