"""Claims of the paper's comment "Fractional Dimensionality and 'Pressure'" (Tom Henighan and Chris
Olah, on the Feature Dimensionality section): more features competing for m dimensions give
cleaner polytope structure, especially at high sparsity.

Evidence: the ``pressure`` figure's table (:mod:`toy_superposition.figures.pressure`): the
``trend`` row and the ``share`` row its claims' ``claim_id`` marks, both at the figure's claims'
density: the sparsest one at which the smallest and the largest n both have learned features in
the fractions' range (:func:`toy_superposition.figures.pressure.claim_density`).
"""

from __future__ import annotations

from ..config import PipelineConfig
from .registry import ClaimResult, claim, insufficient
from .sources import paper
from .tables import figure_table

#: The comment "Fractional Dimensionality and 'Pressure'" (Henighan, Olah) stands under this heading.
SOURCE = paper("Comments & Replications", "Replication & Further Results")
QUOTE = ("Cleaner structure often seems to emerge when there is more \"pressure\" – more features competing to be "
         "represented. This is especially true at high sparsity levels.")
#: Clusters "appear": at least twice the chance rate at the lower 95% bound, the bar of
#: dimensionalities-cluster-at-fractions, so the two measure the same thing.
OVER_CHANCE = 2.0


def _row(config: PipelineConfig, claim_id: str):
    table = figure_table(config, "pressure")
    rows = table[table["claim_id"] == claim_id] if "claim_id" in table else table.iloc[0:0]
    return None if rows.empty else rows.iloc[0]


@claim(
    id="pressure-cleaner-structure",
    figure="pressure",
    source=SOURCE,
    statement="More pressure, cleaner structure: with more features competing for the same m dimensions, more of "
    "the learned features sit on a polytope fraction (at high sparsity).",
    quantity="at the sparsest density where the smallest and the largest n both have learned features in the "
    "fractions' range (changed after the first paper run: claims change log), the share of learned features (D_i in [3/8 − 0.02, 3/4 + 0.02]) within 0.02 "
    "of 3/4, 2/3, 1/2, 2/5 or 3/8 at the largest n over the same share at the smallest n (95% Katz interval)",
    threshold="lower 95% bound > 1",
    quote=QUOTE,
    threshold_source="choice",
    threshold_reason="the comment gives no size: 'cleaner' read as a larger share at the most pressure than at the "
    "least beyond sampling noise (ratio of two proportions, Katz log interval); the sparsest density because the "
    "comment says it is especially true at high sparsity",
)
def _cleaner(config: PipelineConfig) -> ClaimResult:
    row = _row(config, "pressure-cleaner-structure")
    if row is None or row["ratio"] != row["ratio"]:
        return insufficient("no learned feature near a fraction at the smallest or the largest n")
    return ClaimResult(float(row["ratio"]), float(row["ratio_low"]), float(row["ratio_high"]),
                       holds=bool(row["ratio_low"] > 1.0),
                       detail=f"1−S = {row['feature_probability']:.3g}: {row['share_at_low']:.1%} at n = "
                       f"{int(row['features_low'])}, {row['share_at_high']:.1%} at n = {int(row['features_high'])}")


@claim(
    id="pressure-clusters-at-fractions",
    figure="pressure",
    source=SOURCE,
    statement="Under the most pressure (the largest n) the learned features cluster at the polytope fractions "
    "3/4, 2/3, 1/2, 2/5 and 3/8 (at high sparsity).",
    quantity="at the density pressure-cleaner-structure reads and the largest n, the share of learned features "
    "with D_i in range within 0.02 of a fraction over the chance rate (the windows' union over the range's length; 95% Wilson interval)",
    threshold=f"≥ {OVER_CHANCE:g} at the lower 95% bound",
    quote=QUOTE,
    threshold_source="choice",
    threshold_reason="the bar of dimensionalities-cluster-at-fractions (twice an even spread, lower bound), so "
    "'clusters appear under pressure' is judged as the uniform experiment's clusters are",
)
def _clusters(config: PipelineConfig) -> ClaimResult:
    row = _row(config, "pressure-clusters-at-fractions")
    if row is None or row["in_range"] == 0:
        return insufficient("no learned feature with D_i in the fractions' range at the largest n")
    return ClaimResult(float(row["over_chance"]), float(row["over_chance_low"]), float(row["over_chance_high"]),
                       holds=bool(row["over_chance_low"] >= OVER_CHANCE),
                       detail=f"n = {int(row['features'])}, 1−S = {row['feature_probability']:.3g}: {int(row['near'])} "
                       f"of {int(row['in_range'])} in range near a fraction ({row['share']:.1%}; chance "
                       f"{row['chance']:.1%}); {int(row['learned'])} learned")
