"""Summaries of the L1 sweep on hand-made embeddings."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import torch

from toy_superposition.analysis.removing_superposition import (
    basis_alignment,
    represents_top_features,
    superposition_free_from,
    sweep_summary,
)


def test_basis_alignment_by_hand():
    W = torch.tensor([[[1.0, 0.0], [1.0, 1.0], [0.0, 0.0], [0.0, -2.0]]])
    np.testing.assert_allclose(basis_alignment(W)[0], [1.0, 1 / math.sqrt(2), 0.0, 1.0])


@pytest.mark.parametrize("represented, importance, expected", [
    ([True, True, False], [1.0, 0.9, 0.8], True),
    ([True, False, True], [1.0, 0.9, 0.8], False),
    ([False, True, True], [1.0, 1.0, 1.0], True),  # equal importance: any choice is a threshold
    ([False, False, False], [1.0, 0.5, 0.2], True),
])
def test_represents_top_features(represented, importance, expected):
    assert represents_top_features(np.array(represented), np.array(importance)) is expected


def test_sweep_summary_counts_superposition():
    # instance 0: an antipodal pair on neuron 0 and a dedicated neuron 1 — 2 of 3 features superposed
    # instance 1: two basis-aligned features, the third dropped — no superposition
    W = torch.tensor([
        [[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0]],
        [[1.0, 0.0], [0.0, 1.0], [0.0, 0.1]],
    ])
    importance = torch.tensor([[1.0, 0.9, 0.8], [1.0, 0.9, 0.8]])
    instances = pd.DataFrame({"instance": [0, 1], "l1_penalty": [0.0, 0.01], "final_loss": [0.1, 0.2]})
    summary = sweep_summary(W, importance, instances)
    assert summary["features_represented"].tolist() == [3, 2]
    assert summary["features_in_superposition"].tolist() == [2, 0]
    assert summary["d_star"].tolist() == pytest.approx([2 / 3, 2 / 2.01])
    assert summary["basis_alignment"].tolist() == pytest.approx([1.0, 1.0])
    assert summary["least_important_represented"].tolist() == pytest.approx([0.8, 0.9])
    assert summary["top_features_represented"].tolist() == [True, True]
    assert superposition_free_from(summary) == 0.01


def test_superposition_free_from_needs_every_larger_penalty_free():
    summary = pd.DataFrame({"l1_penalty": [0.0, 1e-3, 1e-2, 1e-1, 1.0], "features_in_superposition": [5, 0, 2, 0, 0]})
    assert superposition_free_from(summary) == 1e-1
    assert math.isnan(superposition_free_from(summary.assign(features_in_superposition=[5, 4, 3, 2, 1])))
