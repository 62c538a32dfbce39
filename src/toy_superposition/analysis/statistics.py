"""Statistics shared by the analyses, figures and claims.

Bootstrap intervals — Percentile-bootstrap confidence intervals, deterministic (seeded) so figures are byte-stable.

For a sample ``v`` of N independent values (e.g. one alignment value per trained model), the
bootstrap draws R resamples of size N with replacement, ``v*_r``, and takes the empirical
``(1 − level)/2`` and ``(1 + level)/2`` quantiles of the statistic over the resamples as the
interval (Efron's percentile interval). Resample indices come from ``numpy.random.default_rng(seed)``.

Shapes: ``values`` (N,); resample index matrix (R, N); the statistic of every resample (R,).

Uniformity tests of directions — Tests that a sample of directions has no preferred orientation (numpy only, no scipy).

Three tests of H₀ "the directions are uniform", for N independent models:

* :func:`z_test` — a statistic with mean 0 and a known variance σ₀² under H₀ (the alignment
  ``a_m(u)`` of :mod:`.dropout_orientation`, :func:`.dropout_orientation.alignment_z_test`):
  ``z = v̄ √N / σ₀`` is asymptotically standard normal; two-sided ``p = erfc(|z|/√2)``.
* :func:`rayleigh_test` — m = 2. The Rayleigh test of the k-th harmonic: with
  ``C = mean cos kθ``, ``S = mean sin kθ``, ``R̄ = √(C² + S²)`` and ``Z = N R̄²``,
  ``p ≈ exp(−Z) (1 + (2Z − Z²)/(4N) − (24Z − 132Z² + 76Z³ − 9Z⁴)/(288N²))`` (Mardia & Jupp
  2000, §6.3.1). With k = 4 it detects any 4-fold (square-symmetric) concentration.
* :func:`kuiper_test` — m = 2, omnibus. Kuiper's ``V = D⁺ + D⁻`` of the angles' empirical
  distribution against the uniform one on the circle (invariant to where the circle starts);
  ``p = Q(λ)`` with ``λ = (√N + 0.155 + 0.24/√N) V`` and
  ``Q(λ) = 2 Σ_{j≥1} (4j²λ² − 1) exp(−2j²λ²)`` (Stephens 1970).

Shapes: ``values`` / ``angles`` (N,).

Intervals for proportions and correlations; runs — Statistics the claims use: intervals for proportions and correlations, runs in a mask.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

# --- Bootstrap intervals -----------------------------------------------------------------------

#: Resamples of every interval in the figures (Monte-Carlo error of a 95% bound ≈ 0.01 SE).
RESAMPLES = 4000
LEVEL = 0.95


@dataclass(frozen=True)
class Interval:
    """A point estimate and its confidence interval."""

    estimate: float
    low: float
    high: float
    level: float = LEVEL

    def excludes(self, value: float) -> bool:
        """Whether ``value`` lies outside [low, high]."""
        return value < self.low or value > self.high

    def __str__(self) -> str:
        return f"{self.estimate:+.3f} [{self.low:+.3f}, {self.high:+.3f}]"


def _check(values: np.ndarray) -> np.ndarray:
    values = np.asarray(values, dtype=np.float64).ravel()
    values = values[np.isfinite(values)]
    if values.size == 0:
        raise ValueError("bootstrap of an empty sample (no finite values)")
    return values


def resample_indices(size: int, resamples: int, seed: int) -> np.ndarray:
    """(R, N) indices drawn uniformly with replacement from 0..N−1."""
    return np.random.default_rng(seed).integers(0, size, size=(resamples, size))


def bootstrap_ci(
    values: np.ndarray,
    statistic: Callable[[np.ndarray], np.ndarray] = lambda sample: sample.mean(axis=-1),
    level: float = LEVEL,
    resamples: int = RESAMPLES,
    seed: int = 0,
) -> Interval:
    """Percentile interval of ``statistic`` (a function of an (R, N) array → (R,)); default the mean.

    Non-finite values are dropped first. A sample of one value gives a zero-width interval.
    """
    values = _check(values)
    estimate = float(statistic(values[None, :])[0])
    draws = statistic(values[resample_indices(values.size, resamples, seed)])
    tail = (1.0 - level) / 2.0
    low, high = np.quantile(draws, [tail, 1.0 - tail])
    return Interval(estimate, float(low), float(high), level)


def bootstrap_mean_ci(values: np.ndarray, level: float = LEVEL, resamples: int = RESAMPLES, seed: int = 0) -> Interval:
    """Mean of ``values`` (N,) and its percentile-bootstrap interval."""
    return bootstrap_ci(values, level=level, resamples=resamples, seed=seed)


def bootstrap_difference_ci(
    treated: np.ndarray, control: np.ndarray, level: float = LEVEL, resamples: int = RESAMPLES, seed: int = 0
) -> Interval:
    """``mean(treated) − mean(control)`` of two independent samples, each resampled separately."""
    treated, control = _check(treated), _check(control)
    estimate = float(treated.mean() - control.mean())
    a = treated[resample_indices(treated.size, resamples, seed)].mean(axis=1)
    b = control[resample_indices(control.size, resamples, seed + 1)].mean(axis=1)
    tail = (1.0 - level) / 2.0
    low, high = np.quantile(a - b, [tail, 1.0 - tail])
    return Interval(estimate, float(low), float(high), level)

# --- Uniformity tests of directions ------------------------------------------------------------

@dataclass(frozen=True)
class TestResult:
    """A test statistic and its p-value under H₀ (uniform directions)."""

    name: str
    statistic: float
    p_value: float
    n: int


def _finite(values: np.ndarray) -> np.ndarray:
    values = np.asarray(values, dtype=np.float64).ravel()
    values = values[np.isfinite(values)]
    if values.size == 0:
        raise ValueError("test of an empty sample (no finite values)")
    return values


def z_test(values: np.ndarray, null_variance: float, name: str = "z") -> TestResult:
    """Two-sided z-test of ``mean = 0`` for N independent values with a known null variance σ₀²:
    ``z = v̄ √N / σ₀``, ``p = erfc(|z|/√2)`` (values: (N,))."""
    values = _finite(values)
    z = float(values.mean() * math.sqrt(values.size / null_variance))
    return TestResult(name, z, math.erfc(abs(z) / math.sqrt(2.0)), int(values.size))


def rayleigh_test(angles: np.ndarray, harmonic: int = 4) -> TestResult:
    """Rayleigh test of the ``harmonic``-th trigonometric moment of angles (radians); statistic Z = N R̄²."""
    angles = _finite(angles)
    n = angles.size
    c = float(np.cos(harmonic * angles).mean())
    s = float(np.sin(harmonic * angles).mean())
    z = n * (c * c + s * s)
    correction = 1.0 + (2 * z - z * z) / (4 * n) - (24 * z - 132 * z**2 + 76 * z**3 - 9 * z**4) / (288 * n * n)
    p = math.exp(-z) * correction
    return TestResult(f"Rayleigh (harmonic {harmonic})", z, float(min(1.0, max(0.0, p))), n)


def kuiper_q(lam: float, terms: int = 100) -> float:
    """Kuiper's asymptotic tail ``Q(λ) = 2 Σ_{j≥1} (4j²λ² − 1) exp(−2j²λ²)``; 1 for λ < 0.4."""
    if lam < 0.4:
        return 1.0  # the series converges slowly here and Q is 1 to within 1e-3
    total = 0.0
    for j in range(1, terms + 1):
        decay = math.exp(-2.0 * j * j * lam * lam)
        total += (4 * j * j * lam * lam - 1.0) * decay
        if decay < 1e-20:
            break
    return float(min(1.0, max(0.0, 2.0 * total)))


def kuiper_test(angles: np.ndarray) -> TestResult:
    """Kuiper's test of uniformity on the circle for angles in radians; statistic V = D⁺ + D⁻."""
    angles = _finite(angles)
    n = angles.size
    x = np.sort(np.remainder(angles, 2 * math.pi) / (2 * math.pi))
    i = np.arange(1, n + 1)
    d_plus = float(np.max(i / n - x))
    d_minus = float(np.max(x - (i - 1) / n))
    v = d_plus + d_minus
    sqrt_n = math.sqrt(n)
    return TestResult("Kuiper", v, kuiper_q((sqrt_n + 0.155 + 0.24 / sqrt_n) * v), n)

# --- Intervals for proportions and correlations; runs ------------------------------------------

Z95 = 1.959964


def wilson_interval(successes: int, trials: int, z: float = Z95) -> tuple[float, float]:
    """95% Wilson score interval for a binomial proportion (well behaved at 0 and 1)."""
    if trials == 0:
        return math.nan, math.nan
    p = successes / trials
    denominator = 1 + z**2 / trials
    centre = (p + z**2 / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z**2 / (4 * trials**2)) / denominator
    # The interval contains p (exactly 0 at 0 successes, 1 at all): clamp the rounding
    # (0 of 4,616 gave a lower bound of 5e-20, which an error bar below p cannot draw).
    return min(p, max(0.0, centre - half)), max(p, min(1.0, centre + half))


def proportion(hits: int, total: int) -> tuple[float, float, float]:
    """(hits/total, Wilson low, Wilson high); NaNs when there is nothing to count."""
    low, high = wilson_interval(hits, total)
    return (hits / total if total else math.nan), low, high


def proportion_difference(hits: int, total: int, base_hits: int, base_total: int) -> tuple[float, float, float]:
    """``p − p₀`` of two independent proportions with Newcombe's hybrid score interval (his method 10).

    With Wilson intervals ``[l, u]`` of ``p = hits/total`` and ``[l₀, u₀]`` of ``p₀``:
    ``low = (p − p₀) − √((p − l)² + (u₀ − p₀)²)``, ``high = (p − p₀) + √((u − p)² + (p₀ − l₀)²)``
    (Newcombe 1998, Statistics in Medicine 17: 873). Well behaved at 0 and 1, unlike the Wald
    interval; NaNs when either proportion has nothing to count.
    """
    p, low, high = proportion(hits, total)
    p0, low0, high0 = proportion(base_hits, base_total)
    if not (total and base_total):
        return math.nan, math.nan, math.nan
    difference = p - p0
    return (difference, difference - math.sqrt((p - low) ** 2 + (high0 - p0) ** 2),
            difference + math.sqrt((high - p) ** 2 + (p0 - low0) ** 2))


def pearson_with_interval(x: np.ndarray, y: np.ndarray, z: float = Z95) -> tuple[float, float, float]:
    """Pearson r with its 95% Fisher-z interval (needs ≥ 4 points for the interval, 3 for r)."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    finite = np.isfinite(x) & np.isfinite(y)
    x, y = x[finite], y[finite]
    if x.size < 3 or np.std(x) == 0 or np.std(y) == 0:
        return math.nan, math.nan, math.nan
    r = float(np.corrcoef(x, y)[0, 1])
    if x.size < 4 or abs(r) >= 1.0:
        return r, math.nan, math.nan
    centre, half = math.atanh(r), z / math.sqrt(x.size - 3)
    return r, math.tanh(centre - half), math.tanh(centre + half)


def longest_run(mask: np.ndarray) -> tuple[int, int]:
    """(start, length) of the longest run of True in a 1-D boolean array; (0, 0) if none."""
    best_start, best_length, start = 0, 0, None
    for index, value in enumerate(list(mask) + [False]):
        if value and start is None:
            start = index
        elif not value and start is not None:
            if index - start > best_length:
                best_start, best_length = start, index - start
            start = None
    return best_start, best_length
