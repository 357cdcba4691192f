"""Bootstrap intervals and paired significance tests over additive per-sample statistics.

A metric's value is ``aggregate(sum of rows)`` (see `scorers/base.py`). A bootstrap resample
draws rows with replacement; its sum is ``counts @ rows`` with multinomial counts, so 1,000
resamples of a few hundred rows are one matrix product. Paired tests use the same rows of two
runs on the same samples:

- paired bootstrap: resample sample indices once, score both runs on them, and report the
  share of resamples where the difference changes sign (two-sided p, as sacrebleu does);
- approximate randomisation (permutation): swap the two runs' rows per sample at random and
  count differences at least as large as the observed one; ``p = (c + 1) / (n + 1)``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from agadir.evals.scorers.base import Aggregate

RESAMPLES = 1000


@dataclass(frozen=True)
class Estimate:
    value: float
    low: float
    high: float
    n: int

    def to_dict(self) -> dict[str, float | int]:
        return {"value": self.value, "low": self.low, "high": self.high, "n": self.n}


def _values(aggregate: Aggregate, sums: np.ndarray) -> np.ndarray:
    return np.array([aggregate(row) for row in sums])


def bootstrap(
    rows: np.ndarray, aggregate: Aggregate, resamples: int = RESAMPLES, seed: int = 0
) -> Estimate:
    """The metric over ``rows`` (n x d) with a percentile 95 % bootstrap interval."""
    n = len(rows)
    if n == 0:
        return Estimate(float("nan"), float("nan"), float("nan"), 0)
    value = aggregate(rows.sum(axis=0))
    rng = np.random.default_rng(seed)
    counts = rng.multinomial(n, np.full(n, 1.0 / n), size=resamples)
    values = _values(aggregate, counts @ rows)
    values = values[~np.isnan(values)]
    if len(values) == 0:
        return Estimate(value, float("nan"), float("nan"), n)
    low, high = np.percentile(values, [2.5, 97.5])
    return Estimate(value, float(low), float(high), n)


@dataclass(frozen=True)
class PairedTest:
    delta: float
    low: float
    high: float
    p_bootstrap: float
    p_permutation: float
    n: int

    def to_dict(self) -> dict[str, float | int]:
        return asdict(self)


def paired(
    a: np.ndarray,
    b: np.ndarray,
    aggregate: Aggregate,
    resamples: int = RESAMPLES,
    seed: int = 0,
) -> PairedTest:
    """Test ``metric(b) - metric(a)`` on rows of the same samples, in the same order."""
    n = len(a)
    delta = aggregate(b.sum(axis=0)) - aggregate(a.sum(axis=0))
    rng = np.random.default_rng(seed)
    counts = rng.multinomial(n, np.full(n, 1.0 / n), size=resamples)
    diffs = _values(aggregate, counts @ b) - _values(aggregate, counts @ a)
    diffs = diffs[~np.isnan(diffs)]
    if len(diffs) == 0 or np.isnan(delta):
        return PairedTest(delta, float("nan"), float("nan"), 1.0, 1.0, n)
    low, high = np.percentile(diffs, [2.5, 97.5])
    flipped = np.sum(diffs <= 0) if delta > 0 else np.sum(diffs >= 0)
    p_boot = min(1.0, 2.0 * (flipped + 1) / (len(diffs) + 1)) if delta != 0 else 1.0
    swap = rng.random((resamples, n)) < 0.5
    diff_rows = b - a
    # swapping a and b for a sample subtracts twice its difference from the paired sum
    sum_a, sum_b = a.sum(axis=0), b.sum(axis=0)
    shift = swap.astype(float) @ diff_rows
    perm = _values(aggregate, sum_b - shift) - _values(aggregate, sum_a + shift)
    extreme = np.sum(np.abs(perm) >= abs(delta) - 1e-12)
    p_perm = float((extreme + 1) / (resamples + 1))
    return PairedTest(float(delta), float(low), float(high), float(p_boot), p_perm, n)
