"""The appendix's nonlinear compression: staircase, exact MSE, linear baselines, the paper's sentence."""

import numpy as np
import pytest

import toy_superposition.analysis.nonlinear_compression as nc


def test_smooth_floor_is_a_continuous_staircase():
    Z, w = 4, 0.1
    u = np.linspace(0, Z, 40001, endpoint=False)
    F = nc.smooth_floor(u, Z, w)
    away = np.abs(u - np.round(u)) > w / 2
    np.testing.assert_array_equal(F[away], np.floor(u[away]))
    assert np.all(np.diff(F) >= 0) and np.abs(np.diff(F)).max() <= (u[1] - u[0]) / w + 1e-12
    assert nc.smooth_floor(2.0, Z, w) == pytest.approx(1.5)  # ramp centred on the jump


def test_round_trip_without_ramp_effects():
    Z = 5
    x = np.array([0.03, 0.31, 0.55, 0.97])
    y = np.array([0.2, 0.5, 0.7, 0.4])
    x_hat, y_hat = nc.decode(nc.encode(x, y, Z, 1e-6), Z, 1e-6)
    np.testing.assert_allclose(x_hat, (np.floor(Z * x) + 0.5) / Z, atol=1e-12)
    np.testing.assert_allclose(y_hat, y, atol=1e-12)


@pytest.mark.parametrize("Z, eps, units, guard", [(3, 0.1, "bin", False), (3, 0.1, "absolute", False),
                                                  (10, 0.2, "absolute", False), (5, 0.05, "bin", True),
                                                  (16, 0.2, "bin", False), (2, 0.3, "absolute", True)])
def test_exact_quadrature_against_fine_midpoint_rule(Z, eps, units, guard):
    g = (np.arange(1200) + 0.5) / 1200  # the midpoint rule's error is O(h) where the guard clips: rel ~3e-3 at 1200²
    X, Y = np.meshgrid(g, g, indexing="ij")
    ex, ey = nc._squared_errors(X, Y, Z, eps, units, guard)
    err = nc.reconstruction_mse(Z, eps, units, guard)
    assert err.mse_x == pytest.approx(ex.mean(), rel=5e-3, abs=1e-6)
    assert err.mse_y == pytest.approx(ey.mean(), rel=5e-3, abs=1e-6)


@pytest.mark.parametrize("Z", [1, 2, 3, 8, 16])
def test_small_ramp_limit(Z):
    err = nc.reconstruction_mse(Z, 1e-7)
    assert err.mse_x == pytest.approx(1 / (12 * Z * Z), rel=1e-5)
    assert err.mse_y < 1e-6


def test_linear_baselines_are_best_affine_decodes():
    g = (np.arange(1000) + 0.5) / 1000
    X, Y = (a.ravel() for a in np.meshgrid(g, g, indexing="ij"))
    for kind, t in (("keep_one", X), ("average", (X + Y) / 2)):
        design = np.stack([t, np.ones_like(t)], 1)
        residual = [np.mean((v - design @ np.linalg.lstsq(design, v, rcond=None)[0]) ** 2) for v in (X, Y)]
        expected = nc.linear_mse(kind)
        assert residual[0] == pytest.approx(expected.mse_x, abs=1e-6)
        assert residual[1] == pytest.approx(expected.mse_y, abs=1e-6)
        assert expected.mse == pytest.approx(1 / 24)


def test_the_appendix_sentence():
    """'even with epsilons as large as 0.1 and Z values as small as 3 the nonlinear compression
    outperforms linear compression such as picking one of the dimensions or using the average'."""
    for units in nc.UNITS:
        err = nc.reconstruction_mse(3, 0.1, units)
        assert err.mse < min(nc.linear_mse("keep_one").mse, nc.linear_mse("average").mse)


def test_table():
    df = nc.compression_table()
    assert len(df) == 7 * 5
    assert df.wins.all()  # ε as a fraction of a step: wins everywhere on the grid
    assert np.isnan(nc.compression_table(Zs=(10,), epsilons=(0.1,), units="absolute", guard=True).mse).all()
    with pytest.raises(ValueError):
        nc.reconstruction_mse(10, 0.1, "absolute", guard=True)
