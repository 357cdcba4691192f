"""`FastGopherRepetition` must decide exactly as datatrove's `GopherRepetitionFilter`."""

from __future__ import annotations

import random
import sys
from pathlib import Path
from typing import Any

from datatrove.data import Document
from datatrove.pipeline.filters.gopher_repetition_filter import GopherRepetitionFilter

from agadir.corpus.quality import settings_for
from agadir.corpus.repetition import FastGopherRepetition
from agadir.corpus.words import RegexWordTokenizer

from .conftest import FINEWEB2

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from make_messy_corpus import generate


def _pair(lang: str, **kw: Any) -> tuple[GopherRepetitionFilter, FastGopherRepetition]:
    tok = RegexWordTokenizer(lang, whitespace=lang.endswith("_Tfng"))
    return GopherRepetitionFilter(language=tok, **kw), FastGopherRepetition(language=tok, **kw)


def _repetitive(rng: random.Random, text: str) -> str:
    """Planted repetition: a repeated line, a repeated phrase, or words glued differently."""
    words = text.split()
    k = rng.randrange(3)
    if k == 0 and words:
        phrase = " ".join(words[: rng.randint(2, 12)])
        return text + ("\n" + phrase) * rng.randint(1, 4)
    if k == 1:
        return " ".join(words + words[: len(words) // rng.randint(1, 4)])
    # "ab c" and "a bc" glue to the same Gopher n-gram: both implementations must agree
    return text + " ab c d e f g h i j " * 2 + " a bc d e f g h i j"


def test_same_decisions_as_datatrove_on_messy_documents(shared_data: None) -> None:
    rng = random.Random(3)
    docs = generate(500, 5)
    texts = [d.render() for d in docs] + [_repetitive(rng, d.render()) for d in docs[:300]]
    texts += ["", "x", "a\n\n\na", "word " * 40, "one two three"]
    decisions: dict[str, int] = {}
    for lang in ("ary_Arab", "ary_Latn", "fra_Latn", "zgh_Tfng", "ber_Latn", "eng_Latn"):
        s = settings_for(lang, FINEWEB2 / "configs")
        ref, fast = _pair(
            lang,
            dup_line_frac=s.dup_line_frac,
            top_n_grams=s.top_n_grams,
            dup_n_grams=s.dup_n_grams,
        )
        for i, text in enumerate(texts):
            doc = Document(text=text, id=str(i))
            got, want = fast.filter(doc), ref.filter(doc)
            assert got == want, (lang, i, text[:80])
            key = want if want is True else want[1]
            decisions[str(key)] = decisions.get(str(key), 0) + 1
    # the comparison covered keeps and several different removal rules
    assert decisions["True"] > 0 and len(decisions) >= 4, decisions
