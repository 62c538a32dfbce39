"""Claims of "Geometry: Uniform Superposition": D* sticky at 1 and 1/2, feature
dimensionalities clustering at the fractions of uniform polytopes, and Σ_i D_i = m when the
features are packed efficiently.

Evidence: the uniform experiment's selected models (features.parquet: ‖W_i‖ and D_i of every
feature), the data of ``dims-per-feature`` and ``feature-dimensionality``.

"Sticky" is read as a plateau: the widest range of 1/(1−S), as a ratio of its ends, over
which D* stays within ``NEAR`` of the value (for 1: the range from the densest level, where
D* starts). The fractions the paper draws lines at are tested on the *sparse levels*, those
past the 1-plateau, where the features are in superposition; the 1 line is left out there,
since the paper says it would only show "if not for the fact that basis features are
indistinguishable from other directions in the dense regime".
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..analysis.statistics import longest_run, wilson_interval
from ..config import PipelineConfig
from ..metrics import REPRESENTED_NORM
from .registry import ClaimResult, claim, insufficient
from .sources import paper
from .tables import selected_features

UNIFORM = "uniform-400-in-30"
SECTION = paper("The Geometry of Superposition", "Uniform Superposition")
DIMENSIONALITY = paper("The Geometry of Superposition", "Uniform Superposition", "Feature Dimensionality")
GEOMETRIC = paper("The Geometry of Superposition", "Uniform Superposition", "Why these geometric structures?")
#: The fractions the paper names lines at (1 aside): ¾ tetrahedron, ⅔ triangle, ½ antipodal pair, ⅖ pentagon, ⅜ square antiprism.
NAMED_FRACTIONS = (3 / 4, 2 / 3, 1 / 2, 2 / 5, 3 / 8)
#: Every level a cleanly packed feature sits on: the named fractions and 1 (a dedicated dimension).
PACKING_LEVELS = (1.0, *NAMED_FRACTIONS)
#: D* "near" a sticky value: within 0.05 (issue 13's number for the 1-plateau; the same for 1/2).
NEAR = 0.05
#: A plateau is "sticky" when it spans at least this factor of 1/(1−S).
PLATEAU_RATIO = 3.0
#: A feature dimensionality "at" a fraction: within this distance.
WINDOW = 0.02
#: A model is packed efficiently when at least this share of its learned features sits on a packing level.
PACKED_SHARE = 0.9

STICKY_QUOTE = 'Surprisingly, we find that this graph is "sticky" at 1 and 1/2.'
PLATEAU_REASON = ("the text gives no width: a factor 3 in 1/(1−S) (half a decade) for both sticky values, set for 1/2 "
                  "when the claim was written; 'near' = within 0.05 (issue 13's number for 1, the same for 1/2)")


def _d_star_by_density(config: PipelineConfig) -> pd.DataFrame:
    """One row per selected model, densest first: inverse_density, d_star."""
    table = selected_features(config, UNIFORM)
    m = table.groupby("instance")["hidden"].first()
    squared_norm = (table["norm"] ** 2).groupby(table["instance"]).sum()
    density = table.groupby("instance")["feature_probability"].first()
    frame = pd.DataFrame({"instance": m.index, "inverse_density": 1 / density, "d_star": m / squared_norm})
    return frame.sort_values("inverse_density").reset_index(drop=True)


def plateau_from_densest(d_star: np.ndarray, value: float = 1.0, near: float = NEAR) -> int:
    """Number of levels, from the densest on, over which D* stays within ``near`` of ``value`` (0: none)."""
    within = np.abs(np.asarray(d_star) - value) <= near
    return int(np.argmin(within)) if not within.all() else len(within)


def _plateau_result(frame: pd.DataFrame, start: int, length: int, value: float) -> ClaimResult:
    if length == 0:
        return ClaimResult(1.0, holds=False, detail=f"no sparsity level has D* within {NEAR:g} of {value:g}")
    low, high = frame["inverse_density"].iloc[start], frame["inverse_density"].iloc[start + length - 1]
    ratio = float(high / low)
    return ClaimResult(ratio, holds=ratio >= PLATEAU_RATIO,
                       detail=f"D* within {NEAR:g} of {value:g} for 1/(1−S) from {low:.3g} to {high:.3g} ({length} levels)")


@claim(
    id="d-star-sticky-at-half",
    figure="dims-per-feature",
    source=SECTION,
    statement="D* is 'sticky' at 1/2: it stays near 1/2 (antipodal pairs) over a wide range of sparsity (n=400, m=30).",
    quantity=f"widest contiguous range of 1/(1−S) (as a ratio max/min) where |D* − 1/2| ≤ {NEAR:g}",
    threshold=f"≥ {PLATEAU_RATIO:g}",
    quote="It appears that antipodal pairs are so effective that the model preferentially uses them over a wide range "
    "of the sparsity regime.",
    threshold_source="choice",
    threshold_reason=PLATEAU_REASON,
)
def _d_star_half(config: PipelineConfig) -> ClaimResult:
    frame = _d_star_by_density(config)
    start, length = longest_run(np.abs(frame["d_star"].to_numpy() - 0.5) <= NEAR)
    return _plateau_result(frame, start, length, 0.5)


@claim(
    id="d-star-sticky-at-one",
    figure="dims-per-feature",
    source=SECTION,
    statement="D* is 'sticky' at 1: from dense features on, it stays at 1 (m features, one dimension each) over a "
    "range of sparsity before superposition sets in.",
    quantity=f"range of 1/(1−S) from the densest level (as a ratio max/min) over which |D* − 1| ≤ {NEAR:g}",
    threshold=f"≥ {PLATEAU_RATIO:g}",
    quote=STICKY_QUOTE,
    threshold_source="choice",
    threshold_reason=PLATEAU_REASON,
)
def _d_star_one(config: PipelineConfig) -> ClaimResult:
    frame = _d_star_by_density(config)
    result = _plateau_result(frame, 0, plateau_from_densest(frame["d_star"].to_numpy()), 1.0)
    return ClaimResult(result.value, holds=result.holds,
                       detail=f"{result.detail}; D* at the densest level {frame['d_star'].iloc[0]:.3f}")


def sparse_levels(config: PipelineConfig) -> tuple[pd.DataFrame, str]:
    """The selected models past the 1-plateau (where features are in superposition), features joined; and a detail."""
    frame = _d_star_by_density(config)
    end = plateau_from_densest(frame["d_star"].to_numpy())
    chosen = frame.iloc[end:]
    table = selected_features(config, UNIFORM)
    where = (f"{len(chosen)} sparse levels, 1/(1−S) ≥ {chosen['inverse_density'].iloc[0]:.3g}" if len(chosen)
             else "no level past the 1-plateau")
    return table[table["instance"].isin(chosen["instance"])], where


def union_length(centres, half_width: float) -> float:
    """Total length of the union of the windows [c − w, c + w] (overlapping windows counted once)."""
    windows = sorted((c - half_width, c + half_width) for c in centres)
    total, current_low, current_high = 0.0, *windows[0]
    for low, high in windows[1:]:
        if low > current_high:
            total += current_high - current_low
            current_low, current_high = low, high
        else:
            current_high = max(current_high, high)
    return total + current_high - current_low


@claim(
    id="dimensionalities-cluster-at-fractions",
    figure="feature-dimensionality",
    source=GEOMETRIC,
    statement="At the sparse levels, feature dimensionalities D_i cluster at 3/4, 2/3, 1/2, 2/5 and 3/8 (uniform "
    "polytopes).",
    quantity=f"fraction of the learned features (‖W_i‖ > 0.5) of the sparse levels (past the 1-plateau) with D_i in "
    f"[3/8 − {WINDOW:g}, 3/4 + {WINDOW:g}] that lie within {WINDOW:g} of a named fraction, over the chance rate (the "
    "length of the union of the windows over the length of that range: ⅖ and ⅜ overlap)",
    threshold="≥ 2 at the lower 95% bound (at least twice the chance rate)",
    quote="In the previous diagram, we found that there are distinct lines corresponding to dimensionality of: ¾ "
    "(tetrahedron), ⅔ (triangle), ½ (antipodal pair), ⅖ (pentagon), ⅜ (square antiprism), and 0 (feature not learned).",
    threshold_source="choice",
    threshold_reason="'distinct lines' has no number: twice as many features on the lines as an even spread would "
    f"put there, at the 95% lower bound; windows of ±{WINDOW:g}",
)
def _dimensionality_clusters(config: PipelineConfig) -> ClaimResult:
    table, where = sparse_levels(config)
    low_end, high_end = min(NAMED_FRACTIONS) - WINDOW, max(NAMED_FRACTIONS) + WINDOW
    dims = table.loc[table["norm"] > REPRESENTED_NORM, "dimensionality"].to_numpy()
    dims = dims[(dims >= low_end) & (dims <= high_end)]
    if dims.size == 0:
        return insufficient(f"{where}: no learned feature with D_i in [{low_end:.3g}, {high_end:.3g}]")
    near = np.min(np.abs(dims[:, None] - np.asarray(NAMED_FRACTIONS)[None, :]), axis=1) <= WINDOW
    hits = int(near.sum())
    fraction = hits / dims.size
    low, high = wilson_interval(hits, dims.size)
    chance = union_length(NAMED_FRACTIONS, WINDOW) / (high_end - low_end)
    return ClaimResult(
        fraction / chance, low / chance, high / chance, holds=low / chance >= 2,
        detail=f"{where}: {hits} of {dims.size} learned features in range near a named fraction ({fraction:.1%}; "
        f"chance {chance:.1%})")


@claim(
    id="feature-dimensionalities-sum-to-m",
    figure="feature-dimensionality",
    source=DIMENSIONALITY,
    statement="When the features are packed efficiently, their dimensionalities add up to the number of hidden "
    "dimensions: Σ_i D_i = m.",
    quantity=f"median over the efficiently packed models of the sparse levels (at least {PACKED_SHARE:.0%} of the "
    f"learned features within {WINDOW:g} of 1, 3/4, 2/3, 1/2, 2/5 or 3/8) of Σ_i D_i / m",
    threshold=f"within {NEAR:g} of 1",
    quote='Empirically, it seems that the dimensionality of all features add up to the number of embedding dimensions '
    'when the features are "packed efficiently" in some sense.',
    threshold_source="choice",
    threshold_reason=f"'add up to' read within {NEAR:g} (the sticky plateaus' tolerance); 'packed efficiently' "
    f"read as {PACKED_SHARE:.0%} of the learned features on a polytope level (Σ_i D_i ≤ m always holds)",
)
def _dimensionalities_sum(config: PipelineConfig) -> ClaimResult:
    table, where = sparse_levels(config)
    if table.empty:
        return insufficient(where)
    sums, all_sums = [], []
    for _, model in table.groupby("instance"):
        m = int(model["hidden"].iloc[0])
        total = float(model["dimensionality"].sum()) / m
        all_sums.append(total)
        learned = model.loc[model["norm"] > REPRESENTED_NORM, "dimensionality"].to_numpy()
        on_level = np.min(np.abs(learned[:, None] - np.asarray(PACKING_LEVELS)[None, :]), axis=1) <= WINDOW
        if learned.size and on_level.mean() >= PACKED_SHARE:
            sums.append(total)
    detail = (f"{where}: {len(sums)} efficiently packed; Σ D_i / m of every model from {min(all_sums):.3f} to "
              f"{max(all_sums):.3f}")
    if not sums:
        return insufficient(f"no efficiently packed model; {detail}")
    value = float(np.median(sums))
    return ClaimResult(value, holds=abs(value - 1) <= NEAR, detail=detail)
