"""Geometry: Uniform Superposition — two measurements of the learned polytopes.

**Polytope share** (the feature-dimensionality lines and the "pressure" comment):

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

**Tegum factors** — "Why these geometric structures?": split a model's learned
features into tegum factors (non-interfering groups) and name their polytopes.

"Why these geometric structures?": many Thomson solutions are *tegum products* — polytopes
built by embedding smaller polytopes in orthogonal subspaces — and "there can't be any
'interference' across tegum-factors", so each feature's dimensionality D_i is that of its
factor (a triangular bipyramid = digon ⊕ triangle shows points at ½ and ⅔, not the uniform ⅗).

Procedure, for one model ``W`` (n, m) (row ``W_i`` = feature i's embedding, ``Ŵ_i = W_i/‖W_i‖``):

1. feature i is learned when ``‖W_i‖ > LEARNED_NORM`` (0.5, ``geometry.LEARNED_NORM``);
2. learned i, j are joined by an edge when ``|cos(W_i, W_j)| = |Ŵ_i · Ŵ_j| > threshold``
   (default ``TEGUM_COS = 0.1``, see below); the groups are the connected components;
3. a group of k features spanning d dimensions (singular values of its rows above
   ``RANK_TOLERANCE`` × the largest, 0.2 as in ``geometry``) whose members' dimensionalities
   ``D_i = ‖W_i‖² / Σ_j (Ŵ_i · W_j)²`` (over all features, as ``metrics.feature_dimensionality``)
   are all within ``D_TOLERANCE`` (0.05) of the polytope's d/k is named:

   ======================  ==  ==  =====
   name                    k   d   D_i
   ======================  ==  ==  =====
   dedicated               1   1   1
   digon                   2   1   1/2
   triangle                3   2   2/3
   tetrahedron             4   3   3/4
   pentagon                5   2   2/5
   hexagon                 6   2   1/3
   square antiprism        8   3   3/8
   other                   anything else
   ======================  ==  ==  =====

   (D = d/k is exact for polytopes whose vectors form a tight frame, ``Σ_j Ŵ_j Ŵ_jᵀ = (k/d) P``
   on their span — every vertex-transitive polytope above, the square antiprism at the
   height h² = r²/2 that makes it tight. For such a frame ``Σ_j (Ŵ_i·Ŵ_j)² = k/d``.)
4. interference across groups: ``cross_max = max |Ŵ_i · W_j|`` over learned i, j in different
   groups, and ``cross_share`` = the part of ``Σ_{i≠j} (Ŵ_i · W_j)²`` (learned i, j) that
   comes from pairs in different groups (0 for an exact tegum product).

Threshold. A factor stays connected as long as the threshold is below its *bottleneck*, the
weakest edge of a maximum spanning tree of |cos| (:func:`threshold_margin`): 1 for a digon, 1/2
for a triangle and a hexagon, 1/3 for a tetrahedron, 0.809 for a pentagon (joined through its
144° pairs), ≥ 1/3 for the square antiprism; orthogonal factors have |cos| = 0 between them.
In trained uniform ReLU-output models (100 → 10, 4000–5000 steps, see the report) the largest
cross-group |cos| was ≤ 0.02 and the smallest bottleneck ≥ 0.47, so every threshold in
[0.02, 0.47) gives the same groups. ``TEGUM_COS = 0.1`` sits low in that gap (a factor whose
members interfere more weakly than 0.1 would not be a tegum factor worth naming), below
``geometry.INTERACTING_COS`` (0.25).

Shapes: ``n`` features, ``m`` hidden; W (n, m).
 For the polytope share: ``N`` features (of any number of models pooled).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..metrics import REPRESENTED_NORM
from .geometry import LEARNED_NORM, RANK_TOLERANCE
from .statistics import Z95, wilson_interval

TEGUM_COS = 0.1
D_TOLERANCE = 0.05

#: (k, d) → name; D = d / k.
POLYTOPES = {
    (1, 1): "dedicated",
    (2, 1): "digon",
    (3, 2): "triangle",
    (4, 3): "tetrahedron",
    (5, 2): "pentagon",
    (6, 2): "hexagon",
    (8, 3): "square antiprism",
}
OTHER = "other"


@dataclass(frozen=True)
class TegumGroup:
    """One tegum factor: its features, size k, rank d, members' D_i (k,), name."""

    features: tuple[int, ...]
    rank: int
    dimensionality: np.ndarray
    name: str

    @property
    def size(self) -> int:
        return len(self.features)


@dataclass(frozen=True)
class TegumDecomposition:
    """The groups of one model (largest first), the unlearned features and the cross-group interference."""

    groups: tuple[TegumGroup, ...]
    not_learned: tuple[int, ...]
    cross_max: float
    cross_share: float
    threshold: float

    def table(self) -> pd.DataFrame:
        """One row per learned feature: feature, group (index), polytope, k, d, D_i."""
        rows = []
        for g, group in enumerate(self.groups):
            for f, D in zip(group.features, group.dimensionality):
                rows.append({"feature": f, "group": g, "polytope": group.name, "k": group.size,
                             "d": group.rank, "D": float(D)})
        return pd.DataFrame(rows, columns=["feature", "group", "polytope", "k", "d", "D"])

    def counts(self) -> dict[str, int]:
        """How many groups of each polytope."""
        out: dict[str, int] = {}
        for group in self.groups:
            out[group.name] = out.get(group.name, 0) + 1
        return out


def dimensionalities(W: np.ndarray) -> np.ndarray:
    """D_i = ‖W_i‖² / Σ_j (Ŵ_i · W_j)² (0 for a zero row): (n, m) → (n,)."""
    norms = np.linalg.norm(W, axis=1)
    unit = W / np.maximum(norms, 1e-12)[:, None]
    denom = ((unit @ W.T) ** 2).sum(1)
    return np.where(norms > 1e-6, norms**2 / np.maximum(denom, 1e-24), 0.0)


def _components(adjacent: np.ndarray) -> list[list[int]]:
    k = adjacent.shape[0]
    seen = np.zeros(k, dtype=bool)
    out = []
    for start in range(k):
        if seen[start]:
            continue
        stack, members = [start], []
        seen[start] = True
        while stack:
            i = stack.pop()
            members.append(i)
            for j in np.flatnonzero(adjacent[i] & ~seen):
                seen[j] = True
                stack.append(int(j))
        out.append(sorted(members))
    return out


def _rank(rows: np.ndarray) -> int:
    s = np.linalg.svd(rows, compute_uv=False)
    return int((s > RANK_TOLERANCE * s[0]).sum())


def name_group(size: int, rank: int, dims: np.ndarray, tolerance: float = D_TOLERANCE) -> str:
    """The polytope of a group of ``size`` features spanning ``rank`` dimensions with D_i ``dims`` (k,)."""
    name = POLYTOPES.get((size, rank))
    if name is None or np.abs(np.asarray(dims) - rank / size).max() > tolerance:
        return OTHER
    return name


def tegum_decomposition(W, threshold: float = TEGUM_COS, learned_norm: float = LEARNED_NORM) -> TegumDecomposition:
    """Groups of one model's learned features (module docstring). W (n, m), numpy or torch."""
    W = np.asarray(W.detach().cpu().double().numpy() if hasattr(W, "detach") else W, dtype=np.float64)
    if W.ndim != 2:
        raise ValueError(f"expected W of shape (n, m), got {W.shape}")
    norms = np.linalg.norm(W, axis=1)
    learned = np.flatnonzero(norms > learned_norm)
    D = dimensionalities(W)
    if len(learned) == 0:
        return TegumDecomposition((), tuple(range(W.shape[0])), 0.0, 0.0, threshold)
    unit = W[learned] / norms[learned, None]
    cos = unit @ unit.T
    adjacent = np.abs(cos) > threshold
    np.fill_diagonal(adjacent, False)
    groups = []
    label = np.empty(len(learned), dtype=int)
    for g, members in enumerate(_components(adjacent)):
        label[members] = g
        features = tuple(int(learned[i]) for i in members)
        rank = _rank(W[list(features)])
        dims = D[list(features)]
        groups.append(TegumGroup(features, rank, dims, name_group(len(features), rank, dims)))
    projections = unit @ W[learned].T  # [i, j] = Ŵ_i · W_j
    off = ~np.eye(len(learned), dtype=bool)
    across = label[:, None] != label[None, :]
    total = (projections[off] ** 2).sum()
    cross_max = float(np.abs(projections[across]).max()) if across.any() else 0.0
    cross_share = float((projections[across] ** 2).sum() / total) if total > 0 else 0.0
    order = sorted(range(len(groups)), key=lambda g: (-groups[g].size, groups[g].features))
    return TegumDecomposition(tuple(groups[g] for g in order),
                              tuple(int(i) for i in np.flatnonzero(norms <= learned_norm)),
                              cross_max, cross_share, threshold)


def _bottleneck(cos: np.ndarray) -> float:
    """Smallest edge of a maximum spanning tree of |cos| (k, k): the largest threshold that keeps it connected."""
    k = cos.shape[0]
    if k < 2:
        return 1.0
    inside = np.zeros(k, dtype=bool)
    inside[0] = True
    best = cos[0].copy()
    weakest = 1.0
    for _ in range(k - 1):
        candidates = np.where(inside, -np.inf, best)
        j = int(np.argmax(candidates))
        weakest = min(weakest, float(candidates[j]))
        inside[j] = True
        best = np.maximum(best, cos[j])
    return weakest


def threshold_margin(W, threshold: float = TEGUM_COS) -> tuple[float, float]:
    """(largest |cos| across groups, smallest |cos| that holds a group together) for the groups at ``threshold``.

    Every threshold in [first, second) gives the same partition; a wide interval (e.g. [0.01, 0.3))
    means the split does not depend on the choice of threshold.
    """
    W = np.asarray(W.detach().cpu().double().numpy() if hasattr(W, "detach") else W, dtype=np.float64)
    dec = tegum_decomposition(W, threshold)
    norms = np.linalg.norm(W, axis=1)
    unit = W / np.maximum(norms, 1e-12)[:, None]
    cos = np.abs(unit @ unit.T)
    label = np.full(W.shape[0], -1)
    for g, group in enumerate(dec.groups):
        label[list(group.features)] = g
    learned = np.flatnonzero(label >= 0)
    across = label[learned][:, None] != label[learned][None, :]
    cross = float(cos[np.ix_(learned, learned)][across].max()) if across.any() else 0.0
    hold = min((_bottleneck(cos[np.ix_(group.features, group.features)]) for group in dec.groups), default=1.0)
    return float(cross), float(hold)


def learned_pair_cosines(W) -> np.ndarray:
    """|cos(W_i, W_j)| for all pairs i < j of learned features: (P,) — to choose the threshold."""
    W = np.asarray(W.detach().cpu().double().numpy() if hasattr(W, "detach") else W, dtype=np.float64)
    norms = np.linalg.norm(W, axis=1)
    unit = W[norms > LEARNED_NORM] / norms[norms > LEARNED_NORM, None]
    cos = np.abs(unit @ unit.T)
    return cos[np.triu_indices(len(unit), 1)]


# --- D* across model sizes, and the sticky fractions ---------------------------------------------

#: The fractions the paper reads off the feature-dimensionality plot (tetrahedron 3/4, triangle 2/3,
#: antipodal pair 1/2, pentagon 2/5, square antiprism 3/8, dedicated 1).
STICKY_FRACTIONS = (1.0, 3 / 4, 2 / 3, 1 / 2, 2 / 5, 3 / 8)
#: A feature's dimensionality is "on" a fraction when within this distance of it.
FRACTION_TOLERANCE = 0.02


def near_fraction(D: np.ndarray, fractions=STICKY_FRACTIONS, tolerance: float = FRACTION_TOLERANCE) -> np.ndarray:
    """Whether each dimensionality D (K,) is within ``tolerance`` of one of ``fractions``: (K,) bool."""
    D = np.asarray(D, dtype=np.float64)
    return np.min(np.abs(D[:, None] - np.asarray(fractions)[None, :]), axis=1) <= tolerance if D.size else \
        np.zeros(0, dtype=bool)


def interpolate_log(x_reference: np.ndarray, y_reference: np.ndarray, x: np.ndarray) -> np.ndarray:
    """``y_reference`` linearly interpolated in log x at ``x`` (NaN outside the reference's range)."""
    order = np.argsort(x_reference)
    lx, ly = np.log(np.asarray(x_reference, dtype=np.float64)[order]), np.asarray(y_reference, dtype=np.float64)[order]
    lq = np.log(np.asarray(x, dtype=np.float64))
    inside = (lq >= lx[0] - 1e-12) & (lq <= lx[-1] + 1e-12)
    return np.where(inside, np.interp(lq, lx, ly), np.nan)


def tegum_rows(W: np.ndarray, threshold: float = TEGUM_COS) -> tuple[list[dict], dict, np.ndarray]:
    """One model W (n, m): (per-feature rows of its decomposition, its summary, |cos| of its learned pairs)."""
    dec = tegum_decomposition(W, threshold)
    features = dec.table().to_dict("records")
    cross, hold = threshold_margin(W, threshold)
    counts = dec.counts()
    has = {name: counts.get(name, 0) for name in (*POLYTOPES.values(), OTHER)}
    summary = {"learned": int(sum(g.size for g in dec.groups)), "groups": len(dec.groups),
               "cross_max": dec.cross_max, "cross_share": dec.cross_share, "cross_cos_max": cross,
               "bottleneck_cos_min": hold, **{f"groups_{k.replace(' ', '_')}": v for k, v in has.items()}}
    return features, summary, learned_pair_cosines(W)


# --- the polytope share (feature-dimensionality lines, "pressure") ---------------------------

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
