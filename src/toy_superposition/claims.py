"""The paper's claims, each checked by a number the pipeline computes.

A :class:`Claim` names the figure whose data tests it, states the claim in words, says what
quantity is measured and the threshold fixed *before* looking at results, and evaluates to a
:class:`ClaimResult` (value, confidence interval where restarts or samples allow, holds or
not). A claim that does not hold is reported as such; thresholds are never tuned to results.

Claims are registered with :func:`claim` and evaluated by :func:`evaluate_claims` for the
figures a profile makes; the claims stage writes ``results/claims.parquet`` and
``results/claims.json`` (a ``dvc metrics`` file).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd

from .artifacts import experiment_paths, read_parquet
from .config import PipelineConfig
from .metrics import REPRESENTED_NORM


@dataclass(frozen=True)
class ClaimResult:
    value: float
    ci_low: float = math.nan
    ci_high: float = math.nan
    holds: bool = False
    detail: str = ""


@dataclass(frozen=True)
class Claim:
    id: str
    figure: str
    source: str  # where the claim is made: paper section or the dropout post
    statement: str
    quantity: str
    threshold: str
    evaluate: Callable[[PipelineConfig], ClaimResult]


CLAIMS: dict[str, Claim] = {}


def claim(id: str, figure: str, source: str, statement: str, quantity: str, threshold: str):
    """Register the decorated function as the evaluation of a claim."""

    def register(evaluate: Callable[[PipelineConfig], ClaimResult]) -> Callable[[PipelineConfig], ClaimResult]:
        if id in CLAIMS:
            raise ValueError(f"claim {id!r} registered twice")
        CLAIMS[id] = Claim(id, figure, source, statement, quantity, threshold, evaluate)
        return evaluate

    return register


# --- statistics -----------------------------------------------------------------------


def wilson_interval(successes: int, trials: int, z: float = 1.959964) -> tuple[float, float]:
    """95% Wilson score interval for a binomial proportion (well behaved at 0 and 1)."""
    if trials == 0:
        return math.nan, math.nan
    p = successes / trials
    denominator = 1 + z**2 / trials
    centre = (p + z**2 / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z**2 / (4 * trials**2)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def selected_features(config: PipelineConfig, experiment: str) -> pd.DataFrame:
    """features.parquet joined with instances.parquet, selected restarts only."""
    paths = experiment_paths(config, experiment)
    instances = read_parquet(paths.instances)
    features = read_parquet(paths.features).drop(columns=["feature_probability"], errors="ignore")
    chosen = instances[instances["selected"]][["instance", "feature_probability", "hidden", "features"]]
    return features.merge(chosen, on="instance")


def longest_run(mask: np.ndarray) -> tuple[int, int]:
    """(start, length) of the longest run of True in a 1-D boolean array; (0, 0) if none."""
    best_start, best_length, start = 0, 0, None
    for index, value in enumerate(list(mask) + [False]):
        if value and start is None:
            start = index
        elif not value and start is not None:
            if index - start > best_length:
                best_start, best_length = start, index - start
            start = None
    return best_start, best_length


# --- Demonstrating Superposition --------------------------------------------------------

@claim(
    id="intro-sparsity-adds-features",
    figure="intro-5-in-2",
    source="Introduction",
    statement="Dense features: the model represents the m=2 most important features; sparse features: "
    "it represents all five, in superposition.",
    quantity="features represented at 1−S = 1 (should be the top 2) and at the sparsest density (should be 5)",
    threshold="top 2 at 1−S = 1 and 5 at the sparsest",
)
def _intro(config: PipelineConfig) -> ClaimResult:
    table = selected_features(config, "intro-5-in-2")
    dense = table[table["feature_probability"] == table["feature_probability"].max()]
    sparse = table[table["feature_probability"] == table["feature_probability"].min()]
    m = int(dense["hidden"].iloc[0])
    dense_set = set(dense[dense["norm"] > REPRESENTED_NORM]["feature"])
    top = set(dense.nlargest(m, "importance")["feature"])
    sparse_count = int((sparse["norm"] > REPRESENTED_NORM).sum())
    holds = dense_set == top and sparse_count == int(sparse["features"].iloc[0])
    return ClaimResult(
        float(sparse_count),
        holds=holds,
        detail=f"dense: features {sorted(dense_set)} represented; sparsest: {sparse_count} represented",
    )


LINEAR_EXPERIMENTS = ("basic-20-in-5-linear", "basic-80-in-20-linear")
RELU_EXPERIMENTS = ("basic-20-in-5-relu", "basic-80-in-20-relu")


def _available(config: PipelineConfig, experiments: tuple[str, ...]) -> list[str]:
    return [name for name in experiments if name in config.experiments]


@claim(
    id="linear-represents-top-m",
    figure="basic-20-in-5",
    source="Demonstrating Superposition",
    statement="The linear model learns exactly the m most important features (like PCA), at every sparsity.",
    quantity="fraction of linear models whose represented features (‖W_i‖ > 0.5) are exactly the top m by importance",
    threshold="= 1",
)
def _linear_top_m(config: PipelineConfig) -> ClaimResult:
    hits, total = 0, 0
    for name in _available(config, LINEAR_EXPERIMENTS):
        table = selected_features(config, name)
        for _, model in table.groupby("instance"):
            m = int(model["hidden"].iloc[0])
            top = set(model.nlargest(m, "importance")["feature"])
            represented = set(model[model["norm"] > REPRESENTED_NORM]["feature"])
            hits += represented == top
            total += 1
    low, high = wilson_interval(hits, total)
    value = hits / total if total else math.nan
    return ClaimResult(value, low, high, holds=total > 0 and hits == total, detail=f"{hits} of {total} models")


@claim(
    id="relu-superposition-when-sparse",
    figure="basic-20-in-5",
    source="Demonstrating Superposition",
    statement="With sparse features (1−S = 0.001) the ReLU output model represents more features than it has dimensions.",
    quantity="features represented / m at the sparsest setting (min over the basic-* ReLU experiments)",
    threshold="> 1",
)
def _relu_superposition(config: PipelineConfig) -> ClaimResult:
    ratios, details = [], []
    for name in _available(config, RELU_EXPERIMENTS):
        table = selected_features(config, name)
        sparsest = table[table["feature_probability"] == table["feature_probability"].min()]
        m = int(sparsest["hidden"].iloc[0])
        represented = int((sparsest["norm"] > REPRESENTED_NORM).sum())
        ratios.append(represented / m)
        details.append(f"{name}: {represented} features in m={m}")
    value = min(ratios) if ratios else math.nan
    return ClaimResult(value, holds=bool(ratios) and value > 1, detail="; ".join(details))


@claim(
    id="relu-dense-like-linear",
    figure="basic-20-in-5",
    source="Demonstrating Superposition",
    statement="With dense features (1−S = 1) the ReLU output model, like the linear one, represents only m features.",
    quantity="features represented / m at 1−S = 1 (max over the basic-* ReLU experiments)",
    threshold="= 1",
)
def _relu_dense(config: PipelineConfig) -> ClaimResult:
    ratios, details = [], []
    for name in _available(config, RELU_EXPERIMENTS):
        table = selected_features(config, name)
        dense = table[table["feature_probability"] == 1.0]
        if dense.empty:
            continue
        m = int(dense["hidden"].iloc[0])
        represented = int((dense["norm"] > REPRESENTED_NORM).sum())
        ratios.append(represented / m)
        details.append(f"{name}: {represented} features in m={m}")
    value = max(ratios) if ratios else math.nan
    return ClaimResult(value, holds=bool(ratios) and value == 1.0, detail="; ".join(details))


# --- Geometry: Uniform Superposition ------------------------------------------------------

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


# --- evaluation ---------------------------------------------------------------------------


def evaluate_claims(config: PipelineConfig) -> pd.DataFrame:
    """Evaluate every claim whose figure this profile makes; one row per claim."""
    rows = []
    for item in CLAIMS.values():
        if item.figure not in config.figures:
            continue
        result = item.evaluate(config)
        rows.append(
            {
                "claim": item.id,
                "figure": item.figure,
                "source": item.source,
                "statement": item.statement,
                "quantity": item.quantity,
                "value": float(result.value),
                "ci_low": float(result.ci_low),
                "ci_high": float(result.ci_high),
                "threshold": item.threshold,
                "holds": bool(result.holds),
                "detail": result.detail,
            }
        )
    return pd.DataFrame(rows)
