"""Geometry: Non-Uniform Superposition.

Correlated and anticorrelated feature sets — How correlated and anticorrelated feature sets are arranged in a trained W.

Features come in consecutive sets of ``set_size`` (feature i is in set ``i // set_size``, as
in :mod:`distributions`). Shapes: W is (n, m) for one model; cosines are (n, n).

Measures (all on learned features, ``‖W_i‖ > geometry.LEARNED_NORM``):

* ``cos(W_i, W_j) = Ŵ_i · Ŵ_j`` between members of one set (the paper: correlated features
  prefer to be orthogonal, or failing that "as close together as possible"; anticorrelated
  features prefer negative interference, ideally antipodal).
* :func:`arrangement` names each set's arrangement (thresholds as in :mod:`geometry`):
  *collapsed* (every within-set cos > ANTIPODAL_COS: one shared direction), *antipodal* (a
  pair with cos < −ANTIPODAL_COS), *orthogonal* (every |cos| < INTERACTING_COS), *side by side*
  (m = 2: the set's members are consecutive in angular order, span less than 180°, and their
  mean cos is positive), *mixed* otherwise; *not learned* with fewer than two learned members.
* :func:`pc_share`: for a pair (a, b), the share of its weight on the first principal
  component ``(a + b)/√2`` of the pair: ``‖W_a + W_b‖² / (2 (‖W_a‖² + ‖W_b‖²))``. 1 means the
  pair collapsed onto its principal component (``W_a = W_b``), ½ orthogonal, ¾ at 60°
  (a hexagon's neighbours), 0 antipodal.
* :func:`local_dimensionality`: the feature dimensionality restricted to the feature's own
  set, ``D_i^set = ‖W_i‖² / Σ_{j ∈ set(i)} (Ŵ_i · W_j)²``; 1 when the set is locally an
  orthogonal basis even if the model as a whole is in superposition.
* :func:`overlap_by_block`: mean ``|cos|`` (or, ``signed``, mean cos) over pairs of distinct
  learned features in the same set and in different sets.

Where two geometries' losses cross — Loss of each geometry against a varied parameter, and where two geometries' losses cross.

With many restarts per setting the optimiser lands in different configurations (the paper:
"visualizing the sub-optimal solutions ... allows us to see the loss curves for different
geometries"). For every setting x and geometry g the *envelope* is the lowest final loss of
the restarts that ended in g, ``L_g(x) = min{loss_k : x_k = x, geometry_k = g}`` (NaN where no
restart found g). A first-order phase change between geometries a and b is a sign change of
``L_a(x) − L_b(x)``: the crossing is placed by linear interpolation in ``log x`` between the
two neighbouring settings where both envelopes exist.

Shapes: tables with one row per restart (columns named by the caller).

Perturbing a single feature — :func:`perturbed_polygon_restarts`: every restart of an n-in-2
experiment whose last ("extra") feature has one setting varied (its density, or its
importance), canonicalised against a regular polygon with the extra feature on top, with its
geometry (:func:`geometry.classify`), the extra feature's norm and the angle between its two
neighbours (:func:`geometry.neighbour_gap`; 144° in a regular pentagon), and the crossing of
the pentagon and digon-pair loss envelopes (:func:`polygon_crossings`).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from torch import Tensor

from .alignment import align, regular_polygon, relabellings
from .geometry import ANTIPODAL_COS, INTERACTING_COS, LEARNED_NORM, classify, neighbour_gap

# --- Correlated and anticorrelated feature sets ------------------------------------------------

COLLAPSED = "collapsed"
ANTIPODAL = "antipodal"
ORTHOGONAL = "orthogonal"
SIDE_BY_SIDE = "side by side"
MIXED = "mixed"
NOT_LEARNED = "not learned"


def _array(W: Tensor | np.ndarray) -> np.ndarray:
    if isinstance(W, Tensor):
        return W.detach().cpu().double().numpy()
    return np.asarray(W, dtype=np.float64)


def set_of(n: int, set_size: int) -> np.ndarray:
    """Set index of every feature: (n,)."""
    if n % set_size:
        raise ValueError(f"set_size {set_size} does not divide n={n}")
    return np.arange(n) // set_size


def cosines(W: Tensor | np.ndarray) -> np.ndarray:
    """cos(W_i, W_j) for all pairs (n, n); rows and columns of zero vectors are 0."""
    W = _array(W)
    norms = np.linalg.norm(W, axis=1)
    unit = np.where(norms[:, None] > 1e-12, W / np.maximum(norms, 1e-12)[:, None], 0.0)
    return unit @ unit.T


def learned(W: Tensor | np.ndarray) -> np.ndarray:
    """Bool (n,): ‖W_i‖ > LEARNED_NORM."""
    return np.linalg.norm(_array(W), axis=1) > LEARNED_NORM


def _contiguous_in_angle(W: np.ndarray, members: list[int], others: list[int]) -> tuple[bool, float]:
    """m = 2: are ``members`` consecutive in angular order among members + others, and their span."""
    angle = {i: math.atan2(W[i, 1], W[i, 0]) for i in members + others}
    order = sorted(angle, key=lambda i: (angle[i], i))
    flags = [i in members for i in order]
    # contiguous on a circle: at most one run of True
    runs = sum(1 for k in range(len(flags)) if flags[k] and not flags[k - 1])
    contiguous = runs <= 1 or all(flags)
    theta = np.sort([angle[i] for i in members])
    gaps = np.diff(np.concatenate([theta, theta[:1] + 2 * math.pi]))
    span = 2 * math.pi - float(gaps.max())
    return contiguous, span


def arrangement(W: Tensor | np.ndarray, set_size: int) -> list[dict]:
    """One dict per set: its learned members, within-set cosines (min, mean, max) and label."""
    W = _array(W)
    n, m = W.shape
    sets = set_of(n, set_size)
    cos = cosines(W)
    is_learned = learned(W)
    result = []
    for s in range(n // set_size):
        members = [i for i in range(n) if sets[i] == s and is_learned[i]]
        others = [i for i in range(n) if sets[i] != s and is_learned[i]]
        row = {"set": s, "learned": len(members), "min_cos": math.nan, "mean_cos": math.nan,
               "max_abs_cos": math.nan, "label": NOT_LEARNED}
        if len(members) >= 2:
            pairs = [cos[i, j] for k, i in enumerate(members) for j in members[k + 1:]]
            row |= {"min_cos": float(min(pairs)), "mean_cos": float(np.mean(pairs)),
                    "max_abs_cos": float(max(abs(c) for c in pairs))}
            if min(pairs) > ANTIPODAL_COS:
                label = COLLAPSED
            elif len(members) == 2 and pairs[0] < -ANTIPODAL_COS:
                label = ANTIPODAL
            elif max(abs(c) for c in pairs) < INTERACTING_COS:
                label = ORTHOGONAL
            else:
                label = MIXED
                if m == 2:
                    contiguous, span = _contiguous_in_angle(W, members, others)
                    if contiguous and span < math.pi and np.mean(pairs) > 0:
                        label = SIDE_BY_SIDE
            row["label"] = label
        result.append(row)
    return result


def pc_share(W: Tensor | np.ndarray, a: int, b: int) -> float:
    """Share of the pair's weight on its first principal component (a + b)/√2 (module docstring)."""
    W = _array(W)
    total = float(W[a] @ W[a] + W[b] @ W[b])
    if total <= 0.0:
        return math.nan
    plus = W[a] + W[b]
    return float(plus @ plus) / (2.0 * total)


def local_dimensionality(W: Tensor | np.ndarray, set_size: int) -> np.ndarray:
    """D_i restricted to feature i's own set (n,); 0 for an unlearned (zero) feature."""
    W = _array(W)
    n = W.shape[0]
    sets = set_of(n, set_size)
    norms = np.linalg.norm(W, axis=1)
    unit = W / np.maximum(norms, 1e-12)[:, None]
    squared = (unit @ W.T) ** 2  # [i, j] = (Ŵ_i · W_j)²
    same = sets[:, None] == sets[None, :]
    denominator = (squared * same).sum(axis=1)
    return np.where(norms > 1e-6, norms**2 / np.maximum(denominator, 1e-300), 0.0)


def overlap_by_block(W: Tensor | np.ndarray, set_size: int, signed: bool = False) -> tuple[float, float]:
    """(mean |cos| within sets, mean |cos| between sets) over distinct learned features;
    ``signed``: the mean cos itself (negative = the features point away from each other)."""
    W = _array(W)
    n = W.shape[0]
    sets = set_of(n, set_size)
    cos = cosines(W) if signed else np.abs(cosines(W))
    keep = learned(W)
    pair = keep[:, None] & keep[None, :] & ~np.eye(n, dtype=bool)
    same = sets[:, None] == sets[None, :]
    within = cos[pair & same]
    between = cos[pair & ~same]
    return (float(within.mean()) if within.size else math.nan,
            float(between.mean()) if between.size else math.nan)


def expected_arrangement(kind: str, set_size: int, hidden: int) -> str:
    """The paper's prediction for one set: correlated sets orthogonal when they fit
    (``set_size ≤ hidden``), otherwise side by side; anticorrelated pairs antipodal."""
    if kind == "correlated":
        return ORTHOGONAL if set_size <= hidden else SIDE_BY_SIDE
    if kind == "anticorrelated":
        if set_size != 2:
            raise ValueError("the paper's prediction for anticorrelated sets is stated for pairs (antipodal)")
        return ANTIPODAL
    raise ValueError(f"no prediction for {kind!r} features")

# --- Where two geometries' losses cross --------------------------------------------------------

def envelopes(table: pd.DataFrame, x: str, loss: str, geometry: str) -> pd.DataFrame:
    """Wide table: index = sorted x values, one column per geometry with its lowest loss (NaN: not found)."""
    wide = table.groupby([x, geometry])[loss].min().unstack(geometry)
    return wide.sort_index()


def crossings(x: np.ndarray, first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """x values (log-interpolated) where ``first − second`` changes sign between adjacent points
    at which both are finite; exact zeros count once. Returns an array (possibly empty)."""
    x = np.asarray(x, dtype=np.float64)
    diff = np.asarray(first, dtype=np.float64) - np.asarray(second, dtype=np.float64)
    valid = np.flatnonzero(np.isfinite(diff))
    found = []
    for a, b in zip(valid[:-1], valid[1:]):
        if b != a + 1:
            continue  # a setting without both geometries in between: no bracket
        da, db = diff[a], diff[b]
        if da == 0.0:
            found.append(x[a])
        elif da * db < 0:
            t = da / (da - db)
            found.append(float(np.exp(np.log(x[a]) + t * (np.log(x[b]) - np.log(x[a])))))
    if len(valid) and diff[valid[-1]] == 0.0:
        found.append(x[valid[-1]])
    return np.asarray(found, dtype=np.float64)


# --- Perturbing a single feature ---------------------------------------------------------------

PENTAGON, DIGONS = "pentagon", "digon pair"


def extra_on_top(n: int) -> np.ndarray:
    """Regular n-gon (n, 2), the extra (last) feature on top, the others counter-clockwise after it."""
    polygon = regular_polygon(n, start_angle=math.pi / 2)
    return np.vstack([polygon[1:], polygon[:1]])


def perturbed_polygon_restarts(W: np.ndarray, instances: pd.DataFrame, varied: str) -> pd.DataFrame:
    """One row per (restart, feature) of an n-in-2 experiment whose extra feature's ``varied``
    column of ``instances`` (e.g. ``extra_feature_importance``) is swept.

    W (I, n, 2). Columns: instance, setting, restart, ``varied``, final_loss, selected, geometry,
    extra_norm, extra_neighbour_gap_deg, feature, is_extra, canonical ``x``, ``y`` and raw
    ``w_x``, ``w_y``.
    """
    W = np.asarray(W, dtype=np.float64)
    n = W.shape[1]
    extra = n - 1
    reference = extra_on_top(n)
    orders = relabellings([list(range(n - 1))], n)
    rows = []
    for row in instances.sort_values("instance").itertuples():
        weights = W[row.instance]
        geometry = classify(weights)
        fit = align(weights, reference, orders)
        gap = neighbour_gap(weights, extra)
        for position in range(n):
            feature = fit.order[position]
            rows.append({
                "instance": row.instance, "setting": row.setting, "restart": row.restart,
                varied: getattr(row, varied), "final_loss": row.final_loss, "selected": bool(row.selected),
                "geometry": geometry.name, "extra_norm": float(np.linalg.norm(weights[extra])),
                "extra_neighbour_gap_deg": math.degrees(gap) if np.isfinite(gap) else math.nan,
                "feature": feature, "is_extra": feature == extra,
                "x": fit.aligned[position, 0], "y": fit.aligned[position, 1],
                "w_x": weights[feature, 0], "w_y": weights[feature, 1],
            })
    return pd.DataFrame(rows)


def polygon_crossings(per_restart: pd.DataFrame, varied: str) -> np.ndarray:
    """Values of ``varied`` where the pentagon and digon-pair loss envelopes cross (possibly none)."""
    wide = envelopes(per_restart, varied, "final_loss", "geometry")
    if PENTAGON not in wide or DIGONS not in wide:
        return np.array([])
    return crossings(wide.index.to_numpy(), wide[PENTAGON].to_numpy(), wide[DIGONS].to_numpy())
