"""Figure ``dims-per-feature`` (Geometry: Uniform Superposition).

n=400 equally important features in m=30 dimensions (ReLU output model), one model per
feature density: the "dimensions per feature" D* = m/‖W‖²_F of the selected model against
1/(1−S) on a log axis. The paper finds the curve "sticky" at D* = 1 (one dimension per
feature) and D* = 1/2 (antipodal pairs), marked by horizontal lines.

Table: one row per selected instance with ``inverse_density`` = 1/(1−S), ``d_star`` and
the number of features represented (‖W_i‖ > 0.5).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ..config import FigureSpec, PipelineConfig
from .common import captions, importance_label, inverse_density_axis, load_results
from .common.d_star import STICKY, d_star_table, draw_d_star
from .registry import figure


@figure("dims-per-feature")
def render(config: PipelineConfig, figure: FigureSpec) -> tuple[Figure, pd.DataFrame, str]:
    experiments = [load_results(config, name) for name in figure.experiments]
    table = pd.concat([d_star_table(r) for r in experiments], ignore_index=True)

    spec = experiments[0].spec
    title = f"Dimensions per feature: n={spec.features}, m={spec.hidden}, {importance_label(spec)}"
    header = captions.Header.of(5.0, title)
    fig = header.figure(2.8)
    ax = fig.add_axes(header.rect(fig, (0.13, 0.171, 0.79, 0.8)))
    for value, label in STICKY.items():
        ax.axhline(value, color="0.6", linewidth=0.8, linestyle="--", zorder=0)
        ax.annotate(label, (1.0, value), xycoords=("axes fraction", "data"), xytext=(4, 0),
                    textcoords="offset points", va="center", fontsize=8, color="0.35")
    colour = {"color": "C0"} if len(experiments) == 1 else {}
    draw_d_star(ax, table, label_experiments=len(experiments) > 1, marker="o", markersize=3, linewidth=1.2, **colour)
    inverse_density_axis(ax)
    ax.set_ylabel(r"dimensions per feature  $D^* = m\,/\,\|W\|_F^2$")
    finite = table["d_star"][np.isfinite(table["d_star"])]
    top = max(1.1, float(finite.max()) * 1.05) if len(finite) else 1.1
    ax.set_ylim(0, top)
    if len(experiments) > 1:
        ax.legend(frameon=False)
    return fig, table, title
