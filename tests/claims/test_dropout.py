"""Claims of the dropout study: values from the figures' rate / transition / effect rows, verdicts
from their claim rows."""

from __future__ import annotations

import math

import numpy as np
import pytest

from toy_superposition import claims
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


def rate_rows(experiment: str, values: dict[float, float], half_width: float = 0.05,
              too_few: tuple[float, ...] = ()) -> list[dict]:
    """Rate rows as ``dropout_orientation.alignment_by_rate`` writes them: the given value is the rate's
    change from r = 0 — of the share near an axis (``axis_vs_baseline``) and of the mean alignment
    (``mean_vs_baseline``) — and, for r = 0, its mean alignment; rates in ``too_few`` had 1 model."""
    rows = []
    for r, v in values.items():
        interval = {"low": v - half_width, "high": v + half_width}
        rows.append({"row": "rate", "experiment": experiment, "dropout": r, "mean": v, "ci_low": interval["low"],
                     "ci_high": interval["high"], "models": 1 if r in too_few else 100,
                     **{f"{name}{suffix}": value for name in ("axis_vs_baseline", "mean_vs_baseline")
                        for suffix, value in (("", v), ("_low", interval["low"]), ("_high", interval["high"]))},
                     "diagonal_vs_baseline": -v, "diagonal_vs_baseline_low": -v - half_width,
                     "diagonal_vs_baseline_high": -v + half_width,
                     "regime": orientation.TOO_FEW if r in too_few else orientation.regime(
                         Interval(v, interval["low"], interval["high"]), 100)})
    return rows


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
    assert (uniform.ci_low, uniform.ci_high) == pytest.approx((-0.04, 0.06))
    low = evaluate(config, "dropout-low-avoids-axes")
    # the low rate nearest the axes, by its change of the share near an axis from r = 0
    assert low.holds and low.value == pytest.approx(-0.1) and "near a diagonal +0.100" in low.detail
    assert (low.ci_low, low.ci_high) == pytest.approx((-0.15, -0.05))
    high = evaluate(config, "dropout-high-aligns-axes")
    assert not high.holds and high.value == pytest.approx(0.3) and "figure verdict: partly" in high.detail
    transition = evaluate(config, "dropout-transition-about-half")
    assert transition.holds and (transition.value, transition.ci_low, transition.ci_high) == (0.45, 0.38, 0.55)


def test_orientation_claims_need_the_comparison_with_rate_zero(config):
    rows = [dict(row) for row in rate_rows("dropout-2d-sparse", ORIENTATION)]
    for row in rows:
        for key in [k for k in row if "vs_baseline" in k]:
            del row[key]
    write_figure(config, "dropout-orientation-2d", rows + [verdict("dropout-high-aligns-axes", "yes")])
    result = evaluate(config, "dropout-high-aligns-axes")
    assert math.isnan(result.value) and "no axis_vs_baseline" in result.detail


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


def effect_rows(cells: list[tuple[float, float, float, str]], measure: str | None = "d_star_count") -> list[dict]:
    """(importance decay, 1−S, dropout, verdict) per cell."""
    rows = [{"row": "effect", "importance_decay": decay, "feature_probability": p, "dropout": r, "verdict": v,
             "delta": 0.1, "ci_low": 0.0, "ci_high": 0.2} for decay, p, r, v in cells]
    return [dict(row, measure=measure) for row in rows] if measure else rows


def test_grid_counts_the_norm_free_cells_of_the_drawn_profile(config):
    cells = [(0.7, 1.0, 0.3, "inhibits"), (0.7, 0.1, 0.3, "inhibits"), (0.7, 0.1, 0.6, "unclear"),
             (1.0, 0.1, 0.3, "promotes")]
    rows = effect_rows(cells) + effect_rows([(0.7, 1.0, 0.3, "promotes")] * 3, measure="d_star") + [
        {"row": "panel", "importance_decay": 0.7, "d_star": 1.0}]
    rows.append(verdict("dropout-grid-inhibits-superposition", "yes"))
    write_figure(config, "dropout-superposition-grid", rows)
    result = evaluate(config, "dropout-grid-inhibits-superposition")
    # 2 of the 3 D*_count cells of I_i = 0.7^i inhibit: a majority (the D* rows are not counted)
    assert result.holds and result.value == pytest.approx(2 / 3) and "2 of 3 cells" in result.detail


def test_d_star_direction_is_one_claim(config):
    cells = [(1.0, 1.0, 0.3, "inhibits"), (1.0, 0.1, 0.3, "promotes"), (1.0, 0.1, 0.6, "inhibits")]
    rows = effect_rows(cells, measure="d_star") + effect_rows([(1.0, 1.0, 0.3, "promotes")]) + [
        verdict("dropout-d-star-higher-not-strict", "yes")]
    write_figure(config, "dropout-dims-per-feature", rows)
    result = evaluate(config, "dropout-d-star-higher-not-strict")
    assert result.holds and result.value == pytest.approx(2 / 3)  # D* cells, not the D*_count one
    for retired in ("dropout-raises-d-star", "dropout-d-star-effect-not-strict"):
        assert retired not in claims.CLAIMS and claims.REPLACED[retired] == "dropout-d-star-higher-not-strict"


def test_importance_claims_split_by_profile_and_sparsity(config):
    cells = [(1.0, 1.0, 0.3, "inhibits"), (1.0, 0.01, 0.3, "inhibits"), (1.0, 0.1, 0.3, "unclear"),
             (0.7, 1.0, 0.3, "unclear"), (0.7, 0.3, 0.3, "promotes"), (0.7, 0.01, 0.3, "inhibits"),
             (0.7, 0.1, 0.3, "unclear")]
    rows = effect_rows(cells) + effect_rows([(1.0, 0.1, 0.6, "promotes")] * 5, measure="d_star") + [
        verdict("dropout-inhibits-superposition-equal-importance", "yes"),
        verdict("", "partly"),
        verdict("dropout-inhibits-superposition-decaying-sparse", "partly"),
        verdict("dropout-exception-decaying-low-sparsity", "yes")]
    write_figure(config, "dropout-importance", rows)
    equal = evaluate(config, "dropout-inhibits-superposition-equal-importance")
    assert equal.holds and equal.value == pytest.approx(2 / 3)  # a majority, not every cell
    sparse = evaluate(config, "dropout-inhibits-superposition-decaying-sparse")
    assert not sparse.holds and sparse.value == 0.5 and "decaying-sparse" in sparse.detail
    exception = evaluate(config, "dropout-exception-decaying-low-sparsity")
    assert exception.holds and exception.value == 1.0


def test_kurtosis_claims(config):
    generator = np.random.default_rng(1)
    low, high = generator.normal(2.0, 0.05, 8), generator.normal(2.4, 0.05, 8)
    rows = [{"row": "model", "dropout": 0.0, "vector": v} for v in low]
    rows += [{"row": "model", "dropout": 0.75, "vector": v} for v in high]
    rates = ((0.0, False), (0.3, False), (0.75, True))
    rows += [{"row": "rate", "measure": "vector", "dropout": r, "privileged": p} for r, p in rates]
    rows += [{"row": "rate", "measure": "coordinate", "dropout": 0.3, "privileged": True}]
    rows += [verdict("dropout-kurtosis-rises", "yes"),
             verdict("dropout-kurtosis-above-rotated-control", "partly")]
    write_figure(config, "dropout-kurtosis", rows)
    rises = evaluate(config, "dropout-kurtosis-rises")
    expected = bootstrap_difference_ci(high, low, seed=7)
    assert rises.holds and (rises.value, rises.ci_low, rises.ci_high) == pytest.approx(
        (expected.estimate, expected.low, expected.high))
    privileged = evaluate(config, "dropout-kurtosis-above-rotated-control")
    assert not privileged.holds and privileged.value == 0.5  # of the rates r > 0 only: 0.3 no, 0.75 yes
    # no privileged basis at r = 0 is what the post expects: it does not count against the claim
    rows = [row for row in rows if not (row.get("row") == "rate" and row["dropout"] == 0.3)]
    rows = [row if row.get("claim_id") != "dropout-kurtosis-above-rotated-control" else
            verdict("dropout-kurtosis-above-rotated-control", "yes") for row in rows]
    write_figure(config, "dropout-kurtosis", rows)
    privileged = evaluate(config, "dropout-kurtosis-above-rotated-control")
    assert privileged.holds and privileged.value == 1.0


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
