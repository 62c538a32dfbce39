"""Tests of analysis.phase_change.

The theory — Closed-form candidate losses: hand-computed values, agreement with a Monte-Carlo estimate of
the same loss through the package's own sampler and forward pass, and the phase boundaries
that follow from the formulas.

Empirical phase diagrams — Empirical phase classification and its comparison with the theory, on hand-built models.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from toy_superposition.analysis.geometry import classify
from toy_superposition.analysis.phase_change import (
    CANDIDATES_2_IN_1,
    CANDIDATES_3_IN_2,
    CONFUSED,
    DEDICATED,
    NOT_LEARNED,
    OTHER,
    SUPERPOSITION,
    Candidate,
    candidates_for,
    classify_models,
    derivative_jump,
    exchange_symmetries,
    matches,
    matching_candidate,
    monte_carlo_loss,
    phase_table,
    theoretical_phase,
)

# --- The theory --------------------------------------------------------------------------------

DROP_EXTRA, DROP_FIRST, ANTIPODAL = CANDIDATES_2_IN_1


def test_two_in_one_losses_by_hand():
    # p = 0.5 for both, I = (1, 2); L = (1/n) Σ ...
    p, imp = [0.5, 0.5], [1.0, 2.0]
    assert DROP_EXTRA.expected_loss(p, imp) == pytest.approx(0.5 * 2 * 0.5 / 3)  # 1/6
    assert DROP_FIRST.expected_loss(p, imp) == pytest.approx(0.5 * 1 * 0.5 / 3)  # 1/12
    assert ANTIPODAL.expected_loss(p, imp) == pytest.approx(0.5 * 3 * 0.25 / 6)  # 1/16


def test_three_in_two_losses_by_hand():
    p, imp = [0.2, 0.2, 0.2], [1.0, 1.0, 3.0]
    losses = [c.expected_loss(p, imp) for c in CANDIDATES_3_IN_2]
    expected = [3 * 0.2 / 9, 0.2 / 9, (1 + 3) * 0.04 / 18, 0.04 / 9]
    np.testing.assert_allclose(losses, expected, rtol=1e-12)


def test_weights_have_the_candidate_structure():
    np.testing.assert_array_equal(ANTIPODAL.weights().numpy(), [[1.0], [-1.0]])
    np.testing.assert_array_equal(DROP_EXTRA.weights().numpy(), [[1.0], [0.0]])
    W = CANDIDATES_3_IN_2[2].weights()  # W ⊥ [0, 1, 1]
    assert W.shape == (3, 2)
    np.testing.assert_allclose((torch.tensor([0.0, 1.0, 1.0], dtype=torch.float64) @ W).numpy(), 0.0)
    for candidate in CANDIDATES_3_IN_2:
        ignored = torch.tensor(candidate.ignored, dtype=torch.float64)
        np.testing.assert_allclose((ignored @ candidate.weights()).numpy(), 0.0, err_msg=candidate.name)


@pytest.mark.parametrize("candidate", CANDIDATES_2_IN_1 + CANDIDATES_3_IN_2, ids=lambda c: c.name)
@pytest.mark.parametrize("density,extra_importance", [(0.7, 0.4), (0.15, 3.0)])
def test_closed_form_matches_monte_carlo(candidate, density, extra_importance):
    n = candidate.n
    probability = torch.full((n,), density, dtype=torch.float64)
    probability[0] = min(1.0, density * 1.3)  # unequal densities exercise p_i p_j
    importance = torch.ones(n, dtype=torch.float64)
    importance[-1] = extra_importance
    generator = torch.Generator().manual_seed(1234)
    estimate, error = monte_carlo_loss(candidate.weights(), probability, importance, 200_000, generator)
    exact = float(candidate.expected_loss(probability.numpy(), importance.numpy()))
    assert abs(estimate - exact) < 5 * error + 1e-12, (estimate, exact, error)


def test_monte_carlo_sees_a_wrong_formula():
    """The Monte-Carlo check can fail: a pair with the wrong E[min²] (1/3 instead of 1/6) is rejected."""
    probability = torch.tensor([0.6, 0.6], dtype=torch.float64)
    importance = torch.ones(2, dtype=torch.float64)
    estimate, error = monte_carlo_loss(ANTIPODAL.weights(), probability, importance, 200_000,
                                       torch.Generator().manual_seed(0))
    wrong = 0.5 * 2 * 0.36 / 3
    assert abs(estimate - wrong) > 10 * error


@settings(max_examples=200, deadline=None)
@given(p=st.floats(0.01, 1.0), r=st.floats(0.1, 10.0))
def test_two_in_one_superposition_region(p, r):
    """Antipodal wins exactly when (1 + r) p / 2 < min(1, r); else the more important feature is kept."""
    phase = theoretical_phase(CANDIDATES_2_IN_1, [p, p], [1.0, r])
    margin = (1 + r) * p / 2 - min(1.0, r)
    if abs(margin) < 1e-9 or abs(r - 1) < 1e-9:
        return
    best = CANDIDATES_2_IN_1[int(phase.best)]
    if margin < 0:
        assert best.phase_of(1) == SUPERPOSITION
    else:
        assert best.phase_of(1) == (DEDICATED if r > 1 else NOT_LEARNED)


@settings(max_examples=200, deadline=None)
@given(p=st.floats(0.01, 0.999), r=st.floats(0.1, 10.0))
def test_three_in_two_extra_feature_phase(p, r):
    """Extra feature: not learned for r < p/(2−p), antipodal with another for p/(2−p) < r < 1,
    dedicated (the other two antipodal) for r > 1."""
    threshold = p / (2 - p)
    if min(abs(r - threshold), abs(r - 1)) < 1e-6:
        return
    phase = theoretical_phase(CANDIDATES_3_IN_2, [p, p, p], [1.0, 1.0, r])
    best = CANDIDATES_3_IN_2[int(phase.best)]
    expected = NOT_LEARNED if r < threshold else SUPERPOSITION if r < 1 else DEDICATED
    assert best.phase_of(2) == expected
    if r > 1:
        assert best.name == "W⊥[1,1,0]"


def test_ties_are_flagged():
    # r = 1 and p = 1: all three 2-in-1 candidates cost 1/6.
    phase = theoretical_phase(CANDIDATES_2_IN_1, [1.0, 1.0], [1.0, 1.0])
    assert phase.tied.all()
    assert phase.optimal_loss == pytest.approx(1 / 6)


def test_crossing_is_first_order():
    """Along r at fixed p the optimal loss has kinks: the slope jumps where candidates cross."""
    r = np.geomspace(0.1, 10, 401)
    p = np.full((401, 2), 0.4)  # crossings at r = 1/4 and r = 4
    imp = np.stack([np.ones(401), r], axis=1)
    jumps = derivative_jump(CANDIDATES_2_IN_1, p, imp, r)
    assert len(jumps) == 2  # not learned → superposition → dedicated
    crossings = r[1:][np.diff(theoretical_phase(CANDIDATES_2_IN_1, p, imp).best) != 0]
    np.testing.assert_allclose(crossings, [0.25, 4.0], rtol=0.02)
    assert np.all(np.abs(jumps) > 1e-3)
    # L[1,0] = r p/6 rises with r, L[1,−1] = (1+r) p²/12 rises 2/p times slower: relative jump 1 − p/2
    relative = derivative_jump(CANDIDATES_2_IN_1, p, imp, r, relative=True)
    np.testing.assert_allclose(np.abs(relative[0]), 1 - 0.4 / 2, rtol=1e-9)
    # far from the crossings the slope of the optimal loss is continuous (smooth pieces)
    smooth = derivative_jump(CANDIDATES_2_IN_1, p[:50], imp[:50], r[:50])
    assert len(smooth) == 0


def test_candidate_validation():
    with pytest.raises(ValueError, match="distinct"):
        Candidate("bad", n=2, dropped=(0,), antipodal=((0, 1),))
    with pytest.raises(ValueError, match="expected 2 features"):
        DROP_EXTRA.expected_loss([0.5, 0.5, 0.5], [1, 1, 1])
    with pytest.raises(ValueError, match="needs 2 dimensions"):
        CANDIDATES_3_IN_2[0].weights(hidden=1)

# --- Empirical phase diagrams ------------------------------------------------------------------

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
    # the last is the confused solution W₁ ≈ W₂ (cos +1): not antipodal superposition
    assert table["extra_phase"].tolist() == [SUPERPOSITION, NOT_LEARNED, DEDICATED, CONFUSED]
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


def test_per_point_fractions_compare_each_model_with_the_theory():
    # p = 1, r = 1: all three candidates tie; a confused model (W₁ ≈ W₂) is none of them.
    confused = [[0.71], [0.70]]
    instances, W, prob, imp = _experiment([[confused, confused, DROP_FIRST_W, ANTIPODAL_W]], [[0.1, 0.2, 0.3, 0.4]],
                                          [(1.0, 1.0)])
    table, _ = phase_table(instances, W, prob, imp, CANDIDATES_2_IN_1, discard_worst=0)
    row = table.iloc[0]
    assert row["fraction_confused"] == 0.5 and row["fraction_superposition"] == 0.25
    assert row["agree_fraction"] == 0.5 and row["theory_allows_superposition"]
    assert row["empirical_phase"] == CONFUSED and not row["agree"]
    # sparse, r = 1: superposition is the theory's phase; one of four models is in it
    instances, W, prob, imp = _experiment([[confused, ANTIPODAL_W, DROP_FIRST_W, DROP_EXTRA_W]], [[0.1] * 4],
                                          [(0.05, 1.0)])
    row = phase_table(instances, W, prob, imp, CANDIDATES_2_IN_1, discard_worst=0)[0].iloc[0]
    assert row["agree_fraction"] == 0.25 and row["theory_phase"] == SUPERPOSITION


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
