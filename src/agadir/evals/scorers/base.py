"""What every scorer returns: additive statistics per sample, and how to aggregate them.

Every metric is a function of the *sum* of per-sample statistic vectors: a mean is
``(value, 1)``, a ratio ``(hits, trials)``, corpus BLEU/chrF their sacrebleu sufficient
statistics. One representation makes corpus metrics, slices, bootstrap intervals and paired
tests the same code: resample rows, sum, aggregate. A sample a metric does not apply to
(a citation check on a refused answer) contributes no statistics (``None``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

Stats = list[float]
Aggregate = Callable[[np.ndarray], float]


def ratio(stats: np.ndarray) -> float:
    return float(stats[0] / stats[1]) if stats[1] else float("nan")


@dataclass(frozen=True)
class Metric:
    name: str
    aggregate: Aggregate = ratio
    higher_is_better: bool = True
    width: int = 2
    scale: float = 1.0  # for display only: 100 for percentages

    def value(self, summed: np.ndarray) -> float:
        return self.aggregate(summed)


class Scorer(Protocol):
    metrics: tuple[Metric, ...]

    def score(
        self, sample: Mapping[str, Any], output: Mapping[str, Any], reference: str | None
    ) -> dict[str, Stats | None]: ...

    def signatures(self) -> dict[str, str]: ...


def answer_text(output: Mapping[str, Any]) -> str:
    return str(output.get("text") or "")


def first_line(text: str) -> str:
    """A model's answer up to its first line break, trimmed of quotes (for short-form tasks)."""
    line = text.strip().split("\n", 1)[0].strip()
    return line.strip("\"'«»“”`").strip()
