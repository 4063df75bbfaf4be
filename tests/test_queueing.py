"""Analytic queueing formulas against textbook values and the direct Erlang C formula."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, strategies as st

from sim.queueing import erlang_c, mean_wait, reps_needed, utilisation


def _erlang_c_direct(load: float, c: int) -> float:
    rho = load / c
    top = load**c / math.factorial(c) / (1 - rho)
    return top / (sum(load**k / math.factorial(k) for k in range(c)) + top)


def test_textbook_values():
    # M/M/1: P(wait) = rho, Wq = rho / (mu - lambda).
    assert erlang_c(0.8, 1.0, 1) == pytest.approx(0.8)
    assert mean_wait(0.8, 1.0, 1) == pytest.approx(0.8 / 0.2)
    # M/M/2 at a = 1: P(wait) = 1/3, Wq = 1/3.
    assert mean_wait(1.0, 1.0, 2) == pytest.approx(1 / 3)
    assert mean_wait(5.0, 1.0, 5) == math.inf and erlang_c(6, 1, 5) == 1.0


@given(c=st.integers(1, 60), rho=st.floats(0.01, 0.99), work=st.floats(0.05, 5))
def test_stable_recursion_equals_direct_formula(c, rho, work):
    rate = rho * c / work
    assert erlang_c(rate, work, c) == pytest.approx(_erlang_c_direct(rho * c, c), rel=1e-7)


@given(rate=st.floats(0.1, 500), work=st.floats(0.01, 5), cap=st.floats(0.3, 0.99))
def test_reps_needed_is_the_fewest_that_fit(rate, work, cap):
    n = reps_needed(rate, work, cap)
    assert utilisation(rate, work, n) <= cap + 1e-9
    assert n == 1 or utilisation(rate, work, n - 1) > cap - 1e-9
