"""Regimes of a loss curve: plateaus separated by sudden drops, found on log-log axes.

A loss curve ``L(t)`` sampled at steps ``t_0 < t_1 < … < t_{T−1}`` (log-spaced snapshots)
is read on log-log axes, where power-law decay is a straight line and a sudden change in
the model is a steep stretch. The local *log-slope* between neighbouring samples is

    s_k = −(log L_{k+1} − log L_k) / (log t_{k+1} − log t_k),      k = 0 … T−2,

optionally smoothed by a centred moving average over ``smooth`` samples. A **drop** is a
maximal run of consecutive ``s_k ≥ τ`` with ``τ = threshold · max_k s_k`` (so a drop is a
stretch at least ``threshold`` times as steep as the steepest one); a run covering
``k = a … c`` spans the steps ``[t_a, t_{c+1}]`` and its *peak* is the steepest ``k``.
The **regimes** are what lies between drops: regime 0 starts at ``t_0``, regime ``r > 0``
starts where drop ``r − 1`` ends (``t_{c+1}``), and every regime ends where the next
drop starts (or at the last step).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


def log_slope(steps: np.ndarray, loss: np.ndarray, smooth: int = 1) -> np.ndarray:
    """``s_k = −Δ log L / Δ log t`` between neighbouring samples, shape (T−1,) (see module doc).

    ``smooth`` (odd, ≥ 1) averages each slope with its neighbours (a centred window that
    shrinks at the ends). Steps must be positive and strictly increasing, losses positive.
    """
    steps = np.asarray(steps, dtype=np.float64)
    loss = np.asarray(loss, dtype=np.float64)
    if steps.ndim != 1 or steps.shape != loss.shape or len(steps) < 2:
        raise ValueError("steps and loss must be 1-D of the same length ≥ 2")
    if np.any(steps <= 0) or np.any(np.diff(steps) <= 0):
        raise ValueError("steps must be positive and strictly increasing")
    if np.any(loss <= 0):
        raise ValueError("losses must be positive")
    if smooth < 1 or smooth % 2 == 0:
        raise ValueError(f"smooth must be odd and ≥ 1, got {smooth}")
    slope = -np.diff(np.log(loss)) / np.diff(np.log(steps))
    if smooth == 1:
        return slope
    half = smooth // 2
    return np.array([slope[max(0, k - half): k + half + 1].mean() for k in range(len(slope))])


@dataclass(frozen=True)
class Drop:
    """One steep stretch of the loss curve: slope indices ``first … last``, steepest at ``peak``."""

    first: int
    last: int
    peak: int


def find_drops(slope: np.ndarray, threshold: float = 0.5) -> list[Drop]:
    """Maximal runs of ``slope ≥ threshold · max(slope)``; none when the loss never falls."""
    slope = np.asarray(slope, dtype=np.float64)
    if not 0.0 < threshold <= 1.0:
        raise ValueError(f"threshold must be in (0, 1], got {threshold}")
    top = float(slope.max()) if len(slope) else 0.0
    if top <= 0.0:
        return []
    steep = slope >= threshold * top
    drops: list[Drop] = []
    k = 0
    while k < len(slope):
        if steep[k]:
            first = k
            while k + 1 < len(slope) and steep[k + 1]:
                k += 1
            peak = first + int(np.argmax(slope[first: k + 1]))
            drops.append(Drop(first, k, peak))
        k += 1
    return drops


def find_regimes(steps: np.ndarray, loss: np.ndarray, threshold: float = 0.5, smooth: int = 3) -> pd.DataFrame:
    """The regimes of a loss curve (module doc), one row each.

    Columns: ``regime`` (0, 1, …), ``start_index``/``start_step`` (first sample of the regime),
    ``end_index``/``end_step`` (last sample before the next drop, or the last sample),
    ``start_loss``, ``end_loss``, and for regimes after the first the preceding drop's
    ``drop_start_step``, ``drop_peak_step`` (geometric mean of the steps around its steepest
    slope) and ``drop_slope`` (that slope); NaN for regime 0.
    """
    steps = np.asarray(steps, dtype=np.float64)
    loss = np.asarray(loss, dtype=np.float64)
    slope = log_slope(steps, loss, smooth)
    drops = find_drops(slope, threshold)
    starts = [0] + [drop.last + 1 for drop in drops]
    ends = [drop.first for drop in drops] + [len(steps) - 1]
    rows = []
    for regime, (start, end) in enumerate(zip(starts, ends)):
        before = drops[regime - 1] if regime > 0 else None
        rows.append({
            "regime": regime,
            "start_index": start,
            "end_index": end,
            "start_step": float(steps[start]),
            "end_step": float(steps[end]),
            "start_loss": float(loss[start]),
            "end_loss": float(loss[end]),
            "drop_start_step": float(steps[before.first]) if before else float("nan"),
            "drop_peak_step": float(np.sqrt(steps[before.peak] * steps[before.peak + 1])) if before else float("nan"),
            "drop_slope": float(slope[before.peak]) if before else float("nan"),
        })
    return pd.DataFrame(rows)
