"""Discrete "energy level" jumps: features hopping between dimensionality levels in training.

A feature's dimensionality ``D_i = ‖W_i‖² / Σ_j (Ŵ_i·W_j)²`` (``metrics.feature_dimensionality``)
settles, in a trained uniform model, on the fractions of uniform polytopes: 1 (a dedicated
dimension), 3/4 (tetrahedron), 2/3 (triangle), 1/2 (antipodal pair), 2/5 (pentagon) and 0
(not learned). Followed over training snapshots, ``D_i(t)`` sits on one level for a while
and then moves quickly to another: a *jump*.

Detection, per feature, on the snapshots ``t_0 < … < t_{T−1}``:

1. *Snap*: sample k is **on level ℓ** when ``|D_i(t_k) − ℓ| ≤ tolerance`` (the levels are
   further apart than 2·tolerance, so at most one level matches); otherwise it is between
   levels.
2. *Plateaus*: maximal runs of at least ``min_length`` consecutive samples on the same
   level that last at least a factor ``min_span`` in steps (``t_last ≥ min_span · t_first``;
   a feature passing slowly through a level's band does not rest on it). Neighbouring
   plateaus on the same level (a brief excursion in between) are one.
3. *Jumps*: every pair of consecutive plateaus on different levels ℓ → ℓ′. The jump
   leaves at ``start_step`` (the last sample of the old plateau), lands at ``end_step``
   (the first sample of the new one), and its ``step`` is the first sample after
   ``start_step`` that is nearer ℓ′ than ℓ (where it crosses the midpoint).

Shapes: ``T`` snapshots, ``n`` features.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Levels a feature's dimensionality settles on (value → geometry), with 0 for "not learned".
LEVELS: dict[float, str] = {
    0.0: "not learned",
    2 / 5: "pentagon",
    1 / 2: "antipodal pair",
    2 / 3: "triangle",
    3 / 4: "tetrahedron",
    1.0: "dedicated dimension",
}
TOLERANCE = 0.03
MIN_LENGTH = 3
MIN_SPAN = 1.25

JUMP_COLUMNS = ["feature", "from_level", "to_level", "start_step", "step", "end_step"]


def snap_to_levels(values: np.ndarray, levels: tuple[float, ...] | list[float], tolerance: float = TOLERANCE) -> np.ndarray:
    """Index into ``levels`` of the level each value is within ``tolerance`` of, else −1 (same shape)."""
    levels_array = np.asarray(sorted(levels), dtype=np.float64)
    if len(levels_array) > 1 and np.min(np.diff(levels_array)) <= 2 * tolerance:
        raise ValueError(f"levels closer than 2 × tolerance ({tolerance}) are ambiguous")
    values = np.asarray(values, dtype=np.float64)
    distance = np.abs(values[..., None] - levels_array)  # (..., L)
    nearest = distance.argmin(axis=-1)
    on_level = np.take_along_axis(distance, nearest[..., None], axis=-1)[..., 0] <= tolerance
    return np.where(on_level, nearest, -1)


def plateaus(snapped: np.ndarray, steps: np.ndarray | None = None, min_length: int = MIN_LENGTH,
             min_span: float = MIN_SPAN) -> list[tuple[int, int, int]]:
    """(level index, first sample, last sample) of every plateau of one feature's snapped series.

    A plateau is a run of at least ``min_length`` samples on one level that, when ``steps``
    are given, also lasts a factor ``min_span`` in steps (``t_last ≥ min_span · t_first``),
    so a feature passing slowly through a level's band is not mistaken for resting on it.
    Shorter runs are ignored; consecutive plateaus on the same level are merged.
    """
    if min_length < 1:
        raise ValueError("min_length must be ≥ 1")
    runs: list[tuple[int, int, int]] = []
    k = 0
    snapped = np.asarray(snapped)
    while k < len(snapped):
        level = int(snapped[k])
        first = k
        while k + 1 < len(snapped) and snapped[k + 1] == level:
            k += 1
        long_enough = steps is None or steps[k] >= min_span * steps[first]
        if level >= 0 and k - first + 1 >= min_length and long_enough:
            if runs and runs[-1][0] == level:
                runs[-1] = (level, runs[-1][1], k)
            else:
                runs.append((level, first, k))
        k += 1
    return runs


def detect_jumps(
    steps: np.ndarray,
    dimensionality: np.ndarray,
    levels: tuple[float, ...] | list[float] = tuple(LEVELS),
    tolerance: float = TOLERANCE,
    min_length: int = MIN_LENGTH,
    min_span: float = MIN_SPAN,
) -> pd.DataFrame:
    """Every jump of every feature (module doc): one row each, ordered by step then feature.

    steps: (T,) increasing; dimensionality: (T, n), ``D_i`` at each snapshot.
    Columns: ``feature``, ``from_level``, ``to_level``, ``start_step``, ``step``, ``end_step``.
    """
    steps = np.asarray(steps)
    dimensionality = np.asarray(dimensionality, dtype=np.float64)
    if dimensionality.ndim != 2 or dimensionality.shape[0] != len(steps):
        raise ValueError(f"dimensionality must be (T, n) with T = {len(steps)}, got {dimensionality.shape}")
    ordered = np.asarray(sorted(levels), dtype=np.float64)
    snapped = snap_to_levels(dimensionality, ordered, tolerance)
    rows = []
    for feature in range(dimensionality.shape[1]):
        runs = plateaus(snapped[:, feature], steps, min_length, min_span)
        for (old, _, leave), (new, land, _) in zip(runs, runs[1:]):
            old_level, new_level = ordered[old], ordered[new]
            between = dimensionality[leave + 1: land + 1, feature]
            crossed = np.abs(between - new_level) < np.abs(between - old_level)
            cross = leave + 1 + int(np.argmax(crossed)) if crossed.any() else land
            rows.append({
                "feature": feature,
                "from_level": float(old_level),
                "to_level": float(new_level),
                "start_step": int(steps[leave]),
                "step": int(steps[cross]),
                "end_step": int(steps[land]),
            })
    table = pd.DataFrame(rows, columns=JUMP_COLUMNS)
    table = table.astype({"feature": np.int64, "from_level": np.float64, "to_level": np.float64,
                          "start_step": np.int64, "step": np.int64, "end_step": np.int64})
    return table.sort_values(["step", "feature"], kind="stable", ignore_index=True)


def level_name(value: float) -> str:
    """``0.5`` → ``"1/2"`` for the known levels, else the number."""
    names = {0.0: "0", 2 / 5: "2/5", 1 / 2: "1/2", 2 / 3: "2/3", 3 / 4: "3/4", 1.0: "1"}
    for level, name in names.items():
        if abs(value - level) < 1e-9:
            return name
    return f"{value:.3g}"


def slope_percentile(steps: np.ndarray, slope: np.ndarray, at_steps: np.ndarray) -> np.ndarray:
    """How steeply the loss falls where each of ``at_steps`` happens, as a percentile of all its slopes.

    ``slope`` (T−1,) is the loss's log-slope between consecutive snapshots ``steps`` (T,)
    (``loss_regimes.log_slope``). A query step ``t`` with ``t_k < t ≤ t_{k+1}`` takes the
    slope of interval k (the one ending where a jump is first seen). Returns, per query, the
    fraction of intervals with a smaller slope, in [0, 1): 0.5 is typical, near 1 means the
    loss falls unusually fast there.
    """
    steps = np.asarray(steps, dtype=np.float64)
    slope = np.asarray(slope, dtype=np.float64)
    if len(slope) != len(steps) - 1:
        raise ValueError("slope must have one value fewer than steps")
    index = np.clip(np.searchsorted(steps, np.asarray(at_steps, dtype=np.float64), side="left") - 1, 0, len(slope) - 1)
    return np.array([float(np.mean(slope < slope[k])) for k in index])
