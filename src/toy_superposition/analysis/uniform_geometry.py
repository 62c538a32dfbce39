"""Geometry: Uniform Superposition — how many learned features sit on a polytope fraction.

The paper's feature-dimensionality plot shows "distinct lines" of D_i at ¾ (tetrahedron), ⅔
(triangle), ½ (antipodal pair), ⅖ (pentagon) and ⅜ (square antiprism); its comment
"Fractional Dimensionality and 'Pressure'" says "Cleaner structure often seems to emerge when
there is more 'pressure' – more features competing to be represented". Both are measured here
by one number: among the learned features (‖W_i‖ > ``metrics.REPRESENTED_NORM``) whose D_i lies in
the fractions' range ``[⅜ − w, ¾ + w]``, the share within ``w`` of a fraction, and the same
share for D_i spread uniformly over that range (the *chance rate*: the length of the union of
the windows, ⅖ and ⅜ overlap, over the range's length). The line at 1 is left out: in the
dense regime a dedicated dimension is "indistinguishable from other directions" (the paper), so
a D_i of 1 there is no polytope.

Shapes: ``N`` features (of any number of models pooled).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..metrics import REPRESENTED_NORM
from .statistics import Z95, wilson_interval

#: The fractions the paper names lines at, 1 aside (see the module docstring).
NAMED_FRACTIONS = (3 / 4, 2 / 3, 1 / 2, 2 / 5, 3 / 8)
#: Half-width of the window around each fraction.
WINDOW = 0.02


def union_length(centres, half_width: float) -> float:
    """Total length of the union of the windows ``[c − w, c + w]`` (overlaps counted once)."""
    windows = sorted((c - half_width, c + half_width) for c in centres)
    total, low, high = 0.0, *windows[0]
    for start, end in windows[1:]:
        if start > high:
            total += high - low
            low, high = start, end
        else:
            high = max(high, end)
    return total + high - low


def fraction_range(fractions=NAMED_FRACTIONS, half_width: float = WINDOW) -> tuple[float, float]:
    """The range the share is measured over: from the lowest window's start to the highest's end."""
    return min(fractions) - half_width, max(fractions) + half_width


def chance_rate(fractions=NAMED_FRACTIONS, half_width: float = WINDOW) -> float:
    """Share of a uniform spread over :func:`fraction_range` that falls in a window."""
    low, high = fraction_range(fractions, half_width)
    return union_length(fractions, half_width) / (high - low)


@dataclass(frozen=True)
class PolytopeShare:
    """Learned features, those with D_i in range, those near a fraction; the share with its Wilson
    interval, the chance rate and the share over chance (with the same interval scaled)."""

    learned: int
    in_range: int
    near: int
    share: float
    share_low: float
    share_high: float
    chance: float

    @property
    def over_chance(self) -> tuple[float, float, float]:
        return self.share / self.chance, self.share_low / self.chance, self.share_high / self.chance


def polytope_share(norm: np.ndarray, dimensionality: np.ndarray, fractions=NAMED_FRACTIONS,
                   half_width: float = WINDOW) -> PolytopeShare:
    """The share of learned features (norm (N,) > REPRESENTED_NORM) with D_i (N,) in range that lie
    within ``half_width`` of a fraction; NaN share when none is in range."""
    norm, dimensionality = np.asarray(norm, dtype=float), np.asarray(dimensionality, dtype=float)
    learned = dimensionality[norm > REPRESENTED_NORM]
    low, high = fraction_range(fractions, half_width)
    in_range = learned[(learned >= low) & (learned <= high)]
    near = int((np.min(np.abs(in_range[:, None] - np.asarray(fractions)[None, :]), axis=1) <= half_width).sum()) \
        if in_range.size else 0
    if in_range.size:
        share = near / in_range.size
        share_low, share_high = wilson_interval(near, in_range.size)
    else:
        share = share_low = share_high = math.nan
    return PolytopeShare(int(learned.size), int(in_range.size), near, share, share_low, share_high,
                         chance_rate(fractions, half_width))


def ratio_of_proportions(hits_a: int, total_a: int, hits_b: int, total_b: int, z: float = Z95) -> tuple[float, float, float]:
    """``(hits_a/total_a) / (hits_b/total_b)`` with its 95% Katz log interval
    ``exp(log RR ± z·sqrt(1/x_a − 1/n_a + 1/x_b − 1/n_b))`` (Katz et al. 1978); NaNs when a count is 0."""
    if min(hits_a, hits_b, total_a, total_b) <= 0:
        return math.nan, math.nan, math.nan
    ratio = (hits_a / total_a) / (hits_b / total_b)
    spread = z * math.sqrt(1 / hits_a - 1 / total_a + 1 / hits_b - 1 / total_b)
    return ratio, ratio * math.exp(-spread), ratio * math.exp(spread)
