"""Reading |x| = ReLU(x) + ReLU(−x) off hand-built absolute-value weights."""

from __future__ import annotations

import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from toy_superposition import absolute_value
from toy_superposition.models import forward


def exact_model(scale: list[float] | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """n=2 features, m=4 neurons: ReLU(x0), ReLU(−x0), ReLU(x1), ReLU(−x1), each hidden unit
    k scaled by ``scale[k]`` on the way in and 1/scale[k] on the way out."""
    scale = torch.tensor(scale or [1.0, 1.0, 1.0, 1.0], dtype=torch.float64)
    W1 = torch.tensor([[1.0, -1.0, 0.0, 0.0], [0.0, 0.0, 1.0, -1.0]], dtype=torch.float64) * scale
    W2 = torch.tensor([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 1.0]], dtype=torch.float64) / scale[:, None]
    return W1[None], W2[None]


def test_the_exact_model_computes_the_absolute_value():
    W1, W2 = exact_model([2.0, 0.5, 1.0, 3.0])
    x = torch.linspace(-1, 1, 9, dtype=torch.float64)
    inputs = torch.stack(torch.meshgrid(x, x, indexing="ij"), dim=-1).reshape(1, -1, 2)
    output, _ = forward("absolute_value", {"W1": W1, "W2": W2, "b": torch.zeros(1, 2, dtype=torch.float64)}, inputs)
    torch.testing.assert_close(output, inputs.abs())


def test_side_neurons_and_pairs_of_the_exact_model():
    W1, W2 = exact_model([2.0, 0.5, 1.0, 3.0])
    feature, side = absolute_value.side_neurons(W1, W2)
    assert feature[0].tolist() == [0, 0, 1, 1]
    assert side[0].tolist() == [1, -1, 1, -1]
    positive, negative = absolute_value.absolute_value_pairs(W1, W2)
    assert positive[0].tolist() == [1, 1] and negative[0].tolist() == [1, 1]
    assert absolute_value.has_pair(W1, W2)[0].tolist() == [True, True]
    gains = absolute_value.gains(W1, W2)[0]
    torch.testing.assert_close(gains, torch.tensor([[1.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 1.0]], dtype=torch.float64))


def test_rescaling_sets_the_largest_input_weight_to_one_and_keeps_the_model():
    W1, W2 = exact_model([2.0, 0.5, 1.0, 3.0])
    scaled1, scaled2 = absolute_value.rescale_hidden_units(W1, W2)
    reference1, reference2 = exact_model()
    torch.testing.assert_close(scaled1, reference1)
    torch.testing.assert_close(scaled2, reference2)


def test_a_missing_side_breaks_the_pair():
    W1, W2 = exact_model()
    W1[0, 0, 1] = 0.0  # neuron 1 no longer reads −x0
    W2[0, 1, 0] = 0.0
    assert absolute_value.has_pair(W1, W2)[0].tolist() == [False, True]
    feature, side = absolute_value.side_neurons(W1, W2)
    assert feature[0, 1] == -1 and side[0, 1] == 0


def test_a_neuron_writing_negatively_is_not_a_side_neuron():
    W1, W2 = exact_model()
    W2[0, 0, 0] = -1.0  # ReLU(x0) subtracted from output 0
    feature, side = absolute_value.side_neurons(W1, W2)
    assert feature[0, 0] == -1 and side[0, 0] == 0
    assert absolute_value.has_pair(W1, W2)[0].tolist() == [False, True]


def test_a_polysemantic_neuron_is_not_a_side_neuron():
    W1, W2 = exact_model()
    W1[0, 1, 0] = 0.8  # neuron 0 now reads x0 and x1 ...
    W2[0, 0, 1] = 1.0  # ... and writes both back
    feature, side = absolute_value.side_neurons(W1, W2)
    assert feature[0, 0] == -1 and side[0, 0] == 0


@settings(max_examples=50, deadline=None)
@given(hnp.arrays("float64", (3, 4), elements=st.floats(-2, 2, allow_subnormal=False)),
       hnp.arrays("float64", (4, 3), elements=st.floats(-2, 2, allow_subnormal=False)),
       hnp.arrays("float64", (3,), elements=st.floats(-1, 1, allow_subnormal=False)))
def test_rescaling_never_changes_the_function(W1, W2, b):
    W1, W2, b = torch.tensor(W1)[None], torch.tensor(W2)[None], torch.tensor(b)[None]
    scaled1, scaled2 = absolute_value.rescale_hidden_units(W1, W2)
    largest = scaled1.abs().amax(dim=-2)
    nonzero = W1.abs().amax(dim=-2) > 0
    torch.testing.assert_close(largest[nonzero], torch.ones_like(largest[nonzero]))
    x = torch.rand(1, 16, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(0)) * 2 - 1
    original, _ = forward("absolute_value", {"W1": W1, "W2": W2, "b": b}, x)
    rescaled, _ = forward("absolute_value", {"W1": scaled1, "W2": scaled2, "b": b}, x)
    torch.testing.assert_close(original, rescaled)
    assert torch.equal(absolute_value.has_pair(W1, W2), absolute_value.has_pair(scaled1, scaled2))
