"""Claims of the dropout study ("Superposition and Dropout", its comments, and the reading notes).

The dropout figures already test the post's claims: each figure table carries ``claim`` rows
(``claim_id``, ``claim``, ``measured``, ``holds`` ∈ yes / partly / unclear / no) computed from its ``rate``,
``transition`` and ``effect`` rows with bootstrap intervals over the independently trained
models (:mod:`..analysis.dropout_orientation`, :mod:`..analysis.dropout_superposition`,
:mod:`..analysis.dropout_kurtosis`). A claim finds its row by its id in the ``claim_id`` column.
The claims here reuse those numbers: the value and interval come from the same rows, and a
claim holds only when the figure's verdict is "yes" ("partly" and "unclear" do not hold; the
verdict is kept in the detail).

Orientation: the alignment ``a`` of a model's largest feature direction (cos 4θ in 2-D,
``a_m`` in m dimensions): 0 uniform, > 0 towards the axes, < 0 away from them.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from ..analysis.dropout_orientation import HALF, TOO_FEW, effect_strength
from ..analysis.dropout_superposition import INHIBITS, LOW_SPARSITY, PROMOTES
from ..analysis.statistics import bootstrap_difference_ci, proportion
from ..config import PipelineConfig
from .registry import ClaimResult, claim, insufficient
from .tables import figure_table, rows_of

POST = "Superposition and Dropout"
COMMENTS = "Superposition and Dropout (comments)"
NOTES = "Superposition and Dropout (reading notes)"
YES = "yes"


# --- reading the figures' verdicts ---------------------------------------------------------------


def figure_verdict(table: pd.DataFrame, claim_id: str) -> pd.Series | None:
    """The figure's ``claim`` row for the registered claim ``claim_id`` (its ``claim_id`` column);
    None if the figure made no such claim."""
    claims = rows_of(table, "claim")
    if "claim_id" not in claims:
        return None
    found = claims[claims["claim_id"] == claim_id]
    return found.iloc[0] if len(found) else None


def with_verdict(verdict: pd.Series, value: float, low: float = np.nan, high: float = np.nan,
                 extra: str = "") -> ClaimResult:
    """A result that holds when the figure's verdict is "yes", with the verdict and its measurement as detail."""
    detail = f"figure verdict: {verdict['holds']}; {verdict['measured']}" + (f"; {extra}" if extra else "")
    return ClaimResult(float(value), float(low), float(high), holds=verdict["holds"] == YES, detail=detail)


# --- orientation of the basis -------------------------------------------------------------------


def _rates(config: PipelineConfig, figure: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(figure table, rate rows of the figure's own experiment — not of a comparison experiment)."""
    table = figure_table(config, figure)
    experiment = config.figure(figure).experiments[0]
    rates = rows_of(table, "rate")
    return table, rates[rates["experiment"] == experiment].sort_values("dropout").reset_index(drop=True)


def rate_extreme(config: PipelineConfig, figure: str, claim_id: str, part: Callable[[pd.Series], pd.Series],
                 largest: bool) -> ClaimResult:
    """The mean alignment (and interval) of the rate in ``part`` that is furthest from the claim
    (the largest mean where the claim is "below 0", the smallest where it is "above 0")."""
    table, rates = _rates(config, figure)
    verdict = figure_verdict(table, claim_id)
    chosen = rates[part(rates["dropout"]) & (rates["regime"] != TOO_FEW)]
    if verdict is None or chosen.empty:
        return insufficient(f"{figure} has no dropout rate (or no verdict) for this claim")
    row = chosen.loc[chosen["mean"].idxmax() if largest else chosen["mean"].idxmin()]
    return with_verdict(verdict, row["mean"], row["ci_low"], row["ci_high"], extra=f"value at r = {row['dropout']:g}")


@claim(
    id="dropout-none-orientation-uniform",
    figure="dropout-orientation-2d",
    source=POST,
    statement="Without dropout the orientation of the learned basis is uniform: no preferred direction (2-D, sparse).",
    quantity="mean alignment cos 4θ at r = 0 (95% bootstrap interval over models)",
    threshold="uniformity tests at r = 0 not rejected (p ≥ 0.05)",
)
def _uniform(config: PipelineConfig) -> ClaimResult:
    return rate_extreme(config, "dropout-orientation-2d", "dropout-none-orientation-uniform", lambda r: r == 0.0, largest=True)


@claim(
    id="dropout-low-avoids-axes",
    figure="dropout-orientation-2d",
    source=POST,
    statement=f"Low dropout (rates between 0 and {HALF:g}) biases the basis away from the coordinate axes "
    "(2-D, sparse).",
    quantity=f"largest mean alignment cos 4θ over the rates 0 < r < {HALF:g} (95% bootstrap interval over models)",
    threshold="interval below 0 at every such rate",
)
def _low_avoids(config: PipelineConfig) -> ClaimResult:
    return rate_extreme(config, "dropout-orientation-2d", "dropout-low-avoids-axes", lambda r: (r > 0) & (r < HALF), largest=True)


@claim(
    id="dropout-high-aligns-axes",
    figure="dropout-orientation-2d",
    source=POST,
    statement=f"Dropout above about {HALF:.0%} aligns the basis with the coordinate axes (2-D, sparse).",
    quantity=f"smallest mean alignment cos 4θ over the rates r > {HALF:g} (95% bootstrap interval over models)",
    threshold="interval above 0 at every such rate",
)
def _high_aligns(config: PipelineConfig) -> ClaimResult:
    return rate_extreme(config, "dropout-orientation-2d", "dropout-high-aligns-axes", lambda r: r > HALF, largest=False)


@claim(
    id="dropout-transition-about-half",
    figure="dropout-orientation-2d",
    source=POST,
    statement="The transition from avoiding to aligning with the axes happens at about 50% dropout.",
    quantity="transition rate r*: upward zero crossing of the mean alignment (95% bootstrap interval)",
    threshold="first axis-aligned rate in [0.4, 0.6] and the interval of r* overlaps [0.4, 0.6], at most 0.3 wide",
)
def _transition(config: PipelineConfig) -> ClaimResult:
    table = figure_table(config, "dropout-orientation-2d")
    verdict = figure_verdict(table, "dropout-transition-about-half")
    transition = rows_of(table, "transition")
    if verdict is None or transition.empty:
        return insufficient("no transition row")
    row = transition.iloc[0]
    return with_verdict(verdict, row["mean"], row["ci_low"], row["ci_high"])


@claim(
    id="dropout-dense-effect-weaker",
    figure="dropout-orientation-dense",
    source=POST,
    statement="With dense features the orientation effect of dropout goes away or is much weaker than with sparse.",
    quantity="dense features' effect strength: bias-corrected RMS of the mean alignment over the rates r > 0 "
    "(95% bootstrap interval; the sparse experiment's in the detail)",
    threshold="interval entirely below the sparse experiment's",
)
def _dense_weaker(config: PipelineConfig) -> ClaimResult:
    table = figure_table(config, "dropout-orientation-dense")
    verdict = figure_verdict(table, "dropout-dense-effect-weaker")
    models = rows_of(table, "model")
    if verdict is None or models.empty:
        return insufficient("no comparison with sparse features")
    strength = effect_strength(models["dropout"].to_numpy(), models["alignment"].to_numpy(), seed=1)  # as the figure
    return with_verdict(verdict, strength.estimate, strength.low, strength.high)


@claim(
    id="dropout-highdim-high-aligns-axes",
    figure="dropout-orientation-highdim",
    source=POST,
    statement=f"In higher dimensions (m=5) too, dropout above about {HALF:.0%} aligns the basis with the axes.",
    quantity=f"smallest mean m-dimensional alignment a_m(u) over the rates r > {HALF:g} "
    "(95% bootstrap interval over models)",
    threshold="interval above 0 at every such rate",
)
def _highdim(config: PipelineConfig) -> ClaimResult:
    return rate_extreme(config, "dropout-orientation-highdim", "dropout-highdim-high-aligns-axes", lambda r: r > HALF,
                        largest=False)


@claim(
    id="dropout-weights-align-only-above-half",
    figure="dropout-weights",
    source=POST,
    statement="Axis alignment shows in W itself, and only for dropout rates above about 50%.",
    quantity=f"smallest mean alignment of the represented features a_m(Ŵ_i) over the rates r > {HALF:g} "
    "(95% bootstrap interval over models)",
    threshold=f"interval above 0 at every rate above {HALF:g} and at no rate below",
)
def _weights(config: PipelineConfig) -> ClaimResult:
    return rate_extreme(config, "dropout-weights", "dropout-weights-align-only-above-half", lambda r: r > HALF,
                        largest=False)


# --- dropout and superposition -------------------------------------------------------------------


def share_of_cells(verdict: pd.Series | None, cells: pd.DataFrame, counted: Callable[[pd.DataFrame], pd.Series]
                   ) -> ClaimResult:
    """Fraction of (1−S, r) cells where ``counted`` is true (Wilson interval), with the figure's verdict."""
    if verdict is None or cells.empty:
        return insufficient("no (1−S, r) cells with restarts at r = 0 and r > 0")
    hits = int(counted(cells).sum())
    value, low, high = proportion(hits, len(cells))
    return with_verdict(verdict, value, low, high, extra=f"{hits} of {len(cells)} cells")


def _effects(table: pd.DataFrame, decay: float | None = None, measure: str = "d_star") -> pd.DataFrame:
    effects = rows_of(table, "effect")
    if "measure" in effects:
        effects = effects[effects["measure"] == measure]
    if decay is not None:
        effects = effects[np.isclose(effects["importance_decay"], decay)]
    return effects


def _inhibits(cells: pd.DataFrame) -> pd.Series:
    return cells["verdict"] == INHIBITS


@claim(
    id="dropout-grid-inhibits-superposition",
    figure="dropout-superposition-grid",
    source=POST,
    statement="Dropout has a clear effect on the superposition learned: generally, it inhibits superposition "
    "(n=20, m=5, I_i=0.7^i).",
    quantity="fraction of (1−S, r > 0) cells whose ΔD* = D*(r) − D*(0) has a 95% bootstrap interval above 0",
    threshold="= 1 (every cell)",
)
def _grid(config: PipelineConfig) -> ClaimResult:
    table = figure_table(config, "dropout-superposition-grid")
    shown = rows_of(table, "panel")["importance_decay"].unique()
    if len(shown) == 0:
        return insufficient("no models drawn")
    verdict = figure_verdict(table, "dropout-grid-inhibits-superposition")
    return share_of_cells(verdict, _effects(table, float(shown[0])), _inhibits)


@claim(
    id="dropout-raises-d-star",
    figure="dropout-dims-per-feature",
    source=POST,
    statement="Models with more dropout have higher dimensions per feature D* at a given sparsity (I = 1).",
    quantity="fraction of (1−S, r > 0) cells whose ΔD* has a 95% bootstrap interval above 0",
    threshold="= 1 (every cell)",
)
def _raises(config: PipelineConfig) -> ClaimResult:
    table = figure_table(config, "dropout-dims-per-feature")
    return share_of_cells(figure_verdict(table, "dropout-raises-d-star"), _effects(table), _inhibits)


@claim(
    id="dropout-d-star-effect-not-strict",
    figure="dropout-dims-per-feature",
    source=POST,
    statement="The effect is not strict: at low dropout and certain sparsities D* can be lower with dropout.",
    quantity="number of (1−S, r > 0) cells whose ΔD* has a 95% bootstrap interval below 0",
    threshold="≥ 1",
)
def _not_strict(config: PipelineConfig) -> ClaimResult:
    table = figure_table(config, "dropout-dims-per-feature")
    verdict = figure_verdict(table, "dropout-d-star-effect-not-strict")
    cells = _effects(table)
    if verdict is None or cells.empty:
        return insufficient("no (1−S, r) cells")
    return with_verdict(verdict, float((cells["verdict"] == PROMOTES).sum()))


@claim(
    id="dropout-inhibits-superposition-equal-importance",
    figure="dropout-importance",
    source=NOTES,
    statement="Dropout generally inhibits superposition: with equally important features (I = 1), at every sparsity.",
    quantity="fraction of (1−S, r > 0) cells at I = 1 whose ΔD* has a 95% bootstrap interval above 0",
    threshold="= 1 (every cell)",
)
def _equal_importance(config: PipelineConfig) -> ClaimResult:
    table = figure_table(config, "dropout-importance")
    verdict = figure_verdict(table, "dropout-inhibits-superposition-equal-importance")
    return share_of_cells(verdict, _effects(table, 1.0), _inhibits)


def _decaying(table: pd.DataFrame) -> float | None:
    decays = [d for d in rows_of(table, "effect")["importance_decay"].unique() if d < 1.0]
    return float(min(decays)) if decays else None


@claim(
    id="dropout-inhibits-superposition-decaying-sparse",
    figure="dropout-importance",
    source=NOTES,
    statement=f"With decaying importance (I_i = 0.7^i) dropout still inhibits superposition at high sparsity "
    f"(1−S below {LOW_SPARSITY:g}).",
    quantity=f"fraction of (1−S < {LOW_SPARSITY:g}, r > 0) cells with decaying importance whose ΔD* has a 95% "
    "bootstrap interval above 0",
    threshold="= 1 (every cell)",
)
def _decaying_sparse(config: PipelineConfig) -> ClaimResult:
    table = figure_table(config, "dropout-importance")
    decay = _decaying(table)
    if decay is None:
        return insufficient("no decaying importance profile")
    verdict = figure_verdict(table, "dropout-inhibits-superposition-decaying-sparse")
    cells = _effects(table, decay)
    return share_of_cells(verdict, cells[cells["feature_probability"] < LOW_SPARSITY], _inhibits)


@claim(
    id="dropout-exception-decaying-low-sparsity",
    figure="dropout-importance",
    source=NOTES,
    statement="The exception: with decaying importance and low sparsity (1−S ≥ 0.3) dropout does not inhibit "
    "superposition.",
    quantity=f"fraction of (1−S ≥ {LOW_SPARSITY:g}, r > 0) cells with decaying importance whose ΔD* interval is "
    "not above 0",
    threshold="= 1 (every cell)",
)
def _exception(config: PipelineConfig) -> ClaimResult:
    table = figure_table(config, "dropout-importance")
    decay = _decaying(table)
    if decay is None:
        return insufficient("no decaying importance profile")
    cells = _effects(table, decay)
    return share_of_cells(figure_verdict(table, "dropout-exception-decaying-low-sparsity"),
                          cells[cells["feature_probability"] >= LOW_SPARSITY], lambda c: ~_inhibits(c))


# --- kurtosis of the hidden activations ----------------------------------------------------------

#: The comment's measure: kurtosis of each activation vector across its m coordinates.
KURTOSIS = "vector"


@claim(
    id="dropout-kurtosis-rises",
    figure="dropout-kurtosis",
    source=COMMENTS,
    statement="With higher dropout the hidden activation vectors have higher kurtosis (heavier tails).",
    quantity="mean per-vector kurtosis at the highest dropout rate minus at r = 0 (95% bootstrap interval)",
    threshold="interval above 0",
)
def _kurtosis_rises(config: PipelineConfig) -> ClaimResult:
    table = figure_table(config, "dropout-kurtosis")
    verdict = figure_verdict(table, "dropout-kurtosis-rises")
    models = rows_of(table, "model")
    if verdict is None or models.empty:
        return insufficient("no models")
    low, high = models["dropout"].min(), models["dropout"].max()
    rise = bootstrap_difference_ci(models.loc[models["dropout"] == high, KURTOSIS].to_numpy(),
                                   models.loc[models["dropout"] == low, KURTOSIS].to_numpy(), seed=7)  # as the figure
    return with_verdict(verdict, rise.estimate, rise.low, rise.high)


@claim(
    id="dropout-kurtosis-above-rotated-control",
    figure="dropout-kurtosis",
    source=COMMENTS,
    statement="The heavier tails are a privileged basis: the kurtosis exceeds that of the same activations in a "
    "randomly rotated basis.",
    quantity="fraction of dropout rates whose per-vector kurtosis minus the rotated control has a 95% bootstrap "
    "interval above 0",
    threshold="= 1 (every rate)",
)
def _kurtosis_privileged(config: PipelineConfig) -> ClaimResult:
    table = figure_table(config, "dropout-kurtosis")
    rates = rows_of(table, "rate")
    rates = rates[rates["measure"] == KURTOSIS]
    verdict = figure_verdict(table, "dropout-kurtosis-above-rotated-control")
    if verdict is None or rates.empty:
        return insufficient("no rates")
    hits = int(rates["privileged"].astype(bool).sum())
    value, low, high = proportion(hits, len(rates))
    return with_verdict(verdict, value, low, high)
