"""Translation: corpus chrF++ and BLEU from sacrebleu, with their signatures.

Per-sample sufficient statistics come from sacrebleu itself (``_extract_corpus_statistics``,
the same vectors its own paired bootstrap resamples), so the corpus score of any subset, slice
or bootstrap resample is exact, not a mean of sentence scores.

Where it misleads: chrF rewards shared character n-grams, so Arabizi spelling variation
(``3`` / ``a``, ``kh`` / ``5``) costs points for a correct answer, and BLEU's 13a tokeniser
treats Tifinagh and Arabic words as units with no morphological credit.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from sacrebleu.metrics import BLEU, CHRF

from agadir.evals.scorers.base import Metric, Stats, answer_text, first_line


class TranslationScorer:
    def __init__(self) -> None:
        self.chrf = CHRF(word_order=2)
        self.bleu = BLEU(effective_order=True)
        self.metrics = (
            Metric("chrf++", self._chrf, scale=1.0, width=1),
            Metric("bleu", self._bleu, scale=1.0, width=1),
        )

    def _chrf(self, summed: np.ndarray) -> float:
        return float(self.chrf._compute_score_from_stats(list(summed)).score)

    def _bleu(self, summed: np.ndarray) -> float:
        return float(self.bleu._compute_score_from_stats(list(summed)).score)

    def score(
        self, sample: Mapping[str, Any], output: Mapping[str, Any], reference: str | None
    ) -> dict[str, Stats | None]:
        hyp = first_line(answer_text(output))
        ref = str(sample[reference or "target"])
        chrf = self.chrf._extract_corpus_statistics([hyp], [[ref]])[0]
        bleu = self.bleu._extract_corpus_statistics([hyp], [[ref]])[0]
        return {"chrf++": [float(x) for x in chrf], "bleu": [float(x) for x in bleu]}

    def signatures(self) -> dict[str, str]:
        return {"chrf++": str(self.chrf.get_signature()), "bleu": str(self.bleu.get_signature())}
