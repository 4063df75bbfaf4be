"""Analytic queueing formulas against textbook values and the direct Erlang C formula."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, strategies as st

import numpy as np

from sim.queueing import allen_cunneen_wait, erlang_c, mean_wait, reps_needed, time_varying_queue, utilisation


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


@given(c=st.integers(1, 30), rho=st.floats(0.05, 0.95), work=st.floats(0.05, 2), scv=st.floats(0, 4))
def test_time_varying_queue_settles_to_the_stationary_queue(c, rho, work, scv):
    rate = rho * c / work
    days = int(60 * work / (1 - rho) ** 2) + 10  # many relaxation times of the queue
    ahead, busy, waits = time_varying_queue(np.full(days, rate), work, scv, c)
    assert busy[-1] == pytest.approx(rho, rel=1e-3) and waits[-1] == pytest.approx(
        erlang_c(rate, work, c), rel=1e-2, abs=1e-4
    )
    # the wait of an arriving lead: the reps work off the leads ahead of it
    assert ahead[-1] * work / c == pytest.approx(float(allen_cunneen_wait(rate, work, scv, c)), rel=0.02, abs=1e-6)


def test_time_varying_queue_builds_up_after_a_surge_and_grows_as_a_fluid_when_overloaded():
    calm, surge = np.full(60, 1.0), np.full(30, 1.9)  # M/M/2, 50% then 95% busy
    ahead = time_varying_queue(np.r_[calm, surge], 1.0, 1.0, 2)[0]
    stationary = float(allen_cunneen_wait(1.9, 1.0, 1.0, 2)) * 2
    assert ahead[59] == pytest.approx(float(allen_cunneen_wait(1.0, 1.0, 1.0, 2)) * 2, rel=0.02)
    assert np.all(np.diff(ahead[60:]) > 0) and ahead[65] < 0.5 * stationary and ahead[-1] < stationary
    ahead, busy, _ = time_varying_queue(np.full(100, 5.0), 1.0, 1.0, 3)  # 5 leads a day, 3 a day worked
    assert np.mean(np.diff(ahead[50:])) == pytest.approx(2.0, rel=0.03) and busy[-1] > 0.99
    ahead, busy, waits = time_varying_queue(np.full(10, 3.0), 1.0, 1.0, 0)  # nobody works: everything waits
    assert np.diff(ahead) == pytest.approx(np.full(9, 3.0)) and (busy == 1).all() and (waits == 1).all()
