"""Figure ``absval-100-in-40`` (Computation in Superposition: Superposition vs Sparsity).

The absolute-value model ``h = ReLU(W₁x)``, ``y = ReLU(W₂h + b)`` with n=100 features,
m=40 neurons and I_i = 0.8^i, from dense features to 1−S = 0.001, the lowest-loss restart
per density. One row per density: the stacked plot of the absolute input weights |W1[i,k]|
of every neuron (one rectangle per feature, labelled with its index when large enough),
neurons sorted by the importance of their largest feature (lowest index first), rectangles
coloured by whether the feature is in superposition (stored in a polysemantic neuron) and
neuron backgrounds faintly coloured by how many features the neuron stores (white: one).

The paper's claims: in the dense regime every neuron represents a single feature; once
features are sparse enough the model represents more features than it has neurons (it
computes |x| in superposition); at intermediate sparsity the neurons of the most important
features tend to stay monosemantic; many neurons have one large "primary" feature and
smaller "secondary" ones. Measured per density (right of each row, and in the table):
monosemantic / polysemantic / no-feature neurons, the number of features stored in some neuron
(vs m = 40), and the mean index of the primary features of mono- and polysemantic
neurons. Definitions: :mod:`toy_superposition.neurons` (signed inputs).

Table: one row per (density, neuron, feature): W1[i,k], W2[k,i], whether the neuron stores
the feature, whether the feature is in superposition, the neuron's display position,
primary feature, stored-feature count, effective number of features and kind, and the
per-density summary numbers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch
from matplotlib.figure import Figure

from ..analysis import neurons
from ..config import FigureSpec, PipelineConfig
from .common import captions, density_label, importance_label, load_results
from .common import neurons as neuron_plots
from .registry import figure


def neuron_table(W1: torch.Tensor, W2: torch.Tensor) -> pd.DataFrame:
    """One row per (neuron, feature) of one model, ``W1`` (n, m), ``W2`` (m, n), with the
    neuron-level metrics and the model's summary numbers."""
    W1b, W2b = W1[None], W2[None]
    stored = neurons.stored_features(W1b, W2b, signed=True)
    kind = neurons.neuron_kind(stored)[0].numpy()
    count = neurons.polysemanticity(stored)[0].numpy()
    primary = neurons.primary_feature(W1b, stored, signed=True)[0]
    strength = neurons.neuron_strength(W1b, W2b, signed=True)[0]
    effective = neurons.effective_features(W1b, signed=True)[0].numpy()
    order = neurons.neuron_order(primary, strength)
    position = np.empty(len(order), dtype=np.int64)
    position[order] = np.arange(len(order))
    superposed = neurons.features_in_superposition(stored)[0].numpy()
    n, m = W1.shape
    neuron, feature = np.divmod(np.arange(n * m), n)
    primary_np = primary.numpy()
    mono, poly = kind == neurons.MONOSEMANTIC, kind == neurons.POLYSEMANTIC
    return pd.DataFrame({
        "neuron": neuron,
        "position": position[neuron],
        "feature": feature,
        "w1": W1.numpy()[feature, neuron],
        "w2": W2.numpy()[neuron, feature],
        "stored": stored[0].numpy()[feature, neuron],
        "feature_in_superposition": superposed[feature],
        "primary_feature": primary_np[neuron].astype(np.int64),
        "neuron_features": count[neuron].astype(np.int64),
        "effective_features": effective[neuron],
        "neuron_kind": [neurons.KIND_NAMES[int(k)] for k in kind[neuron]],
        "monosemantic_neurons": int(mono.sum()),
        "polysemantic_neurons": int(poly.sum()),
        "neurons_storing_nothing": int((kind == neurons.NONE).sum()),
        "features_stored": int(stored[0].any(dim=-1).sum()),
        "features_in_superposition": int(superposed.sum()),
        "mean_primary_of_monosemantic": float(primary_np[mono].mean()) if mono.any() else float("nan"),
        "mean_primary_of_polysemantic": float(primary_np[poly].mean()) if poly.any() else float("nan"),
    })


def _number(value: float) -> str:
    return "–" if value != value else f"{value:.1f}"


@figure("absval-100-in-40")
def render(config: PipelineConfig, figure: FigureSpec) -> tuple[Figure, pd.DataFrame, str]:
    name = figure.experiments[0]
    results = load_results(config, name)
    params = neuron_plots.load_weights(config, name)
    spec = results.spec
    tables = []
    for row in results.selected().itertuples():
        t = neuron_table(params["W1"][row.instance], params["W2"][row.instance])
        t.insert(0, "instance", row.instance)
        t.insert(1, "feature_probability", row.feature_probability)
        t["final_loss"] = row.final_loss
        tables.append(t)
    table = pd.concat(tables, ignore_index=True)
    table.insert(0, "experiment", name)

    selected = results.selected()
    rows_n = len(selected)
    m, n = spec.hidden, spec.features
    left, right, row_h, top = 0.75, 2.05, 1.2, 0.4  # top: the legend under the header
    width = left + max(6.0, 0.2 * m) + right
    summaries = [table[table["instance"] == row.instance].iloc[0] for row in selected.itertuples()]
    dense, sparse = summaries[0], summaries[-1]
    # The density with the most even mix of mono- and polysemantic neurons, for the claim that
    # there the neurons of the most important features tend to be the monosemantic ones.
    mixed = max(summaries, key=lambda r: (min(r.monosemantic_neurons, r.polysemantic_neurons), -r.feature_probability))
    heading = (f"Absolute-value model, n={n}, m={m}, {importance_label(spec)}, lowest loss of {spec.restarts} "
               f"restart{'s' if spec.restarts > 1 else ''} per density")
    caption = ("Paper: dense → one feature per neuron; sparse → more features than neurons computed in superposition.\n"
               f"Measured: 1−S={dense.feature_probability:g}: {dense.monosemantic_neurons} mono / "
               f"{dense.polysemantic_neurons} poly neurons, {dense.features_stored} features stored; "
               f"1−S={sparse.feature_probability:g}: {sparse.monosemantic_neurons} mono / "
               f"{sparse.polysemantic_neurons} poly, {sparse.features_stored} features stored (m/2 = {m // 2} without "
               "superposition).\nPaper: at intermediate sparsity the neurons of the most important features tend to "
               f"be monosemantic.\nMeasured at 1−S={mixed.feature_probability:g}: mean primary feature of mono neurons "
               f"{_number(mixed.mean_primary_of_monosemantic)}, of poly neurons "
               f"{_number(mixed.mean_primary_of_polysemantic)} (lower = more important)")
    title = f"{heading}. " + caption.replace("\n", " ")
    header = captions.Header.of(width, heading, caption)
    fig = header.figure(top + rows_n * row_h + 0.45)
    height = fig.get_figheight()
    for r, row in enumerate(selected.itertuples()):
        t = table[table["instance"] == row.instance]
        W = np.abs(t.sort_values(["feature", "neuron"])["w1"].to_numpy().reshape(n, m))
        per_neuron = t.drop_duplicates("neuron").sort_values("neuron")
        order = per_neuron.sort_values("position")["neuron"].tolist()
        superposed = t.drop_duplicates("feature").sort_values("feature")["feature_in_superposition"].to_numpy()
        stored = t.sort_values(["feature", "neuron"])["stored"].to_numpy().reshape(n, m)
        alpha = np.clip((per_neuron["neuron_features"].to_numpy() - 1) / 4.0, 0.0, 1.0) * 0.85
        y = height - header.top - top - (r + 1) * row_h
        ax = fig.add_axes((left / width, (y + 0.22) / height, (width - left - right) / width, (row_h - 0.32) / height))
        neuron_plots.stacked_neuron_bars(ax, W, order, superposed, np.zeros(m, dtype=np.int64), stored=stored,
                                         label_fraction=0.1, background_alpha=alpha)
        ax.set_ylabel(f"{density_label(row.feature_probability)}\n|$W_1$| stacked", fontsize=7)
        ax.tick_params(axis="x", labelsize=5)
        first = t.iloc[0]
        summary = (f"mono {first.monosemantic_neurons} · poly {first.polysemantic_neurons} · "
                   f"none {first.neurons_storing_nothing}\nfeatures stored: {first.features_stored} (m = {m})\n"
                   f"in superposition: {first.features_in_superposition}\n"
                   f"mean primary feature:\n  mono {_number(first.mean_primary_of_monosemantic)}, "
                   f"poly {_number(first.mean_primary_of_polysemantic)}")
        ax.text(1.02, 0.5, summary, transform=ax.transAxes, fontsize=6, va="center", ha="left")
        if r == rows_n - 1:
            ax.set_xlabel("neuron (sorted by the importance of its largest feature)")
    legend_ax = fig.add_axes((left / width, (height - header.top - top + 0.05) / height, 0.5, 0.3 / height))
    legend_ax.axis("off")
    neuron_plots.stacked_legend(legend_ax, polysemantic_background=False, ncol=3, loc="center left", fontsize=6.5)
    legend_ax.text(1.02, 0.5, "neuron background: darker = more features stored", fontsize=6.5, va="center",
                   transform=legend_ax.transAxes)

    return fig, table, title
