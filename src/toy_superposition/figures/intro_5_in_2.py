"""Figure ``intro-5-in-2`` (Introduction / Demonstrating Superposition).

Five features of importance I_i = 0.9^i embedded in two hidden dimensions, one ReLU
output model per feature density 1−S: each panel draws the five columns W_i of the
selected (lowest-loss) model as lines from the origin, coloured by importance. Dense
features: the two most important get orthogonal directions, the rest are dropped; as the
features get sparser more of them share the plane (antipodal pairs, then a pentagon).

Table: one row per (instance, feature) with the plotted coordinates ``w_x``, ``w_y``.
"""

from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.colors import Normalize
from matplotlib.figure import Figure

from ..artifacts import ArtifactError
from ..config import FigureSpec, PipelineConfig
from .common import IMPORTANCE_CMAP, captions, density_label, importance_label, load_results, model_label
from .registry import figure


@figure("intro-5-in-2")
def render(config: PipelineConfig, figure: FigureSpec) -> tuple[Figure, pd.DataFrame, str]:
    (name,) = figure.experiments
    results = load_results(config, name)
    spec = results.spec
    if spec.hidden != 2:
        raise ArtifactError(f"figure {figure.name}: draws 2-D embeddings, but experiment {name} has hidden={spec.hidden}")
    selected = results.selected()

    rows = []
    for row in selected.itertuples():
        features = results.features_of(row.instance)
        W = results.W[row.instance].numpy()
        rows.append(pd.DataFrame({
            "experiment": name,
            "instance": row.instance,
            "feature_probability": row.feature_probability,
            "feature": features["feature"].to_numpy(),
            "importance": features["importance"].to_numpy(),
            "w_x": W[:, 0],
            "w_y": W[:, 1],
            "norm": features["norm"].to_numpy(),
        }))
    table = pd.concat(rows, ignore_index=True)

    panels = len(selected)
    columns = min(panels, 10)
    lines = -(-panels // columns)
    title = (f"{spec.features} features in {spec.hidden} dimensions ({importance_label(spec)}), "
             f"{model_label(spec)} model, by feature density 1−S")
    header = captions.Header.of(1.25 * columns + 0.9, title)
    fig = header.figure(1.3 * lines + 0.15)
    grid = fig.add_gridspec(lines, columns + 1, width_ratios=[1] * columns + [0.08],
                            left=0.02, right=0.95, top=1 - (header.top + 0.15) / fig.get_figheight(), bottom=0.04,
                            wspace=0.12, hspace=0.35)
    importance = table["importance"]
    norm = Normalize(vmin=float(importance.min()), vmax=float(importance.max()))
    if norm.vmin == norm.vmax:
        norm = Normalize(vmin=norm.vmin - 0.5, vmax=norm.vmax + 0.5)
    cmap = matplotlib.colormaps[IMPORTANCE_CMAP]
    limit = max(1.2, float(np.hypot(table["w_x"], table["w_y"]).max()) * 1.1)
    circle = np.linspace(0, 2 * np.pi, 129)

    for k, row in enumerate(selected.itertuples()):
        ax = fig.add_subplot(grid[k // columns, k % columns])
        panel = table[table["instance"] == row.instance]
        ax.plot(np.cos(circle), np.sin(circle), color="0.85", linewidth=0.6, zorder=0)
        # Least important first, so the important features are drawn on top.
        for feature in panel.sort_values("importance").itertuples():
            colour = cmap(norm(feature.importance))
            ax.plot([0, feature.w_x], [0, feature.w_y], color=colour, linewidth=1.4, solid_capstyle="round")
            ax.plot([feature.w_x], [feature.w_y], "o", color=colour, markersize=3)
        ax.set_xlim(-limit, limit)
        ax.set_ylim(-limit, limit)
        ax.set_aspect("equal")
        ax.set_xticks([])
        ax.set_yticks([])
        for side in ax.spines.values():
            side.set_visible(False)
        ax.set_title(density_label(row.feature_probability), pad=2)

    colourbar_ax = fig.add_subplot(grid[:, columns].subgridspec(3, 1, height_ratios=[0.12, 1, 0.05])[1])
    colourbar = fig.colorbar(matplotlib.cm.ScalarMappable(norm=norm, cmap=cmap), cax=colourbar_ax)
    colourbar.set_label("importance $I_i$", labelpad=2)
    return fig, table, title
