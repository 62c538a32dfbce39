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

import math

import numpy as np
import pandas as pd

from ..analysis.statistics import longest_run, wilson_interval

# the fractions the paper names lines at (¾, ⅔, ½, ⅖, ⅜; 1 aside), the window around each, and their union
from ..analysis.uniform_geometry import NAMED_FRACTIONS, WINDOW, union_length
from ..config import PipelineConfig
from ..metrics import REPRESENTED_NORM
from .registry import ClaimResult, claim, insufficient
from .sources import paper
from .tables import figure_table, rows_of, selected_features

UNIFORM = "uniform-400-in-30"
SECTION = paper("The Geometry of Superposition", "Uniform Superposition")
DIMENSIONALITY = paper("The Geometry of Superposition", "Uniform Superposition", "Feature Dimensionality")
GEOMETRIC = paper("The Geometry of Superposition", "Uniform Superposition", "Why these geometric structures?")
#: Every level a cleanly packed feature sits on: the named fractions and 1 (a dedicated dimension).
PACKING_LEVELS = (1.0, *NAMED_FRACTIONS)
#: D* "near" a sticky value: within 0.05 (issue 13's number for the 1-plateau; the same for 1/2).
NEAR = 0.05
#: A plateau is "sticky" when it spans at least this factor of 1/(1−S).
PLATEAU_RATIO = 3.0
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


# --- issue 14: other model sizes, "pressure", and tegum products --------------------------------

SCALING = "uniform-scaling"
TEGUM = "tegum-products"
#: "Doesn't matter" / "just doubles": within 10% of the reference (or of twice it).
SCALE_TOLERANCE = 0.10
#: "No interference across tegum factors": at most this share of a model's interference crosses factors.
CROSS_SHARE = 0.05
#: "Most" learned features, the project's reading of a majority claim.
MOST = 0.75


def _scaling_rows(config: PipelineConfig) -> pd.DataFrame:
    return rows_of(figure_table(config, SCALING), "model")


def _scaled(config: PipelineConfig, which: str) -> pd.DataFrame:
    """Compared rows of the experiments with n doubled (``which="n"``) or m doubled (``"m"``)."""
    rows = _scaling_rows(config)
    if rows.empty:
        return rows
    ref = rows[rows["experiment"] == rows["reference"]]
    n_ref, m_ref = int(ref["features"].iloc[0]), int(ref["hidden"].iloc[0])
    if which == "n":
        chosen = (rows["hidden"] == m_ref) & (rows["features"] > n_ref)
    else:
        chosen = (rows["features"] == n_ref) & (rows["hidden"] == 2 * m_ref)
    return rows[chosen & rows["compared"].astype(bool)]


def _ratio_claim(rows: pd.DataFrame, column: str, expected: pd.Series, what: str) -> ClaimResult:
    if rows.empty:
        return ClaimResult(math.nan, holds=False, detail=f"insufficient data: no density to compare ({what})")
    deviation = (rows[column] / expected - 1.0).abs()
    worst = rows.loc[deviation.idxmax()]
    detail = "; ".join(f"1/(1−S)={r.inverse_density:.3g}: {getattr(r, column):.3f}" for r in rows.itertuples())
    return ClaimResult(float(deviation.max()), holds=bool(deviation.max() <= SCALE_TOLERANCE),
                       detail=f"{what}, worst at 1/(1−S) = {worst['inverse_density']:.3g}; {detail}")


@claim(
    id="uniform-scaling-n-does-not-matter",
    figure=SCALING,
    source=SECTION,
    statement="With n ≫ m the number of features n does not matter: doubling n (same m) leaves D* as it is.",
    quantity="largest |D*(2n) / D*(n) − 1| over the densities where both models learn at most half their "
    "features (the reference interpolated in log 1/(1−S))",
    threshold=f"≤ {SCALE_TOLERANCE:g}",
    quote="In particular, it turns out that the number of input features n doesn't matter as long as it's much "
    "larger than the number of hidden dimensions, n \\gg m.",
    threshold_source="choice",
    threshold_reason="'doesn't matter' read as within 10%, a tenth of the D* = 1/2 plateau's distance to the next "
    "sticky value; compared only where n ≫ the features learned",
)
def _n_does_not_matter(config: PipelineConfig) -> ClaimResult:
    rows = _scaled(config, "n")
    return _ratio_claim(rows, "d_star_ratio", pd.Series(1.0, index=rows.index), "D* ratio (expected 1)")


@claim(
    id="uniform-scaling-doubling-m-doubles-features",
    figure=SCALING,
    source=SECTION,
    statement="Doubling the hidden dimensions m (same n) doubles the number of features learned, ‖W‖²_F.",
    quantity="largest |‖W‖²_F(2m) / (2 ‖W‖²_F(m)) − 1| over the densities where both models learn at most half "
    "their features (the reference interpolated in log 1/(1−S))",
    threshold=f"≤ {SCALE_TOLERANCE:g}",
    quote="Doubling the number of hidden dimensions just doubles the number of features the model learns.",
    threshold_source="choice",
    threshold_reason="'just doubles' read as twice within 10%, as for n",
)
def _doubling_m(config: PipelineConfig) -> ClaimResult:
    rows = _scaled(config, "m")
    return _ratio_claim(rows, "features_learned_ratio", rows["expected_ratio"] if len(rows) else pd.Series(dtype=float),
                        "features-learned ratio (expected 2)")


@claim(
    id="uniform-more-pressure-cleaner-structure",
    figure=SCALING,
    source=paper("Comments & Replications", "Replication & Further Results"),  # Henighan, Olah
    statement="More features competing for the same dimensions (n doubled, m fixed) give cleaner structure: more of "
    "the learned features sit on the sticky fractions of dimensionality.",
    quantity="share of learned features with D_i within 0.02 of 1, 3/4, 2/3, 1/2, 2/5 or 3/8 in the n-doubled "
    "models minus in the reference, pooled over the reference's densities shared with them (1−S < 1)",
    threshold="> 0",
    quote="Cleaner structure often seems to emerge when there is more \"pressure\" – more features competing to be "
    "represented.",
    threshold_source="text",
    threshold_reason="'cleaner': a larger share on the polytope fractions",
)
def _pressure(config: PipelineConfig) -> ClaimResult:
    rows = _scaling_rows(config)
    if rows.empty:
        return insufficient("no models")
    ref_name = rows["reference"].iloc[0]
    ref = rows[rows["experiment"] == ref_name]
    n_ref, m_ref = int(ref["features"].iloc[0]), int(ref["hidden"].iloc[0])
    more = rows[(rows["hidden"] == m_ref) & (rows["features"] > n_ref) & (rows["feature_probability"] < 1.0)]
    if more.empty:
        return insufficient("no sparse model with more features than the reference")
    shared = ref[np.isin(np.round(ref["feature_probability"], 12), np.round(more["feature_probability"], 12))]
    if shared.empty:  # no common density: the reference's sparse models
        shared = ref[ref["feature_probability"] < 1.0]
    a = more["on_sticky_fraction"].sum() / max(more["features_represented"].sum(), 1)
    b = shared["on_sticky_fraction"].sum() / max(shared["features_represented"].sum(), 1)
    return ClaimResult(float(a - b), holds=a > b,
                       detail=f"n={int(more['features'].iloc[0])}: {int(more['on_sticky_fraction'].sum())}/"
                       f"{int(more['features_represented'].sum())} = {a:.1%}; n={n_ref}: "
                       f"{int(shared['on_sticky_fraction'].sum())}/{int(shared['features_represented'].sum())} = {b:.1%}")


def _tegum(config: PipelineConfig, kind: str) -> pd.DataFrame:
    return rows_of(figure_table(config, TEGUM), kind)


@claim(
    id="tegum-no-interference-across-factors",
    figure=TEGUM,
    source=GEOMETRIC,
    statement="Features in different tegum factors do not interfere: almost none of a model's interference "
    "Σ(Ŵ_i·W_j)² comes from pairs in different factors.",
    quantity="largest, over the selected uniform models with ≥ 2 factors, share of the interference between "
    "learned features that crosses factors (factors: components of |cos| > 0.1)",
    threshold=f"≤ {CROSS_SHARE:g}",
    quote="For the purposes of superposition, it means that there can't be any \"interference\" across "
    "tegum-factors.",
    threshold_source="choice",
    threshold_reason="'can't be any' read as under 5% (each cross pair is ≤ 0.1² by the grouping, but there are "
    "many more cross pairs than within pairs, so the share is not bounded by construction); in prototype models "
    "the largest cross |cos| was ≤ 0.02 and the weakest factor edge ≥ 0.47, so the factors do not depend on the "
    "0.1",
)
def _no_cross_interference(config: PipelineConfig) -> ClaimResult:
    models = _tegum(config, "model")
    counted = models[models["groups"] >= 2] if len(models) else models
    if counted.empty:
        return insufficient("no model with two or more factors")
    worst = counted.loc[counted["cross_share"].idxmax()]
    return ClaimResult(float(worst["cross_share"]), holds=bool(worst["cross_share"] <= CROSS_SHARE),
                       detail=f"{len(counted)} models; worst {worst['experiment']} at 1/(1−S) = "
                       f"{worst['inverse_density']:.3g}; largest |cos| across factors {counted['cross_cos_max'].max():.3g}, "
                       f"smallest holding a factor {models.loc[models['learned'] > 0, 'bottleneck_cos_min'].min():.3g}")


@claim(
    id="tegum-factors-are-uniform-polytopes",
    figure=TEGUM,
    source=GEOMETRIC,
    statement="Most learned features of the uniform models belong to a tegum factor that is a uniform polytope "
    "(dedicated, digon, triangle, tetrahedron, pentagon, hexagon, square antiprism), with its dimensionality.",
    quantity="fraction of learned features whose factor has the size, rank and dimensionalities (±0.05) of a named "
    "uniform polytope (95% Wilson interval)",
    threshold=f"≥ {MOST:g}",
    quote="As a result, we should expect their dimensionality to actually correspond to the underlying factor "
    "uniform polytopes.",
    threshold_source="choice",
    threshold_reason="the paper's 'many' read as most, the project's 0.75 for majority statements",
)
def _uniform_factors(config: PipelineConfig) -> ClaimResult:
    features = _tegum(config, "feature")
    if features.empty:
        return insufficient("no learned features")
    hits = int((features["polytope"] != "other").sum())
    low, high = wilson_interval(hits, len(features))
    counts = features.drop_duplicates(["experiment", "instance", "group"])["polytope"].value_counts()
    return ClaimResult(hits / len(features), low, high, holds=hits / len(features) >= MOST,
                       detail=f"{hits} of {len(features)}; factors: " + ", ".join(f"{k} ×{v}" for k, v in counts.items()))


@claim(
    id="tegum-split-lines",
    figure=TEGUM,
    source=GEOMETRIC,
    statement="Where a triangular bipyramid would put features at 3/5, triangles (2/3) and antipodal pairs (1/2) "
    "co-occur instead: triangle and digon factors appear in the same model, and fewer learned features sit at 3/5 "
    "than at 2/3 or at 1/2.",
    quantity="learned features with D_i within 0.02 of 3/5 over the smaller of those within 0.02 of 2/3 and of 1/2",
    threshold="< 1, with a triangle and a digon factor in one model",
    quote="there seem to be split lines where we'd expect to see non-uniform solutions (e.g. instead of a ⅗ line for "
    "triangular bipyramids we see a co-occurence of points at ⅔ for triangles and points at ½ for a antipodes).",
    threshold_source="text",
    threshold_reason="'instead of a ⅗ line ... we see ... points at ⅔ ... and ½': fewer at ⅗ than at either, and "
    "the two factors together",
)
def _split_lines(config: PipelineConfig) -> ClaimResult:
    features = _tegum(config, "feature")
    models = _tegum(config, "model")
    if features.empty:
        return insufficient("no learned features")
    near = {name: int((features["D"] - value).abs().le(0.02).sum())
            for name, value in (("3/5", 3 / 5), ("2/3", 2 / 3), ("1/2", 1 / 2))}
    both = int(((models["groups_triangle"] > 0) & (models["groups_digon"] > 0)).sum())
    floor = min(near["2/3"], near["1/2"])
    value = near["3/5"] / floor if floor else math.inf
    return ClaimResult(value, holds=bool(value < 1 and both > 0),
                       detail=f"features near 3/5: {near['3/5']}, 2/3: {near['2/3']}, 1/2: {near['1/2']}; models with a "
                       f"triangle and a digon factor: {both}")
