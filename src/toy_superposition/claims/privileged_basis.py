"""Claims of "Superposition in a Privileged Basis": the ReLU hidden layer model's neurons go from
monosemantic to polysemantic as features get sparser, and its features align with neurons
where those of the paper's "linear hidden layer model" do not. That model is the earlier ReLU
output model, h = Wx, x' = ReLU(WᵀWx + b): linear in its hidden layer, no privileged basis.

Evidence: the ``privileged-relu-hidden`` figure table (one row per density × neuron × feature of
the selected models, with per-density counts of monosemantic and polysemantic neurons;
definitions in :mod:`toy_superposition.analysis.neurons`) and the ``linear-vs-relu-hidden`` table (per model and
density, the mean neuron purity ``max_i W_ik² / Σ_i W_ik²``; ``model`` relu_output or relu_hidden).
"""

from __future__ import annotations

import pandas as pd

from ..analysis.statistics import proportion
from ..config import PipelineConfig
from .registry import ClaimResult, claim, insufficient
from .sources import paper
from .tables import figure_table, rows_of

SOURCE = paper("Superposition in a Privileged Basis")
VISUALIZING = paper("Superposition in a Privileged Basis", "Visualizing Superposition in Terms of Neurons")
LIMITATIONS = paper("Superposition in a Privileged Basis", "Limitations of The ReLU Hidden Layer Toy Model Simulating Identity")
#: The paper's "linear hidden layer model": the ReLU output model (its hidden layer h = Wx is linear).
LINEAR_HIDDEN = "relu_output"


def _neuron_counts(config: PipelineConfig) -> pd.DataFrame:
    """Per density of ``privileged-relu-hidden``: monosemantic and polysemantic neurons, densest first."""
    table = figure_table(config, "privileged-relu-hidden")
    columns = ["feature_probability", "monosemantic_neurons", "polysemantic_neurons"]
    return table.drop_duplicates("feature_probability")[columns].sort_values("feature_probability", ascending=False)


def _counts_text(counts: pd.DataFrame) -> str:
    return "; ".join(f"1−S={c.feature_probability:g}: {c.monosemantic_neurons} mono, {c.polysemantic_neurons} poly"
                     for c in counts.itertuples())


@claim(
    id="relu-hidden-neurons-become-polysemantic",
    figure="privileged-relu-hidden",
    source=VISUALIZING,
    statement="As sparsity increases, the ReLU hidden layer model shifts from monosemantic to polysemantic neurons.",
    quantity="polysemantic neurons of the selected model at the sparsest density minus at the densest",
    threshold="> 0",
    quote="The most important thing to pay attention to is how there's a shift from monosemantic to polysemantic "
    "neurons as sparsity increases.",
    threshold_source="text",
    threshold_reason="'a shift ... to polysemantic': more polysemantic neurons when sparse",
)
def _shift(config: PipelineConfig) -> ClaimResult:
    counts = _neuron_counts(config)
    if len(counts) < 2:
        return insufficient("fewer than two densities")
    value = float(counts["polysemantic_neurons"].iloc[-1] - counts["polysemantic_neurons"].iloc[0])
    return ClaimResult(value, holds=value > 0, detail=_counts_text(counts))


@claim(
    id="relu-hidden-mono-and-poly-coexist",
    figure="privileged-relu-hidden",
    source=VISUALIZING,
    statement="Monosemantic and polysemantic neurons can both exist in the same model.",
    quantity="number of densities whose selected model has at least one monosemantic and one polysemantic neuron",
    threshold="≥ 1",
    quote="And they can both exist in the same model!",
    threshold_source="text",
    threshold_reason="'can both exist': in at least one model",
)
def _coexist(config: PipelineConfig) -> ClaimResult:
    counts = _neuron_counts(config)
    both = (counts["monosemantic_neurons"] > 0) & (counts["polysemantic_neurons"] > 0)
    return ClaimResult(float(both.sum()), holds=bool(both.any()), detail=_counts_text(counts))


@claim(
    id="relu-hidden-aligns-with-neurons-vs-linear-hidden-layer",
    figure="linear-vs-relu-hidden",
    source=SOURCE,
    statement="A privileged basis makes W directly interpretable: with a ReLU on the hidden layer features align "
    "with neurons, while the paper's linear hidden layer model (the ReLU output model h = Wx, "
    "x' = ReLU(WᵀWx + b), no privileged basis) spreads them over neurons.",
    quantity="fraction of densities at which the ReLU hidden model's mean neuron purity (max_i W_ik² / Σ_i W_ik²) "
    "exceeds the ReLU output model's (95% Wilson interval over densities)",
    threshold="= 1 (every density)",
    quote="What we see in the above plot is that the features are aligning with neurons in a structured way!",
    threshold_source="choice",
    threshold_reason="the text compares the two models without exception and gives no size: purer at every "
    "density",
)
def _aligned(config: PipelineConfig) -> ClaimResult:
    table = figure_table(config, "linear-vs-relu-hidden")
    purity = table.drop_duplicates(["model", "feature_probability"]).pivot(
        index="feature_probability", columns="model", values="mean_purity")
    if not {LINEAR_HIDDEN, "relu_hidden"} <= set(purity.columns):
        return insufficient("needs a ReLU output (linear hidden layer) and a ReLU hidden layer model")
    purity = purity[[LINEAR_HIDDEN, "relu_hidden"]].dropna()
    if purity.empty:
        return insufficient("no density with both models")
    higher = purity["relu_hidden"] > purity[LINEAR_HIDDEN]
    value, low, high = proportion(int(higher.sum()), len(purity))
    detail = "; ".join(f"1−S={p:g}: ReLU hidden {r.relu_hidden:.2f} vs linear hidden {r[LINEAR_HIDDEN]:.2f}"
                       for p, r in purity.sort_index(ascending=False).iterrows())
    return ClaimResult(value, low, high, holds=bool(higher.all()), detail=detail)


# --- issue 14: the ReLU hidden layer model's limitation -----------------------------------------

BIAS_FIGURE = "relu-hidden-bias"
#: "Most" neurons: the project's reading of a majority statement.
MOST_NEURONS = 0.75


def _shares(config: PipelineConfig) -> pd.DataFrame:
    return rows_of(figure_table(config, BIAS_FIGURE), "share")


def _pooled(shares: pd.DataFrame, model: str, many: bool | None = None) -> tuple[int, int]:
    """(linear, counted) mixed-sign used neurons of one model kind, pooled over densities; ``many``
    picks the experiment with more (True) or fewer (False) features."""
    rows = shares[shares["model"] == model]
    if many is not None and len(rows):
        pick = rows["features"].max() if many else rows["features"].min()
        rows = rows[rows["features"] == pick]
    return int(rows["linear_mixed"].sum()), int(rows["used_mixed"].sum())


@claim(
    id="relu-hidden-bias-shifts-neurons-linear",
    figure=BIAS_FIGURE,
    source=LIMITATIONS,
    statement="Given a hidden-layer bias, the ReLU hidden layer model sets its biases positive and its neurons "
    "behave linearly: the ReLU almost never clips a used neuron, even one with weights of both signs.",
    quantity="fraction of used neurons with weights of both signs whose pre-activation is negative on ≤ 1% of "
    "inputs, every restart and density of the biased model (95% Wilson interval)",
    threshold=f"≥ {MOST_NEURONS:g}",
    quote="For example, given a hidden layer bias, the model will set all the biases to be positive, shifting the "
    "neurons into a positive regime where they behave linearly.",
    threshold_source="choice",
    threshold_reason="'all the biases ... behave linearly' read as most neurons (the project's 0.75), linear as "
    "clipped on at most 1% of the inputs",
)
def _bias_linear(config: PipelineConfig) -> ClaimResult:
    shares = _shares(config)
    linear, counted = _pooled(shares, "relu_hidden_bias")
    if counted == 0:
        return insufficient("no used mixed-sign neuron in the biased model")
    value, low, high = proportion(linear, counted)
    positive = shares.loc[shares["model"] == "relu_hidden_bias", "share_positive_bias"].mean()
    return ClaimResult(value, low, high, holds=value >= MOST_NEURONS,
                       detail=f"{linear} of {counted}; hidden biases positive for {positive:.0%} of used neurons "
                       "(mean over densities)")


@claim(
    id="relu-hidden-no-bias-uses-the-relu",
    figure=BIAS_FIGURE,
    source=LIMITATIONS,
    statement="Without a hidden bias and with few features (n=10, m=5) the model cannot avoid its ReLU: fewer of its "
    "mixed-sign neurons are in the linear regime than with a bias.",
    quantity="share of used mixed-sign neurons in the linear regime with a hidden bias minus without (n=10)",
    threshold="> 0",
    quote="The model will only use the ReLU activation function if absolutely forced, which is a significant mark "
    "against studying this toy model.",
    threshold_source="text",
    threshold_reason="'only ... if absolutely forced': the unbiased small model, which is forced, uses it more",
)
def _no_bias_uses_relu(config: PipelineConfig) -> ClaimResult:
    shares = _shares(config)
    with_bias, without = _pooled(shares, "relu_hidden_bias"), _pooled(shares, "relu_hidden", many=False)
    if with_bias[1] == 0 or without[1] == 0:
        return insufficient("no used mixed-sign neurons in one of the models")
    value = with_bias[0] / with_bias[1] - without[0] / without[1]
    return ClaimResult(value, holds=value > 0, detail=f"with bias {with_bias[0]}/{with_bias[1]}, without (n=10) "
                       f"{without[0]}/{without[1]}")


@claim(
    id="relu-hidden-many-features-simulate-bias",
    figure=BIAS_FIGURE,
    source=LIMITATIONS,
    statement="Without a hidden bias but with many features (n=100, m=5), more mixed-sign neurons are in the linear "
    "regime than with few (n=10): the model simulates a bias by averaging over many features.",
    quantity="share of used mixed-sign neurons in the linear regime at n=100 minus at n=10 (no hidden bias)",
    threshold="> 0",
    quote="If one removes the bias, but gives the model enough features, it will simulate a bias by averaging over "
    "many features.",
    threshold_source="text",
    threshold_reason="'enough features ... simulate a bias': more linear-regime neurons with more features",
)
def _many_features(config: PipelineConfig) -> ClaimResult:
    shares = _shares(config)
    many, few = _pooled(shares, "relu_hidden", many=True), _pooled(shares, "relu_hidden", many=False)
    rows = shares[shares["model"] == "relu_hidden"]
    if rows["features"].nunique() < 2 or many[1] == 0 or few[1] == 0:
        return insufficient("needs two unbiased experiments with used mixed-sign neurons")
    value = many[0] / many[1] - few[0] / few[1]
    return ClaimResult(value, holds=value > 0, detail=f"n={int(rows['features'].max())}: {many[0]}/{many[1]}, "
                       f"n={int(rows['features'].min())}: {few[0]}/{few[1]}")
