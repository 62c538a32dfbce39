"""Claims of the learning-dynamics, adversarial and L1 figures, on hand-built figure tables."""

from __future__ import annotations

import math

import numpy as np
import pytest

from .helpers import evaluate, temporary_config, write_figure


@pytest.fixture
def config(tmp_path):
    return temporary_config(tmp_path)


def energy_table(jumps: list[tuple[float, float, float]]) -> list[dict]:
    """A few dimensionality rows and one ``jump`` row per (from level, to level, slope percentile)."""
    rows = [{"quantity": "dimensionality", "step": 1, "feature": 0, "value": 0.5}]
    rows += [{"quantity": "jump", "step": 10 * (k + 1), "feature": k, "from_level": a, "to_level": b,
              "slope_percentile": p} for k, (a, b, p) in enumerate(jumps)]
    return rows


def test_energy_level_jumps(config):
    write_figure(config, "energy-levels", energy_table([(0.0, 0.5, 0.9), (1.0, 0.5, 0.8), (0.5, 2 / 3, 0.4)]))
    jumps = evaluate(config, "energy-level-jumps")
    assert jumps.holds and jumps.value == 3
    drops = evaluate(config, "energy-level-jumps-drop-loss")
    assert drops.holds and drops.value == pytest.approx(0.8)
    write_figure(config, "energy-levels", energy_table([(0.0, 0.5, 0.3)]))
    assert not evaluate(config, "energy-level-jumps-drop-loss").holds
    write_figure(config, "energy-levels", energy_table([]))
    assert not evaluate(config, "energy-level-jumps").holds
    assert math.isnan(evaluate(config, "energy-level-jumps-drop-loss").value)


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


def adversarial_table(vulnerability: list[float], per_dimension: list[float]) -> list[dict]:
    base = vulnerability[0]
    return [{"inverse_density": 2.0**k, "vulnerability": v, "rise_over_densest": v / base,
             "features_per_dimension": f} for k, (v, f) in enumerate(zip(vulnerability, per_dimension))]


def test_adversarial_rise_and_tracking(config):
    write_figure(config, "adversarial", adversarial_table([0.1, 0.2, 0.35, 0.5, 0.45], [1.0, 1.5, 2.1, 3.0, 2.9]))
    rise = evaluate(config, "adversarial-vulnerability-rises-3x")
    assert rise.holds and rise.value == pytest.approx(5.0)
    tracks = evaluate(config, "adversarial-tracks-features-per-dimension")
    assert tracks.holds and tracks.ci_low < tracks.value < tracks.ci_high
    assert tracks.value == pytest.approx(np.corrcoef([0.1, 0.2, 0.35, 0.5, 0.45], [1.0, 1.5, 2.1, 3.0, 2.9])[0, 1])
    write_figure(config, "adversarial", adversarial_table([0.1, 0.2, 0.25, 0.15, 0.12], [1.0, 1.5, 2.1, 3.0, 2.9]))
    assert not evaluate(config, "adversarial-vulnerability-rises-3x").holds  # 2.5×
    assert not evaluate(config, "adversarial-tracks-features-per-dimension").holds


def l1_table(sweep: list[tuple[float, int, int, float, bool]]) -> list[dict]:
    """Summary rows (λ, features represented, in superposition, relative loss, top features) and a norm row."""
    rows = [{"quantity": "summary", "l1_penalty": lam, "features_represented": rep, "features_in_superposition": sup,
             "relative_loss": loss, "top_features_represented": top} for lam, rep, sup, loss, top in sweep]
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
