"""Figure ``relu-hidden-bias`` (Superposition in a Privileged Basis: the limitations of the ReLU
hidden layer model).

Three ReLU hidden layer models trained on the same kind of data (I_i = 0.75^i, seven densities):
n = 10 in m = 5 without a hidden bias (``privileged-10-in-5-relu-hidden``), the same with a
hidden-layer bias ``h = ReLU(W x + c)`` (``relu-hidden-bias-10-in-5``), and n = 100 in m = 5
without a bias ("enough features", ``relu-hidden-100-in-5``). For every neuron of every restart,
on 1024 inputs from its training distribution (:mod:`toy_superposition.analysis.privileged_basis`):
the fraction of inputs whose pre-activation the ReLU clips. Panels: the share of used neurons
with input weights of both signs that are in the linear regime (≤ 1% clipped) against the
density, per model; the clipped fraction of every such neuron; and the hidden biases c_k of the
biased model.

Table: one row per (experiment, instance, neuron) with its density, restart, ``selected``,
weight norm, clipped fraction, ``linear``, ``mixed_sign``, bias and mean pre-activation; rows
``row == "neuron"``; and one ``row == "share"`` per (experiment, density) with the counts.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch
from matplotlib.figure import Figure

from ..analysis.privileged_basis import LINEAR_CLIP, linear_share, neuron_regimes
from ..analysis.statistics import wilson_interval
from ..artifacts import ArtifactError, load_model
from ..config import FigureSpec, PipelineConfig, derive_seed
from ..distributions import FeatureDistribution
from .common import captions, inverse_density_axis, load_results
from .registry import figure

SAMPLES = 1024
CHUNK = 500  # instances per evaluation batch (bounds memory at CHUNK × SAMPLES × n numbers)
HIDDEN_MODELS = ("relu_hidden", "relu_hidden_bias")


def label(spec) -> str:
    bias = "with hidden bias" if spec.model == "relu_hidden_bias" else "no hidden bias"
    return f"n={spec.features}, m={spec.hidden}, {bias}"


def experiment_neurons(config: PipelineConfig, name: str) -> pd.DataFrame:
    """Every neuron of every restart of one ReLU hidden layer experiment, on fresh inputs."""
    results = load_results(config, name)
    spec = results.spec
    if spec.model not in HIDDEN_MODELS:
        raise ArtifactError(f"figure relu-hidden-bias: experiment {name} is {spec.model}, not a ReLU hidden layer model")
    b_hidden = load_model(config, name).get("b_hidden")
    dist = results.distribution
    generator = torch.Generator().manual_seed(derive_seed(spec.seed, "relu-hidden-bias figure"))
    parts = []
    for start in range(0, spec.n_instances, CHUNK):
        chunk = slice(start, min(start + CHUNK, spec.n_instances))
        sample = FeatureDistribution(dist.probability[chunk].double(), dist.importance[chunk].double())
        x = sample.sample(SAMPLES, generator)
        part = neuron_regimes(results.W[chunk], x, None if b_hidden is None else b_hidden[chunk])
        part["instance"] += start
        parts.append(part)
    neurons = pd.concat(parts, ignore_index=True)
    instances = results.instances[["instance", "setting", "restart", "feature_probability", "final_loss", "selected"]]
    neurons = neurons.merge(instances, on="instance")
    neurons.insert(0, "features", spec.features)
    neurons.insert(0, "model", spec.model)
    neurons.insert(0, "experiment", name)
    return neurons


def share_rows(neurons: pd.DataFrame) -> pd.DataFrame:
    """Per (experiment, density): used mixed-sign neurons, how many are linear, the share and its Wilson interval."""
    rows = []
    for (name, density), group in neurons.groupby(["experiment", "feature_probability"], sort=False):
        linear, counted = linear_share(group)
        low, high = wilson_interval(linear, counted)
        used = group[group["used"]]
        rows.append({"row": "share", "experiment": name, "model": group["model"].iloc[0],
                     "features": int(group["features"].iloc[0]), "feature_probability": float(density),
                     "linear_mixed": linear, "used_mixed": counted, "used": int(len(used)),
                     "share_linear": linear / counted if counted else np.nan, "ci_low": low, "ci_high": high,
                     "share_positive_bias": float((used["bias"] > 0).mean()) if len(used) else np.nan})
    return pd.DataFrame(rows)


@figure("relu-hidden-bias")
def render(config: PipelineConfig, figure: FigureSpec) -> tuple[Figure, pd.DataFrame, str]:
    neurons = pd.concat([experiment_neurons(config, name) for name in figure.experiments], ignore_index=True)
    neurons.insert(0, "row", "neuron")
    shares = share_rows(neurons)
    specs = {name: config.experiment(name) for name in figure.experiments}
    totals = {}
    for name in figure.experiments:
        linear, counted = linear_share(neurons[neurons["experiment"] == name])
        totals[name] = (linear, counted)
    summary = "; ".join(f"{label(specs[n])}: {linear}/{counted}" + (f" ({linear / counted:.0%})" if counted else "")
                        for n, (linear, counted) in totals.items())
    biased = neurons[(neurons["model"] == "relu_hidden_bias") & neurons["used"]]
    bias_text = (f"; hidden biases of used neurons positive in {(biased['bias'] > 0).mean():.0%} of {len(biased)}"
                 if len(biased) else "")
    caption = ("Paper: given a hidden bias the model sets the biases positive and its neurons behave linearly; "
               "without one, given enough features, it simulates a bias by averaging over many features.\n"
               f"Measured (every restart, 1024 inputs each): used neurons with weights of both signs in the linear "
               f"regime (≤ {LINEAR_CLIP:.0%} of inputs clipped): {summary}{bias_text}.")
    width, body = 11.0, 3.3
    header = captions.Header.of(width, "The ReLU hidden layer model avoids its ReLU: linear-regime neurons with and without a "
                         "hidden bias, and with many features", caption)
    fig = header.figure(body)
    height = fig.get_figheight()
    bottom, tall = 0.5 / height, 2.5 / height
    ax_share = fig.add_axes((0.06, bottom, 0.26, tall))
    ax_clip = fig.add_axes((0.40, bottom, 0.26, tall))
    ax_bias = fig.add_axes((0.74, bottom, 0.24, tall))
    for k, name in enumerate(figure.experiments):
        colour = f"C{k}"
        rows = shares[shares["experiment"] == name].sort_values("feature_probability")
        inverse = 1.0 / rows["feature_probability"]
        ax_share.errorbar(inverse, rows["share_linear"], yerr=[rows["share_linear"] - rows["ci_low"],
                          rows["ci_high"] - rows["share_linear"]], fmt="o-", color=colour, markersize=3,
                          linewidth=1.0, capsize=2, label=label(specs[name]))
        mine = neurons[(neurons["experiment"] == name) & neurons["used"] & neurons["mixed_sign"]]
        jitter = np.exp(0.06 * (k - 1))
        ax_clip.plot(jitter / mine["feature_probability"], mine["clipped"] + 1e-4, ".", color=colour, markersize=1.5,
                     alpha=0.3, rasterized=True)
    for ax in (ax_share, ax_clip, ax_bias):
        inverse_density_axis(ax)
    ax_share.set_ylim(-0.03, 1.03)
    ax_share.set_ylabel("share in the linear regime")
    ax_share.set_title("Used neurons with mixed-sign weights", fontsize=7.5)
    ax_share.legend(frameon=False, fontsize=6.5, loc="best")
    ax_clip.set_yscale("log")
    ax_clip.axhline(LINEAR_CLIP, color="black", linestyle="--", linewidth=0.8)
    ax_clip.set_ylabel("fraction of inputs clipped by the ReLU (+1e-4)")
    ax_clip.set_title("Every such neuron of every restart", fontsize=7.5)
    if len(biased):
        ax_bias.plot(1.0 / biased["feature_probability"], biased["bias"], ".", color="C1", markersize=2, alpha=0.4,
                     rasterized=True)
    ax_bias.axhline(0.0, color="black", linewidth=0.6)
    ax_bias.set_ylabel("hidden bias c_k (used neurons)")
    ax_bias.set_title("Hidden biases of the biased model", fontsize=7.5)

    table = pd.concat([neurons, shares], ignore_index=True)
    title = f"ReLU hidden layer model: mixed-sign neurons in the linear regime: {summary}"
    return fig, table, title
