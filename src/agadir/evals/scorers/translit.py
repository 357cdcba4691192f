"""Arabizi → Arabic transliteration: exact match and character error rate (CER).

Both compare after Unicode NFC and whitespace collapsing; CER is corpus-level (total edits over
total reference characters), so long items weigh more than one-letter ones. Exact match
misleads on words with several accepted spellings (ة/ه endings, hamza seats): one reference
per item means a valid variant counts as wrong, which CER softens.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from typing import Any

from agadir.evals.scorers.base import Metric, Stats, answer_text, first_line


def levenshtein(a: str, b: str) -> int:
    """Edit distance (insertions, deletions, substitutions each cost 1)."""
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i]
        for j, cb in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def clean(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


class TranslitScorer:
    metrics = (
        Metric("exact", scale=100.0, width=1),
        Metric("cer", higher_is_better=False, scale=100.0, width=1),
    )

    def score(
        self, sample: Mapping[str, Any], output: Mapping[str, Any], reference: str | None
    ) -> dict[str, Stats | None]:
        hyp = clean(first_line(answer_text(output)))
        ref = clean(str(sample[reference or "target"]))
        return {
            "exact": [float(hyp == ref), 1.0],
            "cer": [float(levenshtein(hyp, ref)), float(max(len(ref), 1))],
        }

    def signatures(self) -> dict[str, str]:
        return {"cer": "levenshtein/NFC/whitespace-collapsed/corpus"}
