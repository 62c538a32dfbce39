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

from ..analysis.statistics import proportion
from ..config import PipelineConfig
from .registry import ClaimResult, claim, insufficient
from .tables import figure_table

SOURCE = "Computation in Superposition"


@claim(
    id="absval-relu-pairs",
    figure="absval-3-in-6",
    source=SOURCE,
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
    source=SOURCE,
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
    source=SOURCE,
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


@claim(
    id="asymmetric-motif-found",
    figure="asymmetric-motif",
    source="Computation in Superposition: The Asymmetric Superposition Motif",
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
