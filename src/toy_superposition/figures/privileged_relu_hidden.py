"""Figure ``privileged-relu-hidden`` (Superposition in a Privileged Basis).

The ReLU hidden layer model ``h = ReLU(Wx)``, ``x' = ReLU(Wᵀh + b)`` with n=10 features,
m=5 neurons and I_i = 0.75^i, trained at several feature densities 1−S with many restarts
each; the lowest-loss restart of every density is drawn as two panels:

* W as a heatmap, features as rows (feature 0, the most important, on top), neurons as
  columns;
* the per-neuron stacked bar plot: every neuron is a stack of its weights (positive up,
  negative down), each rectangle a feature, coloured by whether the feature is in
  superposition (shares a neuron with another feature); the neuron's background says
  whether it is monosemantic (stores one feature) or polysemantic (several).

Neurons are ordered by their primary feature (the paper ordered them by hand). A last
panel counts monosemantic and polysemantic neurons per density. The paper's claim: as
features get sparser, neurons shift from monosemantic to polysemantic, and both kinds
can coexist in one model. What "stores" means is defined in :mod:`toy_superposition.neurons`.

Table: one row per (density, neuron, feature) with the weight ``W[feature, neuron]``,
whether the neuron stores the feature, the neuron's kind, feature count, primary feature
and display position, whether the feature is in superposition, and per density the
counts of monosemantic, polysemantic and no-feature neurons and the selected model's final loss.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ..analysis import neurons
from ..config import FigureSpec, PipelineConfig
from .common import ExperimentResults, captions, density_label, importance_label, load_results
from .common.neurons import NEURON_LABEL_COLOUR, stacked_legend, stacked_neuron_bars, weight_heatmap
from .registry import figure


def neuron_table(results: ExperimentResults, instance: int, probability: float, final_loss: float) -> pd.DataFrame:
    """The plotted numbers of one model: one row per (neuron, feature)."""
    W = results.W[instance][None]  # (1, n, m)
    stored = neurons.stored_features(W, signed=False)
    kind = neurons.neuron_kind(stored)[0].numpy()
    count = neurons.polysemanticity(stored)[0].numpy()
    primary = neurons.primary_feature(W, stored)[0]
    strength = neurons.neuron_strength(W, None, signed=False)[0]
    order = neurons.neuron_order(primary, strength)
    position = np.empty(len(order), dtype=np.int64)
    position[order] = np.arange(len(order))
    superposed = neurons.features_in_superposition(stored)[0].numpy()
    n, m = W.shape[1:]
    feature, neuron = np.divmod(np.arange(n * m), m)
    return pd.DataFrame({
        "experiment": results.spec.name,
        "instance": instance,
        "feature_probability": probability,
        "neuron": neuron,
        "position": position[neuron],
        "feature": feature,
        "weight": W[0].numpy().ravel(),
        "stored": stored[0].numpy().ravel(),
        "feature_in_superposition": superposed[feature],
        "neuron_kind": [neurons.KIND_NAMES[int(k)] for k in kind[neuron]],
        "neuron_features": count[neuron].astype(np.int64),
        "primary_feature": primary.numpy()[neuron].astype(np.int64),
        "monosemantic_neurons": int((kind == neurons.MONOSEMANTIC).sum()),
        "polysemantic_neurons": int((kind == neurons.POLYSEMANTIC).sum()),
        "neurons_storing_nothing": int((kind == neurons.NONE).sum()),
        "final_loss": final_loss,
    })


@figure("privileged-relu-hidden")
def render(config: PipelineConfig, figure: FigureSpec) -> tuple[Figure, pd.DataFrame, str]:
    results = load_results(config, figure.experiments[0])
    spec = results.spec
    selected = results.selected()
    table = pd.concat([neuron_table(results, row.instance, row.feature_probability, row.final_loss)
                       for row in selected.itertuples()], ignore_index=True)
    counts = table.groupby("feature_probability", sort=False)[
        ["monosemantic_neurons", "polysemantic_neurons", "neurons_storing_nothing"]].first()

    columns = len(selected)
    cell, left, summary = 1.25, 0.55, 2.6
    width = left + columns * cell + summary + 0.3
    densities = counts.index.to_numpy()
    first, last = counts.iloc[0], counts.iloc[-1]
    restarts = spec.restarts
    heading = (f"ReLU hidden layer model, n={spec.features}, m={spec.hidden}, {importance_label(spec)}, "
               f"lowest loss of {restarts} restart{'s' if restarts > 1 else ''} per density")
    caption = ("Paper: neurons shift from monosemantic to polysemantic as sparsity increases.\n"
               f"Measured (mono/poly neurons): {int(first.monosemantic_neurons)}/{int(first.polysemantic_neurons)} "
               f"at 1−S={densities[0]:.3g} → {int(last.monosemantic_neurons)}/{int(last.polysemantic_neurons)} "
               f"at 1−S={densities[-1]:.3g}")
    title = f"{heading}. " + caption.replace("\n", " ")
    fig = captions.Header.of(width, heading, caption).figure(4.25)
    height = fig.get_figheight()
    vmax = max(float(np.abs(table["weight"]).max()), 1e-9)
    bar_top = max(float(table.groupby(["instance", "neuron"])["weight"].apply(lambda w: w.clip(lower=0).sum()).max()),
                  1e-9)
    bar_bottom = float(table.groupby(["instance", "neuron"])["weight"].apply(lambda w: w.clip(upper=0).sum()).min())
    image = None
    for column, row in enumerate(selected.itertuples()):
        rows = table[table["instance"] == row.instance]
        W = rows.sort_values(["feature", "neuron"])["weight"].to_numpy().reshape(spec.features, spec.hidden)
        per_neuron = rows.drop_duplicates("neuron").sort_values("neuron")
        order = per_neuron.sort_values("position")["neuron"].tolist()
        x = (left + column * cell) / width
        heat = fig.add_axes((x + 0.1 / width, 2.55 / height, (cell - 0.25) / width, 1.45 / height))
        image = weight_heatmap(heat, W, order, vmax, feature_labels=column == 0)
        heat.set_title(density_label(row.feature_probability), pad=3)
        if column == 0:
            heat.set_ylabel("feature")
        bars = fig.add_axes((x + 0.1 / width, 0.75 / height, (cell - 0.25) / width, 1.45 / height))
        superposed = rows.drop_duplicates("feature").sort_values("feature")["feature_in_superposition"].to_numpy()
        kinds = np.array([{v: k for k, v in neurons.KIND_NAMES.items()}[name]
                          for name in per_neuron["neuron_kind"]])
        stored = rows.sort_values(["feature", "neuron"])["stored"].to_numpy().reshape(spec.features, spec.hidden)
        stacked_neuron_bars(bars, W, order, superposed, kinds, stored=stored)
        bars.set_ylim(min(bar_bottom * 1.05, 0), bar_top * 1.05)
        for position, k in enumerate(order):
            short = {"monosemantic": "M", "polysemantic": "P", "none": "–"}[per_neuron["neuron_kind"].iloc[k]]
            bars.text(position, -0.02, short, transform=bars.get_xaxis_transform(), ha="center", va="top",
                      fontsize=6, fontweight="bold", color=NEURON_LABEL_COLOUR[int(kinds[k])])
        bars.tick_params(axis="x", pad=9)
        if column == 0:
            bars.set_ylabel("weights per neuron (stacked)")
        else:
            bars.set_yticklabels([])
        bars.set_xlabel("neuron", labelpad=1)
    colourbar_ax = fig.add_axes(((left + columns * cell) / width, 2.6 / height, 0.08 / width, 1.3 / height))
    fig.colorbar(image, cax=colourbar_ax).set_label("$W_{ij}$", labelpad=1)

    ax = fig.add_axes(((left + columns * cell + 1.05) / width, 2.55 / height, (summary - 0.9) / width, 1.45 / height))
    ax.plot(1 / densities, counts["monosemantic_neurons"], "o-", color=NEURON_LABEL_COLOUR[neurons.MONOSEMANTIC],
            markersize=3, label="monosemantic")
    ax.plot(1 / densities, counts["polysemantic_neurons"], "s-", color=NEURON_LABEL_COLOUR[neurons.POLYSEMANTIC],
            markersize=3, label="polysemantic")
    ax.set_xscale("log")
    ax.set_xlabel("1/(1−S)")
    ax.set_ylabel("neurons")
    ax.set_ylim(-0.3, spec.hidden + 0.3)
    ax.legend(frameon=False, fontsize=6)
    legend_ax = fig.add_axes(((left + columns * cell + 0.3) / width, 0.6 / height, (summary - 0.3) / width,
                              1.5 / height))
    legend_ax.axis("off")
    stacked_legend(legend_ax, loc="center left", fontsize=6.5)
    legend_ax.text(0.0, -0.05, "M / P under a bar: mono- / polysemantic neuron\n(stores one / several features)",
                   fontsize=6, transform=legend_ax.transAxes, va="top")
    return fig, table, title
