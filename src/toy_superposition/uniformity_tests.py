"""Tests that a sample of directions has no preferred orientation (numpy only, no scipy).

Three tests of H₀ "the directions are uniform", for N independent models:

* :func:`alignment_z_test` — any m. The alignment ``a_m(u)`` of :mod:`.axis_alignment` has
  mean 0 and the known variance ``σ₀² = 24/((m−1)(m+4)(m+6))`` under H₀, so
  ``z = ā √N / σ₀`` is asymptotically standard normal; two-sided ``p = erfc(|z|/√2)``. It
  targets exactly the alternative of interest (towards or away from the axes).
* :func:`rayleigh_test` — m = 2. The Rayleigh test of the k-th harmonic: with
  ``C = mean cos kθ``, ``S = mean sin kθ``, ``R̄ = √(C² + S²)`` and ``Z = N R̄²``,
  ``p ≈ exp(−Z) (1 + (2Z − Z²)/(4N) − (24Z − 132Z² + 76Z³ − 9Z⁴)/(288N²))`` (Mardia & Jupp
  2000, §6.3.1). With k = 4 it detects any 4-fold (square-symmetric) concentration.
* :func:`kuiper_test` — m = 2, omnibus. Kuiper's ``V = D⁺ + D⁻`` of the angles' empirical
  distribution against the uniform one on the circle (invariant to where the circle starts);
  ``p = Q(λ)`` with ``λ = (√N + 0.155 + 0.24/√N) V`` and
  ``Q(λ) = 2 Σ_{j≥1} (4j²λ² − 1) exp(−2j²λ²)`` (Stephens 1970).

Shapes: ``values`` / ``angles`` (N,).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .axis_alignment import null_variance


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


def alignment_z_test(values: np.ndarray, m: int) -> TestResult:
    """z-test of ``mean a_m = 0`` with the exact null variance (values: alignments (N,))."""
    values = _finite(values)
    z = float(values.mean() * math.sqrt(values.size / null_variance(m)))
    return TestResult("alignment z", z, math.erfc(abs(z) / math.sqrt(2.0)), int(values.size))


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
