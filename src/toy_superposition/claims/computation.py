"""Claims of "Computation in Superposition": the absolute-value model builds ReLU(x)/ReLU(−x)
pairs, keeps one feature per neuron when dense and computes in superposition when sparse,
and uses the asymmetric superposition motif.

Evidence: the figure tables of ``absval-3-in-6`` (per density × feature × neuron, with
``feature_has_pair``), ``absval-100-in-40`` (per density × neuron × feature, with the
per-density neuron kinds and features stored; definitions in :mod:`toy_superposition.analysis.neurons`) and
``asymmetric-motif`` (one row per searched instance × neuron, ``motif`` where the detector of
:mod:`toy_superposition.analysis.computation` found one).
"""

from __future__ import annotations

import pandas as pd

from ..analysis.statistics import proportion
from ..config import PipelineConfig
from .registry import ClaimResult, claim, insufficient
from .sources import paper
from .tables import figure_table

BASIC = paper("Computation in Superposition", "Basic Results")
VS_SPARSITY = paper("Computation in Superposition", "Superposition vs Sparsity")
MOTIF = paper("Computation in Superposition", "The Asymmetric Superposition Motif")
#: A "relatively large" primary weight: at least this many times the largest secondary weight.
PRIMARY_RATIO = 2.0
#: "Many" neurons: at least this share of the polysemantic ones.
MANY = 0.5


@claim(
    id="absval-relu-pairs",
    figure="absval-3-in-6",
    source=BASIC,
    quote='For each input feature x_i, it constructs a "positive side" neuron \\text{ReLU}(x_i) and a "negative side" '
    'neuron \\text{ReLU}(-x_i).',
    threshold_source="text",
    threshold_reason="'for each input feature'",
    statement="With n=3 features and m=6 neurons the model computes |x| = ReLU(x) + ReLU(−x): every feature gets a "
    "positive-side and a negative-side neuron.",
    quantity="fraction of (density, feature) of the selected models with a ReLU(x)/ReLU(−x) neuron pair "
    "(95% Wilson interval)",
    threshold="= 1 (every feature at every density)",
)
def _pairs(config: PipelineConfig) -> ClaimResult:
    table = figure_table(config, "absval-3-in-6")
    features = table.drop_duplicates(["feature_probability", "feature"])
    if features.empty:
        return insufficient("no selected models")
    hits = int(features["feature_has_pair"].astype(bool).sum())
    value, low, high = proportion(hits, len(features))
    missing = ", ".join(f"x{f.feature} at 1−S={f.feature_probability:g}"
                        for f in features[~features["feature_has_pair"].astype(bool)].itertuples())
    return ClaimResult(value, low, high, holds=hits == len(features),
                       detail=f"{hits} of {len(features)}" + (f"; no pair: {missing}" if missing else ""))


def _per_density(config: PipelineConfig):
    table = figure_table(config, "absval-100-in-40")
    return table.drop_duplicates("feature_probability").sort_values("feature_probability", ascending=False)


@claim(
    id="absval-dense-monosemantic",
    figure="absval-100-in-40",
    source=VS_SPARSITY,
    quote="In the dense regime, we end up with each neuron representing a single feature, and we can read feature "
    "values directly off of neuron activations.",
    threshold_source="text",
    threshold_reason="'each neuron'",
    statement="In the dense regime (1−S = 1) each neuron of the absolute-value model (n=100, m=40) represents a "
    "single feature.",
    quantity="fraction of the neurons storing a feature that store exactly one, at 1−S = 1 (95% Wilson interval)",
    threshold="= 1 (every neuron)",
)
def _dense_monosemantic(config: PipelineConfig) -> ClaimResult:
    densities = _per_density(config)
    dense = densities[densities["feature_probability"] >= 1.0]
    if dense.empty:
        return insufficient("no model at 1−S = 1")
    row = dense.iloc[0]
    mono, poly = int(row["monosemantic_neurons"]), int(row["polysemantic_neurons"])
    value, low, high = proportion(mono, mono + poly)
    return ClaimResult(value, low, high, holds=mono + poly > 0 and poly == 0,
                       detail=f"{mono} monosemantic, {poly} polysemantic, {int(row['neurons_storing_nothing'])} store nothing")


@claim(
    id="absval-sparse-superposition",
    figure="absval-100-in-40",
    source=VS_SPARSITY,
    quote="However, once the features become sufficiently sparse, this model, too, uses superposition to represent "
    "more features than it has neurons.",
    threshold_source="text",
    threshold_reason="'more features than it has neurons'",
    statement="Once features are sparse enough the absolute-value model computes |x| in superposition: it "
    "represents more features than it has neurons.",
    quantity="features stored in some neuron / m, at the sparsest density",
    threshold="> 1",
)
def _sparse_superposition(config: PipelineConfig) -> ClaimResult:
    densities = _per_density(config)
    if densities.empty:
        return insufficient("no selected models")
    sparsest = densities.iloc[-1]
    hidden = config.experiment(config.figure("absval-100-in-40").experiments[0]).hidden
    value = float(sparsest["features_stored"]) / hidden
    detail = "; ".join(f"1−S={d.feature_probability:g}: {d.features_stored} features, {d.polysemantic_neurons} "
                       "polysemantic neurons" for d in densities.itertuples())
    return ClaimResult(value, holds=value > 1, detail=f"m={hidden}; {detail}")


def _neurons(config: PipelineConfig) -> pd.DataFrame:
    """One row per (density, neuron) of the selected absolute-value models: kind and primary feature."""
    table = figure_table(config, "absval-100-in-40")
    return table.drop_duplicates(["feature_probability", "neuron"])


@claim(
    id="absval-important-features-monosemantic",
    figure="absval-100-in-40",
    source=VS_SPARSITY,
    statement="At intermediate sparsity the neurons representing the most important features tend to be "
    "monosemantic: monosemantic neurons hold more important features than polysemantic ones.",
    quantity="over the intermediate densities (selected model with both mono- and polysemantic neurons), the mean "
    "index of the polysemantic neurons' primary features minus that of the monosemantic neurons' (features ordered "
    "by importance, I_i = 0.8^i: positive = the monosemantic neurons hold the more important features)",
    threshold="> 0",
    quote="In this experiment, the neurons don't have any intrinsic importance, but we see that the neurons "
    "representing the most important features (on the left) tend to be monosemantic.",
    threshold_source="choice",
    threshold_reason="'tend to be' has no size: any difference of the mean importance rank in the stated direction",
)
def _important_monosemantic(config: PipelineConfig) -> ClaimResult:
    neurons = _neurons(config)
    intermediate = neurons[(neurons["monosemantic_neurons"] > 0) & (neurons["polysemantic_neurons"] > 0)]
    if intermediate.empty:
        return insufficient("no density with both monosemantic and polysemantic neurons")
    mono = intermediate.loc[intermediate["neuron_kind"] == "monosemantic", "primary_feature"]
    poly = intermediate.loc[intermediate["neuron_kind"] == "polysemantic", "primary_feature"]
    value = float(poly.mean() - mono.mean())
    densities = ", ".join(f"{p:g}" for p in sorted(intermediate["feature_probability"].unique(), reverse=True))
    return ClaimResult(value, holds=value > 0,
                       detail=f"1−S = {densities}: {len(mono)} monosemantic neurons, mean primary index "
                       f"{mono.mean():.1f}; {len(poly)} polysemantic, {poly.mean():.1f}")


@claim(
    id="absval-primary-secondary-features",
    figure="absval-100-in-40",
    source=VS_SPARSITY,
    statement="Many polysemantic neurons have a single primary feature with a relatively large weight and one or "
    "more secondary features with smaller weights.",
    quantity=f"fraction of the polysemantic neurons (all densities) whose primary feature's |W1| is at least "
    f"{PRIMARY_RATIO:g}× the largest |W1| of their secondary stored features (95% Wilson interval)",
    threshold=f"≥ {MANY:g}",
    quote='We also note that many neurons appear to be associated with a single "primary" feature – encoded by a '
    'relatively large weight – coupled with one or more "secondary" features encoded with smaller-magnitude weights '
    'to that neuron.',
    threshold_source="choice",
    threshold_reason=f"'many' read as at least half of the polysemantic neurons; 'relatively large' as "
    f"{PRIMARY_RATIO:g}× the largest secondary weight",
)
def _primary_secondary(config: PipelineConfig) -> ClaimResult:
    table = figure_table(config, "absval-100-in-40")
    poly = table[(table["neuron_kind"] == "polysemantic") & table["stored"].astype(bool)]
    if poly.empty:
        return insufficient("no polysemantic neuron")
    hits, total = 0, 0
    for _, neuron in poly.groupby(["feature_probability", "neuron"]):
        weights = neuron["w1"].abs()
        primary = weights[neuron["feature"] == neuron["primary_feature"]]
        secondary = weights[neuron["feature"] != neuron["primary_feature"]]
        if primary.empty or secondary.empty:
            continue
        total += 1
        hits += bool(float(primary.iloc[0]) >= PRIMARY_RATIO * float(secondary.max()))
    if total == 0:
        return insufficient("no polysemantic neuron with a primary and a secondary feature")
    value, low, high = proportion(hits, total)
    return ClaimResult(value, low, high, holds=value >= MANY,
                       detail=f"{hits} of {total} polysemantic neurons with a primary weight ≥ {PRIMARY_RATIO:g}× "
                       "the largest secondary")


@claim(
    id="asymmetric-motif-found",
    figure="asymmetric-motif",
    source=MOTIF,
    quote="These other neurons implement two instances of asymmetric superposition and inhibition.",
    threshold_source="text",
    threshold_reason="the motif exists: found in at least one model",
    statement="Absolute-value models computing in superposition use asymmetric superposition with inhibition: a "
    "neuron stores two features with reciprocal input/output magnitudes and a partner neuron inhibits the "
    "interference.",
    quantity="number of trained absolute-value models (all densities and restarts) in which the detector finds "
    "the motif",
    threshold="≥ 1",
)
def _motif(config: PipelineConfig) -> ClaimResult:
    table = figure_table(config, "asymmetric-motif")
    if table.empty:
        return insufficient("no models searched")
    motifs = table[table["motif"].astype(bool)]
    models = motifs.drop_duplicates(["experiment", "instance"])
    searched = len(table.drop_duplicates(["experiment", "instance"]))
    return ClaimResult(float(len(models)), holds=len(models) >= 1,
                       detail=f"{len(motifs)} motifs in {len(models)} of {searched} models "
                       f"({int(models['selected'].astype(bool).sum()) if len(models) else 0} selected)")
