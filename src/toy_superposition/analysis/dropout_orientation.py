"""Superposition and Dropout: the orientation of the learned basis.

Axis alignment — How well a direction in the hidden space lines up with the coordinate axes.

The ReLU output model ``x' = ReLU(WᵀW x + b)`` is invariant under ``W → W Q`` for any
orthogonal ``Q`` (m × m), so without something that singles out the hidden coordinates the
orientation of a learned ``W`` is arbitrary. Dropout on the hidden vector (and, per
coordinate, Adam's normaliser) is invariant only under the *hyperoctahedral* group —
permutations and sign flips of the hidden coordinates — so it can make the coordinate axes
special. This module measures that.

Orientation (Superposition and Dropout, LessWrong). Shapes: ``I`` models, ``n`` features,
``m`` hidden dimensions; ``W`` is (I, n, m) with row ``W_i`` the embedding of feature i.
With equally important features every feature is interchangeable, so a model's orientation is
summarised by one of them: the largest-norm feature ``k = argmax_i ‖W_i‖`` (one the model
certainly represents), giving the unit vector ``u = W_k / ‖W_k‖`` (I, m).

Alignment statistic. For a unit vector ``u ∈ S^{m−1}``

    a_m(u) = ((m + 2) Σ_j u_j⁴ − 3) / (m − 1).

It is the degree-4 polynomial in ``u`` with the hyperoctahedral symmetry, normalised so that

* ``a_m = 1`` on a coordinate axis (``u = ±e_j``),
* ``a_m = −2/m`` on a main diagonal (``|u_j| = 1/√m`` for all j), its minimum,
* ``E[a_m] = 0`` when ``u`` is uniform on the sphere,

and for m = 2 with ``u = (cos θ, sin θ)`` it is exactly ``cos 4θ`` (``cos⁴θ + sin⁴θ = (3 + cos 4θ)/4``):
+1 on the axes, −1 on the diagonals. Under uniformity (moments of the uniform distribution
on ``S^{m−1}``: ``E u_j⁴ = 3/(m(m+2))``, ``E u_j⁸ = 105/(m(m+2)(m+4)(m+6))``,
``E u_j⁴u_k⁴ = 9/(m(m+2)(m+4)(m+6))``)

    Var[a_m] = 24 / ((m − 1)(m + 4)(m + 6))        (1/2 for m = 2, the variance of cos 4θ),

which :mod:`.uniformity_tests` uses for an exact-variance test of "no preferred orientation".

Regimes by dropout rate — The dropout regimes of "Superposition and Dropout", measured rather than assumed.

The post reports, for the 2-D ReLU output model with equally important sparse features, that
the orientation ``u`` of the learned basis (:mod:`.dropout_orientation`) is

1. uniform without dropout,
2. biased *away* from the coordinate axes at low dropout rates,
3. *aligned* with the axes above about 50% dropout,

and that the effect weakens for dense features. Each claim becomes a statement about the mean
alignment ``ā(r)`` at dropout rate r (``a = cos 4θ`` in 2-D: 0 uniform, > 0 towards the axes,
< 0 towards the diagonals), with a percentile-bootstrap interval over the N independently
trained models of each rate (:mod:`.statistics`):

* every rate is judged against the **r = 0 baseline**, not against uniformity: without dropout
  the orientation is not uniform under AdamW (below), so "avoids the axes" and "aligned" are
  statements about what dropout changes. A mean alignment cannot tell "avoids the axes" from
  "towards the diagonals", nor "aligned" from "12° off an axis" (cos 48° = +0.67), so the
  regime is decided by **shares of models**: the share whose direction ``u`` lies within
  ``NEAR_DEGREES`` (5°) of a coordinate axis (angle ``arccos max_j |u_j|``) and the share
  within 5° of a main diagonal (angle ``arccos Σ_j |u_j| / √m``), each with a Wilson
  interval, and their differences from the r = 0 shares with Newcombe's interval
  (:func:`.statistics.proportion_difference`). A rate is *axis-aligned* when its axis share is
  above the baseline's (difference interval above 0), *avoids the axes* when below, *no
  preference* otherwise; *towards the diagonals* (reported beside) when its diagonal share is
  above the baseline's. Where only a per-model alignment is given (no direction, e.g. the mean
  over a model's features) the regime compares its mean with the baseline's (bootstrap
  interval of the difference). Without a rate 0 the comparison is with 0 (uniform). A rate
  where fewer than ``MIN_MODELS`` models have a defined alignment (e.g. none of their features
  is represented under 90% dropout) has *too few models*: it is reported, but counts neither
  for nor against a claim, since an interval over a handful of models is no interval;
* the *transition rate* r* is the onset of alignment: where ``ā(r) − ā(0)`` crosses 0 upwards
  on the way to its peak, linearly interpolated between the two rates around the crossing; its
  interval is the bootstrap distribution of r* over resampled models of every rate. "About 50%" holds
  when the first axis-aligned rate lies in [0.4, 0.6] *and* the interval of r* overlaps
  [0.4, 0.6] and is at most 0.3 wide; "partly" when only the first holds, "unclear" when only
  the interval overlaps (or is too wide), "no" when neither.

Without dropout the loss is rotation invariant but Adam's per-coordinate normaliser is not,
so "uniform at r = 0" is itself a measured claim, not a given. Plain SGD (``training.optimizer:
sgd``) commutes with rotations of the hidden space and the initialisation is isotropic, so under
SGD the orientation is uniform by symmetry (``tests/training/test_step.py`` checks the
equivariance). Measured on 200 two-dimensional sparse models at r = 0, 10k steps, the same
initialisations: SGD (lr 0.1, 0.3 or 1) gave mean cos 4θ −0.03 (z-test p = 0.49) at a final
loss of 0.021, AdamW (lr 1e-3) −0.08 (p = 0.10) at 0.017; the paper profile's 500 AdamW models
give −0.14 [−0.20, −0.08] (p = 10⁻⁵). Adam finds the lower-loss solutions and, on the way, a
preferred orientation off the axes.

Shapes: ``rates`` and ``values`` (N,) — one dropout rate and one alignment per model.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import torch
from torch import Tensor

from .statistics import (
    LEVEL,
    RESAMPLES,
    Interval,
    TestResult,
    bootstrap_difference_ci,
    bootstrap_mean_ci,
    proportion,
    proportion_difference,
    resample_indices,
    z_test,
)

# --- Axis alignment ----------------------------------------------------------------------------

#: Norms below this count as "no feature learned": the direction is undefined.
_ZERO_NORM = 1e-12


def basis_direction(W: Tensor) -> Tensor:
    """``u = W_k / ‖W_k‖`` for the largest-norm feature k of every model: (I, n, m) → (I, m).

    Ties go to the lowest feature index. A model with W = 0 has no direction: its row is NaN.
    """
    norms = W.norm(dim=-1)  # (I, n)
    k = norms.argmax(dim=-1)  # (I,)
    rows = W[torch.arange(W.shape[0]), k]  # (I, m)
    length = rows.norm(dim=-1, keepdim=True)
    return torch.where(length > _ZERO_NORM, rows / length.clamp_min(_ZERO_NORM), torch.full_like(rows, math.nan))


def largest_feature(W: Tensor) -> Tensor:
    """Index k of the largest-norm feature of every model: (I, n, m) → (I,) int64."""
    return W.norm(dim=-1).argmax(dim=-1)


def axis_alignment(u: Tensor) -> Tensor:
    """``a_m(u) = ((m + 2) Σ_j u_j⁴ − 3) / (m − 1)`` of unit vectors (..., m) → (...).

    1 on the axes, −2/m on the diagonals, mean 0 for a uniform direction; ``cos 4θ`` for m = 2.
    ``u`` is normalised first, so any non-zero vector may be passed.
    """
    m = u.shape[-1]
    if m < 2:
        raise ValueError(f"axis alignment needs at least 2 hidden dimensions, got m={m}")
    unit = u / u.norm(dim=-1, keepdim=True)
    return ((m + 2) * unit.pow(4).sum(dim=-1) - 3.0) / (m - 1)


def null_variance(m: int) -> float:
    """Var[a_m(u)] for u uniform on the sphere S^{m−1}: ``24 / ((m − 1)(m + 4)(m + 6))``."""
    if m < 2:
        raise ValueError(f"axis alignment needs at least 2 hidden dimensions, got m={m}")
    return 24.0 / ((m - 1) * (m + 4) * (m + 6))


def alignment_z_test(values: np.ndarray, m: int) -> TestResult:
    """z-test of ``mean a_m = 0`` under uniform directions, with the exact null variance
    ``σ₀² = 24/((m−1)(m+4)(m+6))`` (values: alignments (N,)); it targets exactly the
    alternative of interest (towards or away from the axes)."""
    return z_test(values, null_variance(m), "alignment z")


def diagonal_value(m: int) -> float:
    """a_m on a main diagonal (all |u_j| = 1/√m), the statistic's minimum: −2/m."""
    return -2.0 / m


def angle(u: Tensor) -> Tensor:
    """θ = atan2(u_y, u_x) ∈ (−π, π] of 2-D directions (I, 2) → (I,)."""
    if u.shape[-1] != 2:
        raise ValueError(f"angle is defined for 2-D directions, got m={u.shape[-1]}")
    return torch.atan2(u[..., 1], u[..., 0])


def axis_angle(u: Tensor) -> Tensor:
    """Angle (degrees) between each direction (…, m) and its nearest coordinate axis: ``arccos max_j |u_j|``.

    0 on an axis; 45° on a 2-D diagonal, ``arccos(1/√m)`` on a main diagonal in m dimensions.
    ``u`` is normalised first; NaN rows stay NaN.
    """
    unit = u / u.norm(dim=-1, keepdim=True)
    return torch.rad2deg(torch.arccos(unit.abs().amax(dim=-1).clamp(max=1.0)))


def diagonal_angle(u: Tensor) -> Tensor:
    """Angle (degrees) between each direction (…, m) and its nearest main diagonal ``(±1, …, ±1)/√m``:
    ``arccos Σ_j |u_j| / √m``. 0 on a diagonal, ``arccos(1/√m)`` on an axis (45° in 2-D)."""
    m = u.shape[-1]
    unit = u / u.norm(dim=-1, keepdim=True)
    return torch.rad2deg(torch.arccos((unit.abs().sum(dim=-1) / math.sqrt(m)).clamp(max=1.0)))


def folded_angle(theta: Tensor) -> Tensor:
    """θ folded by the symmetries of the square into [0, π/4]: 0 on an axis, π/4 on a diagonal."""
    quarter = torch.remainder(theta, math.pi / 2)  # [0, π/2)
    return torch.minimum(quarter, math.pi / 2 - quarter)


def feature_alignment(W: Tensor, threshold: float = 0.5) -> Tensor:
    """Mean ``a_m(Ŵ_i)`` over the represented features (‖W_i‖ > threshold) of every model: (I,).

    The alignment of the whole embedding rather than of its largest feature; NaN for a model
    that represents nothing.
    """
    norms = W.norm(dim=-1)  # (I, n)
    represented = norms > threshold
    safe = torch.where(represented[..., None], W, torch.ones_like(W))
    values = torch.where(represented, axis_alignment(safe), torch.zeros_like(norms))
    counts = represented.sum(dim=-1)
    return torch.where(counts > 0, values.sum(dim=-1) / counts.clamp_min(1), torch.full_like(counts, math.nan, dtype=W.dtype))

# --- Regimes by dropout rate -------------------------------------------------------------------

AVOIDS = "avoids axes"
ALIGNED = "axis-aligned"
NEUTRAL = "no preference"
TOO_FEW = "too few models"

#: A rate needs this many models with a defined alignment for its interval to decide a regime.
MIN_MODELS = 10
#: "Near" an axis or a diagonal: within this angle, degrees (issue 13's number; the post gives none).
NEAR_DEGREES = 5.0

#: Rates the post calls "low" (strictly between 0 and this) and "high" (above it).
HALF = 0.5
#: "About 50%": a transition-rate interval overlapping this range agrees with the post.
ABOUT_HALF = (0.4, 0.6)
#: A transition interval wider than this cannot confirm "about 50%" (holds: unclear).
MAX_TRANSITION_WIDTH = 0.3
#: Significance level of the uniformity test at rate 0.
ALPHA = 0.05


def regime(interval: Interval, models: int) -> str:
    """avoids axes (interval < 0), axis-aligned (interval > 0), no preference, or too few models.

    ``interval``: the rate's statistic against its reference — the difference of its axis share
    (or mean alignment) from the r = 0 baseline's, or the mean alignment itself against 0.
    """
    if models < MIN_MODELS:
        return TOO_FEW
    if interval.high < 0.0:
        return AVOIDS
    if interval.low > 0.0:
        return ALIGNED
    return NEUTRAL


def _shares(angles: np.ndarray, near: float) -> tuple[int, int]:
    """(models within ``near`` degrees, models with a defined angle)."""
    finite = angles[np.isfinite(angles)]
    return int(np.count_nonzero(finite <= near)), int(finite.size)


def alignment_by_rate(rates: np.ndarray, values: np.ndarray, m: int, seed: int = 0,
                      axis_angles: np.ndarray | None = None, diagonal_angles: np.ndarray | None = None,
                      near: float = NEAR_DEGREES) -> pd.DataFrame:
    """One row per dropout rate: models, mean alignment with its 95% interval, regime, z-test of 0.

    Columns: ``dropout``, ``models``, ``mean``, ``ci_low``, ``ci_high``, ``regime``,
    ``z``, ``p_uniform`` (two-sided p of mean = 0 under uniform directions); with a rate 0,
    ``mean_vs_baseline`` / ``_low`` / ``_high`` (mean minus the r = 0 mean, bootstrap interval).
    With ``axis_angles`` and ``diagonal_angles`` (degrees, one per model, :func:`axis_angle`,
    :func:`diagonal_angle`): ``axis_share`` / ``_low`` / ``_high`` (share within ``near``
    degrees of an axis, Wilson interval), ``diagonal_share`` / …, their differences from the
    r = 0 shares ``axis_vs_baseline`` / ``_low`` / ``_high`` and ``diagonal_vs_baseline`` / …
    (Newcombe interval), and ``towards_diagonals``. The regime (module doc) is decided by the
    axis share against the baseline where angles are given, else by the mean against the
    baseline's, else (no rate 0) by the mean against 0.
    """
    rates, values = np.asarray(rates, dtype=np.float64), np.asarray(values, dtype=np.float64)
    levels = np.unique(rates)
    has_baseline = bool(np.any(levels == 0.0))
    baseline = values[(rates == 0.0) & np.isfinite(values)]
    angled = axis_angles is not None and diagonal_angles is not None
    if angled:
        axis_angles = np.asarray(axis_angles, dtype=np.float64)
        diagonal_angles = np.asarray(diagonal_angles, dtype=np.float64)
        base_axis = _shares(axis_angles[rates == 0.0], near)
        base_diagonal = _shares(diagonal_angles[rates == 0.0], near)
    rows = []
    for k, rate in enumerate(levels):
        sample = values[(rates == rate) & np.isfinite(values)]
        if sample.size == 0:  # no model has a defined alignment at this rate
            rows.append({"dropout": float(rate), "models": 0, "mean": math.nan, "ci_low": math.nan,
                         "ci_high": math.nan, "regime": TOO_FEW, "z": math.nan, "p_uniform": math.nan})
            continue
        interval = bootstrap_mean_ci(sample, seed=seed + k)
        test = alignment_z_test(sample, m)
        row = {"dropout": float(rate), "models": int(sample.size), "mean": interval.estimate,
               "ci_low": interval.low, "ci_high": interval.high, "z": test.statistic, "p_uniform": test.p_value}
        reference = interval
        if has_baseline and baseline.size:
            against = bootstrap_difference_ci(sample, baseline, seed=seed + 100 + k)
            row |= {"mean_vs_baseline": against.estimate, "mean_vs_baseline_low": against.low,
                    "mean_vs_baseline_high": against.high}
            reference = against
        if angled:
            in_rate = rates == rate
            for name, angles, base in (("axis", axis_angles, base_axis), ("diagonal", diagonal_angles, base_diagonal)):
                hits, total = _shares(angles[in_rate], near)
                share, low, high = proportion(hits, total)
                row |= {f"{name}_share": share, f"{name}_share_low": low, f"{name}_share_high": high}
                if has_baseline:
                    difference, d_low, d_high = proportion_difference(hits, total, *base)
                    row |= {f"{name}_vs_baseline": difference, f"{name}_vs_baseline_low": d_low,
                            f"{name}_vs_baseline_high": d_high}
            if has_baseline:
                reference = Interval(row["axis_vs_baseline"], row["axis_vs_baseline_low"], row["axis_vs_baseline_high"],
                                     LEVEL)
                row["towards_diagonals"] = bool(row["diagonal_vs_baseline_low"] > 0)
        row["regime"] = regime(reference, sample.size)
        rows.append(row)
    return pd.DataFrame(rows)


def transition_rate(rates: np.ndarray, means: np.ndarray) -> float:
    """Onset of axis alignment: the upward zero crossing of the mean curve below its peak.

    Starting from the rate of the largest mean and walking down, the first rate whose mean is
    not positive marks the crossing, linearly interpolated with the rate above it. ``rates``
    ascending (K,), ``means`` (K,). NaN if no mean is positive (never aligned); the first rate
    itself if every mean up to the peak is positive (aligned from the smallest rate on). A
    curve that falls again after its peak (alignment lost at the highest rates) keeps the
    onset below the peak.
    """
    rates, means = np.asarray(rates, dtype=np.float64), np.asarray(means, dtype=np.float64)
    if means.size == 0 or not np.nanmax(means) > 0:
        return math.nan
    first = int(np.nanargmax(means))
    while first > 0 and means[first - 1] > 0:
        first -= 1
    if first == 0:
        return float(rates[0])
    r0, r1, m0, m1 = rates[first - 1], rates[first], means[first - 1], means[first]
    return float(r0 + (r1 - r0) * (0.0 - m0) / (m1 - m0))


def transition_interval(
    rates: np.ndarray, values: np.ndarray, seed: int = 0, resamples: int = RESAMPLES, level: float = LEVEL
) -> tuple[Interval, float]:
    """Transition rate of the mean-alignment curve (relative to the r = 0 mean where there is a
    rate 0) and its bootstrap interval.

    Every rate's models are resampled independently; resamples without a crossing (NaN) are
    left out of the quantiles, and so are rates with fewer than ``MIN_MODELS`` defined models. Returns the interval and the fraction of resamples with a
    crossing (1 when some rate is always aligned).
    """
    rates, values = np.asarray(rates, dtype=np.float64), np.asarray(values, dtype=np.float64)
    finite = np.isfinite(values)
    # rates with too few defined models have no regime, so they do not place the crossing either
    levels = np.array([r for r in np.unique(rates) if np.count_nonzero((rates == r) & finite) >= MIN_MODELS])
    if levels.size == 0:
        return Interval(math.nan, math.nan, math.nan, level), 0.0
    samples = [values[(rates == r) & finite] for r in levels]
    means = np.array([s.mean() for s in samples])
    draws = np.stack([
        s[resample_indices(s.size, resamples, seed + k)].mean(axis=1) for k, s in enumerate(samples)
    ], axis=1)  # (R, K)
    if levels[0] == 0.0:  # against the r = 0 baseline (resampled with the rest)
        means, draws = means - means[0], draws - draws[:, :1]
    estimate = transition_rate(levels, means)
    crossings = np.array([transition_rate(levels, row) for row in draws])
    defined = crossings[np.isfinite(crossings)]
    if defined.size == 0:
        return Interval(estimate, math.nan, math.nan, level), 0.0
    tail = (1.0 - level) / 2.0
    low, high = np.quantile(defined, [tail, 1.0 - tail])
    return Interval(estimate, float(low), float(high), level), float(defined.size / crossings.size)


def rate_list(summary: pd.DataFrame) -> str:
    """"r=0.3: +0.63 [+0.61, +0.65], ..." for the rows of :func:`alignment_by_rate`'s table, with the
    shares near an axis and a diagonal against the r = 0 baseline where the table has them."""
    shares = "axis_share" in summary

    def one(r) -> str:
        if r.regime == TOO_FEW:
            return f"r={r.dropout:g}: too few models ({r.models})"
        text = f"r={r.dropout:g}: {r.mean:+.2f} [{r.ci_low:+.2f}, {r.ci_high:+.2f}]"
        if shares and math.isfinite(r.axis_share):
            text += f", near an axis {r.axis_share:.0%}, a diagonal {r.diagonal_share:.0%}"
            if "axis_vs_baseline" in summary and r.dropout > 0:
                text += (f" (vs r = 0: {r.axis_vs_baseline:+.0%} [{r.axis_vs_baseline_low:+.0%}, "
                         f"{r.axis_vs_baseline_high:+.0%}], {r.diagonal_vs_baseline:+.0%} "
                         f"[{r.diagonal_vs_baseline_low:+.0%}, {r.diagonal_vs_baseline_high:+.0%}])")
        return text

    return ", ".join(one(r) for r in summary.itertuples())


def regime_claims(summary: pd.DataFrame, transition: Interval, uniform_p: float) -> pd.DataFrame:
    """The post's three regimes as rows ``kind`` (uniform / low / high / transition: which claim),
    ``claim``, ``measured``, ``holds`` ("yes", "partly", "unclear", "no").

    ``summary`` is :func:`alignment_by_rate`'s table; ``uniform_p`` the smallest p-value of the
    uniformity tests run at rate 0.
    """
    rows = []
    zero = summary[summary["dropout"] == 0.0]
    if len(zero):
        row = zero.iloc[0]
        rows.append({
            "kind": "uniform",
            "claim": "no dropout: orientation uniform",
            "measured": f"mean a = {row['mean']:+.3f} [{row['ci_low']:+.3f}, {row['ci_high']:+.3f}], "
                        f"min p(uniform) = {uniform_p:.3g}",
            "holds": "yes" if uniform_p >= ALPHA else "no",
        })
    against = (f"share within {NEAR_DEGREES:g}° of an axis against r = 0" if "axis_share" in summary
               else "mean alignment against r = 0" if "mean_vs_baseline" in summary else "mean alignment against 0")
    for kind, label, part, expected in (
        ("low", f"low dropout (0 < r < {HALF:g}): avoids the axes ({against})",
         summary[(summary["dropout"] > 0) & (summary["dropout"] < HALF)], AVOIDS),
        ("high", f"dropout above {HALF:.0%}: aligned with the axes ({against})", summary[summary["dropout"] > HALF],
         ALIGNED),
    ):
        decided = part[part["regime"] != TOO_FEW]
        if not len(decided):
            continue
        hits = int((decided["regime"] == expected).sum())
        rows.append({
            "kind": kind,
            "claim": label,
            "measured": f"{hits} of {len(decided)} rates {expected}; " + rate_list(part),
            "holds": "yes" if hits == len(decided) else ("partly" if hits else "no"),
        })
    low, high = ABOUT_HALF
    aligned = summary[summary["regime"] == ALIGNED]["dropout"]
    first = float(aligned.min()) if len(aligned) else math.nan
    first_ok = low <= first <= high
    first_text = f"first aligned rate {first:g}" if len(aligned) else "no aligned rate"
    if math.isfinite(transition.estimate) and math.isfinite(transition.low):
        overlaps = transition.high >= low and transition.low <= high
        tight = transition.high - transition.low <= MAX_TRANSITION_WIDTH
        crossing_ok = overlaps and tight
        measured = (f"{first_text}; upward crossing of the mean over its r = 0 value r* = {transition.estimate:.3f} "
                    f"[{transition.low:.3f}, {transition.high:.3f}]")
    else:
        overlaps = crossing_ok = False
        measured = f"{first_text}; the mean never turns positive"
    if first_ok and crossing_ok:
        holds = "yes"
    elif first_ok or overlaps:
        holds = "partly" if first_ok else "unclear"
    else:
        holds = "no"
    rows.append({"kind": "transition", "claim": "transition to alignment at about 50%", "measured": measured,
                 "holds": holds})
    return pd.DataFrame(rows)


def effect_strength(
    rates: np.ndarray, values: np.ndarray, seed: int = 0, resamples: int = RESAMPLES, level: float = LEVEL
) -> Interval:
    """Size of the orientation effect over the rates r > 0, free of the sample-size bias, with its interval.

    ``E = √max(0, mean_r ((ā(r) − ā(0))² − s²(r)/N(r) − s²(0)/N(0)))``: the root mean square of
    the per-rate mean alignment's change from the r = 0 baseline (against 0 when there is no
    rate 0), each squared difference corrected by its sampling variance
    (``E[(ā_r − ā_0)²] = (μ_r − μ_0)² + σ_r²/N_r + σ_0²/N_0``), so that experiments with
    different numbers of models compare fairly (E ≈ 0 when dropout changes nothing, at any N).
    Every rate's models, the baseline's included, are resampled independently for the interval.
    Used to compare dense with sparse features ("the effect weakens with dense features").
    """
    rates, values = np.asarray(rates, dtype=np.float64), np.asarray(values, dtype=np.float64)
    levels = [r for r in np.unique(rates) if r > 0]
    if not levels:
        raise ValueError("effect strength needs at least one dropout rate above 0")
    samples = [values[(rates == r) & np.isfinite(values)] for r in levels]
    base = values[(rates == 0.0) & np.isfinite(values)]
    if base.size < 2:  # no baseline: against 0 (uniform orientations)
        base = np.zeros(2)

    def strength(means, variances, sizes, base_mean, base_variance) -> np.ndarray:
        # E[(ā_r − ā_0)²] = (μ_r − μ_0)² + σ_r²/N_r + σ_0²/N_0
        excess = (means - base_mean[..., None]) ** 2 - variances / sizes - (base_variance / base.size)[..., None]
        return np.sqrt(np.maximum(0.0, excess.mean(axis=-1)))

    sizes = np.array([s.size for s in samples], dtype=np.float64)
    estimate = float(strength(np.array([s.mean() for s in samples]), np.array([s.var(ddof=1) for s in samples]), sizes,
                              np.asarray(base.mean()), np.asarray(base.var(ddof=1))))
    drawn = [s[resample_indices(s.size, resamples, seed + k)] for k, s in enumerate(samples)]  # each (R, N_r)
    means = np.stack([d.mean(axis=1) for d in drawn], axis=1)  # (R, K)
    variances = np.stack([d.var(axis=1, ddof=1) for d in drawn], axis=1)
    base_drawn = base[resample_indices(base.size, resamples, seed + len(samples))]  # (R, N_0)
    draws = strength(means, variances, sizes, base_drawn.mean(axis=1), base_drawn.var(axis=1, ddof=1))
    tail = (1.0 - level) / 2.0
    low, high = np.quantile(draws, [tail, 1.0 - tail])
    return Interval(estimate, float(low), float(high), level)


def weaker_claim(weak: Interval, strong: Interval, label: str) -> dict[str, str]:
    """Row of the claim "the effect of ``weak`` is smaller than that of ``strong``" from their strengths."""
    if weak.high < strong.low:
        holds = "yes"
    elif weak.low > strong.high:
        holds = "no"
    else:
        holds = "unclear"
    return {"claim": label, "measured": f"RMS change of the mean alignment from r = 0 over rates > 0 (bias-corrected): "
            f"{weak} against {strong}", "holds": holds}


def threshold_claim(summary: pd.DataFrame, label: str, threshold: float = HALF) -> dict[str, str]:
    """Row of the claim "aligned with the axes above ``threshold`` only".

    Holds ("yes") when every rate above the threshold is axis-aligned and no rate below it is;
    "partly" when the rates above are aligned but some below are too, or only some above are.
    """
    decided = summary[summary["regime"] != TOO_FEW]
    above = decided[decided["dropout"] > threshold]
    below = decided[decided["dropout"] < threshold]
    aligned_above = int((above["regime"] == ALIGNED).sum())
    aligned_below = int((below["regime"] == ALIGNED).sum())
    if len(above) and aligned_above == len(above) and aligned_below == 0:
        holds = "yes"
    elif aligned_above:
        holds = "partly"
    else:
        holds = "no"
    measured = (f"aligned at {aligned_above} of {len(above)} rates above {threshold:g} and at {aligned_below} of "
                f"{len(below)} below; " + rate_list(summary))
    return {"claim": label, "measured": measured, "holds": holds}
