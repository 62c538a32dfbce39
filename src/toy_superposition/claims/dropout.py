"""Claims of the dropout study ("Superposition and Dropout", its comments, and the reading notes).

The dropout figures already test the post's claims: each figure table carries ``claim`` rows
(``claim_id``, ``claim``, ``measured``, ``holds`` ∈ yes / partly / unclear / no) computed from its ``rate``,
``transition`` and ``effect`` rows with bootstrap intervals over the independently trained
models (:mod:`..analysis.dropout_orientation`, :mod:`..analysis.dropout_superposition`,
:mod:`..analysis.dropout_kurtosis`). A claim finds its row by its id in the ``claim_id`` column.
The claims here reuse those numbers: the value and interval come from the same rows, and a
claim holds only when the figure's verdict is "yes" ("partly" and "unclear" do not hold; the
verdict is kept in the detail).

Orientation: every rate is judged against the r = 0 baseline (not uniform under AdamW), by
the share of models whose direction u (of the largest feature) lies within 5° of a coordinate
axis, against the r = 0 share (Newcombe interval of the difference); the share within 5° of a
diagonal is reported beside it, so "avoids the axes" is told from "towards the diagonals" and
"aligned" from "12° off an axis" (:mod:`..analysis.dropout_orientation`). The mean alignment
``a`` (cos 4θ in 2-D, ``a_m`` in m dimensions: 0 uniform, > 0 towards the axes) is kept for r
= 0 and the transition.

Superposition: "generally inhibits" is a majority of the (1−S, r > 0) cells, with a Wilson
interval, measured by the norm-free D*_count (D* also rises when dropout only shrinks ‖W_i‖).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from ..analysis.dropout_orientation import ABOUT_HALF, HALF, NEAR_DEGREES, TOO_FEW, effect_strength
from ..analysis.dropout_superposition import INHIBITS, LOW_DROPOUT, LOW_SPARSITY
from ..analysis.statistics import bootstrap_difference_ci, proportion
from ..config import PipelineConfig
from .registry import ClaimResult, claim, insufficient
from .sources import NOTES, POST_COMMENTS, POST_ORIENTATION, POST_SUPERPOSITION
from .tables import figure_table, rows_of

YES = "yes"
#: The measure of superposition in the inhibition claims: norm-free (see the module doc).
COUNT = "d_star_count"

PHASES_QUOTE = ("Instead, we see a few distinct phases; low levels of dropout bias the model towards avoiding the "
                "co-ordinate basis, and at higher levels (>50% ) dropout rate the model seems to become aligned with "
                "the co-ordinate basis.")
OVER_HALF_QUOTE = "Again, the axis alignment only seems to happen for high dropout rates of over ~50%."
INHIBITS_QUOTE = ("Dropout has a clear qualitative effect on the superposition learned by the model, but the exact "
                  "effect is quite difficult to quantify; generally, I think dropout inhibits superposition.")
NOTES_QUOTE = ("dropout generally inhibits superposition, except in the presence of both features with varying "
               "importance (exponentially decaying in this case) and low sparsity.")
SHARES = (f"share of models whose direction u lies within {NEAR_DEGREES:g}° of a coordinate axis, minus that share at "
          "r = 0 (95% Newcombe interval)")
AGAINST_BASELINE = ("95% Newcombe interval of the difference from r = 0 excluding 0 (convention); the 5° window is "
                    "issue 13's number, judged against r = 0 because the orientation is not uniform there under AdamW")
MAJORITY = ("'generally' read as a majority of the (1−S, r > 0) cells (issue 13), each cell deciding by its 95% "
            "bootstrap interval")


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
                 largest: bool, column: str = "axis_vs_baseline") -> ClaimResult:
    """The rate in ``part`` furthest from the claim, by ``column`` and its interval (``_low``/``_high``;
    ``ci_low``/``ci_high`` for ``mean``): the largest value where the claim is "below 0", the
    smallest where it is "above 0"."""
    table, rates = _rates(config, figure)
    verdict = figure_verdict(table, claim_id)
    if column not in rates:
        return insufficient(f"{figure} has no {column} (no rate 0 to compare with)")
    chosen = rates[part(rates["dropout"]) & (rates["regime"] != TOO_FEW) & rates[column].notna()]
    if verdict is None or chosen.empty:
        return insufficient(f"{figure} has no dropout rate (or no verdict) for this claim")
    row = chosen.loc[chosen[column].idxmax() if largest else chosen[column].idxmin()]
    low, high = ("ci_low", "ci_high") if column == "mean" else (f"{column}_low", f"{column}_high")
    extra = f"value at r = {row['dropout']:g}"
    if column == "axis_vs_baseline" and "diagonal_vs_baseline" in row:
        extra += (f"; near a diagonal {row['diagonal_vs_baseline']:+.3f} [{row['diagonal_vs_baseline_low']:+.3f}, "
                  f"{row['diagonal_vs_baseline_high']:+.3f}] vs r = 0")
    return with_verdict(verdict, row[column], row[low], row[high], extra=extra)


@claim(
    id="dropout-none-orientation-uniform",
    figure="dropout-orientation-2d",
    source=POST_ORIENTATION,
    statement="Without dropout the orientation of the learned basis is uniform: no preferred direction (2-D, sparse).",
    quantity="mean alignment cos 4θ at r = 0 (95% bootstrap interval over models)",
    threshold="uniformity tests at r = 0 not rejected (p ≥ 0.05)",
    quote="As we expect, we see that the distribution of u is uniform on the unit circle - there is no preferred "
    "orientation of the learned hidden basis.",
    threshold_source="convention",
    threshold_reason="the 5% significance level of the z, Rayleigh and Kuiper tests",
)
def _uniform(config: PipelineConfig) -> ClaimResult:
    return rate_extreme(config, "dropout-orientation-2d", "dropout-none-orientation-uniform", lambda r: r == 0.0,
                        largest=True, column="mean")


@claim(
    id="dropout-low-avoids-axes",
    figure="dropout-orientation-2d",
    source=POST_ORIENTATION,
    statement=f"Low dropout (rates between 0 and {HALF:g}) biases the basis away from the coordinate axes: fewer "
    f"models near an axis than without dropout (2-D, sparse; nearness to a diagonal reported beside it).",
    quantity=f"largest, over the rates 0 < r < {HALF:g}, {SHARES}",
    threshold="interval below 0 at every such rate",
    quote=PHASES_QUOTE,
    threshold_source="convention",
    threshold_reason=AGAINST_BASELINE,
)
def _low_avoids(config: PipelineConfig) -> ClaimResult:
    return rate_extreme(config, "dropout-orientation-2d", "dropout-low-avoids-axes", lambda r: (r > 0) & (r < HALF),
                        largest=True)


@claim(
    id="dropout-high-aligns-axes",
    figure="dropout-orientation-2d",
    source=POST_ORIENTATION,
    statement=f"Dropout above about {HALF:.0%} aligns the basis with the coordinate axes: more models within "
    f"{NEAR_DEGREES:g}° of an axis than without dropout (2-D, sparse).",
    quantity=f"smallest, over the rates r > {HALF:g}, {SHARES}",
    threshold="interval above 0 at every such rate",
    quote=PHASES_QUOTE,
    threshold_source="convention",
    threshold_reason=AGAINST_BASELINE,
)
def _high_aligns(config: PipelineConfig) -> ClaimResult:
    return rate_extreme(config, "dropout-orientation-2d", "dropout-high-aligns-axes", lambda r: r > HALF, largest=False)


@claim(
    id="dropout-transition-about-half",
    figure="dropout-orientation-2d",
    source=POST_ORIENTATION,
    statement="The transition from avoiding to aligning with the axes happens at about 50% dropout.",
    quantity="transition rate r*: upward crossing of the mean alignment over its r = 0 value (95% bootstrap "
    "interval); the first rate aligned by the axis share in the figure's verdict",
    threshold=f"first axis-aligned rate in [{ABOUT_HALF[0]:g}, {ABOUT_HALF[1]:g}] and the interval of r* overlaps it, "
    "at most 0.3 wide",
    quote=OVER_HALF_QUOTE,
    threshold_source="choice",
    threshold_reason="'~50%' read as 0.4–0.6; an interval wider than 0.3 cannot place the transition",
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
    source=POST_ORIENTATION,
    statement="With dense features the orientation effect of dropout goes away or is much weaker than with sparse.",
    quantity="dense features' effect strength: bias-corrected RMS over the rates r > 0 of the mean alignment's change "
    "from r = 0 (95% bootstrap interval; the sparse experiment's in the detail)",
    threshold="interval entirely below the sparse experiment's",
    quote="Interestingly, this effect seems either go away or be much less important with dense features:",
    threshold_source="convention",
    threshold_reason="non-overlapping 95% bootstrap intervals",
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
    source=POST_ORIENTATION,
    statement=f"In higher dimensions (m=5) too, dropout above about {HALF:.0%} aligns the basis with the axes: more "
    f"models within {NEAR_DEGREES:g}° of an axis than without dropout.",
    quantity=f"smallest, over the rates r > {HALF:g}, {SHARES} (angle to an axis: arccos max_j |u_j|)",
    threshold="interval above 0 at every such rate",
    quote="Again, at high sparsity levels, we see the clear emergence of axis alignment.",
    threshold_source="convention",
    threshold_reason=AGAINST_BASELINE,
)
def _highdim(config: PipelineConfig) -> ClaimResult:
    return rate_extreme(config, "dropout-orientation-highdim", "dropout-highdim-high-aligns-axes", lambda r: r > HALF,
                        largest=False)


@claim(
    id="dropout-weights-align-only-above-half",
    figure="dropout-weights",
    source=POST_ORIENTATION,
    statement="Axis alignment shows in W itself, and only for dropout rates above about 50%.",
    quantity=f"smallest, over the rates r > {HALF:g}, of the mean alignment of the represented features a_m(Ŵ_i) "
    "minus its r = 0 value (95% bootstrap interval over models)",
    threshold=f"interval above 0 at every rate above {HALF:g} and at no rate below",
    quote=OVER_HALF_QUOTE,
    threshold_source="convention",
    threshold_reason="95% bootstrap interval of the difference from r = 0 excluding 0; 'over ~50%' as the post's rate",
)
def _weights(config: PipelineConfig) -> ClaimResult:
    return rate_extreme(config, "dropout-weights", "dropout-weights-align-only-above-half", lambda r: r > HALF,
                        largest=False, column="mean_vs_baseline")


# --- dropout and superposition -------------------------------------------------------------------


def share_of_cells(verdict: pd.Series | None, cells: pd.DataFrame, counted: Callable[[pd.DataFrame], pd.Series]
                   ) -> ClaimResult:
    """Fraction of (1−S, r) cells where ``counted`` is true (Wilson interval), with the figure's verdict."""
    if verdict is None or cells.empty:
        return insufficient("no (1−S, r) cells with restarts at r = 0 and r > 0")
    hits = int(counted(cells).sum())
    value, low, high = proportion(hits, len(cells))
    return with_verdict(verdict, value, low, high, extra=f"{hits} of {len(cells)} cells")


def _effects(table: pd.DataFrame, decay: float | None = None, measure: str = COUNT) -> pd.DataFrame:
    """The ``effect`` rows of one measure (a table without a ``measure`` column has D* only)."""
    effects = rows_of(table, "effect")
    if "measure" in effects:
        effects = effects[effects["measure"] == measure]
    elif measure != "d_star":
        return effects.iloc[0:0]
    if decay is not None:
        effects = effects[np.isclose(effects["importance_decay"], decay)]
    return effects


def _inhibits(cells: pd.DataFrame) -> pd.Series:
    return cells["verdict"] == INHIBITS


CELLS = "fraction of (1−S, r > 0) cells whose ΔD*_count = D*_count(r) − D*_count(0) has a 95% bootstrap interval above 0"


@claim(
    id="dropout-grid-inhibits-superposition",
    figure="dropout-superposition-grid",
    source=POST_SUPERPOSITION,
    statement="Dropout has a clear effect on the superposition learned: generally, it inhibits superposition "
    "(n=20, m=5, I_i=0.7^i): most cells have fewer features per dimension, by the norm-free D*_count.",
    quantity=f"{CELLS} (95% Wilson interval over cells)",
    threshold="> 1/2 (a majority of cells)",
    quote=INHIBITS_QUOTE,
    threshold_source="choice",
    threshold_reason=MAJORITY,
)
def _grid(config: PipelineConfig) -> ClaimResult:
    table = figure_table(config, "dropout-superposition-grid")
    shown = rows_of(table, "panel")["importance_decay"].unique()
    if len(shown) == 0:
        return insufficient("no models drawn")
    verdict = figure_verdict(table, "dropout-grid-inhibits-superposition")
    return share_of_cells(verdict, _effects(table, float(shown[0])), _inhibits)


@claim(
    id="dropout-d-star-higher-not-strict",
    figure="dropout-dims-per-feature",
    source=POST_SUPERPOSITION,
    statement="Models with more dropout have higher dimensions per feature D* at a given sparsity (I = 1), but not "
    f"strictly: at low dropout (r below {LOW_DROPOUT:g}) and certain sparsities D* can be lower with dropout.",
    quantity="fraction of (1−S, r > 0) cells whose ΔD* = D*(r) − D*(0) has a 95% bootstrap interval above 0 (95% "
    f"Wilson interval); the cells at r < {LOW_DROPOUT:g} with the interval below 0 in the figure's verdict",
    threshold=f"> 1/2 of the cells higher, and at least one cell at r < {LOW_DROPOUT:g} lower",
    quote="with models with more dropout having higher dimensions per feature for a given sparsity rate, but this "
    "effect is not strict; at low levels of dropout and certain sparsity, the dimensions per feature can be lower "
    "for dropout models",
    threshold_source="choice",
    threshold_reason="'the general trend' read as a majority of cells (as 'generally', issue 13); 'can be lower' as "
    f"one cell; 'low levels of dropout' below {LOW_DROPOUT:g}, as the post's low orientation regime",
)
def _direction(config: PipelineConfig) -> ClaimResult:
    table = figure_table(config, "dropout-dims-per-feature")
    verdict = figure_verdict(table, "dropout-d-star-higher-not-strict")
    return share_of_cells(verdict, _effects(table, measure="d_star"), _inhibits)


@claim(
    id="dropout-inhibits-superposition-equal-importance",
    figure="dropout-importance",
    source=NOTES,
    statement="Dropout generally inhibits superposition: with equally important features (I = 1), in most cells, by "
    "the norm-free D*_count.",
    quantity=f"{CELLS}, at I = 1",
    threshold="> 1/2 (a majority of cells)",
    quote=NOTES_QUOTE,
    threshold_source="choice",
    threshold_reason=MAJORITY,
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
    f"(1−S below {LOW_SPARSITY:g}), in most cells, by the norm-free D*_count.",
    quantity=f"{CELLS}, with decaying importance and 1−S < {LOW_SPARSITY:g}",
    threshold="> 1/2 (a majority of cells)",
    quote=NOTES_QUOTE,
    threshold_source="choice",
    threshold_reason=MAJORITY + f"; 'low sparsity' = 1−S ≥ {LOW_SPARSITY:g}",
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
    statement=f"The exception: with decaying importance and low sparsity (1−S ≥ {LOW_SPARSITY:g}) dropout does not "
    "inhibit superposition, in most cells, by the norm-free D*_count.",
    quantity=f"fraction of (1−S ≥ {LOW_SPARSITY:g}, r > 0) cells with decaying importance whose ΔD*_count interval "
    "is not above 0",
    threshold="> 1/2 (a majority of cells)",
    quote=NOTES_QUOTE,
    threshold_source="choice",
    threshold_reason=MAJORITY + f"; 'low sparsity' = 1−S ≥ {LOW_SPARSITY:g}",
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
    source=POST_COMMENTS,
    statement="With higher dropout the hidden activation vectors have higher kurtosis (heavier tails).",
    quantity="mean per-vector kurtosis at the highest dropout rate minus at r = 0 (95% bootstrap interval)",
    threshold="interval above 0",
    quote="With a higher dropout, you also get a higher kurtosis, which implies a heavier tailed distribution of "
    "activations.",
    threshold_source="convention",
    threshold_reason="a 95% bootstrap interval excluding 0",
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
    source=POST_COMMENTS,
    statement="With dropout the heavier tails are a privileged basis: at every rate r > 0 the kurtosis exceeds that "
    "of the same activations in a randomly rotated basis (at r = 0 no privileged basis is expected).",
    quantity="fraction of the dropout rates r > 0 whose per-vector kurtosis minus the rotated control has a 95% "
    "bootstrap interval above 0",
    threshold="= 1 (every rate r > 0)",
    quote="Activations in a non-privileged basis should be from a distribution with kurtosis ~3 (isotropic gaussian).",
    threshold_source="choice",
    threshold_reason="the comment states no rate: every rate with dropout, each by a 95% bootstrap interval "
    "excluding 0 (convention); the rotated activations stand for the non-privileged basis",
)
def _kurtosis_privileged(config: PipelineConfig) -> ClaimResult:
    table = figure_table(config, "dropout-kurtosis")
    rates = rows_of(table, "rate")
    rates = rates[(rates["measure"] == KURTOSIS) & (rates["dropout"] > 0)]
    verdict = figure_verdict(table, "dropout-kurtosis-above-rotated-control")
    if verdict is None or rates.empty:
        return insufficient("no rates")
    hits = int(rates["privileged"].astype(bool).sum())
    value, low, high = proportion(hits, len(rates))
    return with_verdict(verdict, value, low, high)
