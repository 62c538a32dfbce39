"""Figure ``dropout-weights`` (Superposition and Dropout: axis alignment in W itself).

The weights W (features × hidden dimensions) of ReLU output models with dropout, at a fixed
feature density and increasing dropout rate. For each rate the lowest-loss model is drawn as
a heatmap, its features (rows) ordered by their largest hidden coordinate and then by norm,
so a feature on an axis is a single strong cell in its row and an axis-aligned model is a
block "staircase". Below, the alignment of the whole embedding per rate: the mean over the
represented features (‖W_i‖ > 0.5) of ``a_m(Ŵ_i)`` (1 on an axis, 0 for uniform directions,
−2/m on a diagonal), averaged over every model of the rate, with a 95% bootstrap interval.

The post: "the axis alignment only seems to happen for high dropout rates of over ~50%".

Table columns (every row: ``row``, ``experiment``; null where a kind has no such column):

* ``weight`` — one per entry of each drawn model: ``instance``, ``dropout``, ``i`` (feature),
  ``j`` (hidden coordinate), ``value`` (W_ij), ``order`` (the row it is drawn in);
* ``model`` — every model: ``instance``, ``restart``, ``dropout``, ``feature_alignment``
  (mean a_m(Ŵ_i) over its represented features), ``represented``, ``final_loss``;
* ``rate`` — per rate: ``dropout``, ``models``, ``mean`` / ``ci_low`` / ``ci_high`` (mean
  feature alignment, 95% bootstrap interval), ``regime`` (as in :mod:`.dropout_orientation`);
* ``transition`` — ``mean`` / ``ci_low`` / ``ci_high`` (onset rate r* of the feature
  alignment), ``defined``;
* ``claim`` — ``claim`` ("axis alignment of W only above about 50% dropout"), ``measured``,
  ``holds``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.colors import Normalize
from matplotlib.figure import Figure

from ..analysis import dropout_orientation as orientation
from ..artifacts import ArtifactError
from ..config import FigureSpec, PipelineConfig
from .common import WEIGHT_CMAP, captions, importance_label, load_results
from .common.dropout import alignment_axes, draw_alignment, orientation_table, tidy
from .registry import figure


def row_order(W: np.ndarray) -> np.ndarray:
    """Features ordered by their dominant hidden coordinate, then by decreasing norm: (n,) indices."""
    dominant = np.abs(W).argmax(axis=1)
    norms = np.linalg.norm(W, axis=1)
    return np.lexsort((-norms, dominant))


@figure("dropout-weights")
def render(config: PipelineConfig, figure: FigureSpec) -> tuple[Figure, pd.DataFrame, str]:
    (name,) = figure.experiments
    results = load_results(config, name)
    spec = results.spec
    if spec.model != "relu_output_dropout" or spec.hidden < 2:
        raise ArtifactError(f"figure {figure.name}: needs relu_output_dropout models, experiment {name} is {spec.model}")
    models = orientation_table(results)
    summary = orientation.alignment_by_rate(models["dropout"].to_numpy(), models["feature_alignment"].to_numpy(), spec.hidden)
    # The z-test assumes one direction per model; the mean over a model's features is not that.
    summary = summary.drop(columns=["z", "p_uniform"])
    summary.insert(0, "row", "rate")
    summary.insert(1, "experiment", name)
    transition, defined = orientation.transition_interval(models["dropout"].to_numpy(), models["feature_alignment"].to_numpy())
    claim = {"claim_id": "dropout-weights-align-only-above-half",
             **orientation.threshold_claim(summary, "axis alignment of W only above about 50% dropout")}
    claims = pd.DataFrame([claim])
    claims.insert(0, "row", "claim")
    claims.insert(1, "experiment", name)

    selected = results.selected().sort_values("dropout").reset_index(drop=True)
    weight_rows = []
    for row in selected.itertuples():
        W = results.W[row.instance].numpy()
        order = row_order(W)
        i, j = np.meshgrid(np.arange(W.shape[0]), np.arange(W.shape[1]), indexing="ij")
        position = np.empty_like(order)
        position[order] = np.arange(order.size)
        weight_rows.append(pd.DataFrame({
            "row": "weight", "experiment": name, "instance": row.instance, "dropout": row.dropout,
            "i": i.ravel(), "j": j.ravel(), "value": W.ravel(), "order": position[i.ravel()],
        }))
    weights = pd.concat(weight_rows, ignore_index=True)
    transition_row = pd.DataFrame([{"row": "transition", "experiment": name, "mean": transition.estimate,
                                    "ci_low": transition.low, "ci_high": transition.high, "defined": defined}])
    model_rows = models[["row", "experiment", "instance", "restart", "dropout", "feature_alignment", "represented",
                         "final_loss"]]
    table = tidy(pd.concat([weights, model_rows, summary, transition_row, claims], ignore_index=True))

    n, m = spec.features, spec.hidden
    panels = len(selected)
    cell_w = max(0.75, 0.2 * m)
    cell_h = max(1.2, 0.12 * n)
    width = max(0.7 + panels * (cell_w + 0.2) + 0.9, 7.5)
    stats_height = 2.4
    density = models["feature_probability"].iloc[0]
    heading = (f"W for increasing dropout: ReLU output model, n={n}, m={m}, {importance_label(spec)}, "
               f"1−S={density:g} (lowest-loss model per rate)")
    header = captions.Header.of(width, heading, claims=captions.claim_lines(claims, prefix="Post: "))
    fig = header.figure(0.2 + cell_h + 0.45 + stats_height + 0.5)
    height = fig.get_figheight()
    limit = float(np.abs(weights["value"]).max()) or 1.0
    norm = Normalize(vmin=-limit, vmax=limit)
    top = height - header.top - 0.2  # room for the panel titles
    image = None
    for k, row in enumerate(selected.itertuples()):
        W = results.W[row.instance].numpy()[row_order(results.W[row.instance].numpy())]
        x = 0.7 + k * (cell_w + 0.2)
        ax = fig.add_axes((x / width, (top - cell_h) / height, cell_w / width, cell_h / height))
        image = ax.imshow(W, cmap=WEIGHT_CMAP, norm=norm, aspect="auto", interpolation="nearest")
        ax.set_xticks(range(m))
        ax.set_xticklabels([str(j) for j in range(m)], fontsize=5.5)
        ax.tick_params(length=0, pad=1)
        ax.set_yticks([])
        ax.set_title(f"r = {row.dropout:g}", pad=2)
        if k == 0:
            ax.set_ylabel(f"features (n={n}), sorted", labelpad=2)
            ax.set_xlabel("hidden j", labelpad=1)
    cax = fig.add_axes(((0.7 + panels * (cell_w + 0.2)) / width, (top - cell_h + 0.1) / height, 0.1 / width,
                        (cell_h - 0.2) / height))
    fig.colorbar(image, cax=cax).set_label("$W_{ij}$", labelpad=1)

    ax = fig.add_axes((0.7 / width, (header.bottom + 0.45) / height, (width - 1.6) / width, stats_height / height))
    draw_alignment(ax, summary, transition, m=m)
    alignment_axes(ax, m, "mean feature alignment\n" + r"$\langle a_m(\hat W_i)\rangle$ (95% CI)")
    ax.set_title(f"alignment of the represented features (every model, ≥{int(models.groupby('dropout').size().min())} "
                 "per rate)", pad=3)

    title = f"{heading}. {claim['claim']}: {claim['holds']} ({claim['measured']})"
    return fig, table, title
