"""Figure ``absval-3-in-6`` (Computation in Superposition: Basic Results).

The absolute-value model ``h = ReLU(W₁x)``, ``y = ReLU(W₂h + b)`` trained on signed sparse
inputs x ∈ [−1, 1] with target |x|, n=3 features and m=6 hidden neurons (I = 1), the
lowest-loss restart per density. Every hidden unit is rescaled so that its largest
input weight has magnitude 1 (``W1[:, k] / s_k``, ``W2[k, :] · s_k``: the same model), as
in the paper. For each density: W₁ (feature × neuron) and W₂ᵀ (output × neuron), with the
values written in the cells; neurons are labelled by the role the weights give them.

The paper's claim: for every feature x_i the model builds a "positive side" neuron
ReLU(x_i) and a "negative side" neuron ReLU(−x_i) and adds them, |x| = ReLU(x) + ReLU(−x).
Measured: how many features have such a pair (:mod:`toy_superposition.absolute_value`) and
the gain |W1[i,k]·W2[k,i]| of their side neurons (1 for an exact |x_i| with b_i = 0).

Table: one row per (density, feature, neuron) with raw and rescaled W1[i,k] and W2[k,i],
the gain, the neuron's role (side feature and sign), whether the feature has a pair,
the bias b_i and the final loss.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch
from matplotlib.figure import Figure

from ..analysis import computation
from ..config import FigureSpec, PipelineConfig
from .common import captions, density_label, importance_label, load_results
from .common import neurons as neuron_plots
from .registry import figure


def model_table(W1: np.ndarray, W2: np.ndarray, b: np.ndarray) -> pd.DataFrame:
    """One row per (feature, neuron) of one model: ``W1`` (n, m), ``W2`` (m, n), ``b`` (n,) tensors."""

    W1t, W2t = torch.as_tensor(W1)[None], torch.as_tensor(W2)[None]
    scaled1, scaled2 = computation.rescale_hidden_units(W1t, W2t)
    side_feature, side = computation.side_neurons(W1t, W2t)
    pair = computation.has_pair(W1t, W2t)[0].numpy()
    gain = computation.gains(W1t, W2t)[0].numpy()
    n, m = W1.shape
    feature, neuron = np.divmod(np.arange(n * m), m)
    return pd.DataFrame({
        "feature": feature,
        "neuron": neuron,
        "w1": W1t[0].numpy().ravel(),
        "w2": W2t[0].numpy().T.ravel(),
        "w1_rescaled": scaled1[0].numpy().ravel(),
        "w2_rescaled": scaled2[0].numpy().T.ravel(),
        "gain": gain.ravel(),
        "neuron_side_feature": side_feature[0].numpy()[neuron],
        "neuron_side": side[0].numpy()[neuron],
        "feature_has_pair": pair[feature],
        "bias": np.asarray(b)[feature],
    })


def _order(rows: pd.DataFrame) -> list[int]:
    """Side neurons first, by feature then positive before negative; the others after."""
    per = rows.drop_duplicates("neuron").sort_values("neuron")
    key = {int(r.neuron): ((r.neuron_side_feature, -r.neuron_side) if r.neuron_side_feature >= 0 else (10**6, 0))
           for r in per.itertuples()}
    return sorted(key, key=lambda k: (*key[k], k))


def _role(feature: int, side: int) -> str:
    if feature < 0:
        return "mixed"
    return f"ReLU({'' if side > 0 else '−'}x{feature})"


@figure("absval-3-in-6")
def render(config: PipelineConfig, figure: FigureSpec) -> tuple[Figure, pd.DataFrame, str]:

    name = figure.experiments[0]
    results = load_results(config, name)
    params = neuron_plots.load_weights(config, name)
    spec = results.spec
    tables = []
    for row in results.selected().itertuples():
        i = row.instance
        t = model_table(params["W1"][i].numpy(), params["W2"][i].numpy(), params["b"][i].numpy())
        t.insert(0, "instance", i)
        t.insert(1, "feature_probability", row.feature_probability)
        t["final_loss"] = row.final_loss
        tables.append(t)
    table = pd.concat(tables, ignore_index=True)
    table.insert(0, "experiment", name)

    probabilities = sorted(table["feature_probability"].unique(), reverse=True)
    n, m = spec.features, spec.hidden
    cell_w, cell_h, left = 0.42, 0.34, 0.75
    panel_w = m * cell_w
    width = left + len(probabilities) * (panel_w + 0.45) + 0.5
    pair_counts = {p: int(table[table["feature_probability"] == p].drop_duplicates("feature")["feature_has_pair"].sum())
                   for p in probabilities}
    sides = table[(table["neuron_side_feature"] == table["feature"]) & (table["neuron_side"] != 0)]
    gain = f"{sides['gain'].min():.2f}–{sides['gain'].max():.2f}" if len(sides) else "n/a"
    counts = ", ".join(f"{pair_counts[p]}/{n} at 1−S={p:g}" for p in probabilities)
    heading = f"Absolute-value model, n={n}, m={m}, {importance_label(spec)}, each hidden unit rescaled to max |W1| = 1"
    caption = ("Paper: each feature gets a ReLU(x) and a ReLU(−x) neuron, summed to |x|.\n"
               f"Measured ReLU(x)/ReLU(−x) pairs: {counts}; side-neuron gains |W1·W2| {gain}")
    title = f"{heading}. " + caption.replace("\n", " ")
    header = captions.Header.of(width, heading, caption)
    fig = header.figure(0.3 + 2 * (n * cell_h + 0.75))
    height = fig.get_figheight()
    top = height - header.top - 0.3  # room for the panel titles
    w2_max = max(float(np.abs(table["w2_rescaled"]).max()), 1.0)
    images = {}
    for column, probability in enumerate(probabilities):
        rows = table[table["feature_probability"] == probability]
        order = _order(rows)
        per_neuron = rows.drop_duplicates("neuron").set_index("neuron")
        x = left + column * (panel_w + 0.45)
        for panel, (column_name, label, vmax) in enumerate(
            (("w1_rescaled", "$W_1$ (input feature × neuron)", 1.0),
             ("w2_rescaled", "$W_2^T$ (output × neuron)", w2_max))
        ):
            y = top - panel * (n * cell_h + 0.75) - n * cell_h
            ax = fig.add_axes((x / width, y / height, panel_w / width, n * cell_h / height))
            M = rows.sort_values(["feature", "neuron"])[column_name].to_numpy().reshape(n, m)
            images[panel] = neuron_plots.weight_heatmap(ax, M, order, vmax, neuron_labels=False)
            for position, k in enumerate(order):
                for i in range(n):
                    value = M[i, k]
                    shown = f"{value:.2f}" if abs(value) >= 0.005 else "0.00"  # no "−0.00"
                    ax.text(position, i, shown.replace("-", "−"), ha="center", va="center", fontsize=5.5,
                            color="white" if abs(value) > 0.6 * vmax else "black")
            ax.set_xticks(range(m))
            roles = [_role(int(per_neuron.loc[k, "neuron_side_feature"]), int(per_neuron.loc[k, "neuron_side"]))
                     for k in order]
            ax.set_xticklabels(roles, rotation=45, ha="right", fontsize=5.5)
            ax.set_yticklabels([f"x{i}" if panel == 0 else f"y{i}" for i in range(n)])
            if column == 0:
                ax.set_ylabel(label, fontsize=7)
            if panel == 0:
                ax.set_title(f"{density_label(probability)}: {pair_counts[probability]}/{n} pairs", pad=3)
    for panel, vmax in ((0, 1.0), (1, w2_max)):
        y = top - panel * (n * cell_h + 0.75) - n * cell_h
        cax = fig.add_axes(((width - 0.4) / width, y / height, 0.07 / width, n * cell_h / height))
        bar = fig.colorbar(images[panel], cax=cax, ticks=[-vmax, 0, vmax], format="%.2g")
        bar.ax.tick_params(labelsize=5.5, length=2)

    return fig, table, title
