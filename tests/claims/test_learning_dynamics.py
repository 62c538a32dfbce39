"""Claims of the learning-dynamics, adversarial and L1 figures, on hand-built figure tables."""

from __future__ import annotations

import math

import numpy as np
import pytest

from .helpers import evaluate, temporary_config, write_figure


@pytest.fixture
def config(tmp_path):
    return temporary_config(tmp_path)


def energy_table(jumps: list[tuple[float, float, float]], learned: int = 60, digons: int = 60) -> list[dict]:
    """A few dimensionality rows and one ``jump`` row per (from level, to level, slope percentile); every row
    names the followed model's learned features and those in digons at the end."""
    rows = [{"quantity": "dimensionality", "step": 1, "feature": 0, "value": 0.5}]
    rows += [{"quantity": "jump", "step": 10 * (k + 1), "feature": k, "from_level": a, "to_level": b,
              "slope_percentile": p} for k, (a, b, p) in enumerate(jumps)]
    return [dict(row, learned_at_end=learned, in_digons_at_end=digons, restarts=4, restarts_ending_in_digons=1)
            for row in rows]


def test_energy_level_jumps_count_only_between_non_zero_levels(config):
    write_figure(config, "energy-levels", energy_table([(0.0, 0.5, 0.9), (1.0, 0.5, 0.8), (0.5, 2 / 3, 0.4)]))
    jumps = evaluate(config, "energy-level-jumps")
    assert jumps.holds and jumps.value == 2 and "1 more to or from 0" in jumps.detail  # 0 → ½ is learning
    drops = evaluate(config, "energy-level-jumps-drop-loss")
    assert not drops.holds and drops.value == pytest.approx(0.6)  # median of 0.8 and 0.4; the 0.9 is no jump
    write_figure(config, "energy-levels", energy_table([(0.5, 2 / 3, 0.8), (2 / 3, 0.5, 0.9), (0.5, 0.0, 0.1)]))
    assert evaluate(config, "energy-level-jumps-drop-loss").value == pytest.approx(0.85)
    write_figure(config, "energy-levels", energy_table([(0.0, 0.5, 0.3), (0.5, 0.0, 0.9)]))
    jumps = evaluate(config, "energy-level-jumps")
    assert not jumps.holds and jumps.value == 0  # learning a feature and dropping one are no energy-level jumps
    assert math.isnan(evaluate(config, "energy-level-jumps-drop-loss").value)
    write_figure(config, "energy-levels", energy_table([]))
    assert not evaluate(config, "energy-level-jumps").holds


def test_the_followed_model_ends_in_digons(config):
    write_figure(config, "energy-levels", energy_table([(0.5, 2 / 3, 0.8)]))
    result = evaluate(config, "energy-levels-model-ends-in-digons")
    assert result.holds and result.value == 1.0 and "1 of 4 restarts" in result.detail
    write_figure(config, "energy-levels", energy_table([(0.5, 2 / 3, 0.8)], learned=60, digons=54))
    result = evaluate(config, "energy-levels-model-ends-in-digons")
    assert not result.holds and result.value == pytest.approx(0.9) and result.ci_low < 0.9 < result.ci_high


def transformations_table(regimes: int, octahedra: list[bool]) -> list[dict]:
    rows = [{"quantity": "regime", "regime": "ABCDE"[k], "step": 10**k, "antipodal_pairs": k} for k in range(regimes)]
    rows += [{"quantity": "restart", "instance": k, "is_octahedron": o} for k, o in enumerate(octahedra)]
    return rows


def test_geometric_transformations(config):
    write_figure(config, "geometric-transformations", transformations_table(4, [True, True, False]))
    assert evaluate(config, "learning-in-regimes").holds
    attractor = evaluate(config, "octahedron-attractor")
    assert attractor.holds and attractor.value == pytest.approx(2 / 3)
    assert attractor.ci_low < 2 / 3 < attractor.ci_high
    write_figure(config, "geometric-transformations", transformations_table(2, [True, False]))
    assert not evaluate(config, "learning-in-regimes").holds
    assert not evaluate(config, "octahedron-attractor").holds  # half is not "most"


def adversarial_table(universal: list[float], per_input: list[float], per_dimension: list[float]) -> list[dict]:
    """One row per density: the paper's attack (``universal_vulnerability``), the per-input one, 1/D*."""
    return [{"inverse_density": 2.0**k, "universal_vulnerability": u, "vulnerability": v, "features_per_dimension": f}
            for k, (u, v, f) in enumerate(zip(universal, per_input, per_dimension))]


PER_DIMENSION = [1.0, 1.5, 2.1, 3.0, 2.9]


def test_adversarial_claims_use_the_papers_attack_and_keep_the_per_input_one(config):
    strong, weak = [0.1, 0.2, 0.35, 0.5, 0.45], [0.1, 0.2, 0.25, 0.15, 0.12]
    write_figure(config, "adversarial", adversarial_table(strong, weak, PER_DIMENSION))
    rise = evaluate(config, "adversarial-vulnerability-rises-3x")
    assert rise.holds and rise.value == pytest.approx(5.0)
    tracks = evaluate(config, "adversarial-tracks-features-per-dimension")
    assert tracks.holds and tracks.ci_low < tracks.value < tracks.ci_high
    assert tracks.value == pytest.approx(np.corrcoef(strong, PER_DIMENSION)[0, 1])
    per_input = evaluate(config, "adversarial-vulnerability-rises-3x-per-input")
    assert not per_input.holds and per_input.value == pytest.approx(2.5)  # the second row reads the other attack
    assert not evaluate(config, "adversarial-tracks-features-per-dimension-per-input").holds
    write_figure(config, "adversarial", adversarial_table(weak, strong, PER_DIMENSION))
    assert not evaluate(config, "adversarial-vulnerability-rises-3x").holds  # 2.5×
    assert not evaluate(config, "adversarial-tracks-features-per-dimension").holds
    assert evaluate(config, "adversarial-vulnerability-rises-3x-per-input").holds


def l1_table(sweep: list[tuple[float, int, int, float, bool]], alignment: list[float] | None = None) -> list[dict]:
    """Summary rows (λ, features represented, in superposition, relative loss, top features; the represented
    features' mean basis alignment) and a norm row."""
    alignment = alignment or [0.6] * len(sweep)
    rows = [{"quantity": "summary", "l1_penalty": lam, "features_represented": rep, "features_in_superposition": sup,
             "relative_loss": loss, "top_features_represented": top, "basis_alignment": a}
            for (lam, rep, sup, loss, top), a in zip(sweep, alignment)]
    return rows + [{"quantity": "norm", "l1_penalty": 0.0, "feature": 0, "value": 1.0}]


def test_l1_removes_superposition_at_a_cost(config):
    write_figure(config, "l1-superposition", l1_table([
        (0.0, 30, 20, 1.0, True), (1e-3, 25, 5, 1.2, True), (1e-2, 20, 0, 1.5, True), (1e-1, 10, 0, 3.0, True)]))
    removes = evaluate(config, "l1-removes-superposition")
    assert removes.holds and removes.value == pytest.approx(1e-2)
    cost = evaluate(config, "l1-removal-costs-loss")
    assert cost.holds and cost.value == pytest.approx(1.5)
    assert evaluate(config, "l1-kills-less-important-features").holds


def test_l1_claims_fail_when_superposition_stays(config):
    write_figure(config, "l1-superposition", l1_table([
        (0.0, 30, 20, 1.0, True), (1e-3, 25, 5, 1.2, False), (1e-2, 20, 0, 1.5, True), (1e-1, 10, 2, 3.0, True)]))
    assert not evaluate(config, "l1-removes-superposition").holds  # superposition comes back at the largest λ
    assert math.isnan(evaluate(config, "l1-removal-costs-loss").value)
    kills = evaluate(config, "l1-kills-less-important-features")
    assert not kills.holds and kills.value == 0.75


def test_l1_keeps_the_basis_aligned_features(config):
    sweep = [(0.0, 30, 20, 1.0, True), (1e-3, 25, 5, 1.2, True), (1e-2, 20, 0, 1.5, True), (1e-1, 0, 0, 3.0, True)]
    write_figure(config, "l1-superposition", l1_table(sweep, alignment=[0.55, 0.8, 0.95, math.nan]))
    result = evaluate(config, "l1-keeps-basis-aligned-features")
    # λ = 0.1 represents nothing (no alignment) and is left out: mean(0.8, 0.95) − 0.55
    assert result.holds and result.value == pytest.approx(0.325)
    write_figure(config, "l1-superposition", l1_table(sweep, alignment=[0.7, 0.6, 0.65, math.nan]))
    result = evaluate(config, "l1-keeps-basis-aligned-features")
    assert not result.holds and result.value == pytest.approx(-0.075)
