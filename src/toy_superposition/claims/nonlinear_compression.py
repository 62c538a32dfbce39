"""Claims of the appendix "Nonlinear Compression": two dense [0, 1) numbers in one with ε-wide
ramps beat linear compression.

Evidence: the ``nonlinear-compression`` figure table, one row per (units, Z, ε) with the exact
mean squared error (:mod:`toy_superposition.analysis.nonlinear_compression`) and the linear
baselines. ε is read two ways (a fraction of one quantisation step, our reading; or a width in
x and t); a claim holds only if it holds under both.
"""

from __future__ import annotations

from ..config import PipelineConfig
from .registry import ClaimResult, claim, insufficient
from .sources import paper
from .tables import figure_table, rows_of

SOURCE = paper("Comments & Replications", "Replication & Further Results")  # the appendix on nonlinear compression
FIGURE = "nonlinear-compression"
QUOTE = ("We can compare the mean squared error loss on random uniform dense values of x and y and see that even "
         "with epsilons as large as 0.1 and Z values as small as 3 the nonlinear compression outperforms linear "
         "compression such as picking one of the dimensions or using the average")
#: The sentence's corner: the largest ε and the smallest Z it names.
Z_SMALLEST, EPS_LARGEST = 3, 0.1


def _grid(config: PipelineConfig):
    return rows_of(figure_table(config, FIGURE), "grid")


@claim(
    id="nonlinear-compression-beats-linear-at-z3-eps01",
    figure=FIGURE,
    source=SOURCE,
    statement="At Z = 3 and ε = 0.1 the nonlinear scheme's mean squared error on dense uniform x, y is below "
    "that of keeping one number and of keeping their average.",
    quantity="largest, over the two readings of ε, of the nonlinear MSE at Z = 3, ε = 0.1 over the better "
    "linear MSE (1/24)",
    threshold="< 1",
    quote=QUOTE,
    threshold_source="text",
    threshold_reason="'outperforms': a lower error than both linear schemes",
)
def _corner(config: PipelineConfig) -> ClaimResult:
    grid = _grid(config)
    corner = grid[(grid["Z"] == Z_SMALLEST) & ((grid["eps"] - EPS_LARGEST).abs() < 1e-12)]
    if corner["units"].nunique() < 2:
        return insufficient("the table lacks Z = 3, ε = 0.1 under both readings of ε")
    ratio = corner["mse"] / corner[["mse_keep_one", "mse_average"]].min(axis=1)
    value = float(ratio.max())
    detail = "; ".join(f"ε {row.units}: MSE {row.mse:.4f} vs {min(row.mse_keep_one, row.mse_average):.4f}"
                       for row in corner.itertuples())
    return ClaimResult(value, holds=value < 1, detail=detail)


@claim(
    id="nonlinear-compression-beats-linear-wherever-the-text-says",
    figure=FIGURE,
    source=SOURCE,
    statement="For every Z ≥ 3 and ε ≤ 0.1 of the grid the nonlinear scheme beats both linear schemes.",
    quantity="fraction of grid points with Z ≥ 3, ε ≤ 0.1 (both readings of ε) where the nonlinear MSE is below "
    "both linear MSEs",
    threshold="= 1",
    quote=QUOTE,
    threshold_source="text",
    threshold_reason="'even with epsilons as large as 0.1 and Z values as small as 3': every point of that region",
)
def _region(config: PipelineConfig) -> ClaimResult:
    grid = _grid(config)
    region = grid[(grid["Z"] >= Z_SMALLEST) & (grid["eps"] <= EPS_LARGEST + 1e-12)]
    if region.empty:
        return insufficient("no grid point with Z ≥ 3 and ε ≤ 0.1")
    wins = int(region["wins"].sum())
    losses = region[~region["wins"]]
    detail = f"{wins} of {len(region)} points; whole grid: {int(grid['wins'].sum())} of {len(grid)}"
    if len(losses):
        detail += "; loses at " + ", ".join(f"(Z={r.Z}, ε={r.eps:g}, {r.units})" for r in losses.itertuples())
    return ClaimResult(wins / len(region), holds=wins == len(region), detail=detail)
