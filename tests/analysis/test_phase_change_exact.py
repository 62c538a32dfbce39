"""Exact loss of the bias-free 2-in-1 ReLU output model: closed forms, Monte Carlo, minima, diagram."""

import numpy as np
import pytest
import torch

import toy_superposition.analysis.phase_change as pe
from toy_superposition.analysis.phase_change import CANDIDATES_2_IN_1, monte_carlo_loss

POINTS = [(1.0, 1.0), (0.5, 0.3), (0.1, 3.0), (0.02, 10.0), (0.7, 0.1)]


@pytest.mark.parametrize("p, r", POINTS)
def test_candidates_match_phase_theory(p, r):
    """W = [1,0], [0,1], [1,−1] (b = 0) give phase_theory's closed forms exactly."""
    for candidate in CANDIDATES_2_IN_1:
        W = candidate.weights()[:, 0].numpy()
        exact = pe.expected_loss(W[0], W[1], p, r)
        assert exact == pytest.approx(float(candidate.expected_loss([p, p], [1.0, r])), rel=1e-12)


def test_region_moments_match_independent_quadrature():
    """The two triangle closed forms agree with the clipped-square integration (another method)."""
    k = np.array([0.05, 0.3, 1.0, 1.7, 12.0])
    m20, m11, m02 = pe.region_moments(k)
    half = pe.halfplane_moments(k, -1.0, 0.0)  # k x1 − x2 > 0
    np.testing.assert_allclose(m20, half[(2, 0)], rtol=1e-12)
    np.testing.assert_allclose(m11, half[(1, 1)], rtol=1e-12)
    np.testing.assert_allclose(m02, half[(0, 2)], rtol=1e-12)
    np.testing.assert_allclose(half[(0, 0)], np.where(k <= 1, k / 2, 1 - 1 / (2 * k)), rtol=1e-12)


def test_halfplane_moments_against_fine_midpoint_rule():
    rng = np.random.default_rng(0)
    g = (np.arange(2000) + 0.5) / 2000
    x1, x2 = np.meshgrid(g, g, indexing="ij")
    for a1, a2, c in rng.normal(size=(6, 3)):
        inside = a1 * x1 + a2 * x2 + c > 0
        m = pe.halfplane_moments(a1, a2, c)
        for (a, b), value in m.items():
            assert value == pytest.approx((inside * x1**a * x2**b).mean(), abs=2e-3)


def test_symmetries():
    rng = np.random.default_rng(1)
    w1, w2 = rng.uniform(-1.5, 1.5, (2, 50))
    p, r = rng.uniform(0.01, 1, 50), np.exp(rng.uniform(-2.3, 2.3, 50))
    L = pe.expected_loss(w1, w2, p, r)
    np.testing.assert_allclose(L, pe.expected_loss(-w1, -w2, p, r), rtol=1e-12)
    # swapping the features: I = (1, r) → (r, 1) = r (1, 1/r)
    np.testing.assert_allclose(L, r * pe.expected_loss(w2, w1, p, 1 / r), rtol=1e-12)


def test_bias_version_reduces_to_bias_free():
    rng = np.random.default_rng(2)
    w1, w2 = rng.uniform(-1.5, 1.5, (2, 40))
    p, r = rng.uniform(0.01, 1, 40), np.exp(rng.uniform(-2.3, 2.3, 40))
    np.testing.assert_allclose(pe.expected_loss_with_bias(w1, w2, 0.0, 0.0, p, r),
                               pe.expected_loss(w1, w2, p, r), rtol=1e-11, atol=1e-15)


CASES = [((0.8, -0.6), (0.0, 0.0), 0.3, 2.0), ((0.9, 0.4), (0.0, 0.0), 0.9, 0.5), ((1.1, -1.0), (0.0, 0.0), 0.05, 1.0),
         ((0.3, 1.2), (0.0, 0.0), 0.6, 7.0), ((1.0, -0.9), (-0.2, 0.1), 0.4, 1.5), ((0.7, 0.7), (0.3, -0.4), 1.0, 1.0)]


@pytest.mark.parametrize("w, b, p, r", CASES)
def test_against_monte_carlo_forward_pass(w, b, p, r):
    """Sampled with the package's own sampler and ReLU-output forward pass; 5 standard errors."""
    generator = torch.Generator().manual_seed(0)
    W = torch.tensor([[w[0]], [w[1]]], dtype=torch.float64)
    mean, se = monte_carlo_loss(W, torch.tensor([p, p]), torch.tensor([1.0, r]), 400_000, generator,
                                bias=torch.tensor(b, dtype=torch.float64))
    exact = float(pe.expected_loss_with_bias(w[0], w[1], b[0], b[1], p, r))
    assert abs(mean - exact) < 5 * se + 1e-12
    if b == (0.0, 0.0):
        assert float(pe.expected_loss(w[0], w[1], p, r)) == pytest.approx(exact, rel=1e-11)


def test_dense_equal_importance_is_the_confused_solution():
    """p = 1, r = 1: W = (1/√2, 1/√2), x̂_i = (x1 + x2)/2, loss (1/4) Var(x1 − x2) = 1/24."""
    opt = pe.exact_optimum(1.0, 1.0)
    np.testing.assert_allclose(opt.w, [0.5**0.5, 0.5**0.5], atol=1e-7)
    assert opt.loss == pytest.approx(1 / 24, rel=1e-10)
    assert opt.phase == pe.CONFUSED
    assert opt.n_minima == 2 and opt.phases[1] == pe.SUPERPOSITION  # the antipodal local minimum


def test_sparse_optimum_is_antipodal_and_near_the_candidate():
    opt = pe.exact_optimum(0.01, 1.0)
    assert opt.phase == pe.SUPERPOSITION
    np.testing.assert_allclose(np.abs(opt.w), [1.0, 1.0], atol=2e-3)
    theory = float(CANDIDATES_2_IN_1[2].expected_loss([0.01, 0.01], [1.0, 1.0]))
    assert opt.loss <= theory and opt.loss == pytest.approx(theory, rel=2e-3)


@pytest.mark.parametrize("p, r", POINTS)
def test_minima_are_stationary_and_below_grid_and_candidates(p, r):
    opt = pe.exact_optimum(p, r)
    h = 1e-6
    for w in opt.minima:
        gx = (pe.expected_loss(w[0] + h, w[1], p, r) - pe.expected_loss(w[0] - h, w[1], p, r)) / (2 * h)
        gy = (pe.expected_loss(w[0], w[1] + h, p, r) - pe.expected_loss(w[0], w[1] - h, p, r)) / (2 * h)
        assert abs(gx) < 1e-7 and abs(gy) < 1e-7
    axis, L = pe.loss_surface(p, r, grid_size=401, extent=2.0)
    assert opt.loss <= L.min() + 1e-15
    for candidate in CANDIDATES_2_IN_1:
        assert opt.loss <= float(candidate.expected_loss([p, p], [1.0, r])) + 1e-15
    assert np.all(np.diff(opt.losses) >= 0)
    assert all(w[0] > 0 or (abs(w[0]) < 1e-9 and w[1] >= 0) for w in opt.minima)


def test_classify_2_in_1_thresholds():
    assert pe.classify_2_in_1(1.0, 0.4) == pe.NOT_LEARNED
    assert pe.classify_2_in_1(0.2, -1.0) == pe.DEDICATED
    assert pe.classify_2_in_1(1.0, -0.9) == pe.SUPERPOSITION
    assert pe.classify_2_in_1(0.7, 0.7) == pe.CONFUSED
    assert pe.classify_2_in_1(-0.7, -0.7) == pe.CONFUSED


def test_small_phase_diagram():
    P, R = np.geomspace(1.0, 0.01, 4), np.geomspace(0.1, 10.0, 4)
    df = pe.exact_phase_diagram(P, R)
    assert len(df) == 16
    assert {"p", "r", "w1", "w2", "loss", "phase", "n_minima", "second_loss"} <= set(df.columns)
    assert set(df.phase) <= set(pe.EXACT_PHASES)
    assert (df.loss <= df.second_loss.fillna(np.inf)).all()
    # the brute-force note: antipodal optimum at every density p ≤ 0.18, r from 0.1 to 10
    assert (df[df.p <= 0.18].phase == pe.SUPERPOSITION).all()
    # McGrath: the confused regime appears where sparsity is low and both features are important
    assert df[(df.p == 1.0)].query("r > 0.2 and r < 5").phase.eq(pe.CONFUSED).all()


def test_optimum_with_bias_is_a_stationary_point_below_the_bias_free_optimum():
    """With the output bias the optimum can only be lower, is stationary in (w1, w2, b1, b2), and
    the dense confused point of the bias-free model is replaced by 'keep one feature, output the
    other's mean' (b = p/2 for the dropped one)."""
    P, R = [1.0, 0.1], [0.3, 3.0]
    df = pe.optimum_with_bias(P, R)
    assert len(df) == 4 and (df.loss <= df.free_loss + 1e-15).all()
    h = 1e-6
    for row in df.itertuples():
        x = np.array([row.w1, row.w2, row.b1, row.b2])
        for axis in range(4):
            step = np.eye(4)[axis] * h
            up, down = (pe.expected_loss_with_bias(*(x + s), row.p, row.r) for s in (step, -step))
            assert abs((up - down) / (2 * h)) < 1e-6
    dense = df[df.p == 1.0].set_index("r")
    assert (dense.free_phase == pe.CONFUSED).all() and not (dense.phase == pe.CONFUSED).any()
    assert dense.loc[0.3, "phase"] == pe.NOT_LEARNED and dense.loc[0.3, "b2"] == pytest.approx(0.5, abs=1e-4)
    assert dense.loc[3.0, "phase"] == pe.DEDICATED and dense.loc[3.0, "b1"] == pytest.approx(0.5, abs=1e-4)
    assert (df[df.p == 0.1].phase == pe.SUPERPOSITION).all()
