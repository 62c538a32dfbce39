"""Empirical phase classification and its comparison with the theory, on hand-built models."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from toy_superposition.geometry import classify
from toy_superposition.phase_diagram import (
    OTHER,
    candidates_for,
    classify_models,
    exchange_symmetries,
    matches,
    matching_candidate,
    phase_table,
)
from toy_superposition.phase_theory import CANDIDATES_2_IN_1, CANDIDATES_3_IN_2, DEDICATED, NOT_LEARNED, SUPERPOSITION

ANTIPODAL_W = [[1.0], [-1.0]]
DROP_EXTRA_W = [[1.0], [0.0]]
DROP_FIRST_W = [[0.0], [1.0]]


def test_candidates_match_their_own_weights():
    for candidates in (CANDIDATES_2_IN_1, CANDIDATES_3_IN_2):
        for index, candidate in enumerate(candidates):
            assert matching_candidate(classify(candidate.weights()), candidates) == index


def test_mirror_image_matches_under_the_exchange_symmetry():
    # extra feature antipodal with feature 0 instead of feature 1: W ⊥ [1, 0, 1]
    W = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]])
    geometry = classify(W)
    assert not matches(geometry, CANDIDATES_3_IN_2[2])
    symmetries = exchange_symmetries(3, (0, 1))
    assert symmetries == ((1, 0, 2),)
    assert matching_candidate(geometry, CANDIDATES_3_IN_2, symmetries) == 2
    assert candidates_for(3) == (CANDIDATES_3_IN_2, symmetries)
    with pytest.raises(ValueError, match="n=4"):
        candidates_for(4)


def test_triangle_matches_no_candidate():
    angles = 2 * np.pi * np.arange(3) / 3
    triangle = np.stack([np.cos(angles), np.sin(angles)], axis=1)
    assert matching_candidate(classify(triangle), CANDIDATES_3_IN_2, exchange_symmetries(3, (0, 1))) == -1


def test_classify_models():
    W = torch.tensor([ANTIPODAL_W, DROP_EXTRA_W, DROP_FIRST_W, [[0.7], [0.7]]], dtype=torch.float64)
    table = classify_models(W, CANDIDATES_2_IN_1, extra=1)
    assert table["extra_phase"].tolist() == [SUPERPOSITION, NOT_LEARNED, DEDICATED, SUPERPOSITION]
    assert table["candidate"].tolist() == ["W=[1,−1]", "W=[1,0]", "W=[0,1]", OTHER]


def _experiment(weights_per_setting, losses_per_setting, points):
    """Instances table, W, probability, importance for hand-made settings."""
    rows, W, prob, imp = [], [], [], []
    instance = 0
    for setting, (weights, losses, (p, r)) in enumerate(zip(weights_per_setting, losses_per_setting, points)):
        for restart, (w, loss) in enumerate(zip(weights, losses)):
            rows.append({"instance": instance, "setting": setting, "restart": restart, "final_loss": loss})
            W.append(w)
            prob.append([p, p])
            imp.append([1.0, r])
            instance += 1
    return pd.DataFrame(rows), torch.tensor(W, dtype=torch.float64), np.array(prob), np.array(imp)


def test_phase_table_drops_the_worst_and_takes_the_majority():
    # setting 0 (p=0.05, r=1): theory says superposition. Two antipodal models, one dropped-extra
    # model with the highest loss (discarded), so the majority is superposition.
    # setting 1 (p=1, r=0.2): theory says the extra feature is not learned; the models disagree.
    instances, W, prob, imp = _experiment(
        [[ANTIPODAL_W, ANTIPODAL_W, DROP_EXTRA_W], [DROP_FIRST_W, DROP_FIRST_W, DROP_EXTRA_W]],
        [[0.1, 0.2, 0.9], [0.1, 0.2, 0.3]],
        [(0.05, 1.0), (1.0, 0.2)],
    )
    table, models = phase_table(instances, W, prob, imp, CANDIDATES_2_IN_1)
    assert models["kept"].tolist() == [True, True, False, True, True, False]
    first, second = table.iloc[0], table.iloc[1]
    assert first["empirical_phase"] == SUPERPOSITION == first["theory_phase"]
    assert first["agree"] and first["fraction_superposition"] == 1.0
    assert second["theory_phase"] == NOT_LEARNED
    assert second["empirical_phase"] == DEDICATED and not second["agree"]
    assert second["fraction_dedicated"] == 1.0
    np.testing.assert_allclose(first[["theory_loss W=[1,0]", "theory_loss W=[0,1]", "theory_loss W=[1,−1]"]]
                               .to_numpy(dtype=float), [0.05 / 6, 0.05 / 6, 2 * 0.0025 / 12])


def test_majority_tie_goes_to_the_lowest_loss_model():
    instances, W, prob, imp = _experiment([[DROP_FIRST_W, ANTIPODAL_W]], [[0.5, 0.1]], [(0.5, 1.0)])
    table, _ = phase_table(instances, W, prob, imp, CANDIDATES_2_IN_1, discard_worst=0)
    assert table.iloc[0]["empirical_phase"] == SUPERPOSITION


def test_ties_in_theory_accept_either_phase():
    # p = 1, r = 1: all three candidates cost the same; any empirical phase agrees.
    instances, W, prob, imp = _experiment([[DROP_FIRST_W]], [[0.1]], [(1.0, 1.0)])
    table, _ = phase_table(instances, W, prob, imp, CANDIDATES_2_IN_1, discard_worst=0)
    assert table.iloc[0]["theory_tie"] and table.iloc[0]["agree"]


def test_selected_phase_is_the_lowest_loss_model():
    # majority: not learned (two of three kept); the best model is antipodal
    instances, W, prob, imp = _experiment([[ANTIPODAL_W, DROP_EXTRA_W, DROP_EXTRA_W, DROP_FIRST_W]],
                                          [[0.1, 0.2, 0.3, 0.9]], [(0.05, 1.0)])
    table, _ = phase_table(instances, W, prob, imp, CANDIDATES_2_IN_1)
    row = table.iloc[0]
    assert row["empirical_phase"] == NOT_LEARNED and not row["agree"]
    assert row["selected_phase"] == SUPERPOSITION and row["agree_selected"]
