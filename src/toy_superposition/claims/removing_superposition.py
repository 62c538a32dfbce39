"""Claims of "Strategic Approaches", Approach 1: an L1 penalty on the hidden activations
removes superposition, at the cost of a higher loss, by killing the less important features.

Evidence: the ``l1-superposition`` figure table, ``quantity`` = ``summary`` rows: one per
penalty λ (the selected model) with the features represented and in superposition, whether
the represented ones are the most important, and the loss relative to λ = 0
(:mod:`..analysis.removing_superposition`).
"""

from __future__ import annotations

import math

import pandas as pd

from ..analysis.removing_superposition import SUPERPOSED_BELOW, superposition_free_from
from ..analysis.statistics import proportion
from ..config import PipelineConfig
from .registry import ClaimResult, claim, insufficient
from .sources import paper
from .tables import figure_table, rows_of

SOURCE = paper("The Strategic Picture of Superposition", "Three Ways Out",
               "Approach 1: Creating Models Without Superposition")
EASY_QUOTE = ("It's actually quite easy to get rid of superposition in the toy models described in this paper, albeit "
              "at the cost of a higher loss.")
THRESHOLD_QUOTE = ("This actually has a nice interpretation in terms of killing features below a certain importance "
                   "threshold, especially if they're not basis aligned.")


def _sweep(config: PipelineConfig) -> pd.DataFrame:
    table = figure_table(config, "l1-superposition")
    return rows_of(table, "summary", column="quantity").sort_values("l1_penalty").reset_index(drop=True)


def _free_row(sweep: pd.DataFrame) -> pd.Series | None:
    """The smallest λ > 0 from which on no feature is in superposition, if some feature is still represented."""
    free_from = superposition_free_from(sweep)
    if math.isnan(free_from) or free_from <= 0:
        return None
    row = sweep[sweep["l1_penalty"] == free_from].iloc[0]
    return row if row["features_represented"] >= 1 else None


@claim(
    id="l1-removes-superposition",
    figure="l1-superposition",
    source=SOURCE,
    statement="Superposition is easy to get rid of: an L1 penalty λ‖h‖₁ on the hidden activations removes it.",
    quantity=f"smallest λ from which on no represented feature has D_i < {SUPERPOSED_BELOW:g} (with some feature "
    "still represented), given superposition at λ = 0",
    threshold="exists",
    quote=EASY_QUOTE,
    threshold_source="text",
    threshold_reason="'quite easy to get rid of': some penalty removes it",
)
def _removes(config: PipelineConfig) -> ClaimResult:
    sweep = _sweep(config)
    if sweep.empty:
        return insufficient("no λ swept")
    at_zero = int(sweep["features_in_superposition"].iloc[0])
    free = _free_row(sweep)
    detail = "; ".join(f"λ={r.l1_penalty:g}: {r.features_in_superposition}/{r.features_represented} in superposition"
                       for r in sweep.itertuples())
    if free is None:
        return ClaimResult(math.nan, holds=False, detail=f"no λ removes superposition; {detail}")
    return ClaimResult(float(free["l1_penalty"]), holds=at_zero > 0, detail=detail)


@claim(
    id="l1-removal-costs-loss",
    figure="l1-superposition",
    source=SOURCE,
    statement="Removing superposition with the L1 penalty comes at the cost of a higher loss.",
    quantity="reconstruction loss at the smallest superposition-free λ relative to λ = 0",
    threshold="> 1",
    quote=EASY_QUOTE,
    threshold_source="text",
    threshold_reason="'at the cost of a higher loss'",
)
def _cost(config: PipelineConfig) -> ClaimResult:
    sweep = _sweep(config)
    free = _free_row(sweep) if len(sweep) else None
    if free is None:
        return insufficient("no λ removes superposition")
    value = float(free["relative_loss"])
    return ClaimResult(value, holds=value > 1,
                       detail=f"λ={free['l1_penalty']:g}: {int(free['features_represented'])} features represented")


@claim(
    id="l1-kills-less-important-features",
    figure="l1-superposition",
    source=SOURCE,
    statement="The penalty kills features below an importance threshold: the features that remain are the most "
    "important ones.",
    quantity="fraction of λ whose represented features are exactly the most important ones (95% Wilson interval)",
    threshold="= 1 (every λ)",
    quote=THRESHOLD_QUOTE,
    threshold_source="text",
    threshold_reason="'below a certain importance threshold': at every λ the survivors are the most important",
)
def _importance_threshold(config: PipelineConfig) -> ClaimResult:
    sweep = _sweep(config)
    if sweep.empty:
        return insufficient("no λ swept")
    top = sweep["top_features_represented"].fillna(False).astype(bool)
    value, low, high = proportion(int(top.sum()), len(sweep))
    misses = ", ".join(f"{p:g}" for p in sweep.loc[~top, "l1_penalty"])
    return ClaimResult(value, low, high, holds=bool(top.all()),
                       detail=f"{int(top.sum())} of {len(sweep)} λ" + (f"; not the top features at λ = {misses}" if misses else ""))


@claim(
    id="l1-keeps-basis-aligned-features",
    figure="l1-superposition",
    source=SOURCE,
    statement="The penalty kills features especially if they are not basis aligned: the features that survive it "
    "lie along the hidden basis, more so than without the penalty (where the basis is arbitrary).",
    quantity="mean over the λ > 0 that keep a represented feature of the represented features' basis alignment "
    "(mean of max_j |W_ij| / ‖W_i‖: 1 on a neuron, 1/√m at worst), minus the same at λ = 0",
    threshold="> 0",
    quote=THRESHOLD_QUOTE,
    threshold_source="choice",
    threshold_reason="'especially if they're not basis aligned' has no size: any rise of the survivors' alignment "
    "over the unpenalised model",
)
def _basis_aligned(config: PipelineConfig) -> ClaimResult:
    sweep = _sweep(config)
    if sweep.empty or "basis_alignment" not in sweep:
        return insufficient("no λ swept")
    zero = sweep[sweep["l1_penalty"] == 0]
    penalised = sweep[(sweep["l1_penalty"] > 0) & sweep["basis_alignment"].notna()]
    if zero.empty or penalised.empty or not zero["basis_alignment"].notna().all():
        return insufficient("needs λ = 0 and some λ > 0 with represented features")
    base = float(zero["basis_alignment"].iloc[0])
    value = float(penalised["basis_alignment"].mean()) - base
    detail = f"λ=0: {base:.2f}; " + "; ".join(f"λ={r.l1_penalty:g}: {r.basis_alignment:.2f}"
                                              for r in penalised.itertuples())
    return ClaimResult(value, holds=value > 0, detail=detail)
