"""Claims of "Superposition and Learning Dynamics": energy-level jumps, and learning as geometric
transformations ending in the octahedron.

Evidence: the long-format figure tables of ``energy-levels`` (``quantity`` = ``jump`` rows,
one per detected jump of a feature between dimensionality levels, with the loss's slope
percentile there and whether both levels are non-zero; every row names whether the followed
model ends with its learned features in digons; :mod:`toy_superposition.analysis.learning_dynamics`)
and ``geometric-transformations`` (``regime`` rows, one per loss regime; ``restart`` rows, one
per restart with ``is_octahedron``). A jump counts only between two non-zero levels: a feature
leaving 0 is being learned (0 → ½ is learning, not a jump between energy levels).
"""

from __future__ import annotations

import numpy as np

from ..analysis.learning_dynamics import LEVEL_TOLERANCE, between_nonzero_levels, level_name
from ..analysis.statistics import proportion
from ..config import PipelineConfig
from .registry import ClaimResult, claim, insufficient
from .sources import paper
from .tables import figure_table, rows_of

ENERGY = paper("Superposition and Learning Dynamics", 'Phenomenon 1: Discrete "Energy Level" Jumps')
GEOMETRIC = paper("Superposition and Learning Dynamics", "Phenomenon 2: Learning as Geometric Transformations")
#: "A sudden drop" of the loss at a jump: it falls faster there than in this share of all intervals.
SUDDEN = 0.75
#: The paper's trajectory passes at least steps A, B and C before the octahedron.
MIN_REGIMES = 3


def _jumps(config: PipelineConfig):
    """(every detected jump, the jumps between two non-zero levels) of the energy-levels table."""
    jumps = rows_of(figure_table(config, "energy-levels"), "jump", column="quantity")
    if jumps.empty:
        return jumps, jumps
    return jumps, jumps[between_nonzero_levels(jumps)]


@claim(
    id="energy-level-jumps",
    figure="energy-levels",
    source=ENERGY,
    statement="During training features jump between different feature dimensionalities (energy levels).",
    quantity="number of detected jumps of a feature between two non-zero dimensionality levels (2/5, 1/2, 2/3, 3/4, "
    "1) in the followed model's snapshots (leaving or reaching 0 is learning or dropping a feature, not counted)",
    threshold="≥ 1",
    quote='Note how the dimensionality of some features "jump" between different values and swap places.',
    threshold_source="text",
    threshold_reason="'some features': at least one jump",
)
def _jumps_between_levels(config: PipelineConfig) -> ClaimResult:
    every, jumps = _jumps(config)
    others = len(every) - len(jumps)
    if jumps.empty:
        return ClaimResult(0.0, holds=False, detail=f"no jump between non-zero levels ({others} to or from 0)")
    kinds = jumps.groupby(["from_level", "to_level"]).size()
    detail = ", ".join(f"{count}× {level_name(a)} → {level_name(b)}" for (a, b), count in kinds.items())
    return ClaimResult(float(len(jumps)), holds=len(jumps) >= 1,
                       detail=f"{jumps['feature'].nunique()} features: {detail}; {others} more to or from 0")


@claim(
    id="energy-level-jumps-drop-loss",
    figure="energy-levels",
    source=ENERGY,
    statement="As features jump between dimensionalities the loss undergoes a sudden drop.",
    quantity="median, over the jumps between non-zero levels, of the percentile of the loss's fall rate at the jump "
    "among all snapshot intervals (0.5 = typical interval, 1 = steepest)",
    threshold=f"≥ {SUDDEN:g}",
    quote="As this happens, the loss curve also undergoes a sudden drop (a very small one at the first jump, and a "
    "larger one at the second jump).",
    threshold_source="choice",
    threshold_reason="'sudden' has no number: the loss falls faster at the jump than in three quarters of the "
    "intervals",
)
def _jumps_drop_loss(config: PipelineConfig) -> ClaimResult:
    _, jumps = _jumps(config)
    percentiles = jumps["slope_percentile"].dropna().to_numpy() if "slope_percentile" in jumps else np.array([])
    if percentiles.size == 0:
        return insufficient("no jump between non-zero levels")
    value = float(np.median(percentiles))
    return ClaimResult(value, holds=value >= SUDDEN,
                       detail=f"{percentiles.size} jumps; percentiles {', '.join(f'{p:.2f}' for p in percentiles)}")


@claim(
    id="energy-levels-model-ends-in-digons",
    figure="energy-levels",
    source=ENERGY,
    statement="The followed model is, as the paper chose it, one whose features all converge into digons "
    "(antipodal pairs, D_i = 1/2).",
    quantity=f"fraction of the followed model's learned features (‖W_i‖ > 0.5) with |D_i − 1/2| ≤ {LEVEL_TOLERANCE:g} "
    "at the end of training (the lowest-loss such restart is followed; restarts ending so in the detail)",
    threshold="= 1",
    quote="Let's pick one model where all the features converge into digons and observe.",
    threshold_source="text",
    threshold_reason=f"'all the features'; 'in a digon' within the jump detector's level tolerance {LEVEL_TOLERANCE:g}",
)
def _ends_in_digons(config: PipelineConfig) -> ClaimResult:
    table = figure_table(config, "energy-levels")
    if table.empty or "learned_at_end" not in table:
        return insufficient("no followed model")
    row = table.iloc[0]
    learned, digons = int(row["learned_at_end"]), int(row["in_digons_at_end"])
    if learned == 0:
        return insufficient("the followed model learned no feature")
    value, low, high = proportion(digons, learned)
    return ClaimResult(value, low, high, holds=digons == learned,
                       detail=f"{digons} of {learned} learned features in digons; {int(row['restarts_ending_in_digons'])} "
                       f"of {int(row['restarts'])} restarts end with all learned features in digons")


@claim(
    id="learning-in-regimes",
    figure="geometric-transformations",
    source=GEOMETRIC,
    statement="Learning (n=6 in m=3, two correlated sets of three) proceeds in distinct regimes visible in the "
    "loss curve, each a simple geometric transformation.",
    quantity="number of loss regimes (plateaus between steep drops) found in the selected model's snapshot losses",
    threshold=f"≥ {MIN_REGIMES}",
    quote="The learning proceeds in distinct regimes which are visible in the loss curve, with each regime "
    "corresponding to a distinct geometric transformation:",
    threshold_source="choice",
    threshold_reason="the text counts no regimes; its figure's trajectory passes steps A, B and C before the "
    "octahedron",
)
def _regimes(config: PipelineConfig) -> ClaimResult:
    regimes = rows_of(figure_table(config, "geometric-transformations"), "regime", column="quantity")
    detail = "; ".join(f"{r.regime}: from step {r.step}, {int(r.antipodal_pairs)} antipodal pairs"
                       for r in regimes.itertuples())
    return ClaimResult(float(len(regimes)), holds=len(regimes) >= MIN_REGIMES, detail=detail or "no regimes")


@claim(
    id="octahedron-attractor",
    figure="geometric-transformations",
    source=GEOMETRIC,
    statement="The octahedron, with features from different correlated sets in antipodal pairs, is a strong "
    "attractor of training.",
    quantity="fraction of restarts ending in the octahedron (cross-polytope) (95% Wilson interval over restarts)",
    threshold="> 0.5 (most restarts)",
    quote="(Although the last solution – an octahedron with features from different correlated sets arranged in "
    "antipodal pairs – seems to be a strong attractor, the learning trajectory visualized above appears to be one "
    "of a few different learning trajectories that attract the model.",
    threshold_source="choice",
    threshold_reason="'a strong attractor' has no number: more than half of the restarts end there",
)
def _octahedron(config: PipelineConfig) -> ClaimResult:
    restarts = rows_of(figure_table(config, "geometric-transformations"), "restart", column="quantity")
    if restarts.empty:
        return insufficient("no restarts")
    hits = int(restarts["is_octahedron"].fillna(False).astype(bool).sum())
    value, low, high = proportion(hits, len(restarts))
    return ClaimResult(value, low, high, holds=value > 0.5, detail=f"{hits} of {len(restarts)} restarts")
