"""Claims: the statistics they use, and each issue-2 claim on hand-built results."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from toy_superposition import claims
from toy_superposition.artifacts import write_parquet
from toy_superposition.config import load_config
from toy_superposition.paths import experiment_paths


def test_wilson_interval_matches_hand_computation():
    # 0 of 10: upper bound z²/(n+z²) = 3.8415/13.8415.
    low, high = claims.wilson_interval(0, 10)
    assert low == 0.0 and high == pytest.approx(3.841459 / 13.841459, rel=1e-5)
    low, high = claims.wilson_interval(5, 10)
    assert low == pytest.approx(0.2366, abs=1e-4) and high == pytest.approx(0.7634, abs=1e-4)
    assert all(math.isnan(v) for v in claims.wilson_interval(0, 0))


@settings(max_examples=300, deadline=None)
@given(trials=st.integers(1, 100_000), share=st.floats(0.0, 1.0))
def test_wilson_interval_contains_the_proportion_and_is_exact_at_the_ends(trials, share):
    successes = round(share * trials)
    low, high = claims.wilson_interval(successes, trials)
    assert 0.0 <= low <= successes / trials <= high <= 1.0
    assert (low == 0.0) == (successes == 0) and (high == 1.0) == (successes == trials)


def test_wilson_interval_lower_bound_of_no_successes_is_zero_not_rounding():
    # 0 of 4,616 (the paper profile's relu-hidden-bias figure) once gave 5.4e-20 > 0.
    assert claims.wilson_interval(0, 4616)[0] == 0.0


@pytest.mark.parametrize(
    "mask, expected",
    [([], (0, 0)), ([False, False], (0, 0)), ([True], (0, 1)), ([True, False, True, True, False, True], (2, 2))],
)
def test_longest_run(mask, expected):
    assert claims.longest_run(np.array(mask, dtype=bool)) == expected


@pytest.fixture
def config(tmp_path):
    return dataclasses.replace(load_config(profile="ci"), results_dir=str(tmp_path))


def write_results(config, experiment, norms_by_density, importance, hidden, dimensionality=None):
    """instances.parquet and features.parquet for one selected model per density."""
    instances, features = [], []
    for index, (density, norms) in enumerate(norms_by_density.items()):
        instances.append({"instance": index, "setting": index, "feature_probability": density, "selected": True,
                          "hidden": hidden, "features": len(norms), "final_loss": 0.1})
        for feature, norm in enumerate(norms):
            features.append({"instance": index, "feature": feature, "importance": importance[feature],
                             "feature_probability": density, "norm": norm, "interference": 0.0,
                             "dimensionality": (dimensionality or {}).get(density, [1.0] * len(norms))[feature]})
    paths = experiment_paths(config, experiment)
    write_parquet(paths.instances, pd.DataFrame(instances))
    write_parquet(paths.features, pd.DataFrame(features))


def test_linear_claim_holds_only_for_the_top_m_features(config):
    importance = [0.7**i for i in range(4)]
    write_results(config, "basic-20-in-5-linear", {1.0: [1, 1, 0, 0], 0.1: [1, 1, 0.1, 0]}, importance, hidden=2)
    write_results(config, "basic-80-in-20-linear", {1.0: [1, 1, 0, 0]}, importance, hidden=2)
    result = claims.CLAIMS["linear-represents-top-m"].evaluate(config)
    assert result.holds and result.value == 1.0
    write_results(config, "basic-80-in-20-linear", {1.0: [1, 0, 1, 0]}, importance, hidden=2)  # not the top two
    result = claims.CLAIMS["linear-represents-top-m"].evaluate(config)
    assert not result.holds and result.value == pytest.approx(2 / 3)
    assert result.ci_low < 2 / 3 < result.ci_high


def test_relu_claims_count_represented_features(config):
    importance = [1.0] * 6
    write_results(config, "basic-20-in-5-relu", {1.0: [1, 1, 0, 0, 0, 0], 0.001: [1, 1, 1, 1, 0.9, 0.2]}, importance, 2)
    write_results(config, "basic-80-in-20-relu", {1.0: [1, 1, 0, 0, 0, 0], 0.001: [1, 1, 1, 0, 0, 0]}, importance, 2)
    sparse = claims.CLAIMS["relu-superposition-when-sparse"].evaluate(config)
    assert sparse.value == pytest.approx(1.5) and sparse.holds  # min(5/2, 3/2)
    dense = claims.CLAIMS["relu-dense-like-linear"].evaluate(config)
    assert dense.value == 1.0 and dense.holds


def test_d_star_plateau_width(config):
    # m=2; ‖W‖²_F = 4 gives D* = 1/2. Densities 1, 1/2, 1/4, 1/8: plateau from 1/(1−S)=2 to 8.
    densities = {1.0: [1, 1, 0, 0], 0.5: [1, 1, 1, 1], 0.25: [1, 1, 1, 1], 0.125: [1, 1, 1, 1]}
    write_results(config, "uniform-400-in-30", densities, [1.0] * 4, hidden=2)
    half = claims.CLAIMS["d-star-sticky-at-half"].evaluate(config)
    assert half.value == pytest.approx(4.0) and half.holds
    # D* = 1 only at the densest level: one point is no plateau
    one = claims.CLAIMS["d-star-sticky-at-one"].evaluate(config)
    assert one.value == pytest.approx(1.0) and not one.holds


def test_d_star_sticky_at_one_is_a_plateau_from_the_densest_level(config):
    # D* = 1 (two unit features in m=2) at 1/(1−S) = 1, 2, 4; then 0.98 ‖W‖² → D* ≈ 1.02 at 8 (within 0.05);
    # then 1/2 at 16. Plateau from 1 to 8: ratio 8.
    norms = {1.0: [1, 1, 0], 0.5: [1, 1, 0], 0.25: [1, 1, 0], 0.125: [0.99, 0.99, 0], 0.0625: [1, 1, 1.4142]}
    write_results(config, "uniform-400-in-30", norms, [1.0] * 3, hidden=2)
    one = claims.CLAIMS["d-star-sticky-at-one"].evaluate(config)
    assert one.value == pytest.approx(8.0) and one.holds and "(4 levels)" in one.detail
    # the same, but D* leaves 1 after the second level: ratio 2 < 3
    norms = {1.0: [1, 1, 0], 0.5: [1, 1, 0], 0.25: [1, 1, 1], 0.125: [1, 1, 1]}
    write_results(config, "uniform-400-in-30", norms, [1.0] * 3, hidden=2)
    one = claims.CLAIMS["d-star-sticky-at-one"].evaluate(config)
    assert one.value == pytest.approx(2.0) and not one.holds


def uniform_models(config, dims_at_sparse: list[float], hidden: int = 10) -> None:
    """A dense model with D* = 1 (m unit features, D_i = 1), then one sparse model with the given
    feature dimensionalities (a feature with D_i > 0 learned, ‖W_i‖ = 1; D* = m / learned)."""
    n = len(dims_at_sparse)
    norms = {1.0: [1.0] * hidden + [0.0] * (n - hidden), 0.01: [1.0 if d > 0 else 0.0 for d in dims_at_sparse]}
    dims = {1.0: [1.0] * hidden + [0.0] * (n - hidden), 0.01: dims_at_sparse}
    write_results(config, "uniform-400-in-30", norms, [1.0] * n, hidden=hidden, dimensionality=dims)


def test_dimensionality_clusters_against_the_union_of_the_windows(config):
    uniform_models(config, [0.5, 0.5, 0.4, 0.4, 2 / 3, 2 / 3, 0.75, 0.375] * 5)
    result = claims.CLAIMS["dimensionalities-cluster-at-fractions"].evaluate(config)
    # all 40 in range and on a line; chance = union of the windows (0.185: ⅖ and ⅜ overlap by 0.015) / 0.415
    assert result.holds and result.value == pytest.approx(0.415 / 0.185)
    assert "1 sparse levels" in result.detail and "40 of 40" in result.detail
    spread = list(np.linspace(0.36, 0.76, 40))  # evenly spread over the range: near a line only by chance
    uniform_models(config, spread)
    result = claims.CLAIMS["dimensionalities-cluster-at-fractions"].evaluate(config)
    assert not result.holds and result.value == pytest.approx(1.0, abs=0.35)


def test_dimensionality_clusters_ignore_the_dense_level_and_the_one_line(config):
    # at the sparse level every learned feature sits on the 1 line (hand-built): not counted, nothing in range
    uniform_models(config, [1.0] * 40)
    result = claims.CLAIMS["dimensionalities-cluster-at-fractions"].evaluate(config)
    assert math.isnan(result.value) and "no learned feature with D_i in" in result.detail
    # the same values on the dense level (D* = 1 throughout): no sparse level at all
    uniform_models(config, [1.0] * 40, hidden=40)
    assert "no level past the 1-plateau" in claims.CLAIMS["dimensionalities-cluster-at-fractions"].evaluate(config).detail


def test_dimensionalities_sum_to_m_when_packed_efficiently(config):
    # 10 antipodal pairs in m=10 (20 learned features): D* = 1/2, Σ D_i = 20 · 1/2 = 10 = m: packed efficiently
    uniform_models(config, [0.5] * 20 + [0.0] * 20)
    result = claims.CLAIMS["feature-dimensionalities-sum-to-m"].evaluate(config)
    assert result.holds and result.value == pytest.approx(1.0) and "1 efficiently packed" in result.detail
    # on the levels but summing to 0.8 m (e.g. pairs that do not fill the space): packed, yet Σ D_i ≠ m
    uniform_models(config, [0.5] * 16 + [0.0] * 24)
    result = claims.CLAIMS["feature-dimensionalities-sum-to-m"].evaluate(config)
    assert not result.holds and result.value == pytest.approx(0.8)
    # off the levels: not packed efficiently, so no model to test
    uniform_models(config, [0.55] * 20 + [0.0] * 20)
    assert "insufficient" in claims.CLAIMS["feature-dimensionalities-sum-to-m"].evaluate(config).detail


def test_evaluate_claims_covers_every_figure_of_the_profile(config):
    importance = [0.9**i for i in range(5)]
    write_results(config, "intro-5-in-2", {1.0: [1, 1, 0, 0, 0], 0.05: [1, 1, 1, 1, 1]}, importance, hidden=2)
    result = claims.CLAIMS["intro-sparsity-adds-features"].evaluate(config)
    assert result.holds and result.value == 5
    write_results(config, "intro-5-in-2", {1.0: [1, 0, 1, 0, 0], 0.05: [1, 1, 1, 1, 1]}, importance, hidden=2)
    assert not claims.CLAIMS["intro-sparsity-adds-features"].evaluate(config).holds
    figures = {c.figure for c in claims.CLAIMS.values()}
    assert figures <= set(config.figures)


def test_every_figure_of_the_config_has_a_claim():
    figures = set(load_config().figures)  # config/config.yaml, default profile
    claimed = {c.figure for c in claims.CLAIMS.values()}
    assert figures - claimed == set(), f"figures without a claim: {sorted(figures - claimed)}"
    assert claimed <= figures, f"claims of unknown figures: {sorted(claimed - figures)}"


def test_pearson_interval_contains_r_and_needs_four_points():
    r, low, high = claims.pearson_with_interval([1, 2, 3, 4, 5, 6], [1.1, 1.9, 3.2, 3.8, 5.3, 5.9])
    assert low < r < high and r == pytest.approx(0.9945, abs=1e-3)
    r, low, high = claims.pearson_with_interval([1, 2, 3], [1, 3, 2])
    assert r == pytest.approx(0.5) and math.isnan(low) and math.isnan(high)
    assert all(math.isnan(v) for v in claims.pearson_with_interval([1, 1, 1, 1], [1, 2, 3, 4]))


def test_superposition_starts_with_the_less_important_features(config):
    importance = [0.7**i for i in range(4)]
    # 1−S = 0.1: the two least important features share a dimension (D = 1/2), the top two are dedicated.
    dims = {1.0: [1.0, 1.0, 0.0, 0.0], 0.1: [1.0, 1.0, 0.5, 0.5]}
    write_results(config, "basic-80-in-20-relu", {1.0: [1, 1, 0, 0], 0.1: [1, 1, 1, 1]}, importance, hidden=3,
                  dimensionality=dims)
    result = claims.CLAIMS["basic-80-in-20-superposition-starts-with-less-important"].evaluate(config)
    assert result.holds and result.value == 1.0  # the dense model (no superposition) does not count
    dims = {1.0: [1.0, 1.0, 0.0, 0.0], 0.1: [0.5, 0.5, 1.0, 1.0]}  # the most important in superposition first
    write_results(config, "basic-80-in-20-relu", {1.0: [1, 1, 0, 0], 0.1: [1, 1, 1, 1]}, importance, hidden=3,
                  dimensionality=dims)
    assert not claims.CLAIMS["basic-80-in-20-superposition-starts-with-less-important"].evaluate(config).holds

