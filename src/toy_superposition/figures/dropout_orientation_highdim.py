"""Figure ``dropout-orientation-highdim`` (Superposition and Dropout: higher dimensions).

ReLU output models with m ≥ 3 hidden dimensions, equally important sparse features, dropout
rates from 0 to 0.9. With equal importances a uniform orientation puts ``u = W_k/‖W_k‖``
(largest-norm feature) uniformly on the sphere S^{m−1}; the post looks at a slice, two
coordinates of u.

* top rows: ``(u_0, u_1)`` of every model, one panel per dropout rate (the unit circle in
  grey). Axis alignment shows as clusters at (±1, 0), (0, ±1) — u on e_0 or e_1 — and at the
  origin — u on one of the other axes;
* right: the mean of the m-dimensional alignment ``a_m(u) = ((m+2)Σu_j⁴ − 3)/(m − 1)``
  (1 on the axes, −2/m on the diagonals, 0 for a uniform direction; cos 4θ when m = 2) per
  rate with 95% bootstrap intervals, and the transition rate r*.

Table columns: as ``dropout-orientation-2d`` (:mod:`.dropout_orientation`), with
``alignment`` = a_m(u) and ``u_0``, ``u_1`` the first two of the m coordinates of u, and only
the row kinds ``model`` (no ``theta``, ``folded``), ``rate`` (``dropout``, ``models``,
``mean``, ``ci_low``, ``ci_high``, ``regime``, ``z``, ``p_uniform``: the exact-variance
z-test is the uniformity test in m dimensions), ``transition`` and ``claim`` (the first four
claims of the 2-D figure).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ..artifacts import ArtifactError
from ..config import FigureSpec, PipelineConfig
from .common import captions, importance_label, load_results
from .common.dropout import (
    RATE_CMAP,
    RATE_NORM,
    alignment_axes,
    analyse,
    draw_alignment,
    tidy,
)
from .registry import figure

#: The kinds of this figure's claim rows → the registered claims that read them.
CLAIM_IDS = {"high": "dropout-highdim-high-aligns-axes"}


@figure("dropout-orientation-highdim")
def render(config: PipelineConfig, figure: FigureSpec) -> tuple[Figure, pd.DataFrame, str]:
    (name,) = figure.experiments
    results = load_results(config, name)
    spec = results.spec
    m = spec.hidden
    if m < 3 or spec.model != "relu_output_dropout":
        raise ArtifactError(f"figure {figure.name}: needs relu_output_dropout models with hidden ≥ 3, "
                            f"experiment {name} is {spec.model} with hidden={m}")
    analysis = analyse(results, seed=0)
    models, rates, transition = analysis["models"], analysis["rates"], analysis["transition"]
    claims = analysis["claims"].copy()
    claims.insert(0, "row", "claim")
    claims.insert(1, "experiment", name)
    claims.insert(2, "claim_id", claims["kind"].map(CLAIM_IDS).fillna(""))
    transition_row = pd.DataFrame([{"row": "transition", "experiment": name, "mean": transition.estimate,
                                    "ci_low": transition.low, "ci_high": transition.high,
                                    "defined": analysis["defined"]}])
    table = tidy(pd.concat([models, rates, transition_row, claims], ignore_index=True))

    rate_values = sorted(models["dropout"].unique())
    columns = min(5, len(rate_values))
    lines = -(-len(rate_values) // columns)
    cell = 1.55
    stats_width = 3.6
    width = 0.3 + columns * cell + 0.7 + stats_width + 0.6
    per_rate = int(models.groupby("dropout").size().min())
    density = models["feature_probability"].iloc[0]
    heading = (f"Dropout and the orientation of the basis in m={m} dimensions: ReLU output model, n={spec.features}, "
               f"{importance_label(spec)}, 1−S={density:g},\n{per_rate} models per rate; panels: two coordinates of u, "
               f"$(u_0, u_1)$, per dropout rate r")
    header = captions.Header.of(width, heading, claims=captions.claim_lines(claims), heading="Post's claims, measured:")
    grid_height = lines * (cell + 0.25)
    fig = header.figure(0.1 + max(grid_height, 3.2) + 0.5)
    height = fig.get_figheight()
    top = height - header.top - 0.1
    circle = np.linspace(0, 2 * math.pi, 129)
    for k, rate in enumerate(rate_values):
        row, column = divmod(k, columns)
        x, y = 0.3 + column * cell, top - (row + 1) * (cell + 0.25) + 0.05
        ax = fig.add_axes((x / width, y / height, (cell - 0.12) / width, (cell - 0.12) / height))
        group = models[models["dropout"] == rate]
        ax.plot(np.cos(circle), np.sin(circle), color="0.85", linewidth=0.6, zorder=0)
        ax.axhline(0, color="0.9", linewidth=0.5, zorder=0)
        ax.axvline(0, color="0.9", linewidth=0.5, zorder=0)
        ax.scatter(group["u_0"], group["u_1"], s=1.5, color=RATE_CMAP(RATE_NORM(rate)), linewidths=0)
        ax.set_xlim(-1.1, 1.1)
        ax.set_ylim(-1.1, 1.1)
        ax.set_aspect("equal")
        ax.set_xticks([])
        ax.set_yticks([])
        for side in ax.spines.values():
            side.set_visible(False)
        summary = rates[rates["dropout"] == rate].iloc[0]
        ax.set_title(f"r = {rate:g}   ā = {summary['mean']:+.2f}", pad=2, fontsize=7.5)
        if k == 0:
            ax.set_xlabel("$u_0$", labelpad=1)
            ax.set_ylabel("$u_1$", labelpad=1)

    sx = 0.3 + columns * cell + 0.7
    stats_height = max(grid_height, 3.2) - 0.45
    ax = fig.add_axes((sx / width, (top - stats_height - 0.1) / height, stats_width / width, stats_height / height))
    draw_alignment(ax, rates, transition, m=m)
    alignment_axes(ax, m, f"mean $a_{{{m}}}(u)$  (95% bootstrap CI)")
    ax.set_title(f"axis alignment in {m} dimensions", pad=3)

    title = heading.replace("\n", " ") + ". " + "; ".join(f"{row.claim}: {row.holds} ({row.measured})" for row in claims.itertuples())
    return fig, table, title
