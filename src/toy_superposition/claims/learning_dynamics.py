"""Claims of "Superposition and Learning Dynamics": energy-level jumps, and learning as geometric
transformations ending in the octahedron.

Evidence: the long-format figure tables of ``energy-levels`` (``quantity`` = ``jump`` rows,
one per detected jump of a feature between dimensionality levels, with the loss's slope
percentile there; :mod:`toy_superposition.analysis.learning_dynamics`) and ``geometric-transformations`` (``regime`` rows,
one per loss regime; ``restart`` rows, one per restart with ``is_octahedron``).
"""

from __future__ import annotations

import numpy as np

from ..analysis.learning_dynamics import level_name
from ..analysis.statistics import proportion
from ..config import PipelineConfig
from .registry import ClaimResult, claim, insufficient
from .tables import figure_table, rows_of

SOURCE = "Superposition and Learning Dynamics"
#: "A sudden drop" of the loss at a jump: it falls faster there than in this share of all intervals.
SUDDEN = 0.75
#: The paper's trajectory passes at least steps A, B and C before the octahedron.
MIN_REGIMES = 3


@claim(
    id="energy-level-jumps",
    figure="energy-levels",
    source=SOURCE,
    statement="During training features jump between different feature dimensionalities (energy levels).",
    quantity="number of detected jumps of a feature between two dimensionality levels (0, 2/5, 1/2, 2/3, 3/4, 1) "
    "in one model's snapshots",
    threshold="≥ 1",
)
def _jumps(config: PipelineConfig) -> ClaimResult:
    jumps = rows_of(figure_table(config, "energy-levels"), "jump", column="quantity")
    if jumps.empty:
        return ClaimResult(0.0, holds=False, detail="no jumps detected")
    kinds = jumps.groupby(["from_level", "to_level"]).size()
    detail = ", ".join(f"{count}× {level_name(a)} → {level_name(b)}" for (a, b), count in kinds.items())
    return ClaimResult(float(len(jumps)), holds=len(jumps) >= 1,
                       detail=f"{jumps['feature'].nunique()} features: {detail}")


@claim(
    id="energy-level-jumps-drop-loss",
    figure="energy-levels",
    source=SOURCE,
    statement="As features jump between dimensionalities the loss undergoes a sudden drop.",
    quantity="median, over the detected jumps, of the percentile of the loss's fall rate at the jump among all "
    "snapshot intervals (0.5 = typical interval, 1 = steepest)",
    threshold=f"≥ {SUDDEN:g}",
)
def _jumps_drop_loss(config: PipelineConfig) -> ClaimResult:
    jumps = rows_of(figure_table(config, "energy-levels"), "jump", column="quantity")
    percentiles = jumps["slope_percentile"].dropna().to_numpy() if "slope_percentile" in jumps else np.array([])
    if percentiles.size == 0:
        return insufficient("no jumps detected")
    value = float(np.median(percentiles))
    return ClaimResult(value, holds=value >= SUDDEN,
                       detail=f"{percentiles.size} jumps; percentiles {', '.join(f'{p:.2f}' for p in percentiles)}")


@claim(
    id="learning-in-regimes",
    figure="geometric-transformations",
    source=SOURCE,
    statement="Learning (n=6 in m=3, two correlated sets of three) proceeds in distinct regimes visible in the "
    "loss curve, each a simple geometric transformation.",
    quantity="number of loss regimes (plateaus between steep drops) found in the selected model's snapshot losses",
    threshold=f"≥ {MIN_REGIMES}",
)
def _regimes(config: PipelineConfig) -> ClaimResult:
    regimes = rows_of(figure_table(config, "geometric-transformations"), "regime", column="quantity")
    detail = "; ".join(f"{r.regime}: from step {r.step}, {int(r.antipodal_pairs)} antipodal pairs"
                       for r in regimes.itertuples())
    return ClaimResult(float(len(regimes)), holds=len(regimes) >= MIN_REGIMES, detail=detail or "no regimes")


@claim(
    id="octahedron-attractor",
    figure="geometric-transformations",
    source=SOURCE,
    statement="The octahedron, with features from different correlated sets in antipodal pairs, is a strong "
    "attractor of training.",
    quantity="fraction of restarts ending in the octahedron (cross-polytope) (95% Wilson interval over restarts)",
    threshold="> 0.5 (most restarts)",
)
def _octahedron(config: PipelineConfig) -> ClaimResult:
    restarts = rows_of(figure_table(config, "geometric-transformations"), "restart", column="quantity")
    if restarts.empty:
        return insufficient("no restarts")
    hits = int(restarts["is_octahedron"].fillna(False).astype(bool).sum())
    value, low, high = proportion(hits, len(restarts))
    return ClaimResult(value, low, high, holds=value > 0.5, detail=f"{hits} of {len(restarts)} restarts")
