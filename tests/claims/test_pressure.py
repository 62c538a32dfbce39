"""The pressure claims on hand-built figure tables: one that holds, one that does not, one without data."""

from __future__ import annotations

import math

import pytest

from .helpers import evaluate, temporary_config, write_figure

TREND = "pressure-cleaner-structure"
CLUSTERS = "pressure-clusters-at-fractions"


def trend(ratio, low, high, claim_id=TREND):
    return {"row": "trend", "claim_id": claim_id, "feature_probability": 0.1, "features_low": 100,
            "features_high": 1600, "share_at_low": 0.3, "share_at_high": 0.3 * ratio, "ratio": ratio,
            "ratio_low": low, "ratio_high": high, "in_range": math.nan, "near": math.nan}


def share(near, in_range, chance=0.45, claim_id=CLUSTERS):
    value = near / in_range if in_range else math.nan
    return {"row": "share", "claim_id": claim_id, "feature_probability": 0.1, "features": 1600, "learned": 120,
            "in_range": in_range, "near": near, "share": value, "share_low": value * 0.9, "share_high": value * 1.05,
            "chance": chance, "over_chance": value / chance, "over_chance_low": value * 0.9 / chance,
            "over_chance_high": value * 1.05 / chance}


@pytest.mark.parametrize("rows, holds", [
    ([trend(2.0, 1.2, 3.3), share(95, 100)], True),       # ratio above 1 beyond noise; 0.855/0.45 = 1.9 < 2
    ([trend(1.5, 0.8, 2.8), share(50, 100)], False),      # the interval includes 1
])
def test_cleaner_structure(tmp_path, rows, holds):
    config = temporary_config(tmp_path)
    write_figure(config, "pressure", rows)
    result = evaluate(config, TREND)
    assert result.holds is holds
    assert result.value == rows[0]["ratio"] and result.ci_low == rows[0]["ratio_low"]


def test_clusters_need_twice_chance_at_the_lower_bound(tmp_path):
    config = temporary_config(tmp_path)
    write_figure(config, "pressure", [trend(1.0, 0.5, 2.0), share(100, 100, chance=0.4)])  # low 0.9/0.4 = 2.25
    result = evaluate(config, CLUSTERS)
    assert result.holds and result.ci_low == pytest.approx(2.25)
    write_figure(config, "pressure", [trend(1.0, 0.5, 2.0), share(95, 100)])  # low 0.855/0.45 = 1.9
    assert not evaluate(config, CLUSTERS).holds


def test_without_data_both_are_insufficient(tmp_path):
    config = temporary_config(tmp_path)
    write_figure(config, "pressure", [trend(math.nan, math.nan, math.nan), share(0, 0)])
    for claim_id in (TREND, CLUSTERS):
        result = evaluate(config, claim_id)
        assert math.isnan(result.value) and not result.holds and "insufficient data" in result.detail
    write_figure(config, "pressure", [trend(2.0, 1.5, 3.0, claim_id=""), share(90, 100, claim_id="")])
    assert "insufficient data" in evaluate(config, TREND).detail  # rows found by claim_id only
