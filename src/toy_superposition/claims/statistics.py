"""Statistics the claims use: intervals for proportions and correlations, runs in a mask."""

from __future__ import annotations

import math

import numpy as np

Z95 = 1.959964


def wilson_interval(successes: int, trials: int, z: float = Z95) -> tuple[float, float]:
    """95% Wilson score interval for a binomial proportion (well behaved at 0 and 1)."""
    if trials == 0:
        return math.nan, math.nan
    p = successes / trials
    denominator = 1 + z**2 / trials
    centre = (p + z**2 / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z**2 / (4 * trials**2)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def proportion(hits: int, total: int) -> tuple[float, float, float]:
    """(hits/total, Wilson low, Wilson high); NaNs when there is nothing to count."""
    low, high = wilson_interval(hits, total)
    return (hits / total if total else math.nan), low, high


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
