"""The asymmetric superposition motif detector on the paper's example and variations of it."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from toy_superposition import asymmetric_motif


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
    motifs = asymmetric_motif.find_motifs(W1, W2)
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
    rows = asymmetric_motif.neuron_candidates(W1, W2, instance=7)
    assert [r.neuron for r in rows] == [0, 1, 2] and {r.instance for r in rows} == {7}
    assert [r.features_stored for r in rows] == [2, 1, 1]
    assert rows[2].feature_a == 2 and rows[2].feature_b == -1 and not rows[2].motif
    assert math.isnan(rows[2].input_ratio)


def test_symmetric_superposition_is_not_the_motif():
    W1, W2 = paper_example()
    W1[0, 0], W1[1, 0] = 1.0, -1.0
    W2[0, 0], W2[0, 1] = 1.0, 1.0
    (row, *_) = asymmetric_motif.neuron_candidates(W1, W2)
    assert not row.asymmetric and not row.motif


def test_output_weights_must_be_reciprocal():
    """Input weights 2 and −½ but equal output weights: not asymmetric superposition."""
    W1, W2 = paper_example()
    W2[0, 0], W2[0, 1] = 1.0, 1.0
    assert asymmetric_motif.find_motifs(W1, W2) == []


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
    (row, *_) = asymmetric_motif.neuron_candidates(W1, W2)
    assert row.asymmetric
    assert not row.motif, why


def test_thresholds_are_options():
    W1, W2 = paper_example(1.0, -1.0)  # inhibition 1 = ¼ of the interference 4
    assert asymmetric_motif.find_motifs(W1, W2, inhibition=0.25)
    assert not asymmetric_motif.find_motifs(W1, W2, asymmetry=5.0, inhibition=0.25)


def test_candidate_table_covers_every_instance_and_neuron():
    W1, W2 = paper_example()
    batch1 = torch.stack([W1, torch.eye(3, dtype=torch.float64)])
    batch2 = torch.stack([W2, torch.eye(3, dtype=torch.float64)])
    table = asymmetric_motif.candidate_table(batch1, batch2)
    assert len(table) == 2 * 3
    assert table["motif"].tolist() == [True, False, False, False, False, False]
    assert list(table.columns) == list(asymmetric_motif.Candidate.__dataclass_fields__)


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
    (motif,) = asymmetric_motif.find_motifs(W1, W2)
    assert neuron_perm[motif.neuron] == 0 and neuron_perm[motif.partner] == 1
    assert feature_perm[motif.feature_a] == 0 and feature_perm[motif.feature_b] == 1
    assert motif.input_ratio == pytest.approx(4.0) and motif.output_ratio == pytest.approx(4.0)
