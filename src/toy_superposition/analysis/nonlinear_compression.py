"""Appendix: Nonlinear Compression — two [0, 1) numbers in one, with continuous ramps, and its exact MSE.

The paper's scheme compresses x, y ∈ [0, 1) into t ∈ [0, 1)::

    t = (⌊Z x⌋ + y) / Z,            decoded by  x̂ = (⌊Z t⌋ + 1/2) / Z,   ŷ = fmod(Z t, 1) = Z t − ⌊Z t⌋.

(x̂ is the centre of x's quantisation bin, the MSE-optimal guess of a uniform x given its bin; the
paper only says that the floor is inverted by fmod.) "Models can't compute discontinuous
functions", so the floors are replaced by a **continuous piecewise-linear staircase**: with
ramps of width w (in the staircase's own argument u, where the steps are 1 apart),

    ⌊u⌋_w = Σ_{k=1}^{Z−1} clip((u − k)/w + 1/2, 0, 1),     u ∈ [0, Z),

i.e. the step at each inner integer k is replaced by a straight line from (k − w/2, k − 1) to
(k + w/2, k) (ramps centred on the discontinuity; overlapping ramps simply add). Encoder and
decoder both use it::

    encoder:  u = Z x,   t = (⌊u⌋_w + y) / Z
    decoder:  v = Z t,   x̂ = (⌊v⌋_w + 1/2) / Z,   ŷ = v − ⌊v⌋_w        (ŷ ∈ [0, 1] automatically)

**Width convention** (``units``): ``"bin"`` (default) — ε is the ramp width as a fraction of one
quantisation step, w = ε in both u = Zx and v = Zt (ε = 0.1: 10 % of every bin is ramp, for any
Z); ``"absolute"`` — ε is the width in x and in t, so w = Zε (ε = 0.1 and Z ≥ 10: the ramps
cover the whole staircase and the scheme degenerates). The appendix does not say which; the
sentence "epsilons as large as 0.1 and Z values as small as 3" (small Z as the hard case)
reads most naturally with ``"bin"``. Both are tabulated.

``guard=True`` is an optional refinement (not the paper's): the encoder writes
``ε'/2 + (1 − ε') y`` (ε' = w) instead of y, keeping clean data off the decoder's ramps, and the
decoder undoes the affine map (and clips to [0, 1]).

MSE. ``x, y ~ U[0, 1)`` independent (dense); the reported error is the mean over the two
coordinates, ``(E[(x − x̂)²] + E[(y − ŷ)²]) / 2`` (the package's mean-over-features loss), with
each coordinate's part kept too.

Exact quadrature. Every map above is piecewise linear, so the squared error is a piecewise
quadratic on polygons of the unit square. For fixed x the y-breakpoints are y = c − ⌊Zx⌋_w
(decoder ramp ends c = j ± w/2, mapped back through the guard map), and the y-integral is
exact with 2-point Gauss–Legendre on each piece. As a function of x that integral is a
polynomial (degree ≤ 3) between the encoder's ramp ends x = (k ± w/2)/Z and the points where a
y-breakpoint crosses y = 0 or 1 (⌊Zx⌋_w = c or c − 1); 3-point Gauss–Legendre on each of those
x-pieces is exact. So :func:`reconstruction_mse` is exact up to rounding (tests compare it with
a fine midpoint rule and with the ε → 0 limit ``E[(x − x̂)²] = 1/(12 Z²)``, ``ŷ = y``).

Linear baselines (:func:`linear_mse`), closed form, one number t per (x, y):

* keep one dimension: t = x, x̂ = t, ŷ = E[y] = 1/2 → per-coordinate errors (0, 1/12), mean 1/24;
* average: t = (x + y)/2; the best affine decode of x from t is x̂ = t (Cov(x, t)/Var t = 1,
  intercept 0), likewise ŷ = t → errors E[((x − y)/2)²] = 1/24 each, mean 1/24.

(For a dense isotropic input every linear 1-D code gives the same mean error 1/24, = the
variance 1/12 of the discarded direction, halved.) Without ramps the nonlinear scheme's mean
error is 1/(24 Z²).

Shapes: ``(...)`` broadcastable arrays of inputs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

UNITS = ("bin", "absolute")
_GL2 = np.polynomial.legendre.leggauss(2)
_GL3 = np.polynomial.legendre.leggauss(3)


def ramp_width(Z: int, eps: float, units: str = "bin") -> float:
    """Ramp width w in the staircase's argument (steps 1 apart) for ε in ``units``."""
    if units not in UNITS:
        raise ValueError(f"units must be one of {UNITS}, got {units!r}")
    if eps <= 0:
        raise ValueError("eps must be positive (eps → 0 is the discontinuous scheme)")
    return float(eps) if units == "bin" else float(eps) * Z


def smooth_floor(u, Z: int, width: float) -> np.ndarray:
    """``⌊u⌋_w = Σ_{k=1}^{Z−1} clip((u − k)/w + 1/2, 0, 1)``: the continuous staircase, shape of u."""
    u = np.asarray(u, dtype=np.float64)
    k = np.arange(1, Z, dtype=np.float64)
    return np.clip((u[..., None] - k) / width + 0.5, 0.0, 1.0).sum(-1)


def _guard_check(w: float, guard: bool) -> None:
    if guard and w >= 1:
        raise ValueError(f"the guard band needs a ramp narrower than a step (w = {w:g} ≥ 1)")


def encode(x, y, Z: int, eps: float, units: str = "bin", guard: bool = False) -> np.ndarray:
    """t = (⌊Zx⌋_w + y')/Z with y' = y (or the guard map ε'/2 + (1 − ε')y); shapes (...) → (...)."""
    w = ramp_width(Z, eps, units)
    _guard_check(w, guard)
    y = np.asarray(y, dtype=np.float64)
    if guard:
        y = w / 2 + (1 - w) * y
    return (smooth_floor(Z * np.asarray(x, dtype=np.float64), Z, w) + y) / Z


def decode(t, Z: int, eps: float, units: str = "bin", guard: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(x̂, ŷ) = ((⌊Zt⌋_w + 1/2)/Z, Zt − ⌊Zt⌋_w) (guard: ŷ mapped back and clipped); shapes (...)."""
    w = ramp_width(Z, eps, units)
    _guard_check(w, guard)
    v = Z * np.asarray(t, dtype=np.float64)
    floor = smooth_floor(v, Z, w)
    y_hat = v - floor
    if guard:
        y_hat = np.clip((y_hat - w / 2) / (1 - w), 0.0, 1.0)
    return (floor + 0.5) / Z, y_hat


def _squared_errors(x, y, Z, eps, units, guard):
    x_hat, y_hat = decode(encode(x, y, Z, eps, units, guard), Z, eps, units, guard)
    return (x - x_hat) ** 2, (y - y_hat) ** 2


@dataclass(frozen=True)
class CompressionError:
    """E[(x − x̂)²], E[(y − ŷ)²] and their mean (the reported MSE)."""

    mse_x: float
    mse_y: float

    @property
    def mse(self) -> float:
        return 0.5 * (self.mse_x + self.mse_y)


def _x_breakpoints(Z: int, w: float, guard: bool) -> np.ndarray:
    """x in [0, 1] where the y-integral changes polynomial piece (module docstring)."""
    k = np.arange(1, Z, dtype=np.float64)
    u_breaks = np.concatenate([k - w / 2, k + w / 2])  # the staircase's kinks (in u)
    points = [u_breaks / Z]
    # y-breakpoints y(x) = g⁻¹(c − F(Zx)) cross y = 0 or 1  ⇔  F(Zx) = c − g(0) or c − g(1)
    g0, g1 = (w / 2, 1 - w / 2) if guard else (0.0, 1.0)
    targets = np.concatenate([u_breaks - g0, u_breaks - g1])
    knots = np.unique(np.clip(np.concatenate([[0.0, float(Z)], u_breaks]), 0.0, Z))
    F = smooth_floor(knots, Z, w)
    for a in range(len(knots) - 1):  # F is linear between consecutive knots
        slope = (F[a + 1] - F[a]) / (knots[a + 1] - knots[a])
        if slope <= 0:
            continue
        u = knots[a] + (targets - F[a]) / slope
        inside = (u > knots[a]) & (u < knots[a + 1])
        points.append(u[inside] / Z)
    cuts = np.concatenate([[0.0, 1.0]] + points)
    return np.unique(np.clip(cuts, 0.0, 1.0))


def reconstruction_mse(Z: int, eps: float, units: str = "bin", guard: bool = False) -> CompressionError:
    """Exact E[(x − x̂)²] and E[(y − ŷ)²] for x, y ~ U[0, 1) (module docstring's quadrature)."""
    if Z < 1 or int(Z) != Z:
        raise ValueError("Z must be a positive integer")
    w = ramp_width(Z, eps, units)
    _guard_check(w, guard)
    # x nodes: 3-point Gauss–Legendre on every x-piece
    xc = _x_breakpoints(Z, w, guard)
    left, right = xc[:-1], xc[1:]
    keep = right - left > 1e-15
    left, right = left[keep], right[keep]
    nodes3, weights3 = _GL3
    half = 0.5 * (right - left)
    xs = (left[:, None] + half[:, None] * (nodes3[None, :] + 1)).ravel()  # (X,)
    wx = (half[:, None] * weights3[None, :]).ravel()
    # y-breakpoints per x node
    j = np.arange(1, Z, dtype=np.float64)
    c = np.concatenate([j - w / 2, j + w / 2])  # decoder kinks in v
    F = smooth_floor(Z * xs, Z, w)  # (X,)
    yb = c[None, :] - F[:, None]
    if guard:
        yb = (yb - w / 2) / (1 - w)
    ycuts = np.sort(np.clip(np.concatenate([np.zeros((len(xs), 1)), yb, np.ones((len(xs), 1))], 1), 0, 1), 1)
    yl, yr = ycuts[:, :-1], ycuts[:, 1:]  # (X, P)
    nodes2, weights2 = _GL2
    yh = 0.5 * (yr - yl)
    ys = yl[..., None] + yh[..., None] * (nodes2 + 1)  # (X, P, 2)
    wy = yh[..., None] * weights2  # (X, P, 2)
    ex, ey = _squared_errors(np.broadcast_to(xs[:, None, None], ys.shape), ys, Z, eps, units, guard)
    mse_x = float((wx[:, None, None] * wy * ex).sum())
    mse_y = float((wx[:, None, None] * wy * ey).sum())
    return CompressionError(mse_x, mse_y)


def linear_mse(kind: str) -> CompressionError:
    """Closed-form errors of the linear baselines: ``"keep_one"`` (t = x) or ``"average"`` (t = (x+y)/2)."""
    if kind == "keep_one":
        return CompressionError(0.0, 1.0 / 12.0)
    if kind == "average":
        return CompressionError(1.0 / 24.0, 1.0 / 24.0)
    raise ValueError(f"unknown linear scheme {kind!r}")


def compression_table(Zs=(2, 3, 4, 5, 8, 10, 16), epsilons=(0.001, 0.01, 0.05, 0.1, 0.2),
                      units: str = "bin", guard: bool = False) -> pd.DataFrame:
    """One row per (Z, ε): mse_x, mse_y, mse (mean of the two), the linear baselines' mse (1/24
    each), ``wins`` (mse below both) and the ramp-free limit 1/(24 Z²). With ``guard`` and a ramp
    of a whole step or more (w ≥ 1, possible with ``units="absolute"``) the errors are NaN."""
    keep, avg = linear_mse("keep_one").mse, linear_mse("average").mse
    rows = []
    for Z in Zs:
        for eps in epsilons:
            if guard and ramp_width(Z, eps, units) >= 1:
                err = CompressionError(float("nan"), float("nan"))
            else:
                err = reconstruction_mse(Z, eps, units, guard)
            rows.append({"Z": int(Z), "eps": float(eps), "units": units, "guard": guard,
                         "mse_x": err.mse_x, "mse_y": err.mse_y, "mse": err.mse,
                         "mse_keep_one": keep, "mse_average": avg, "wins": err.mse < min(keep, avg),
                         "mse_no_ramps": 1.0 / (24.0 * Z * Z)})
    return pd.DataFrame(rows)
