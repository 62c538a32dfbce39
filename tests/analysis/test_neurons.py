"""Neuron-level metrics on hand-built weights: stored features, mono/polysemantic neurons,
primary and secondary features, superposition, alignment and purity."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from toy_superposition.analysis import neurons


def batch(rows: list[list[float]]) -> torch.Tensor:
    """One (n, m) weight matrix (features × neurons) as a float64 (1, n, m) tensor."""
    return torch.tensor([rows], dtype=torch.float64)


#: Tied ReLU hidden layer weights, features × neurons: neuron 0 stores feature 0 alone,
#: neuron 1 stores features 1 and 2 (0.8 and 0.6), neuron 2 is all zero; feature 3 has a
#: negative weight on neuron 0 (it can never drive it: inputs are non-negative) and a
#: small one on neuron 1 (0.2 of the largest: gain 0.04 < 0.1 of the largest gain).
RELU_HIDDEN = [
    [1.0, 0.0, 0.0],
    [0.0, 0.8, 0.0],
    [0.0, 0.6, 0.0],
    [-0.5, 0.16, 0.0],
]


def test_stored_features_of_a_hand_built_relu_hidden_layer():
    W = batch(RELU_HIDDEN)
    stored = neurons.stored_features(W)[0]
    assert stored.tolist() == [
        [True, False, False],
        [False, True, False],
        [False, True, False],
        [False, False, False],
    ]
    assert neurons.polysemanticity(stored[None])[0].tolist() == [1, 2, 0]
    assert neurons.neuron_kind(stored[None])[0].tolist() == [neurons.MONOSEMANTIC, neurons.POLYSEMANTIC, neurons.NONE]
    assert neurons.primary_feature(W, stored[None])[0].tolist() == [0, 1, -1]
    secondary = neurons.secondary_features(W, stored[None])[0]
    assert secondary.nonzero().tolist() == [[2, 1]]
    assert neurons.features_in_superposition(stored[None])[0].tolist() == [False, True, True, False]


def test_gain_is_drive_times_positive_output_weight():
    W = batch(RELU_HIDDEN)
    gain = neurons.gain(W)[0]
    assert gain[0, 0] == 1.0
    assert gain[3, 0] == 0.0  # negative weight: no drive with x >= 0
    assert gain[1, 1] == pytest.approx(0.64)
    assert gain[3, 1] == pytest.approx(0.16**2)
    # Signed inputs: the negative weight drives the neuron, but writing back −0.5 is no gain.
    assert neurons.gain(W, signed=True)[0, 3, 0] == 0.0


@pytest.mark.parametrize(("weight", "stored"), [(0.30, False), (0.33, True)])
def test_tied_threshold_is_the_square_root_of_the_gain_fraction(weight, stored):
    """With tied weights the gain is w², so the 0.1 gain fraction is a weight ratio of √0.1 ≈ 0.316."""
    W = batch([[1.0], [weight]])
    assert bool(neurons.stored_features(W)[0, 1, 0]) is stored


def test_untied_signed_weights_store_features_read_with_either_sign():
    """Absolute-value model style: neuron 0 reads −x_0 and writes + to output 0 (a ReLU(−x) neuron)."""
    W1 = batch([[-1.0, 0.0], [0.0, 2.0]])
    W2 = torch.tensor([[[0.5, 0.0], [0.0, 1.0]]], dtype=torch.float64)  # (1, m, n)
    assert neurons.stored_features(W1, W2, signed=True)[0].tolist() == [[True, False], [False, True]]
    # With non-negative inputs, the negative weight cannot drive neuron 0: it stores nothing.
    assert neurons.stored_features(W1, W2, signed=False)[0].tolist() == [[False, False], [False, True]]


def test_a_neuron_that_only_inhibits_stores_nothing():
    """It reads x_0 and writes −1 to output 1: no gain, so no stored feature, though alive."""
    W1 = batch([[1.0, 1.0], [0.0, 0.0]])
    W2 = torch.tensor([[[1.0, 0.0], [0.0, -1.0]]], dtype=torch.float64)
    assert neurons.alive(W1, W2, signed=True)[0].tolist() == [True, True]
    assert neurons.polysemanticity(neurons.stored_features(W1, W2, signed=True))[0].tolist() == [1, 0]


def test_dead_neuron_relative_to_the_strongest():
    W = batch([[1.0, 0.05, 0.2]])  # strengths 1, 0.0025, 0.04 (w²)
    assert neurons.alive(W)[0].tolist() == [True, False, True]


def test_effective_features_is_a_participation_ratio():
    W = batch([[1.0, 0.8, 0.5, 0.0], [0.0, 0.6, 0.5, 0.0], [0.0, 0.0, 0.5, 0.0]])
    expected = [1.0, 1.0 / (0.8**4 + 0.6**4), 3.0, 0.0]
    torch.testing.assert_close(neurons.effective_features(W)[0], torch.tensor(expected, dtype=torch.float64))


def test_basis_alignment_and_neuron_purity():
    identity = batch([[1.0, 0.0], [0.0, 1.0]])
    assert neurons.basis_alignment(identity)[0].tolist() == [1.0, 1.0]
    assert neurons.neuron_purity(identity)[0].tolist() == [1.0, 1.0]
    # A 45° rotation spreads every feature evenly over the two neurons and vice versa.
    c = 1 / math.sqrt(2)
    rotated = batch([[c, c], [-c, c]])
    torch.testing.assert_close(neurons.basis_alignment(rotated)[0], torch.full((2,), 0.5, dtype=torch.float64))
    torch.testing.assert_close(neurons.neuron_purity(rotated)[0], torch.full((2,), 0.5, dtype=torch.float64))
    # Zero rows and columns are 0, not NaN.
    assert neurons.basis_alignment(batch([[0.0, 0.0]]))[0].tolist() == [0.0]
    assert neurons.neuron_purity(batch([[1.0, 0.0]]))[0].tolist() == [1.0, 0.0]


def test_neuron_order_by_primary_feature_then_strength_nothing_last():
    primary = torch.tensor([2, -1, 0, 2, 1])
    strength = torch.tensor([0.5, 9.0, 1.0, 0.7, 0.1])
    assert neurons.neuron_order(primary, strength) == [2, 4, 3, 0, 1]


weights = hnp.arrays(
    dtype="float64", shape=st.tuples(st.integers(2, 6), st.integers(1, 5)),
    elements=st.floats(-2, 2, allow_nan=False, allow_subnormal=False),
)


@settings(max_examples=60, deadline=None)
@given(weights, st.data())
def test_metrics_are_invariant_to_rescaling_a_hidden_unit(W, data):
    """W1[:, k]·α, W2[k, :]/α (α > 0) is the same model: nothing neuron-level may change."""
    n, m = W.shape
    W1 = torch.tensor(W)[None]
    W2 = torch.tensor(data.draw(hnp.arrays("float64", (m, n), elements=st.floats(-2, 2, allow_subnormal=False))))[None]
    alpha = torch.tensor(data.draw(st.lists(st.floats(0.25, 4.0), min_size=m, max_size=m)), dtype=torch.float64)
    scaled1, scaled2 = W1 * alpha[None, None, :], W2 / alpha[None, :, None]
    for signed in (True, False):
        stored = neurons.stored_features(W1, W2, signed=signed)
        assert torch.equal(stored, neurons.stored_features(scaled1, scaled2, signed=signed))
        assert torch.equal(neurons.primary_feature(W1, stored, signed), neurons.primary_feature(scaled1, stored, signed))
        torch.testing.assert_close(neurons.gain(W1, W2, signed), neurons.gain(scaled1, scaled2, signed))


@settings(max_examples=60, deadline=None)
@given(weights, st.randoms(use_true_random=False))
def test_metrics_follow_a_permutation_of_the_neurons(W, random):
    n, m = W.shape
    permutation = list(range(m))
    random.shuffle(permutation)
    W = torch.tensor(W)[None]
    permuted = W[..., permutation]
    stored = neurons.stored_features(W)
    assert torch.equal(neurons.stored_features(permuted), stored[..., permutation])
    assert torch.equal(neurons.polysemanticity(neurons.stored_features(permuted)),
                       neurons.polysemanticity(stored)[..., permutation])
    assert torch.equal(neurons.features_in_superposition(neurons.stored_features(permuted)),
                       neurons.features_in_superposition(stored))
    count = neurons.polysemanticity(stored)
    assert bool(((count >= 0) & (count <= n)).all())
    primary = neurons.primary_feature(W, stored)
    assert bool(((primary == -1) == (count == 0)).all())
