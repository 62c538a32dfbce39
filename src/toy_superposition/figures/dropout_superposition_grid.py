"""Figure ``dropout-superposition-grid`` (Superposition and Dropout: WᵀW by dropout × sparsity).

ReLU output models with dropout on the hidden vector, n features in m dimensions with
importance I_i = decay^i (the experiment's decaying profile where its grid has several), one
lowest-loss model per (dropout rate, feature density): WᵀW with the bias b as a column on
its right, on the fixed diverging scale [−1, 1] (feature 0, the most important, at the top).
Dropout increases from top to bottom, sparsity from left to right. Each panel is titled with
its D* = m/‖W‖²_F and D*_count (:mod:`toy_superposition.analysis.dropout_superposition`).

The post: "dropout has a clear qualitative effect on the superposition learned ... generally,
I think dropout inhibits superposition". The caption states the measured ΔD* verdicts.

Table columns (every row: ``row``, ``experiment``; null where a kind has no such column):

* ``matrix`` — entries of each drawn panel: ``instance``, ``dropout``, ``feature_probability``,
  ``importance_decay``, ``quantity`` ("WtW" with ``i``, ``j``; "bias" with ``i`` and j = −1),
  ``value``;
* ``panel`` — one per drawn model: ``instance``, ``dropout``, ``feature_probability``,
  ``importance_decay``, ``d_star``, ``d_star_count``, ``features_represented``;
* ``effect`` — one per (importance profile, density, rate > 0), every profile, ``measure``
  "d_star" and "d_star_count": the columns of :func:`toy_superposition.analysis.dropout_superposition.dropout_effects` (``restarts``, ``baseline``
  = mean D* at r = 0, ``value`` = mean D* at r, ``delta``, ``ci_low``, ``ci_high``,
  ``verdict`` ∈ inhibits / promotes / unclear);
* ``claim`` — ``claim`` ("dropout generally inhibits superposition: most cells with a higher
  norm-free D*_count (I_i = …^i)", "... measured by D* ..."), ``measured``, ``holds`` (a
  majority of cells: :mod:`toy_superposition.analysis.dropout_superposition`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.cm import ScalarMappable
from matplotlib.figure import Figure

from ..analysis import dropout_superposition as ds
from ..artifacts import ArtifactError
from ..config import FigureSpec, PipelineConfig
from .common import WEIGHT_CMAP, WEIGHT_NORM, captions, density_label, load_results, matrix_with_bias
from .common.dropout import tidy
from .registry import figure


def shown_decay(decays: list[float]) -> float:
    """The importance profile drawn: the smallest decay below 1 if any (the paper's I_i = 0.7^i), else 1."""
    below = [d for d in decays if d < 1.0]
    return min(below) if below else max(decays)


@figure("dropout-superposition-grid")
def render(config: PipelineConfig, figure: FigureSpec) -> tuple[Figure, pd.DataFrame, str]:
    (name,) = figure.experiments
    results = load_results(config, name)
    spec = results.spec
    if spec.model != "relu_output_dropout":
        raise ArtifactError(f"figure {figure.name}: needs relu_output_dropout models, experiment {name} is {spec.model}")
    models = ds.superposition_table(results.W, results.instances)
    decay = shown_decay(sorted(models["importance_decay"].unique()))
    shown = models[np.isclose(models["importance_decay"], decay) & models["selected"]]
    rates = sorted(shown["dropout"].unique())
    probabilities = sorted(shown["feature_probability"].unique(), reverse=True)
    effects = ds.dropout_effects(models)
    counted = ds.dropout_effects(models, "d_star_count")
    claims = pd.DataFrame([
        {"claim_id": "dropout-grid-inhibits-superposition",
         **ds.inhibition_claim(counted, decay, f"dropout generally inhibits superposition: most cells with a higher "
                               f"norm-free D*_count (I_i = {decay:g}^i)")},
        {"claim_id": "", **ds.inhibition_claim(effects, decay, f"... measured by D* (moved by norm shrinkage too), "
                                               f"I_i = {decay:g}^i")},
    ])

    matrix_rows, panel_rows = [], []
    for row in shown.itertuples():
        W = results.W[row.instance]
        gram = (W @ W.T).numpy()
        n = gram.shape[0]
        i, j = np.divmod(np.arange(n * n), n)
        common = {"instance": row.instance, "dropout": row.dropout, "feature_probability": row.feature_probability,
                  "importance_decay": row.importance_decay}
        matrix_rows.append(pd.DataFrame({"row": "matrix", **common, "quantity": "WtW", "i": i, "j": j,
                                         "value": gram.ravel()}))
        matrix_rows.append(pd.DataFrame({"row": "matrix", **common, "quantity": "bias", "i": np.arange(n), "j": -1,
                                         "value": results.b[row.instance].numpy()}))
        panel_rows.append({"row": "panel", **common, "d_star": row.d_star, "d_star_count": row.d_star_count,
                           "features_represented": row.features_represented})
    effects_rows = pd.concat([effects.assign(measure="d_star"), counted.assign(measure="d_star_count")],
                             ignore_index=True).assign(row="effect")
    claim_rows = claims.assign(row="claim")
    table = tidy(pd.concat([*matrix_rows, pd.DataFrame(panel_rows), effects_rows, claim_rows], ignore_index=True))
    table.insert(1, "experiment", name)

    cell = 1.25
    width = max(0.9 + len(probabilities) * cell + 0.25, 7.0)
    heading = (f"WᵀW by dropout rate (rows) and feature density (columns): n={spec.features}, m={spec.hidden}, "
               f"I_i = {decay:g}^i, lowest-loss model of {spec.restarts}")
    header = captions.Header.of(width, heading, claims=captions.claim_lines(claims), heading="Post's claim, measured:")
    fig = header.figure(0.15 + len(rates) * (cell + 0.12) + 0.55)
    height = fig.get_figheight()
    top = height - header.top - 0.15  # room for the column titles
    panels = {(r.dropout, r.feature_probability): r for r in shown.itertuples()}
    for a, rate in enumerate(rates):
        y = top - (a + 1) * (cell + 0.12)
        for b, probability in enumerate(probabilities):
            row = panels.get((rate, probability))
            if row is None:
                continue
            x = 0.9 + b * cell
            ax = fig.add_axes(((x + 0.05) / width, y / height, (cell - 0.1) / width, (cell - 0.05) / height))
            W = results.W[row.instance]
            matrix_with_bias(ax, (W @ W.T).numpy(), results.b[row.instance].numpy())
            ax.set_title(f"D*={row.d_star:.2f} | {row.d_star_count:.2f}", pad=1.5, fontsize=6.5)
            if a == 0:
                ax.annotate(density_label(probability), (0.5, 1.0), xycoords="axes fraction", xytext=(0, 11),
                            textcoords="offset points", ha="center", va="bottom", fontsize=8)
        fig.text(0.5 / width, (y + cell / 2) / height, f"dropout\nr = {rate:g}", ha="center", va="center",
                 fontsize=8, fontweight="bold")
    cax = fig.add_axes((0.9 / width, (header.bottom + 0.25) / height, min(2.4, 0.4 * width) / width, 0.1 / height))
    bar = fig.colorbar(ScalarMappable(WEIGHT_NORM, WEIGHT_CMAP), cax=cax, orientation="horizontal", ticks=[-1, 0, 1])
    bar.ax.set_title("$W^TW$ and $b$; panel titles: D* = m/‖W‖²_F | D*_count", pad=2, fontsize=7)
    title = heading + ". " + "; ".join(f"{c.claim}: {c.holds} ({c.measured})" for c in claims.itertuples())
    return fig, table, title
