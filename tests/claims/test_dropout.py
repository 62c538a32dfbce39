"""Claims of the dropout study: values from the figures' rate / transition / effect rows, verdicts
from their claim rows."""

from __future__ import annotations

import math

import numpy as np
import pytest

from toy_superposition.analysis import dropout_orientation as orientation
from toy_superposition.analysis.dropout_orientation import effect_strength
from toy_superposition.analysis.statistics import Interval, bootstrap_difference_ci

from .helpers import evaluate, temporary_config, write_figure


@pytest.fixture
def config(tmp_path):
    return temporary_config(tmp_path)


def verdict(claim_id: str, holds: str, claim: str = "") -> dict:
    """A figure's claim row for the registered claim ``claim_id`` (its caption text is free)."""
    return {"row": "claim", "claim_id": claim_id, "claim": claim or f"caption of {claim_id}",
            "measured": f"measured for {claim_id}", "holds": holds}


def rate_rows(experiment: str, means: dict[float, float], half_width: float = 0.05,
              too_few: tuple[float, ...] = ()) -> list[dict]:
    """Rate rows as ``dropout_orientation.alignment_by_rate`` writes them (rates in ``too_few`` had 1 model)."""
    return [{"row": "rate", "experiment": experiment, "dropout": r, "mean": m, "ci_low": m - half_width,
             "ci_high": m + half_width, "models": 1 if r in too_few else 100,
             "regime": orientation.TOO_FEW if r in too_few else orientation.regime(Interval(m, m - half_width, m + half_width), 100)}
            for r, m in means.items()]


ORIENTATION = {0.0: 0.01, 0.15: -0.2, 0.3: -0.1, 0.6: 0.3, 0.75: 0.5}


def test_orientation_claims_take_values_from_rates_and_verdicts_from_the_figure(config):
    rows = rate_rows("dropout-2d-sparse", ORIENTATION) + [
        {"row": "transition", "experiment": "dropout-2d-sparse", "mean": 0.45, "ci_low": 0.38, "ci_high": 0.55},
        verdict("dropout-none-orientation-uniform", "yes"),
        verdict("dropout-low-avoids-axes", "yes"),
        verdict("dropout-high-aligns-axes", "partly"),
        verdict("dropout-transition-about-half", "yes"),
    ]
    write_figure(config, "dropout-orientation-2d", rows)
    uniform = evaluate(config, "dropout-none-orientation-uniform")
    assert uniform.holds and uniform.value == pytest.approx(0.01)
    low = evaluate(config, "dropout-low-avoids-axes")
    assert low.holds and low.value == pytest.approx(-0.1)  # the low rate nearest the axes
    assert (low.ci_low, low.ci_high) == pytest.approx((-0.15, -0.05))
    high = evaluate(config, "dropout-high-aligns-axes")
    assert not high.holds and high.value == pytest.approx(0.3) and "figure verdict: partly" in high.detail
    transition = evaluate(config, "dropout-transition-about-half")
    assert transition.holds and (transition.value, transition.ci_low, transition.ci_high) == (0.45, 0.38, 0.55)


def test_highdim_and_weights_read_their_own_experiment(config):
    rows = rate_rows("dropout-highdim", {0.0: 0.0, 0.75: 0.2, 0.9: 0.4})
    write_figure(config, "dropout-orientation-highdim", rows + [verdict("dropout-highdim-high-aligns-axes", "yes")])
    result = evaluate(config, "dropout-highdim-high-aligns-axes")
    assert result.holds and result.value == pytest.approx(0.2)
    write_figure(config, "dropout-weights", rows + [verdict("dropout-weights-align-only-above-half", "no")])
    result = evaluate(config, "dropout-weights-align-only-above-half")
    assert not result.holds and result.value == pytest.approx(0.2)


def test_a_rate_with_too_few_models_is_not_the_value_of_a_claim(config):
    # at r = 0.9 a single model (the rest represent nothing) points off the axes
    rows = rate_rows("dropout-highdim", {0.0: 0.0, 0.6: 0.5, 0.75: 0.2, 0.9: -0.17}, too_few=(0.9,))
    write_figure(config, "dropout-weights", rows + [verdict("dropout-weights-align-only-above-half", "yes")])
    result = evaluate(config, "dropout-weights-align-only-above-half")
    assert result.holds and result.value == pytest.approx(0.2) and "value at r = 0.75" in result.detail


def test_dense_effect_strength_is_recomputed_as_the_figure_does(config):
    generator = np.random.default_rng(0)
    rates = np.repeat([0.0, 0.3, 0.75], 20)
    alignment = generator.uniform(-1, 1, rates.size) * 0.3
    rows = [{"row": "model", "experiment": "dropout-2d-dense", "dropout": r, "alignment": a}
            for r, a in zip(rates, alignment)]
    rows += rate_rows("dropout-2d-sparse", {0.0: 0.0, 0.75: 0.9})  # the comparison's rates are not used
    rows.append(verdict("dropout-dense-effect-weaker", "yes"))
    write_figure(config, "dropout-orientation-dense", rows)
    result = evaluate(config, "dropout-dense-effect-weaker")
    expected = effect_strength(rates, alignment, seed=1)
    assert result.holds and (result.value, result.ci_low, result.ci_high) == pytest.approx(
        (expected.estimate, expected.low, expected.high))


def effect_rows(cells: list[tuple[float, float, float, str]], measure: str | None = "d_star") -> list[dict]:
    """(importance decay, 1−S, dropout, verdict) per cell."""
    rows = [{"row": "effect", "importance_decay": decay, "feature_probability": p, "dropout": r, "verdict": v,
             "delta": 0.1, "ci_low": 0.0, "ci_high": 0.2} for decay, p, r, v in cells]
    return [dict(row, measure=measure) for row in rows] if measure else rows


def test_grid_counts_the_cells_of_the_drawn_profile(config):
    cells = [(0.7, 1.0, 0.3, "inhibits"), (0.7, 0.1, 0.3, "inhibits"), (0.7, 0.1, 0.6, "unclear"),
             (1.0, 0.1, 0.3, "promotes")]
    rows = effect_rows(cells, measure=None) + [{"row": "panel", "importance_decay": 0.7, "d_star": 1.0}]
    rows.append(verdict("dropout-grid-inhibits-superposition", "partly"))
    write_figure(config, "dropout-superposition-grid", rows)
    result = evaluate(config, "dropout-grid-inhibits-superposition")
    assert not result.holds and result.value == pytest.approx(2 / 3)


def test_dims_per_feature_claims(config):
    cells = [(1.0, 1.0, 0.3, "inhibits"), (1.0, 0.1, 0.3, "promotes"), (1.0, 0.1, 0.6, "inhibits")]
    rows = effect_rows(cells) + effect_rows([(1.0, 1.0, 0.3, "promotes")], measure="d_star_count") + [
        verdict("dropout-raises-d-star", "partly"),
        verdict("dropout-d-star-effect-not-strict", "yes")]
    write_figure(config, "dropout-dims-per-feature", rows)
    raises = evaluate(config, "dropout-raises-d-star")
    assert not raises.holds and raises.value == pytest.approx(2 / 3)
    not_strict = evaluate(config, "dropout-d-star-effect-not-strict")
    assert not_strict.holds and not_strict.value == 1


def test_importance_claims_split_by_profile_and_sparsity(config):
    cells = [(1.0, 1.0, 0.3, "inhibits"), (1.0, 0.01, 0.3, "inhibits"),
             (0.7, 1.0, 0.3, "unclear"), (0.7, 0.3, 0.3, "promotes"), (0.7, 0.01, 0.3, "inhibits"),
             (0.7, 0.1, 0.3, "unclear")]
    rows = effect_rows(cells) + [
        verdict("dropout-inhibits-superposition-equal-importance", "yes"),
        verdict("", "partly"),
        verdict("dropout-inhibits-superposition-decaying-sparse", "partly"),
        verdict("dropout-exception-decaying-low-sparsity", "yes")]
    write_figure(config, "dropout-importance", rows)
    equal = evaluate(config, "dropout-inhibits-superposition-equal-importance")
    assert equal.holds and equal.value == 1.0
    sparse = evaluate(config, "dropout-inhibits-superposition-decaying-sparse")
    assert not sparse.holds and sparse.value == 0.5 and "decaying-sparse" in sparse.detail
    exception = evaluate(config, "dropout-exception-decaying-low-sparsity")
    assert exception.holds and exception.value == 1.0


def test_kurtosis_claims(config):
    generator = np.random.default_rng(1)
    low, high = generator.normal(2.0, 0.05, 8), generator.normal(2.4, 0.05, 8)
    rows = [{"row": "model", "dropout": 0.0, "vector": v} for v in low]
    rows += [{"row": "model", "dropout": 0.75, "vector": v} for v in high]
    rows += [{"row": "rate", "measure": "vector", "dropout": r, "privileged": p} for r, p in ((0.0, False), (0.75, True))]
    rows += [{"row": "rate", "measure": "coordinate", "dropout": 0.0, "privileged": True}]
    rows += [verdict("dropout-kurtosis-rises", "yes"),
             verdict("dropout-kurtosis-above-rotated-control", "partly")]
    write_figure(config, "dropout-kurtosis", rows)
    rises = evaluate(config, "dropout-kurtosis-rises")
    expected = bootstrap_difference_ci(high, low, seed=7)
    assert rises.holds and (rises.value, rises.ci_low, rises.ci_high) == pytest.approx(
        (expected.estimate, expected.low, expected.high))
    privileged = evaluate(config, "dropout-kurtosis-above-rotated-control")
    assert not privileged.holds and privileged.value == 0.5


def test_a_figure_without_the_claim_row_is_insufficient(config):
    write_figure(config, "dropout-orientation-2d", rate_rows("dropout-2d-sparse", ORIENTATION)
                 + [verdict("", "yes")])
    result = evaluate(config, "dropout-high-aligns-axes")
    assert math.isnan(result.value) and not result.holds and "insufficient" in result.detail


def test_a_claim_finds_its_row_by_id_whatever_the_caption_says(tmp_path):
    """Rewording a figure's caption cannot turn a claim into "insufficient": rows are found by claim id."""
    config = temporary_config(tmp_path)
    rows = rate_rows("dropout-highdim", {0.0: 0.0, 0.6: 0.3, 0.75: 0.4})
    write_figure(config, "dropout-orientation-highdim",
                 rows + [verdict("dropout-highdim-high-aligns-axes", "yes", claim="reworded: W lines up with the axes")])
    result = evaluate(config, "dropout-highdim-high-aligns-axes")
    assert result.holds and result.value == pytest.approx(0.3)
    write_figure(config, "dropout-orientation-highdim",
                 rows + [verdict("another-claim", "yes", claim="dropout above 50%: aligned with the axes")])
    assert "insufficient" in evaluate(config, "dropout-highdim-high-aligns-axes").detail
