"""claims --compare A B: the convergence rules on hand-built claims tables, the loss comparison, the
files it writes and the report column that shows it."""

from __future__ import annotations

import copy
import math
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import yaml

from toy_superposition import config as cfg
from toy_superposition.artifacts import read_parquet, write_parquet
from toy_superposition.config import resolve_config
from toy_superposition.paths import experiment_paths, report_paths
from toy_superposition.pipeline import convergence
from toy_superposition.pipeline.dag import report_stages
from toy_superposition.pipeline.report import _claim_rows

NAN = math.nan


def claims(*rows) -> pd.DataFrame:
    """A claims table as the claims stage writes it; each row (claim, value, low, high, holds)."""
    return pd.DataFrame([
        {"claim": c, "figure": f"fig-{c}", "source": "s", "statement": f"statement {c}", "quantity": "q",
         "value": v, "ci_low": lo, "ci_high": hi, "threshold": "t", "holds": h, "detail": ""}
        for c, v, lo, hi, h in rows
    ])


def row_of(table: pd.DataFrame, claim: str) -> pd.Series:
    return table[table["claim"] == claim].iloc[0]


A = claims(
    ("inside", 0.80, 0.70, 0.90, True),        # h = 0.1
    ("outside", 0.80, 0.75, 0.85, True),       # h = 0.05 / 0.05
    ("flipped", 0.74, 0.70, 0.78, False),
    ("both-nan", NAN, NAN, NAN, False),
    ("one-nan", NAN, NAN, NAN, False),
    ("point-same", 1.27, NAN, NAN, False),
    ("point-moved", 1.27, NAN, NAN, False),
    ("wide-b", 0.50, 0.49, 0.51, True),        # h_a = 0.01, h_b = 0.2: the larger decides
    ("only-a", 0.3, NAN, NAN, True),
)
B = claims(
    ("inside", 0.85, 0.80, 0.90, True),
    ("outside", 0.70, 0.65, 0.75, True),
    ("flipped", 0.76, 0.72, 0.80, True),
    ("both-nan", NAN, NAN, NAN, False),
    ("one-nan", 0.4, 0.3, 0.5, False),
    ("point-same", 1.27, NAN, NAN, False),
    ("point-moved", 1.61, NAN, NAN, False),
    ("wide-b", 0.60, 0.40, 0.80, True),
    ("only-b", 2.0, 1.0, 3.0, False),
)


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return convergence.claim_convergence(A, B, "paper", "long")


def test_one_row_per_claim_of_either_profile_in_order(table):
    assert list(table["claim"]) == [*A["claim"], "only-b"]
    assert set(table["profile_a"]) == {"paper"} and set(table["profile_b"]) == {"long"}


@pytest.mark.parametrize("claim, converged, status", [
    ("inside", True, convergence.CONVERGED),            # |0.05| < 0.1
    ("outside", False, convergence.MOVED),              # |−0.10| ≥ 0.05
    ("flipped", False, convergence.VERDICT_CHANGED),    # within the interval, but the verdict changed
    ("both-nan", pd.NA, convergence.NO_VALUE),
    ("one-nan", False, convergence.ONE_VALUE),
    ("point-same", True, convergence.CONVERGED),
    ("point-moved", pd.NA, "no interval: moved by +0.34"),
    ("wide-b", True, convergence.CONVERGED),            # |0.1| < max(0.01, 0.2)
    ("only-a", pd.NA, "only under paper"),
    ("only-b", pd.NA, "only under long"),
])
def test_convergence_rules(table, claim, converged, status):
    row = row_of(table, claim)
    assert row["status"] == status
    if converged is pd.NA:
        assert row["converged"] is pd.NA
    else:
        assert bool(row["converged"]) is converged


def test_delta_and_half_width_by_hand(table):
    inside = row_of(table, "inside")
    assert inside["delta"] == pytest.approx(0.05) and inside["half_width"] == pytest.approx(0.1)
    assert row_of(table, "wide-b")["half_width"] == pytest.approx(0.2)
    assert row_of(table, "point-moved")["delta"] == pytest.approx(0.34)
    assert math.isnan(row_of(table, "point-moved")["half_width"])
    assert math.isnan(row_of(table, "both-nan")["delta"])
    assert row_of(table, "only-b")["value_b"] == 2.0 and math.isnan(row_of(table, "only-b")["value_a"])


def test_strictly_less_than_the_half_width():
    # binary-exact numbers: |Δ| = h = 0.25 exactly is not "less than", 0.125 is
    a = claims(("c", 0.5, 0.25, 0.75, True))
    at = convergence.claim_convergence(a, claims(("c", 0.75, 0.5, 1.0, True))).iloc[0]
    assert (at["delta"], at["half_width"], bool(at["converged"])) == (0.25, 0.25, False)
    below = convergence.claim_convergence(a, claims(("c", 0.625, 0.5, 0.75, True))).iloc[0]
    assert bool(below["converged"]) is True


def test_an_unchanged_value_converges_under_zero_width_intervals():
    # a share of 0 [0, 0] under both profiles: |Δ| = h = 0, which "less than" alone reads as a move
    zero = claims(("c", 0.0, 0.0, 0.0, False))
    same = convergence.claim_convergence(zero, zero).iloc[0]
    assert (same["half_width"], bool(same["converged"]), same["status"]) == (0.0, True, convergence.CONVERGED)
    moved = convergence.claim_convergence(zero, claims(("c", 0.25, 0.25, 0.25, False))).iloc[0]
    assert (bool(moved["converged"]), moved["status"]) == (False, convergence.MOVED)


def test_table_columns_survive_parquet(table, tmp_path):
    write_parquet(tmp_path / "t.parquet", table)
    back = read_parquet(tmp_path / "t.parquet")
    assert back["converged"].dtype == "boolean"
    assert back["converged"].isna().sum() == table["converged"].isna().sum() == 4  # both-nan, point-moved, only-a, only-b
    assert list(back["status"]) == list(table["status"])


# --------------------------------------------------------------------------- final losses


def instances(losses: dict[tuple[float, float], list[float]]) -> pd.DataFrame:
    """An instances table: per (feature_probability, dropout) point its restarts' final losses."""
    rows = []
    for setting, ((p, dropout), values) in enumerate(losses.items()):
        best = int(np.argmin(values))
        for restart, value in enumerate(values):
            rows.append({"instance": len(rows), "setting": setting, "restart": restart, "feature_probability": p,
                         "dropout": dropout, "extra_feature_importance": NAN, "final_loss": value,
                         "selected": restart == best})
    return pd.DataFrame(rows)


def test_loss_change_matches_points_by_their_grid_values():
    a = instances({(1.0, 0.0): [0.10, 0.20], (0.1, 0.0): [0.04, 0.05], (0.1, 0.5): [0.5, 0.6]})
    # B lists its points in another order, has more restarts and a point A lacks
    b = instances({(0.1, 0.0): [0.03, 0.09, 0.05], (1.0, 0.0): [0.11, 0.10, 0.12], (0.01, 0.0): [0.001, 0.002, 0.003]})
    change = convergence.loss_change(a, b)
    assert (change["points_a"], change["points_b"], change["points_matched"]) == (3, 3, 2)
    assert change["loss_a"] == pytest.approx((0.10 + 0.04) / 2)
    assert change["loss_b"] == pytest.approx((0.10 + 0.03) / 2)
    assert change["relative_change"] == pytest.approx((0.065 - 0.07) / 0.07)
    assert change["largest_decrease"] == pytest.approx(-0.25)  # (0.03 − 0.04) / 0.04


def test_loss_change_without_shared_points_is_nan():
    change = convergence.loss_change(instances({(1.0, 0.0): [0.1]}), instances({(0.5, 0.0): [0.1]}))
    assert change["points_matched"] == 0 and math.isnan(change["relative_change"])


def test_attach_losses_takes_the_most_negative_change_of_the_figures_experiments():
    table = claims(("c1", 1.0, NAN, NAN, True), ("c2", 1.0, NAN, NAN, True), ("c3", 1.0, NAN, NAN, True))
    losses = pd.DataFrame({"experiment": ["e1", "e2", "e3"], "relative_change": [-0.02, -0.30, NAN]})
    figures = {"fig-c1": ("e1", "e2"), "fig-c2": ("e3",), "fig-c3": ("e1",)}
    out = convergence.attach_losses(table, losses, figures)
    assert list(out["experiments"]) == ["e1, e2", "e3", "e1"]
    assert out["loss_change"].iloc[0] == pytest.approx(-0.30)
    assert math.isnan(out["loss_change"].iloc[1])
    assert out["loss_change"].iloc[2] == pytest.approx(-0.02)


# --------------------------------------------------------------------------- files and the report


@pytest.fixture
def two_profiles(tmp_path):
    """Two subset profiles (one figure) with claims and instances tables on disk."""
    raw = copy.deepcopy(yaml.safe_load(cfg.CONFIG_FILE.read_text()))
    raw["profiles"] = {
        "base": {"results_dir": str(tmp_path / "base"), "figures": ["dims-per-feature"]},
        "longer": {"results_dir": str(tmp_path / "longer"), "figures": ["dims-per-feature"],
                   "training": {"steps": 30000}},
    }
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(raw))
    base, longer = resolve_config(raw, profile="base"), resolve_config(raw, profile="longer")
    for config, table, losses in ((base, A, [0.20, 0.10]), (longer, B, [0.18, 0.10])):
        write_parquet(report_paths(config)["claims_table"], table)
        write_parquet(experiment_paths(config, "uniform-400-in-30").instances,
                      instances({(1.0, 0.0): [losses[0]], (0.1, 0.0): [losses[1]]}))
    return path, base, longer


def test_run_compare_writes_parquet_and_markdown(two_profiles):
    _, base, longer = two_profiles
    paths = convergence.run_compare(base, longer)
    assert paths["claims"] == report_paths(base)["claims_table"].parent / "convergence" / "base-vs-longer.parquet"
    claims_table, losses = read_parquet(paths["claims"]), read_parquet(paths["losses"])
    assert len(claims_table) == 10
    (loss,) = losses.itertuples()
    assert loss.experiment == "uniform-400-in-30" and loss.points_matched == 2
    assert loss.relative_change == pytest.approx((0.14 - 0.15) / 0.15)
    assert "10000 steps" in loss.recipe_a and "30000 steps" in loss.recipe_b
    text = paths["markdown"].read_text()
    assert "# Convergence: longer against base" in text
    assert "3 of 10 claims converged, 3 did not, 4 undecided; verdict changed for 1." in text  # hand count above
    assert "| inside | 0.8 [0.7, 0.9] | yes | 0.85 [0.8, 0.9] | yes |" in text
    assert convergence.comparisons_for(base).keys() == {"longer"}
    assert convergence.comparisons_for(longer) == {}
    # the report stage reads it, so the DAG lists it among the report's inputs (and not the losses table)
    report = {stage.name: stage for stage in report_stages(base)}["report"]
    assert paths["claims"].as_posix() in report.deps
    assert not any(dep.endswith("-losses.parquet") for dep in report.deps)
    assert not any("convergence/" in dep for dep in {s.name: s for s in report_stages(longer)}["report"].deps)


def test_cli_compare_and_its_error_without_results(two_profiles, tmp_path):
    path, base, _ = two_profiles
    command = [sys.executable, "-m", "toy_superposition.cli", "claims", "--config", str(path), "--compare"]
    done = subprocess.run(command + ["base", "longer"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "base-vs-longer.md" in done.stdout
    report_paths(base)["claims_table"].unlink()
    failed = subprocess.run(command + ["base", "longer"], capture_output=True, text=True)
    assert failed.returncode == 2
    assert "no claims table for profile 'base'" in failed.stderr and "Traceback" not in failed.stderr


def test_the_report_shows_convergence_beside_each_claim(table):
    own = A.assign(quantity="q", threshold="t", detail="")
    html = _claim_rows(own, {"long": table})
    assert "convergence (claims --compare)" in html
    assert html.count("<b>long</b>: converged") == 3  # inside, point-same, wide-b
    assert "<b>long</b>: not converged<br><small>verdict changed" in html
    assert "<b>long</b>: undecided<br><small>no value under either" in html
    assert "convergence" not in _claim_rows(own)  # no table, no column
    with_loss = table.assign(loss_change=[-0.0123] + [NAN] * (len(table) - 1))
    cells = _claim_rows(own, {"long": with_loss})
    assert cells.count("final loss") == 1 and "value moved; Δ +0.05 (±0.1); final loss -1.23%" not in cells
    assert "converged; Δ +0.05 (±0.1); final loss -1.23%" in cells  # "inside": moved 0.05 within h = 0.1
