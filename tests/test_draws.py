"""sim.draws: the numbers of numpy's Generator methods, to the bit, and the generator left in the same state."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim import draws

BIT_GENERATORS = [np.random.PCG64, np.random.MT19937, np.random.Philox]
# Enough draws that the ziggurats' rare branches run: the wedges about 1 draw in 50 to 70, the tails
# about 1 in 2,200 (exponential) and 3,900 (normal).
MANY = 200_000


def _pair(bit_generator, seed):
    return np.random.Generator(bit_generator(seed)), np.random.Generator(bit_generator(seed))


def _same_state(a: np.random.Generator, b: np.random.Generator) -> bool:
    return str(a.bit_generator.state) == str(b.bit_generator.state)


@pytest.mark.parametrize("bit_generator", BIT_GENERATORS)
@pytest.mark.parametrize("seed", [0, 1])
def test_exponential_and_lognormal_give_numpy_s_numbers_rare_branches_included(bit_generator, seed):
    mine, numpy_s = _pair(bit_generator, seed)
    out = np.empty(MANY)
    draws.exponential(mine, 0.7, out)
    assert np.array_equal(out, numpy_s.exponential(0.7, MANY))
    assert np.array_equal(draws.lognormal(mine, 0.2, 0.9, np.empty(MANY)), numpy_s.lognormal(0.2, 0.9, MANY))
    assert _same_state(mine, numpy_s)


@pytest.mark.parametrize("shape", [0.0, 0.05, 0.6, 1.0, 1.7, 25.0])
def test_gamma_gives_numpy_s_numbers_for_every_kind_of_shape(shape):
    mine, numpy_s = _pair(np.random.PCG64, 4)
    assert np.array_equal(draws.gamma(mine, shape, 1.5, np.empty(MANY // 4)), numpy_s.gamma(shape, 1.5, MANY // 4))
    assert _same_state(mine, numpy_s)


@settings(deadline=None)  # the first call may compile
@given(
    seed=st.integers(0, 2**32 - 1),
    size=st.integers(0, 40),
    scale=st.floats(1e-3, 1e3),
    mean=st.floats(-5, 12),
    sigma=st.floats(0, 3),
    shape=st.floats(0.01, 100),
)
def test_any_parameters_give_numpy_s_numbers(seed, size, scale, mean, sigma, shape):
    mine, numpy_s = _pair(np.random.PCG64, seed)
    out = np.empty(size)
    draws.exponential(mine, scale, out)
    assert np.array_equal(out, numpy_s.exponential(scale, size))
    assert np.array_equal(draws.lognormal(mine, mean, sigma, np.empty(size)), numpy_s.lognormal(mean, sigma, size))
    assert np.array_equal(draws.gamma(mine, shape, scale, np.empty(size)), numpy_s.gamma(shape, scale, size))
    assert _same_state(mine, numpy_s)
