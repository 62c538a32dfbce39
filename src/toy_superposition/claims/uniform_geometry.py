"""Claims of "Geometry: Uniform Superposition": D* sticky at 1 and 1/2, and feature
dimensionalities clustering at the fractions of uniform polytopes."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..analysis.statistics import longest_run, wilson_interval
from ..config import PipelineConfig
from ..metrics import REPRESENTED_NORM
from .registry import ClaimResult, claim
from .tables import selected_features

UNIFORM = "uniform-400-in-30"
#: The "sticky" fractions the paper reads off the feature-dimensionality plot.
NAMED_FRACTIONS = (1.0, 3 / 4, 2 / 3, 1 / 2, 2 / 5, 3 / 8)


def _d_star_by_density(config: PipelineConfig) -> pd.DataFrame:
    table = selected_features(config, UNIFORM)
    m = table.groupby("instance")["hidden"].first()
    squared_norm = (table["norm"] ** 2).groupby(table["instance"]).sum()
    density = table.groupby("instance")["feature_probability"].first()
    frame = pd.DataFrame({"inverse_density": 1 / density, "d_star": m / squared_norm})
    return frame.sort_values("inverse_density").reset_index(drop=True)


@claim(
    id="d-star-sticky-at-half",
    figure="dims-per-feature",
    source="Geometry: Uniform Superposition",
    statement="D* is 'sticky' at 1/2: it stays near 1/2 (antipodal pairs) over a wide range of sparsity (n=400, m=30).",
    quantity="widest contiguous range of 1/(1−S) (as a ratio max/min) where |D* − 1/2| ≤ 0.05",
    threshold="≥ 3",
)
def _d_star_half(config: PipelineConfig) -> ClaimResult:
    frame = _d_star_by_density(config)
    start, length = longest_run(np.abs(frame["d_star"].to_numpy() - 0.5) <= 0.05)
    if length == 0:
        return ClaimResult(1.0, holds=False, detail="no sparsity level has D* within 0.05 of 1/2")
    low, high = frame["inverse_density"].iloc[start], frame["inverse_density"].iloc[start + length - 1]
    ratio = float(high / low)
    return ClaimResult(ratio, holds=ratio >= 3, detail=f"1/(1−S) from {low:.3g} to {high:.3g} ({length} levels)")


@claim(
    id="d-star-sticky-at-one",
    figure="dims-per-feature",
    source="Geometry: Uniform Superposition",
    statement="With dense features D* is 1: the model learns m features, one dimension each.",
    quantity="D* at the densest setting (1−S = 1)",
    threshold="within 0.05 of 1",
)
def _d_star_one(config: PipelineConfig) -> ClaimResult:
    frame = _d_star_by_density(config)
    value = float(frame["d_star"].iloc[0])
    return ClaimResult(value, holds=abs(value - 1) <= 0.05)


@claim(
    id="dimensionalities-cluster-at-fractions",
    figure="feature-dimensionality",
    source="Geometry: Uniform Superposition",
    statement="Feature dimensionalities D_i cluster at 1, 3/4, 2/3, 1/2, 2/5 and 3/8 (uniform polytopes).",
    quantity="fraction of learned features (‖W_i‖ > 0.5) with D_i within 0.02 of a named fraction, "
    "over the same fraction for D_i spread uniformly on [3/8 − 0.02, 1]",
    threshold="≥ 2 at the lower 95% bound (at least twice the chance rate)",
)
def _dimensionality_clusters(config: PipelineConfig) -> ClaimResult:
    table = selected_features(config, UNIFORM)
    learned = table[table["norm"] > REPRESENTED_NORM]["dimensionality"].to_numpy()
    if learned.size == 0:
        return ClaimResult(math.nan, holds=False, detail="no learned features")
    tolerance = 0.02
    near = np.min(np.abs(learned[:, None] - np.asarray(NAMED_FRACTIONS)[None, :]), axis=1) <= tolerance
    hits = int(near.sum())
    fraction = hits / learned.size
    low, high = wilson_interval(hits, learned.size)
    span = 1.0 - (3 / 8 - tolerance)
    chance = min(1.0, sum(2 * tolerance for _ in NAMED_FRACTIONS) / span)
    return ClaimResult(
        fraction / chance,
        low / chance,
        high / chance,
        holds=low / chance >= 2,
        detail=f"{hits} of {learned.size} learned features near a named fraction ({fraction:.1%}; chance {chance:.1%})",
    )
