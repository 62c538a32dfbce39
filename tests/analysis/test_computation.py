"""Tests of analysis.computation.

The absolute-value model — Reading |x| = ReLU(x) + ReLU(−x) off hand-built absolute-value weights.

The asymmetric superposition motif — The asymmetric superposition motif detector on the paper's example and variations of it.
"""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from toy_superposition.analysis import computation
from toy_superposition.models import forward

# --- The absolute-value model ------------------------------------------------------------------

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
    feature, side = computation.side_neurons(W1, W2)
    assert feature[0].tolist() == [0, 0, 1, 1]
    assert side[0].tolist() == [1, -1, 1, -1]
    positive, negative = computation.absolute_value_pairs(W1, W2)
    assert positive[0].tolist() == [1, 1] and negative[0].tolist() == [1, 1]
    assert computation.has_pair(W1, W2)[0].tolist() == [True, True]
    gains = computation.gains(W1, W2)[0]
    torch.testing.assert_close(gains, torch.tensor([[1.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 1.0]], dtype=torch.float64))


def test_rescaling_sets_the_largest_input_weight_to_one_and_keeps_the_model():
    W1, W2 = exact_model([2.0, 0.5, 1.0, 3.0])
    scaled1, scaled2 = computation.rescale_hidden_units(W1, W2)
    reference1, reference2 = exact_model()
    torch.testing.assert_close(scaled1, reference1)
    torch.testing.assert_close(scaled2, reference2)


def test_a_missing_side_breaks_the_pair():
    W1, W2 = exact_model()
    W1[0, 0, 1] = 0.0  # neuron 1 no longer reads −x0
    W2[0, 1, 0] = 0.0
    assert computation.has_pair(W1, W2)[0].tolist() == [False, True]
    feature, side = computation.side_neurons(W1, W2)
    assert feature[0, 1] == -1 and side[0, 1] == 0


def test_a_neuron_writing_negatively_is_not_a_side_neuron():
    W1, W2 = exact_model()
    W2[0, 0, 0] = -1.0  # ReLU(x0) subtracted from output 0
    feature, side = computation.side_neurons(W1, W2)
    assert feature[0, 0] == -1 and side[0, 0] == 0
    assert computation.has_pair(W1, W2)[0].tolist() == [False, True]


def test_a_polysemantic_neuron_is_not_a_side_neuron():
    W1, W2 = exact_model()
    W1[0, 1, 0] = 0.8  # neuron 0 now reads x0 and x1 ...
    W2[0, 0, 1] = 1.0  # ... and writes both back
    feature, side = computation.side_neurons(W1, W2)
    assert feature[0, 0] == -1 and side[0, 0] == 0


@settings(max_examples=50, deadline=None)
@given(hnp.arrays("float64", (3, 4), elements=st.floats(-2, 2, allow_subnormal=False)),
       hnp.arrays("float64", (4, 3), elements=st.floats(-2, 2, allow_subnormal=False)),
       hnp.arrays("float64", (3,), elements=st.floats(-1, 1, allow_subnormal=False)))
def test_rescaling_never_changes_the_function(W1, W2, b):
    W1, W2, b = torch.tensor(W1)[None], torch.tensor(W2)[None], torch.tensor(b)[None]
    scaled1, scaled2 = computation.rescale_hidden_units(W1, W2)
    largest = scaled1.abs().amax(dim=-2)
    nonzero = W1.abs().amax(dim=-2) > 0
    torch.testing.assert_close(largest[nonzero], torch.ones_like(largest[nonzero]))
    x = torch.rand(1, 16, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(0)) * 2 - 1
    original, _ = forward("absolute_value", {"W1": W1, "W2": W2, "b": b}, x)
    rescaled, _ = forward("absolute_value", {"W1": scaled1, "W2": scaled2, "b": b}, x)
    torch.testing.assert_close(original, rescaled)
    assert torch.equal(computation.has_pair(W1, W2), computation.has_pair(scaled1, scaled2))

# --- The asymmetric superposition motif --------------------------------------------------------

def paper_example(inhibitor_in: float = 1.0, inhibitor_out: float = -3.0) -> tuple[torch.Tensor, torch.Tensor]:
    """Features a=0, b=1, an unrelated feature 2; neurons:

    * 0: asymmetric superposition, input weights [2, −½], output weights [½, 2] (the paper's);
    * 1: the inhibitor, reads x_a (``inhibitor_in``), writes ``inhibitor_out`` to output b
      and +1 to output a (it also acts as the ReLU(x_a) neuron);
    * 2: a plain ReLU(x_2) neuron.
    """
    W1 = torch.tensor([[2.0, inhibitor_in, 0.0], [-0.5, 0.0, 0.0], [0.0, 0.0, 1.0]], dtype=torch.float64)
    W2 = torch.tensor([[0.5, 2.0, 0.0], [1.0, inhibitor_out, 0.0], [0.0, 0.0, 1.0]], dtype=torch.float64)
    return W1, W2


def test_finds_the_papers_example():
    W1, W2 = paper_example()
    motifs = computation.find_motifs(W1, W2)
    assert len(motifs) == 1
    motif = motifs[0]
    assert (motif.neuron, motif.feature_a, motif.feature_b, motif.partner) == (0, 0, 1, 1)
    assert motif.input_ratio == pytest.approx(4.0)
    assert motif.output_ratio == pytest.approx(4.0)
    assert motif.interference_ab == pytest.approx(4.0)  # |2| · 2: a writes heavily into b
    assert motif.interference_ba == pytest.approx(0.25)  # |−½| · ½: b barely into a
    assert motif.inhibition == pytest.approx(3.0)


def test_candidate_rows_for_every_neuron():
    W1, W2 = paper_example()
    rows = computation.neuron_candidates(W1, W2, instance=7)
    assert [r.neuron for r in rows] == [0, 1, 2] and {r.instance for r in rows} == {7}
    assert [r.features_stored for r in rows] == [2, 1, 1]
    assert rows[2].feature_a == 2 and rows[2].feature_b == -1 and not rows[2].motif
    assert math.isnan(rows[2].input_ratio)


def test_symmetric_superposition_is_not_the_motif():
    W1, W2 = paper_example()
    W1[0, 0], W1[1, 0] = 1.0, -1.0
    W2[0, 0], W2[0, 1] = 1.0, 1.0
    (row, *_) = computation.neuron_candidates(W1, W2)
    assert not row.asymmetric and not row.motif


def test_output_weights_must_be_reciprocal():
    """Input weights 2 and −½ but equal output weights: not asymmetric superposition."""
    W1, W2 = paper_example()
    W2[0, 0], W2[0, 1] = 1.0, 1.0
    assert computation.find_motifs(W1, W2) == []


@pytest.mark.parametrize(
    ("inhibitor_in", "inhibitor_out", "why"),
    [
        (1.0, 3.0, "writes positively to b"),
        (-1.0, -3.0, "fires for the other sign of x_a, when there is no interference"),
        (1.0, -1.0, "inhibits only a quarter of the interference"),
    ],
)
def test_the_inhibitor_must_cancel_the_interference(inhibitor_in, inhibitor_out, why):
    W1, W2 = paper_example(inhibitor_in, inhibitor_out)
    (row, *_) = computation.neuron_candidates(W1, W2)
    assert row.asymmetric
    assert not row.motif, why


def test_thresholds_are_options():
    W1, W2 = paper_example(1.0, -1.0)  # inhibition 1 = ¼ of the interference 4
    assert computation.find_motifs(W1, W2, inhibition=0.25)
    assert not computation.find_motifs(W1, W2, asymmetry=5.0, inhibition=0.25)


def test_candidate_table_covers_every_instance_and_neuron():
    W1, W2 = paper_example()
    batch1 = torch.stack([W1, torch.eye(3, dtype=torch.float64)])
    batch2 = torch.stack([W2, torch.eye(3, dtype=torch.float64)])
    table = computation.candidate_table(batch1, batch2)
    assert len(table) == 2 * 3
    assert table["motif"].tolist() == [True, False, False, False, False, False]
    assert list(table.columns) == list(computation.Candidate.__dataclass_fields__)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(0.2, 5.0), min_size=3, max_size=3), st.permutations([0, 1, 2]),
       st.permutations([0, 1, 2]))
def test_invariant_to_rescaling_and_permutations(alpha, neuron_perm, feature_perm):
    """Rescale hidden units (α > 0), then permute neurons and features: the same motif, relabelled."""
    W1, W2 = paper_example()
    a = torch.tensor(alpha, dtype=torch.float64)
    W1, W2 = W1 * a[None, :], W2 / a[:, None]
    W1 = W1[feature_perm][:, neuron_perm]
    W2 = W2[neuron_perm][:, feature_perm]
    (motif,) = computation.find_motifs(W1, W2)
    assert neuron_perm[motif.neuron] == 0 and neuron_perm[motif.partner] == 1
    assert feature_perm[motif.feature_a] == 0 and feature_perm[motif.feature_b] == 1
    assert motif.input_ratio == pytest.approx(4.0) and motif.output_ratio == pytest.approx(4.0)
