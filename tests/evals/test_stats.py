"""Bootstrap intervals and paired tests on controlled data."""

from __future__ import annotations

import numpy as np
import pytest

from agadir.evals.scorers.base import ratio
from agadir.evals.stats import bootstrap, paired


def _rows(values: list[float]) -> np.ndarray:
    return np.array([[v, 1.0] for v in values])


def test_bootstrap_interval_contains_the_value_and_is_degenerate_when_constant() -> None:
    constant = bootstrap(_rows([1.0] * 30), ratio)
    assert (constant.value, constant.low, constant.high, constant.n) == (1.0, 1.0, 1.0, 30)
    mixed = bootstrap(_rows([1.0] * 20 + [0.0] * 20), ratio)
    assert mixed.value == 0.5
    assert 0.3 < mixed.low < 0.5 < mixed.high < 0.7
    assert bootstrap(np.zeros((0, 2)), ratio).n == 0


def test_paired_tests_find_a_real_difference_and_not_a_null_one() -> None:
    a = _rows([0.0] * 50)
    b = _rows([1.0] * 50)
    test = paired(a, b, ratio)
    assert test.delta == 1.0 and test.low == test.high == 1.0
    assert test.p_permutation == pytest.approx(1 / 1001)
    assert test.p_bootstrap < 0.01
    same = paired(_rows([1.0, 0.0] * 25), _rows([1.0, 0.0] * 25), ratio)
    assert same.delta == 0.0 and same.p_permutation == 1.0 and same.p_bootstrap == 1.0
    # one sample of 50 differs: far from significant
    one = paired(_rows([0.0] * 50), _rows([1.0] + [0.0] * 49), ratio)
    assert one.p_permutation > 0.3
