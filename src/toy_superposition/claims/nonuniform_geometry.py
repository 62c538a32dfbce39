"""Claims of "Geometry: Non-Uniform Superposition": the perturbed pentagon, correlated and
anticorrelated feature sets, collapse onto principal components, local orthogonal bases.

Evidence: the figure tables of ``pentagon-perturbation`` (one row per restart × feature, with
each restart's geometry and the measured crossing), ``correlated-m2`` / ``anticorrelated-m2``
(one row per selected model × feature with its set's arrangement and the paper's
prediction), ``correlated-collapse`` (the same with each pair's principal-component share)
and ``local-orthogonal-bases`` (per selected model: within- and between-set |cos|).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..analysis.geometry import LEARNED_NORM
from ..analysis.nonuniform_geometry import COLLAPSED, NOT_LEARNED, SIDE_BY_SIDE
from ..analysis.statistics import proportion
from ..config import PipelineConfig
from .registry import ClaimResult, claim, insufficient
from .sources import paper
from .tables import figure_table

NON_UNIFORM = ("The Geometry of Superposition", "Non-Uniform Superposition")
PERTURBING = paper(*NON_UNIFORM, "Perturbing a Single Feature")
CORRELATED = paper(*NON_UNIFORM, "Correlated and Anticorrelated Features")
LOCAL = paper(*NON_UNIFORM, "Correlated and Anticorrelated Features", "Local Almost-Orthogonal Bases")
COLLAPSING = paper(*NON_UNIFORM, "Correlated and Anticorrelated Features", "Collapsing of Correlated Features")
PENTAGON, DIGON_PAIR = "pentagon", "digon pair"  # geometry names of ..geometry.classify
#: "Most sets" arranged as the paper predicts: the project's number, set when the claims were written.
MOST = 0.75
MOST_REASON = "'prefers' has no number: three quarters of the sets (set when the claim was written)"
#: ‖W_i‖ "=" 1/(1 − |b_i|) within this relative tolerance.
COMPENSATION_TOLERANCE = 0.05
BIAS_QUOTE = ("The reason pentagonal solutions are not on the unit circle is because models reduce the effect of "
              "positive interference, setting a slight negative bias to cut off noise and setting their weights to "
              "||W_i|| = 1 / (1-b_i) to compensate.")


# --- perturbing one feature of the pentagon ---------------------------------------------------


def _selected_restarts(table: pd.DataFrame) -> pd.DataFrame:
    """The selected (lowest-loss) restart of every density of the fifth feature, sparsest first."""
    per_restart = table.drop_duplicates("instance")
    return per_restart[per_restart["selected"]].sort_values("extra_probability").reset_index(drop=True)


@claim(
    id="pentagon-collapses-to-digon-pair",
    figure="pentagon-perturbation",
    source=PERTURBING,
    statement="Made sufficiently sparse, one feature of the pentagon (n=5, m=2) makes it collapse to a pair of "
    "digons with the sparser feature at zero; made denser, the solution stays a pentagon.",
    quantity="densest 1−S₅ whose selected (lowest-loss) solution is a digon pair",
    threshold=f"selected solution a digon pair with ‖W₅‖ ≤ {LEARNED_NORM:g} at the sparsest 1−S₅ and a pentagon "
    "at the densest",
    quote="If we make it sufficiently sparse, there's a phase change, and it collapses from a pentagon to a pair of "
    "digons with the sparser point at zero.",
    threshold_source="text",
    threshold_reason="'a pair of digons with the sparser point at zero'; ‖W₅‖ ≤ 0.5 is the project's 'not learned'",
)
def _pentagon_collapse(config: PipelineConfig) -> ClaimResult:
    selected = _selected_restarts(figure_table(config, "pentagon-perturbation"))
    if len(selected) < 2:
        return insufficient("fewer than two densities of the fifth feature")
    sparsest, densest = selected.iloc[0], selected.iloc[-1]
    collapsed = sparsest["geometry"] == DIGON_PAIR and sparsest["extra_norm"] <= LEARNED_NORM
    digons = selected.loc[selected["geometry"] == DIGON_PAIR, "extra_probability"]
    value = float(digons.max()) if len(digons) else math.nan
    sequence = "; ".join(f"1−S₅={r.extra_probability:.3g}: {r.geometry} (‖W₅‖={r.extra_norm:.2f})"
                         for r in selected.itertuples())
    return ClaimResult(value, holds=bool(collapsed and densest["geometry"] == PENTAGON), detail=sequence)


@claim(
    id="pentagon-digon-loss-curves-cross",
    figure="pentagon-perturbation",
    source=PERTURBING,
    statement="The pentagon → digon-pair change is first order: the loss curves of the two geometries cross.",
    quantity="1−S₅ where the lowest-loss pentagon and digon-pair restarts' loss curves cross (densest crossing)",
    threshold="at least one crossing",
    quote="The phase change corresponds to loss curves corresponding to the two different geometries crossing over.",
    threshold_source="text",
)
def _pentagon_crossing(config: PipelineConfig) -> ClaimResult:
    table = figure_table(config, "pentagon-perturbation")
    if table.empty:
        return insufficient("no restarts")
    found = int(table["crossings_found"].iloc[0])
    if found == 0:
        geometries = sorted(table.drop_duplicates("instance")["geometry"].unique())
        return ClaimResult(math.nan, holds=False, detail=f"no crossing; geometries found: {', '.join(geometries)}")
    return ClaimResult(float(table["crossing_density"].iloc[0]), holds=True,
                       detail=f"{found} crossing(s) at 1−S₅ ≈ {table['all_crossings'].iloc[0]}")


@claim(
    id="pentagon-denser-feature-gets-more-room",
    figure="pentagon-perturbation",
    source=PERTURBING,
    statement="Made denser, the fifth feature gets more room: the other features of the pentagon repel from it.",
    quantity="angle between the fifth feature's two neighbours in the densest selected pentagon minus that in "
    "the sparsest selected pentagon (degrees)",
    threshold="> 0",
    quote="If we make it denser, activating more frequently (yellow) the other features repel from it, giving it "
    "more space.",
    threshold_source="text",
    threshold_reason="'more space': a wider gap",
)
def _pentagon_room(config: PipelineConfig) -> ClaimResult:
    selected = _selected_restarts(figure_table(config, "pentagon-perturbation"))
    pentagons = selected[selected["geometry"] == PENTAGON]
    if len(pentagons) < 2:
        return insufficient(f"{len(pentagons)} density with a selected pentagon (need 2)")
    sparsest, densest = pentagons.iloc[0], pentagons.iloc[-1]
    value = float(densest["extra_neighbour_gap_deg"] - sparsest["extra_neighbour_gap_deg"])
    return ClaimResult(value, holds=value > 0,
                       detail=f"{sparsest['extra_neighbour_gap_deg']:.0f}° at 1−S₅={sparsest['extra_probability']:.3g} → "
                       f"{densest['extra_neighbour_gap_deg']:.0f}° at 1−S₅={densest['extra_probability']:.3g} "
                       "(regular pentagon: 144°)")


def _pentagon_features(config: PipelineConfig) -> pd.DataFrame:
    """The learned features (‖W_i‖ > 0.5) of the selected pentagon solutions, with their norm and bias."""
    table = figure_table(config, "pentagon-perturbation")
    if "bias" not in table:
        return table.iloc[0:0]
    chosen = table[table["selected"].astype(bool) & (table["geometry"] == PENTAGON)]
    return chosen[chosen["norm"] > LEARNED_NORM]


@claim(
    id="pentagon-negative-bias",
    figure="pentagon-perturbation",
    source=PERTURBING,
    statement="The pentagon solutions set a slight negative bias b_i to cut off the noise of positive interference.",
    quantity="median bias b_i (x' = ReLU(WᵀWx + b)) over the learned features of the selected pentagon solutions",
    threshold="< 0",
    quote=BIAS_QUOTE,
    threshold_source="text",
    threshold_reason="'a slight negative bias'",
)
def _pentagon_bias(config: PipelineConfig) -> ClaimResult:
    features = _pentagon_features(config)
    if features.empty:
        return insufficient("no selected pentagon solution")
    value = float(features["bias"].median())
    negative = int((features["bias"] < 0).sum())
    return ClaimResult(value, holds=value < 0,
                       detail=f"{negative} of {len(features)} features of {features['instance'].nunique()} selected "
                       f"pentagons with b_i < 0; b_i from {features['bias'].min():+.3f} to {features['bias'].max():+.3f}")


@claim(
    id="pentagon-norm-compensates-bias",
    figure="pentagon-perturbation",
    source=PERTURBING,
    statement="The pentagon solutions compensate the negative bias with their norm: ‖W_i‖ = 1/(1 − |b_i|), off the "
    "unit circle (b_i read as the size of the negative bias, which the norm must make up for; the literal "
    "1/(1 − b_i) with a negative b_i would put W_i inside the circle and is given in the detail).",
    quantity="median over the learned features of the selected pentagon solutions of ‖W_i‖ · (1 − |b_i|)",
    threshold=f"within {COMPENSATION_TOLERANCE:g} of 1",
    quote=BIAS_QUOTE,
    threshold_source="choice",
    threshold_reason=f"'=' with no stated error: a {COMPENSATION_TOLERANCE:.0%} tolerance, as for the sticky D* values",
)
def _pentagon_norm(config: PipelineConfig) -> ClaimResult:
    features = _pentagon_features(config)
    if features.empty:
        return insufficient("no selected pentagon solution")
    bias, norm = features["bias"].to_numpy(), features["norm"].to_numpy()
    value = float(np.median(norm * (1 - np.abs(bias))))
    literal = float(np.median(norm * (1 - bias)))
    return ClaimResult(value, holds=abs(value - 1) <= COMPENSATION_TOLERANCE,
                       detail=f"{len(features)} features: median ‖W_i‖ = {np.median(norm):.3f}, median b_i = "
                       f"{np.median(bias):+.3f}; literal reading median ‖W_i‖ · (1 − b_i) = {literal:.3f}")


# --- correlated and anticorrelated sets in two dimensions --------------------------------------


def sets_as_predicted(config: PipelineConfig, figure: str) -> ClaimResult:
    """Fraction of the selected models' feature sets arranged as the paper predicts (Wilson over sets)."""
    table = figure_table(config, figure)
    sets = table.drop_duplicates(["experiment", "instance", "set"])
    if sets.empty:
        return insufficient("no feature sets")
    hits, total = int(sets["as_predicted"].sum()), len(sets)
    value, low, high = proportion(hits, total)
    per_experiment = "; ".join(
        f"{name}: {int(group['as_predicted'].sum())}/{len(group)} {group['predicted'].iloc[0]} "
        f"(found: {', '.join(f'{k} ×{v}' for k, v in group['set_label'].value_counts().items())})"
        for name, group in sets.groupby("experiment"))
    return ClaimResult(value, low, high, holds=value >= MOST, detail=per_experiment)


claim(
    id="correlated-sets-orthogonal-or-side-by-side",
    figure="correlated-m2",
    source=CORRELATED,
    statement="Correlated features are represented orthogonally when they fit (pairs in m=2); when they do not "
    "(triples in m=2), side by side, with positive interference.",
    quantity="fraction of feature sets of the selected models arranged as predicted (95% Wilson interval over sets)",
    threshold=f"≥ {MOST:g} (most sets)",
    quote="The model ideally represents correlated features orthogonally, in separate tegum factors with no "
    "interactions between them. When that fails, it prefers to arrange them so that they're as close together as "
    "possible – it prefers positive interference between correlated features over negative interference.",
    threshold_source="choice",
    threshold_reason=MOST_REASON,
)(lambda config: sets_as_predicted(config, "correlated-m2"))

claim(
    id="anticorrelated-pairs-antipodal",
    figure="anticorrelated-m2",
    source=CORRELATED,
    statement="Anticorrelated features prefer negative interference: anticorrelated pairs are placed antipodally.",
    quantity="fraction of anticorrelated pairs of the selected models that are antipodal "
    "(95% Wilson interval over pairs)",
    threshold=f"≥ {MOST:g} (most pairs)",
    quote="Conversely, when features are anti-correlated, models prefer to have them interfere, especially with "
    "negative interference.",
    threshold_source="choice",
    threshold_reason=MOST_REASON,
)(lambda config: sets_as_predicted(config, "anticorrelated-m2"))


# --- collapse onto principal components ---------------------------------------------------------


def _pairs_at(table: pd.DataFrame, densest: bool) -> pd.DataFrame:
    """The learned pairs of the selected model at the densest (or sparsest) feature density."""
    density = table["feature_probability"].max() if densest else table["feature_probability"].min()
    pairs = table[table["feature_probability"] == density].drop_duplicates(["instance", "set"])
    return pairs[pairs["set_label"] != NOT_LEARNED]


def _label_share(config: PipelineConfig, densest: bool, label: str) -> ClaimResult:
    table = figure_table(config, "correlated-collapse")
    if table.empty:
        return insufficient("no selected models")
    pairs = _pairs_at(table, densest)
    where = "densest" if densest else "sparsest"
    density = table["feature_probability"].max() if densest else table["feature_probability"].min()
    if pairs.empty:
        return insufficient(f"no learned pair at the {where} density 1−S = {density:.3g}")
    hits = int((pairs["set_label"] == label).sum())
    value, low, high = proportion(hits, len(pairs))
    labels = ", ".join(f"{k} ×{v}" for k, v in pairs["set_label"].value_counts().items())
    return ClaimResult(value, low, high, holds=hits == len(pairs),
                       detail=f"1−S = {density:.3g}: {hits} of {len(pairs)} learned pairs {label} ({labels})")


@claim(
    id="correlated-pairs-collapse-when-dense",
    figure="correlated-collapse",
    source=COLLAPSING,
    quote="In very dense regimes, the solution becomes equivalent to PCA.",
    threshold_source="text",
    threshold_reason="'equivalent to PCA': every learned pair collapsed",
    statement="With dense features, correlated pairs collapse onto their principal component (a+b)/√2: the "
    "solution becomes PCA.",
    quantity="fraction of learned pairs collapsed (within-pair cos above the antipodal threshold) at the densest "
    "1−S (95% Wilson interval)",
    threshold="= 1 (every learned pair)",
)
def _collapse_dense(config: PipelineConfig) -> ClaimResult:
    return _label_share(config, densest=True, label=COLLAPSED)


@claim(
    id="correlated-pairs-side-by-side-when-sparse",
    figure="correlated-collapse",
    source=COLLAPSING,
    quote="As we vary the sparsity of the features, we find that in the very sparse regime, we observe superposition "
    "as expected, with features arranged in a hexagon and correlated features side-by-side.",
    threshold_source="text",
    threshold_reason="stated without exception: every learned pair",
    statement="In the very sparse regime correlated pairs are in superposition side by side (a hexagon).",
    quantity="fraction of learned pairs side by side at the sparsest 1−S (95% Wilson interval)",
    threshold="= 1 (every learned pair)",
)
def _side_by_side_sparse(config: PipelineConfig) -> ClaimResult:
    return _label_share(config, densest=False, label=SIDE_BY_SIDE)


@claim(
    id="correlated-pairs-progressively-collapse",
    figure="correlated-collapse",
    source=COLLAPSING,
    quote='As we decrease sparsity, the features progressively "collapse" into their principal components.',
    threshold_source="text",
    threshold_reason="'progressively collapse': the principal-component share grows",
    statement="As sparsity decreases the correlated pairs progressively collapse into their principal components.",
    quantity="mean principal-component share of the pairs at the densest 1−S minus at the sparsest "
    "(1 = collapsed, 3/4 = 60° apart, 1/2 = orthogonal)",
    threshold="> 0",
)
def _progressive_collapse(config: PipelineConfig) -> ClaimResult:
    table = figure_table(config, "correlated-collapse")
    if table.empty:
        return insufficient("no selected models")
    dense, sparse = float(table["densest_mean_pc_share"].iloc[0]), float(table["sparsest_mean_pc_share"].iloc[0])
    value = dense - sparse
    if not math.isfinite(value):
        return insufficient("principal-component share undefined")
    return ClaimResult(value, holds=value > 0, detail=f"PC share {sparse:.2f} (sparsest) → {dense:.2f} (densest)")


# --- local almost-orthogonal bases -------------------------------------------------------------


def _models(config: PipelineConfig) -> pd.DataFrame:
    table = figure_table(config, "local-orthogonal-bases")
    return table.drop_duplicates("instance").sort_values("feature_probability", ascending=False)


@claim(
    id="local-bases-within-set-nearly-orthogonal",
    figure="local-orthogonal-bases",
    source=LOCAL,
    quote='In particular, for larger models, it seems to generate a kind of "local almost-orthogonal basis" where, '
    'even though the model as a whole is in superposition, the correlated feature sets considered in isolation are '
    '(nearly) orthogonal and can be understood as having very little superposition.',
    threshold_source="choice",
    threshold_reason="'(nearly) orthogonal' has no number: within-set overlap below the between-set overlap",
    statement="Correlated feature sets form a local almost-orthogonal basis: features of one set overlap less "
    "than features of different sets.",
    quantity="largest (over densities) ratio of the mean within-set |cos| to the mean between-set |cos| of the "
    "learned features",
    threshold="< 1 (at every density)",
)
def _local_orthogonal(config: PipelineConfig) -> ClaimResult:
    models = _models(config)
    ratio = models["within_abs_cos"] / models["between_abs_cos"]
    if models.empty or not ratio.notna().any():
        return insufficient("no model with learned features in two sets")
    value = float(ratio.max())
    detail = "; ".join(f"1−S={m.feature_probability:.3g}: within {m.within_abs_cos:.2f} vs between "
                       f"{m.between_abs_cos:.2f}" for m in models.itertuples())
    return ClaimResult(value, holds=bool(ratio.notna().all()) and value < 1, detail=detail)


@claim(
    id="local-bases-model-in-superposition",
    figure="local-orthogonal-bases",
    source=LOCAL,
    quote='In particular, for larger models, it seems to generate a kind of "local almost-orthogonal basis" where, '
    'even though the model as a whole is in superposition, the correlated feature sets considered in isolation are '
    '(nearly) orthogonal and can be understood as having very little superposition.',
    threshold_source="text",
    threshold_reason="'in superposition': more features than dimensions",
    statement="The model as a whole is in superposition even though each correlated set on its own nearly is not.",
    quantity="smallest (over densities) number of learned features (‖W_i‖ > 0.5) per hidden dimension",
    threshold="> 1 (at every density)",
)
def _local_superposition(config: PipelineConfig) -> ClaimResult:
    models = _models(config)
    if models.empty:
        return insufficient("no selected models")
    hidden = config.experiment(config.figure("local-orthogonal-bases").experiments[0]).hidden
    per_dimension = models["features_learned"] / hidden
    value = float(per_dimension.min())
    detail = "; ".join(f"1−S={m.feature_probability:.3g}: {m.features_learned} features in m={hidden}, "
                       f"D* = {m.d_star:.2f}" for m in models.itertuples())
    return ClaimResult(value, holds=value > 1, detail=detail)


# --- issue 14: the pentagon perturbed by importance ---------------------------------------------

IMPORTANCE_FIGURE = "pentagon-importance"
DEFORMATION_QUOTE = ("These results seem to suggest that, at least in some cases, non-uniform superposition can be "
                     "understood as a deformation of uniform superposition and jumping between uniform superposition "
                     "configurations\u00a0rather than a totally different regime.")
IMPORTANCE_REASON = ("the paper states this for the density of the fifth feature and says the role of importance was "
                     "studied too ('Chris extended this with an investigation of the role of relative feature "
                     "importance and sparsity'); we test the same statement with importance, where it enters the "
                     "1-sparse loss term I₅ p₅ just as density does")


def _importance_selected(table: pd.DataFrame) -> pd.DataFrame:
    per_restart = table.drop_duplicates("instance")
    return per_restart[per_restart["selected"]].sort_values("extra_feature_importance").reset_index(drop=True)


@claim(
    id="pentagon-importance-loss-curves-cross",
    figure=IMPORTANCE_FIGURE,
    source=PERTURBING,
    statement="Varying the fifth feature's importance, the pentagon and the digon pair exchange places where their "
    "loss curves cross: a first-order change, as when its density is varied.",
    quantity="I₅ where the lowest-loss pentagon and digon-pair restarts' loss curves cross (the most important "
    "crossing)",
    threshold="at least one crossing",
    quote=DEFORMATION_QUOTE,
    threshold_source="choice",
    threshold_reason=IMPORTANCE_REASON,
)
def _importance_crossing(config: PipelineConfig) -> ClaimResult:
    table = figure_table(config, IMPORTANCE_FIGURE)
    if table.empty:
        return insufficient("no restarts")
    found = int(table["crossings_found"].iloc[0])
    if found == 0:
        geometries = sorted(table.drop_duplicates("instance")["geometry"].unique())
        return ClaimResult(math.nan, holds=False, detail=f"no crossing; geometries found: {', '.join(geometries)}")
    return ClaimResult(float(table["crossing_importance"].iloc[0]), holds=True,
                       detail=f"{found} crossing(s) at I₅ ≈ {table['all_crossings'].iloc[0]}")


@claim(
    id="pentagon-importance-collapses-when-unimportant",
    figure=IMPORTANCE_FIGURE,
    source=PERTURBING,
    statement="Made unimportant enough, the fifth feature is dropped: the selected solution at the smallest "
    "importance is a digon pair with the fifth feature at zero, while at importance 1 it is a pentagon.",
    quantity="‖W₅‖ of the selected solution at the smallest I₅ (its geometry must be the digon pair, and the "
    "selected solution nearest I₅ = 1 a pentagon)",
    threshold=f"≤ {LEARNED_NORM:g} (not learned)",
    quote="If we make it sufficiently sparse, there's a phase change, and it collapses from a pentagon to a pair "
    "of digons with the sparser point at zero.",
    threshold_source="choice",
    threshold_reason=IMPORTANCE_REASON + "; 'at zero' read as not learned, ‖W₅‖ ≤ 0.5 as everywhere",
)
def _importance_collapse(config: PipelineConfig) -> ClaimResult:
    selected = _importance_selected(figure_table(config, IMPORTANCE_FIGURE))
    if selected.empty:
        return insufficient("no selected solutions")
    least = selected.iloc[0]
    unit = selected.iloc[int((selected["extra_feature_importance"].apply(math.log)).abs().idxmin())]
    holds = least["extra_norm"] <= LEARNED_NORM and least["geometry"] == DIGON_PAIR and unit["geometry"] == PENTAGON
    return ClaimResult(float(least["extra_norm"]), holds=bool(holds),
                       detail=f"I₅ = {least['extra_feature_importance']:.3g}: {least['geometry']}, ‖W₅‖ = "
                       f"{least['extra_norm']:.2f}; I₅ = {unit['extra_feature_importance']:.3g}: {unit['geometry']}")


@claim(
    id="pentagon-importance-more-room",
    figure=IMPORTANCE_FIGURE,
    source=PERTURBING,
    statement="Made more important, the fifth feature gets more room: the pentagon deforms, its neighbours moving "
    "away from it.",
    quantity="angle between the fifth feature's two neighbours in the most important selected pentagon minus that "
    "in the least important selected pentagon (degrees)",
    threshold="> 0",
    quote=DEFORMATION_QUOTE,
    threshold_source="choice",
    threshold_reason=IMPORTANCE_REASON,
)
def _importance_room(config: PipelineConfig) -> ClaimResult:
    selected = _importance_selected(figure_table(config, IMPORTANCE_FIGURE))
    pentagons = selected[selected["geometry"] == PENTAGON]
    if len(pentagons) < 2:
        return insufficient(f"{len(pentagons)} importance with a selected pentagon (need 2)")
    least, most = pentagons.iloc[0], pentagons.iloc[-1]
    value = float(most["extra_neighbour_gap_deg"] - least["extra_neighbour_gap_deg"])
    return ClaimResult(value, holds=value > 0,
                       detail=f"{least['extra_neighbour_gap_deg']:.0f}° at I₅={least['extra_feature_importance']:.3g} → "
                       f"{most['extra_neighbour_gap_deg']:.0f}° at I₅={most['extra_feature_importance']:.3g} "
                       "(regular pentagon: 144°)")
