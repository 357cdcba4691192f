"""Multiple choice: accuracy from choice log-likelihoods, or from a generated letter.

``loglik`` mode (the endpoint returned prompt logprobs with ``echo``): the prediction is the
choice with the highest summed logprob (``acc``) and per character (``acc_norm``, as
lm-evaluation-harness defines it). ``letter`` mode (fallback for endpoints without prompt
logprobs): the first choice letter in the answer; ``acc_norm`` equals ``acc`` there. The mode of
every sample is kept in the output and reported, because the two are not comparable: letter
answers need instruction following that a small base model lacks.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from agadir.evals.scorers.base import Metric, Stats, answer_text

LETTERS = "ABCDEFGHIJ"


def letter_choice(text: str, n: int) -> int:
    """Index of the first standalone choice letter in ``text`` (``-1`` when there is none)."""
    match = re.search(rf"\b([{LETTERS[:n]}])\b", text.strip())
    return LETTERS.index(match.group(1)) if match else -1


def argmax(values: list[float]) -> int:
    return max(range(len(values)), key=lambda i: values[i])


def predictions(output: Mapping[str, Any], n: int) -> tuple[int, int]:
    """(prediction by summed logprob, prediction normalised by length)."""
    if output.get("mode") == "loglik":
        logprobs = [float(x) for x in output["logprobs"]]
        lengths = [max(int(x), 1) for x in output["lengths"]]
        normed = [lp / length for lp, length in zip(logprobs, lengths, strict=True)]
        return argmax(logprobs), argmax(normed)
    pick = letter_choice(answer_text(output), n)
    return pick, pick


class McqScorer:
    metrics = (Metric("acc", scale=100.0, width=1), Metric("acc_norm", scale=100.0, width=1))

    def score(
        self, sample: Mapping[str, Any], output: Mapping[str, Any], reference: str | None
    ) -> dict[str, Stats | None]:
        answer = int(sample["answer"])
        pred, pred_norm = predictions(output, len(sample["choices"]))
        return {"acc": [float(pred == answer), 1.0], "acc_norm": [float(pred_norm == answer), 1.0]}

    def signatures(self) -> dict[str, str]:
        return {"acc": "argmax sum logprob | first letter", "acc_norm": "argmax logprob/chars"}
