"""Figures ``basic-20-in-5`` and ``basic-80-in-20`` (Demonstrating Superposition: Basic Results).

For every experiment of the figure (a linear and a ReLU output model) and every feature
density 1−S, the selected (lowest-loss) model is drawn as two panels:

* WᵀW (features × features, feature 0 = most important at the top) with the bias b as a
  column on its right, on a diverging colour scale fixed to [-1, 1];
* ‖W_i‖ per feature as horizontal bars, coloured by the interference
  Σ_{j≠i}(Ŵ_i·W_j)² (dark blue: orthogonal to all other features; yellow, ≥ 1: other
  features activate W_i as strongly as feature i itself, i.e. superposition).

The linear model learns the top-m features at every density; the ReLU output model does
the same on dense features and represents more and more features in superposition as
they get sparser.

Table (long format, one row per plotted number): ``quantity`` is ``WtW`` (``i``, ``j``),
``bias``, ``norm`` or ``interference`` (``i``; ``j`` is null).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.cm import ScalarMappable
from matplotlib.figure import Figure

from ...config import FigureSpec, PipelineConfig
from . import (
    INTERFERENCE_CMAP,
    INTERFERENCE_NORM,
    WEIGHT_CMAP,
    WEIGHT_NORM,
    ExperimentResults,
    captions,
    density_label,
    importance_label,
    load_results,
    matrix_with_bias,
    model_label,
    norm_bars,
)

#: Figure margins in inches (_TOP: room for the panel titles under the header).
_LEFT, _RIGHT, _TOP, _BOTTOM = 0.85, 0.15, 0.3, 0.1
_SCALES = 0.75  # the colour-scale strip under the panels
_GROUP_GAP = 0.3  # extra space between experiments


def _panel_rows(results: ExperimentResults, instance: int, probability: float) -> pd.DataFrame:
    """The numbers drawn for one model: WᵀW entries, then b, ‖W_i‖ and interference per feature."""
    W = results.W[instance]
    gram = (W @ W.T).numpy()
    n = gram.shape[0]
    features = results.features_of(instance)
    i, j = np.divmod(np.arange(n * n), n)
    blocks = [pd.DataFrame({"quantity": "WtW", "i": i, "j": j, "value": gram.ravel()})]
    for quantity, column in (("bias", "bias"), ("norm", "norm"), ("interference", "interference")):
        blocks.append(pd.DataFrame({"quantity": quantity, "i": features["feature"].to_numpy(), "j": None,
                                    "value": features[column].to_numpy()}))
    table = pd.concat(blocks, ignore_index=True)
    table.insert(0, "experiment", results.spec.name)
    table.insert(1, "model", results.spec.model)
    table.insert(2, "instance", instance)
    table.insert(3, "feature_probability", probability)
    return table


def render(config: PipelineConfig, figure: FigureSpec) -> tuple[Figure, pd.DataFrame, str]:
    experiments = [load_results(config, name) for name in figure.experiments]
    probabilities = sorted({p for r in experiments for p in r.selected()["feature_probability"]}, reverse=True)

    tables = []
    for results in experiments:
        for row in results.selected().itertuples():
            tables.append(_panel_rows(results, row.instance, row.feature_probability))
    table = pd.concat(tables, ignore_index=True)
    table["i"] = table["i"].astype("int64")
    table["j"] = table["j"].astype("Int64")
    table["quantity"] = table["quantity"].astype(str)

    # Sizes (inches) grow a little with n so that an 80 × 80 matrix and 80 bars stay legible.
    n_max = max(r.spec.features for r in experiments)
    cell_width = max(1.3, 0.02 * n_max)
    heat_height = cell_width / 1.09  # heatmap + bias column is ≈ 1.09 times as wide as tall
    bar_height = max(0.85, 0.012 * n_max)
    columns = len(probabilities)
    group_height = heat_height + bar_height
    width = _LEFT + columns * cell_width + _RIGHT
    spec = experiments[0].spec
    title = (f"Linear and ReLU output models by feature density: n={spec.features} features in "
             f"m={spec.hidden} dimensions, {importance_label(spec)}")
    header = captions.Header.of(width, title)
    fig = header.figure(_TOP + len(experiments) * group_height + (len(experiments) - 1) * _GROUP_GAP + _SCALES
                        + _BOTTOM)
    height = fig.get_figheight()

    norms = table.loc[table["quantity"] == "norm", "value"]
    bar_max = max(1.0, float(norms.max())) * 1.05
    top = height - header.top - _TOP
    y = top
    for results in experiments:
        spec = results.spec
        by_probability = {row.feature_probability: row.instance for row in results.selected().itertuples()}
        heat_y, bar_y = y - heat_height, y - group_height
        for column, probability in enumerate(probabilities):
            if probability not in by_probability:
                continue
            x = _LEFT + column * cell_width
            rows = table[(table["experiment"] == spec.name) & (table["feature_probability"] == probability)]
            n = spec.features
            heat_ax = fig.add_axes(_inches(fig, x + 0.06, heat_y + 0.06, cell_width - 0.12, heat_height - 0.1))
            matrix_with_bias(heat_ax, rows.loc[rows["quantity"] == "WtW", "value"].to_numpy().reshape(n, n),
                             rows.loc[rows["quantity"] == "bias", "value"].to_numpy())
            bar_ax = fig.add_axes(_inches(fig, x + 0.08, bar_y + 0.2, cell_width - 0.22, bar_height - 0.26))
            norm_bars(bar_ax, rows.loc[rows["quantity"] == "norm", "value"].to_numpy(),
                      rows.loc[rows["quantity"] == "interference", "value"].to_numpy(), bar_max)
            bar_ax.set_xticks([0, 1])
            bar_ax.tick_params(axis="x", length=2, pad=1)
            if y == top:
                heat_ax.set_title(density_label(probability), pad=3)
            if column == 0:
                heat_ax.set_ylabel("$W^TW$  |  $b$", labelpad=3)
                bar_ax.set_ylabel(r"$\|W_i\|$", labelpad=5)
        fig.text(0.22 / width, (y - group_height / 2) / height, f"{model_label(spec)}\nn={spec.features}, m={spec.hidden}",
                 rotation=90, ha="center", va="center", fontsize=9, fontweight="bold", linespacing=1.4)
        y -= group_height + _GROUP_GAP

    # Colour scales: a horizontal strip under the panels.
    strip = min(2.4, 0.4 * (width - _LEFT))
    centre = _LEFT + columns * cell_width / 2
    scales = (
        (centre - strip - 0.3, ScalarMappable(WEIGHT_NORM, WEIGHT_CMAP), [-1, 0, 1], "neither",
         "$W^TW$ and $b$"),
        (centre + 0.3, ScalarMappable(INTERFERENCE_NORM, INTERFERENCE_CMAP), [0, 0.5, 1], "max",
         r"bar colour: interference $\Sigma_{j\neq i}(\hat{W}_i\cdot W_j)^2$"),
    )
    for x, mappable, ticks, extend, label in scales:
        cax = fig.add_axes(_inches(fig, x, _BOTTOM + 0.32, strip, 0.1))
        bar = fig.colorbar(mappable, cax=cax, orientation="horizontal", ticks=ticks, extend=extend)
        bar.ax.tick_params(length=2, pad=1)
        bar.ax.set_title(label, pad=3)

    return fig, table, title


def _inches(fig: Figure, x: float, y: float, w: float, h: float) -> tuple[float, float, float, float]:
    """An axes rectangle given in inches from the bottom-left corner, as figure fractions."""
    width, height = fig.get_size_inches()
    return (x / width, y / height, w / width, h / height)
