"""sim.streams: each generator is numpy's child of SeedSequence(seed), whichever path computes its state."""

import pickle

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.streams import FLOW, WORK, generator

keys = st.integers(0, 2**32 - 1)


def _numpy_child(seed: int, replication: int, purpose: int, index: int) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(replication, purpose, index))))


@settings(deadline=None)  # the first call may compile
@given(seed=st.one_of(st.integers(0, 2**32 - 1), st.integers(0, 2**63 - 1)), replication=keys, purpose=keys, index=keys)
def test_the_compiled_seed_hash_gives_numpy_s_state(seed, replication, purpose, index):
    mine, numpy_s = generator(seed, replication, purpose, index), _numpy_child(seed, replication, purpose, index)
    assert mine.bit_generator.state == numpy_s.bit_generator.state
    assert np.array_equal(mine.random(3), numpy_s.random(3))


@settings(deadline=None)  # the first call may compile
@given(seed=st.one_of(st.integers(2**63, 2**130), st.integers(0, 9)), replication=st.integers(2**32, 2**70))
def test_seeds_and_keys_beyond_the_compiled_range_still_give_numpy_s_state(seed, replication):
    assert (
        generator(seed, replication, WORK, 2).bit_generator.state
        == _numpy_child(seed, replication, WORK, 2).bit_generator.state
    )


def test_the_streams_of_one_seed_differ_by_replication_purpose_and_index():
    firsts = {generator(11, r, p, i).random() for r in range(3) for p in (WORK, FLOW) for i in range(3)}
    assert len(firsts) == 18


def test_a_generator_s_seed_sequence_spawns_and_describes_itself_as_numpy_s():
    # scipy's Latin hypercube and numpy's Generator.spawn spawn from the generator's seed sequence.
    mine, numpy_s = generator(5, 2, WORK, 1), _numpy_child(5, 2, WORK, 1)
    ours, theirs = mine.bit_generator.seed_seq, numpy_s.bit_generator.seed_seq
    assert [c.state for c in ours.spawn(3)] == [c.state for c in theirs.spawn(3)]
    assert (ours.entropy, ours.spawn_key, ours.n_children_spawned) == (theirs.entropy, theirs.spawn_key, 3)
    assert np.array_equal(ours.generate_state(3), theirs.generate_state(3))
    assert np.array_equal(mine.spawn(1)[0].random(4), numpy_s.spawn(1)[0].random(4))
    copy = pickle.loads(pickle.dumps(mine))  # as a generator travels to another process
    assert np.array_equal(copy.random(4), mine.random(4)) and copy.bit_generator.seed_seq.spawn_key == (2, WORK, 1)
