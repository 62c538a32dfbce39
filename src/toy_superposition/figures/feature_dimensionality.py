"""Figure ``feature-dimensionality`` (Geometry: Feature Dimensionality).

The models of ``dims-per-feature`` broken down per feature: every feature's dimensionality
D_i = ‖W_i‖² / Σ_j (Ŵ_i·W_j)² (from the metrics stage) against 1/(1−S), one faint point
per feature of each selected model, with the D* = m/‖W‖²_F curve overlaid. The points
cluster at the fractions of uniform polytopes, marked by labelled lines: 1 (dedicated
dimension), 3/4 (tetrahedron), 2/3 (triangle), 1/2 (antipodal pair), 2/5 (pentagon),
3/8 (square antiprism); 0 is a feature not learned.

Table: one row per (instance, feature) with ``inverse_density``, ``dimensionality``,
``norm`` and the instance's ``d_star``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ..config import FigureSpec, PipelineConfig
from .common import captions, importance_label, inverse_density_axis, load_results
from .common.d_star import d_star_table, draw_d_star
from .registry import figure

#: Sticky fractions: value → (label, geometry, vertical alignment of the label).
#: 2/5 and 3/8 are close, so their labels sit above and below their lines.
FRACTIONS = {
    1.0: ("1", "dedicated dimension", "center"),
    3 / 4: ("3/4", "tetrahedron", "center"),
    2 / 3: ("2/3", "triangle", "center"),
    1 / 2: ("1/2", "antipodal pair", "center"),
    2 / 5: ("2/5", "pentagon", "bottom"),
    3 / 8: ("3/8", "square antiprism", "top"),
}


@figure("feature-dimensionality")
def render(config: PipelineConfig, figure: FigureSpec) -> tuple[Figure, pd.DataFrame, str]:
    experiments = [load_results(config, name) for name in figure.experiments]
    curves = pd.concat([d_star_table(r) for r in experiments], ignore_index=True)

    tables = []
    for results in experiments:
        selected = results.selected()
        features = results.features[results.features["instance"].isin(selected["instance"])]
        features = features.merge(curves[curves["experiment"] == results.spec.name][["instance", "d_star"]],
                                  on="instance", how="left")
        tables.append(pd.DataFrame({
            "experiment": results.spec.name,
            "instance": features["instance"].to_numpy(),
            "feature": features["feature"].to_numpy(),
            "feature_probability": features["feature_probability"].to_numpy(),
            "inverse_density": 1.0 / features["feature_probability"].to_numpy(),
            "dimensionality": features["dimensionality"].to_numpy(),
            "norm": features["norm"].to_numpy(),
            "d_star": features["d_star"].to_numpy(),
        }))
    table = pd.concat(tables, ignore_index=True).sort_values(["experiment", "inverse_density", "feature"],
                                                               kind="stable", ignore_index=True)

    spec = experiments[0].spec
    title = f"Feature dimensionality: n={spec.features}, m={spec.hidden}, {importance_label(spec)}"
    header = captions.Header.of(6.4, title)
    fig = header.figure(3.75)
    ax = fig.add_axes(header.rect(fig, (0.1, 0.134, 0.62, 0.851)))
    for value, (label, geometry, align) in FRACTIONS.items():
        ax.axhline(value, color="0.75", linewidth=0.7, linestyle="--", zorder=0)
        ax.annotate(f"{label}  {geometry}", (1.0, value), xycoords=("axes fraction", "data"), xytext=(4, 0),
                    textcoords="offset points", va=align, fontsize=7, color="0.3")
    ax.scatter(table["inverse_density"], table["dimensionality"], s=6, alpha=0.15, color="C0",
               linewidths=0, label="$D_i$ of each feature", rasterized=False)
    multiple = len(experiments) > 1
    draw_d_star(ax, curves, label_experiments=multiple, linewidth=1.4, **({} if multiple else {"color": "k"}))
    inverse_density_axis(ax)
    ax.set_ylabel("feature dimensionality  $D_i$")
    finite = table["dimensionality"][np.isfinite(table["dimensionality"])]
    ax.set_ylim(-0.02, max(1.1, float(finite.max()) * 1.03) if len(finite) else 1.1)
    legend = ax.legend(loc="lower left", bbox_to_anchor=(1.01, 0.0), frameon=False, markerscale=2)
    for handle in legend.legend_handles:
        handle.set_alpha(1.0)
    return fig, table, title
