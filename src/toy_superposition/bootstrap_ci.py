"""Percentile-bootstrap confidence intervals, deterministic (seeded) so figures are byte-stable.

For a sample ``v`` of N independent values (e.g. one alignment value per trained model), the
bootstrap draws R resamples of size N with replacement, ``v*_r``, and takes the empirical
``(1 − level)/2`` and ``(1 + level)/2`` quantiles of the statistic over the resamples as the
interval (Efron's percentile interval). Resample indices come from ``numpy.random.default_rng(seed)``.

Shapes: ``values`` (N,); resample index matrix (R, N); the statistic of every resample (R,).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

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
