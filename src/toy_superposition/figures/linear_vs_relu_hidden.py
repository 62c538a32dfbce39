"""Figure ``linear-vs-relu-hidden`` (Superposition in a Privileged Basis: "A Privileged Basis
Makes W Directly Interpretable").

W of the paper's "linear hidden layer model" — the ReLU output model ``h = Wx``,
``x' = ReLU(WᵀWx + b)``, whose hidden layer is linear (no privileged basis: any rotation
``OW`` is the same model) — beside W of a ReLU hidden layer model ``h = ReLU(Wx)``,
``x' = ReLU(Wᵀh + b)``, both with n=10, m=5, I_i = 0.75^i and trained on the same data, the
lowest-loss restart per density. The paper's claim: with the ReLU on the hidden layer,
features align with neurons (many neurons are dedicated to one feature), so W can be read
directly. (Any model other than relu_hidden is drawn first, whatever the config's order.)

Measured per model, from W alone (:mod:`toy_superposition.neurons`): the *neuron purity*
``max_i W_ik² / Σ_i W_ik²`` of every neuron (1: the neuron is dedicated to one feature;
1/n for one reading all features equally), its mean over the neurons and the number of
*dedicated* neurons (purity ≥ 0.9); and the *basis alignment* ``max_k W_ik² / ‖W_i‖²`` of
every represented feature (‖W_i‖ > 0.5; 1: the feature sits on one neuron, 1/m spread).

Table: one row per (model, density, feature, neuron) with the weight, the feature's norm,
alignment and whether it is represented, the neuron's purity, and the model's means.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from .. import metrics
from ..analysis import neurons
from ..config import FigureSpec, PipelineConfig
from .common import ExperimentResults, captions, density_label, importance_label, load_results, model_label
from .common import neurons as neuron_plots
from .registry import figure

#: Neuron purity from which a neuron counts as dedicated to one feature.
DEDICATED = 0.9


def alignment_table(results: ExperimentResults, instance: int, probability: float) -> pd.DataFrame:
    """One row per (feature, neuron) of one model, with its features' alignment."""
    W = results.W[instance][None]
    n, m = W.shape[1:]
    norm = metrics.feature_norms(W)[0].numpy()
    alignment = neurons.basis_alignment(W)[0].numpy()
    purity = neurons.neuron_purity(W)[0].numpy()
    represented = norm > metrics.REPRESENTED_NORM
    mean = float(alignment[represented].mean()) if represented.any() else float("nan")
    feature, neuron = np.divmod(np.arange(n * m), m)
    return pd.DataFrame({
        "experiment": results.spec.name,
        "model": results.spec.model,
        "instance": instance,
        "feature_probability": probability,
        "feature": feature,
        "neuron": neuron,
        "weight": W[0].numpy().ravel(),
        "feature_norm": norm[feature],
        "represented": represented[feature],
        "basis_alignment": alignment[feature],
        "neuron_purity": purity[neuron],
        "mean_alignment": mean,
        "mean_purity": float(purity.mean()),
        "dedicated_neurons": int((purity >= DEDICATED).sum()),
    })


@figure("linear-vs-relu-hidden")
def render(config: PipelineConfig, figure: FigureSpec) -> tuple[Figure, pd.DataFrame, str]:
    experiments = [load_results(config, name) for name in figure.experiments]
    # The linear hidden layer model first, the ReLU hidden layer model second, whatever the config's order.
    experiments.sort(key=lambda r: r.spec.model == "relu_hidden")
    tables = [alignment_table(r, row.instance, row.feature_probability)
              for r in experiments for row in r.selected().itertuples()]
    table = pd.concat(tables, ignore_index=True)
    probabilities = sorted(table["feature_probability"].unique(), reverse=True)

    columns = len(probabilities)
    cell, left, top_margin = 1.2, 1.0, 0.3  # top_margin: the panel titles under the header
    row_height = 1.9
    width = left + columns * cell + 0.85
    means = {}  # model → the first table row of each of its panels, densest first
    for results in experiments:
        by_probability = {row.feature_probability: row.instance for row in results.selected().itertuples()}
        for probability in probabilities:
            if probability in by_probability:
                rows = table[(table["experiment"] == results.spec.name) & (table["instance"] == by_probability[probability])]
                means.setdefault(results.spec.model, []).append(rows.iloc[0])
    spec = experiments[0].spec
    def summary(results: ExperimentResults) -> str:
        rows = means.get(results.spec.model, [])
        if not rows:
            return f"{model_label(results.spec)} –"
        return (f"{model_label(results.spec)} {rows[0].mean_purity:.2f} → {rows[-1].mean_purity:.2f} "
                f"(dedicated neurons {rows[0].dedicated_neurons} → {rows[-1].dedicated_neurons} "
                f"of {results.spec.hidden})")

    purity = table.drop_duplicates(["experiment", "feature_probability"]).pivot(
        index="feature_probability", columns="model", values="mean_purity")
    other = experiments[0].spec.model
    higher = (f"; ReLU hidden purer than the linear hidden layer model at "
              f"{int((purity['relu_hidden'] > purity[other]).sum())} of {len(purity)} densities"
              ) if {other, "relu_hidden"} <= set(purity.columns) and other != "relu_hidden" else ""
    heading = (f"Linear hidden layer ({model_label(experiments[0].spec)}) vs ReLU hidden layer model, "
               f"n={spec.features}, m={spec.hidden}, {importance_label(spec)}")
    caption = ("Paper: with a ReLU hidden layer features align with neurons, many neurons dedicated to one feature.\n"
               f"Measured mean neuron purity max_i W_ik²/Σ_i W_ik² (1 = one feature, 1/n = {1 / spec.features:.2f} "
               f"= all equally), densest → sparsest: {'; '.join(summary(r) for r in experiments)}{higher}")
    title = f"{heading}. " + caption.replace("\n", " ")
    header = captions.Header.of(width, heading, caption)
    fig = header.figure(top_margin + len(experiments) * row_height + 0.2)
    height = fig.get_figheight()
    vmax = max(float(np.abs(table["weight"]).max()), 1e-9)
    image = None
    for row_index, results in enumerate(experiments):
        spec = results.spec
        y = height - header.top - top_margin - (row_index + 1) * row_height
        by_probability = {row.feature_probability: row.instance for row in results.selected().itertuples()}
        for column, probability in enumerate(probabilities):
            if probability not in by_probability:
                continue
            rows = table[(table["experiment"] == spec.name) & (table["instance"] == by_probability[probability])]
            W = rows.sort_values(["feature", "neuron"])["weight"].to_numpy().reshape(spec.features, spec.hidden)
            Wt = results.W[by_probability[probability]][None]
            stored = neurons.stored_features(Wt, signed=True)  # display order only
            order = neurons.neuron_order(neurons.primary_feature(Wt, stored, signed=True)[0],
                                         neurons.neuron_strength(Wt, None, signed=True)[0])
            ax = fig.add_axes(((left + column * cell + 0.08) / width, (y + 0.45) / height,
                               (cell - 0.2) / width, (row_height - 0.7) / height))
            image = neuron_plots.weight_heatmap(ax, W, order, vmax, feature_labels=column == 0)
            first = rows.iloc[0]
            ax.set_xlabel(f"purity {first.mean_purity:.2f}, dedicated {first.dedicated_neurons}/{spec.hidden}\n"
                          f"feature alignment {first.mean_alignment:.2f}", labelpad=2, fontsize=6)
            if row_index == 0:
                ax.set_title(density_label(probability), pad=3)
        fig.text(0.3 / width, (y + row_height / 2 + 0.1) / height, f"{model_label(spec)}\nW (feature × neuron)",
                 rotation=90, ha="center", va="center", fontsize=8, fontweight="bold")
    cax = fig.add_axes(((left + columns * cell + 0.05) / width, 0.6 / height, 0.08 / width,
                        (height - header.top - top_margin - 0.8) / height))
    fig.colorbar(image, cax=cax).set_label("$W_{ij}$", labelpad=1)

    return fig, table, title
