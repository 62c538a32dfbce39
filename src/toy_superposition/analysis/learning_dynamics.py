"""Superposition and Learning Dynamics.

Energy levels — Discrete "energy level" jumps: features hopping between dimensionality levels in training.

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

Loss regimes — Regimes of a loss curve: plateaus separated by sudden drops, found on log-log axes.

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

Trajectories — Training trajectories: the weight snapshots of an experiment and their loss, step by step.

The train stage saves the weights at the configured ``snapshot_steps`` as
``snapshots.safetensors`` with keys ``step_00001000/W`` (see the artifact contract). This
module stacks them into one tensor per parameter and measures each snapshot's loss.

Shapes: ``T`` snapshots, ``I`` instances, ``B`` batch, ``n`` features, ``m`` hidden.

Loss of a snapshot. The logged training loss is the mean over a window of fresh batches,
so it is noisy where features are sparse (few active features per batch). To see small
steps in the loss, :func:`snapshot_losses` evaluates every snapshot on *one* fixed batch
``X`` drawn from the instance's distribution (common random numbers):

    L_t = (1 / (B n)) Σ_{b,i} I_i (x'_t(X)_{b,i} − X_{b,i})²

so differences between snapshots are the model's change, not the batch's. (No dropout and
no L1 term: the reconstruction loss of the deterministic model, like ``final_loss``.)

The octahedron attractor — Describe a configuration of correlated feature sets, and recognise the octahedron.

With ``n = 2m`` features in ``m`` dimensions made of two correlated sets of ``m`` features
(``distribution: correlated``, ``set_size = m``), the paper finds that training ends, as a
strong attractor, in the *cross-polytope* (the octahedron for m = 3): the ``m`` features of
one set orthogonal to each other (correlated features avoid interfering), and each one
antipodal to a feature of the other set (features of different sets are rarely active
together, so they can share a direction with opposite signs).

For one instance's embedding ``W`` (n, m) with unit directions ``Ŵ_i`` and cosines
``c_ij = Ŵ_i · Ŵ_j``:

* ``within_set_cosine`` (per set): mean ``c_ij`` over pairs of the same set — near 1 when
  the set is collapsed onto its principal component (the PCA-like solution), near 0 when
  its features are orthogonal;
* ``antipodal_pairs``: pairs with ``c_ij ≤ −1 + tolerance``; ``cross_set_antipodal_pairs``:
  those whose two features are in different sets;
* ``is_cross_polytope``: every feature represented (‖W_i‖ > 0.5), each with exactly one
  antipode, from the other set, and ``|c_ij| ≤ tolerance`` for every other pair.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch import Tensor

from ..config import ExperimentSpec, derive_seed
from ..distributions import FeatureDistribution, sample_features
from ..metrics import REPRESENTED_NORM
from ..models import forward, loss_per_instance, target_of

# --- Energy levels -----------------------------------------------------------------------------

#: Levels a feature's dimensionality settles on (value → geometry), with 0 for "not learned".
LEVELS: dict[float, str] = {
    0.0: "not learned",
    2 / 5: "pentagon",
    1 / 2: "antipodal pair",
    2 / 3: "triangle",
    3 / 4: "tetrahedron",
    1.0: "dedicated dimension",
}
LEVEL_TOLERANCE = 0.03
MIN_LENGTH = 3
MIN_SPAN = 1.25

JUMP_COLUMNS = ["feature", "from_level", "to_level", "start_step", "step", "end_step"]


def snap_to_levels(values: np.ndarray, levels: tuple[float, ...] | list[float], tolerance: float = LEVEL_TOLERANCE) -> np.ndarray:
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
    tolerance: float = LEVEL_TOLERANCE,
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


def between_nonzero_levels(jumps: pd.DataFrame) -> pd.Series:
    """Which jumps go from one non-zero level to another (bool per row of :func:`detect_jumps`).

    A feature leaving 0 is being learned and one landing on 0 is dropped; the paper's "energy
    level" jumps are between the fractional levels of features already represented.
    """
    return (jumps["from_level"] > 0) & (jumps["to_level"] > 0)


#: The level of a feature in an antipodal pair (a digon).
DIGON = 1 / 2


def digon_count(dimensionality: np.ndarray, norms: np.ndarray, tolerance: float = LEVEL_TOLERANCE) -> tuple[int, int]:
    """(learned features, of them in digons) of one model: ‖W_i‖ > REPRESENTED_NORM, and |D_i − 1/2| ≤ tolerance.

    ``dimensionality`` and ``norms`` (n,). The paper's energy-level model is "one model where
    all the features converge into digons": every learned feature in a digon at the end.
    """
    learned = np.asarray(norms) > REPRESENTED_NORM
    in_digons = learned & (np.abs(np.asarray(dimensionality) - DIGON) <= tolerance)
    return int(learned.sum()), int(in_digons.sum())


def choose_digon_model(final_dimensionality: np.ndarray, final_norms: np.ndarray, losses: np.ndarray) -> tuple[int, bool]:
    """The model to follow, as the paper chose it: the lowest-loss one whose learned features all
    end in digons; the lowest-loss one if none does. Arrays (I, n), (I, n), (I,); returns
    (index into them, whether it ends in digons)."""
    counts = [digon_count(d, w) for d, w in zip(final_dimensionality, final_norms)]
    clean = [k for k, (learned, digons) in enumerate(counts) if learned > 0 and digons == learned]
    order = np.argsort(np.asarray(losses, dtype=np.float64), kind="stable")
    for k in order:
        if int(k) in clean:
            return int(k), True
    return int(order[0]), False


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
    (:func:`log_slope`). A query step ``t`` with ``t_k < t ≤ t_{k+1}`` takes the
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

# --- Loss regimes ------------------------------------------------------------------------------

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

# --- Trajectories ------------------------------------------------------------------------------

def snapshot_losses(
    spec: ExperimentSpec,
    params: dict[str, Tensor],
    dist: FeatureDistribution,
    instances: list[int],
    batch_size: int = 4096,
    seed_label: str = "snapshot-loss",
) -> np.ndarray:
    """Loss of every snapshot of the chosen instances on one fixed batch: (T, len(instances)).

    ``params`` are stacked snapshots ({"W": (T, I, n, m), ...}); each instance's batch is
    drawn once from ``dist`` with a seed derived from the experiment, ``seed_label`` and the
    instance index, so it does not depend on which other instances are evaluated.
    """
    index = torch.as_tensor(instances, dtype=torch.long)
    sub = {k: v.index_select(1, index).double() for k, v in params.items()}  # (T, I', ...)
    chosen = FeatureDistribution(
        dist.probability.index_select(0, index).double(), dist.importance.index_select(0, index).double(),
        dist.kind, dist.set_size, dist.signed,
    )
    batches = []
    for k, instance in enumerate(instances):
        generator = torch.Generator().manual_seed(derive_seed(spec.seed, seed_label, int(instance)))
        one = FeatureDistribution(chosen.probability[k: k + 1], chosen.importance[k: k + 1], dist.kind,
                                  dist.set_size, dist.signed)
        batches.append(sample_features(one, batch_size, generator))
    x = torch.cat(batches)  # (I', B, n)
    target = target_of(spec.model, x)
    steps = next(iter(sub.values())).shape[0]
    losses = np.empty((steps, len(instances)))
    with torch.no_grad():
        for t in range(steps):
            output, _ = forward(spec.model, {k: v[t] for k, v in sub.items()}, x)
            losses[t] = loss_per_instance(output, target, chosen.importance).numpy()
    return losses

# --- The octahedron attractor ------------------------------------------------------------------

OCTAHEDRON_TOLERANCE = 0.1


@dataclass(frozen=True)
class SetGeometry:
    represented: int
    within_set_cosine: tuple[float, ...]  # one per set
    antipodal_pairs: int
    cross_set_antipodal_pairs: int
    is_cross_polytope: bool


def cosines(W: Tensor) -> Tensor:
    """``Ŵ_i · Ŵ_j`` (n, n); a zero row gives zero cosines."""
    norms = W.norm(dim=-1, keepdim=True)
    unit = W / norms.clamp_min(1e-12)
    return unit @ unit.transpose(-1, -2)


def set_geometry(W: Tensor, set_size: int, tolerance: float = OCTAHEDRON_TOLERANCE) -> SetGeometry:
    """Summarise one embedding W (n, m) whose features form consecutive sets of ``set_size``."""
    n_features = W.shape[0]
    if n_features % set_size:
        raise ValueError(f"set_size {set_size} does not divide n = {n_features}")
    W = W.double()
    cos = cosines(W)
    sets = torch.arange(n_features) // set_size
    same_set = sets[:, None] == sets[None, :]
    upper = torch.triu(torch.ones(n_features, n_features, dtype=torch.bool), diagonal=1)
    within = []
    for s in range(n_features // set_size):
        members = torch.arange(s * set_size, (s + 1) * set_size)
        block = cos[members][:, members]
        pairs = torch.triu(torch.ones(set_size, set_size, dtype=torch.bool), diagonal=1)
        within.append(float(block[pairs].mean()) if set_size > 1 else float("nan"))
    antipodal = (cos <= -1.0 + tolerance) & upper
    represented = int((W.norm(dim=-1) > REPRESENTED_NORM).sum())
    antipodes_per_feature = (antipodal | antipodal.T).sum(dim=-1)
    others_orthogonal = bool(((cos.abs() <= tolerance) | antipodal | antipodal.T | torch.eye(n_features, dtype=torch.bool)).all())
    cross = antipodal & ~same_set
    polytope = (
        represented == n_features
        and bool((antipodes_per_feature == 1).all())
        and int(cross.sum()) == n_features // 2
        and others_orthogonal
    )
    return SetGeometry(
        represented=represented,
        within_set_cosine=tuple(within),
        antipodal_pairs=int(antipodal.sum()),
        cross_set_antipodal_pairs=int(cross.sum()),
        is_cross_polytope=polytope,
    )
