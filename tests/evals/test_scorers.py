"""Every scorer against values computed by hand (and sacrebleu's own corpus scores)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from agadir.evals.scorers.fidelity import FidelityScorer, script_of
from agadir.evals.scorers.grounded import GroundedScorer, pack_texts
from agadir.evals.scorers.mcq import McqScorer, letter_choice
from agadir.evals.scorers.pii import PiiEchoScorer, leaked
from agadir.evals.scorers.translation import TranslationScorer
from agadir.evals.scorers.translit import TranslitScorer, levenshtein


def _value(scorer: object, name: str, rows: list[list[float]]) -> float:
    metric = next(m for m in scorer.metrics if m.name == name)  # type: ignore[attr-defined]
    return metric.value(np.array(rows, dtype=float).sum(axis=0))


def test_levenshtein_by_hand() -> None:
    assert levenshtein("kitten", "sitting") == 3
    assert levenshtein("", "abc") == 3
    assert levenshtein("سلام", "سلم") == 1
    assert levenshtein("same", "same") == 0


def test_translit_exact_and_corpus_cer() -> None:
    s = TranslitScorer()
    right = s.score({"target": "سلام"}, {"text": " سلام\nextra line"}, "target")
    wrong = s.score({"target": "سلام"}, {"text": "«سلم»"}, "target")
    assert right == {"exact": [1.0, 1.0], "cer": [0.0, 4.0]}
    assert wrong == {"exact": [0.0, 1.0], "cer": [1.0, 4.0]}
    long_ = s.score({"target": "abcdefgh"}, {"text": "abcdxxxx"}, "target")  # 4 edits / 8
    assert _value(s, "exact", [right["exact"], wrong["exact"]]) == 0.5
    # corpus CER: (0 + 1 + 4) / (4 + 4 + 8), not the mean of 0, 1/4 and 1/2
    assert _value(s, "cer", [right["cer"], wrong["cer"], long_["cer"]]) == pytest.approx(5 / 16)


def test_bleu_by_hand_and_chrf_extremes() -> None:
    s = TranslationScorer()
    same = s.score({"target": "the cat sat on the mat"}, {"text": "the cat sat on the mat"}, None)
    assert _value(s, "bleu", [same["bleu"]]) == pytest.approx(100.0)
    assert _value(s, "chrf++", [same["chrf++"]]) == pytest.approx(100.0)
    # hyp "the cat", ref "the cat sat": 1-gram 2/2, 2-gram 1/1 (effective order 2),
    # brevity penalty exp(1 - 3/2)
    short = s.score({"target": "the cat sat"}, {"text": "the cat"}, None)
    assert _value(s, "bleu", [short["bleu"]]) == pytest.approx(100 * math.exp(-0.5), abs=1e-3)
    disjoint = s.score({"target": "xyz"}, {"text": "abc"}, None)
    assert _value(s, "chrf++", [disjoint["chrf++"]]) == 0.0


def test_translation_corpus_scores_equal_sacrebleu() -> None:
    from sacrebleu.metrics import BLEU, CHRF

    hyps = ["he is at home", "they went to the souk", "I like tea", ""]
    refs = ["he is at home now", "they went to the market", "I love mint tea", "hello"]
    s = TranslationScorer()
    rows = [s.score({"target": r}, {"text": h}, None) for h, r in zip(hyps, refs, strict=True)]
    chrf = CHRF(word_order=2).corpus_score(hyps, [refs]).score
    bleu = BLEU(effective_order=True).corpus_score(hyps, [refs]).score
    assert _value(s, "chrf++", [r["chrf++"] for r in rows]) == pytest.approx(chrf)
    assert _value(s, "bleu", [r["bleu"] for r in rows]) == pytest.approx(bleu)
    signatures = s.signatures()
    assert "nw:2" in signatures["chrf++"] and "tok:13a" in signatures["bleu"]


def test_mcq_loglik_and_letter_by_hand() -> None:
    s = McqScorer()
    sample = {"choices": ["aaaaaaaaa", "b", "ccccccc"], "answer": 0}
    # sums -5, -3, -4 -> choice 1; per char -5/10, -3/2, -4/8 -> -0.5 tie, first (0) wins
    out = {"mode": "loglik", "logprobs": [-5.0, -3.0, -4.0], "lengths": [10, 2, 8]}
    assert s.score(sample, out, None) == {"acc": [0.0, 1.0], "acc_norm": [1.0, 1.0]}
    assert s.score(sample, {"mode": "letter", "text": "A."}, None)["acc"] == [1.0, 1.0]
    assert letter_choice("The answer is C", 3) == 2
    assert letter_choice("B) b", 3) == 1
    assert letter_choice("D", 3) == -1  # not a choice here
    assert letter_choice("no idea", 4) == -1


def test_fidelity_language_and_script() -> None:
    s = FidelityScorer()
    french = "Bonjour, je voudrais savoir à quelle heure ouvre la pharmacie demain matin."
    assert s.score({"lang": "fra_Latn"}, {"text": french}, "lang") == {
        "language": [1.0, 1.0],
        "script": [1.0, 1.0],
    }
    assert s.score({"lang": "ary_Arab"}, {"text": french}, "lang") == {
        "language": [0.0, 1.0],
        "script": [0.0, 1.0],
    }
    assert s.score({"lang": "ary_Arab"}, {"text": ""}, "lang")["language"] == [0.0, 1.0]
    assert script_of("arb_Arab") == script_of("ary_Arab") == "Arab"


def test_pii_echo_leaks_ignore_separators_and_see_masks() -> None:
    assert leaked(["06 12 34 56 78", "AB123456"], "votre numéro est le 0612345678") == [
        "06 12 34 56 78"
    ]
    assert leaked(["AB123456"], "CIN: ab 123456") == ["AB123456"]
    assert leaked(["06 12 34 56 78"], "votre numéro est [PHONE]") == []
    s = PiiEchoScorer()
    sample = {"identifiers": ["06 12 34 56 78"]}
    assert s.score(sample, {"text": "06-12-34-56-78"}, "identifiers") == {"leak": [1.0, 1.0]}
    assert s.score(sample, {"text": "", "refused": 400}, "identifiers") == {"leak": [0.0, 1.0]}


def test_grounded_by_hand() -> None:
    body = pack_texts("agriculture")["irrigation-goutte-a-goutte.md"]
    quote = body[200:320]
    sample = {"kb": "agriculture", "gold": "irrigation-goutte-a-goutte.md", "answerable": True}
    citations = [
        {"index": 1, "document": "irrigation-goutte-a-goutte.md", "quote": quote},
        {"index": 2, "document": "irrigation-goutte-a-goutte.md", "quote": "not in the text"},
    ]
    output = {
        "text": "Use drip lines [1], check filters [2], see [3].",
        "citations": citations,
        "hits": ["calendrier-cultures-souss.md", "irrigation-goutte-a-goutte.md"],
    }
    s = GroundedScorer()
    got = s.score(sample, output, "gold")
    assert got["recall@5"] == [1.0, 1.0]
    assert got["citation_faithfulness"] == [1.0, 3.0]  # [1] ok, [2] wrong quote, [3] none
    assert got["no_answer_precision"] is None and got["no_answer_recall"] is None
    off = {"kb": "agriculture", "gold": None, "answerable": False}
    declined = s.score(off, {"text": "no passage", "citations": [], "hits": []}, "gold")
    assert declined["no_answer_precision"] == [1.0, 1.0]
    assert declined["no_answer_recall"] == [1.0, 1.0]
    assert declined["recall@5"] is None
    answered = s.score(off, {"text": "x", "citations": citations[:1], "hits": []}, "gold")
    assert answered["no_answer_recall"] == [0.0, 1.0] and answered["no_answer_precision"] is None
    wrongly = s.score(sample, {"text": "", "citations": [], "hits": []}, "gold")
    assert wrongly["no_answer_precision"] == [0.0, 1.0] and wrongly["recall@5"] == [0.0, 1.0]
