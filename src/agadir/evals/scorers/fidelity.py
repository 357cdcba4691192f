"""Script and language fidelity: does the answer come back in the language and script asked?

The answer's language is `agadir.lang.identify`'s best label; ``script`` compares only the
script half of the label (``ary_Arab`` vs ``arb_Arab`` is a language miss but a script hit).
Where it misleads: LID on a one-word answer is unreliable, and Darija written in Arabic
script close to MSA is often labelled ``arb_Arab`` -- read ``script`` alongside ``language``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from agadir.evals.scorers.base import Metric, Stats, answer_text


def script_of(label: str) -> str:
    return label.rsplit("_", 1)[-1] if "_" in label else label


class FidelityScorer:
    metrics = (Metric("language", scale=100.0, width=1), Metric("script", scale=100.0, width=1))

    def score(
        self, sample: Mapping[str, Any], output: Mapping[str, Any], reference: str | None
    ) -> dict[str, Stats | None]:
        from agadir.lang import identify

        wanted = str(sample[reference or "lang"])
        text = answer_text(output).strip()
        got = identify(text)[0][0] if text else "und"
        return {
            "language": [float(got == wanted), 1.0],
            "script": [float(script_of(got) == script_of(wanted)), 1.0],
        }

    def signatures(self) -> dict[str, str]:
        return {"language": "agadir.lang.identify top-1"}
