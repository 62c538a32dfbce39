"""Figure ``dropout-dims-per-feature`` (Superposition and Dropout: dimensions per feature).

Equally important features (I = 1), ReLU output models with dropout on the hidden vector:
D* = m/‖W‖²_F against 1/(1−S), one curve per dropout rate (the lowest-loss restart of each
setting, as in the paper's figure; every restart as a faint dot), with the paper's sticky
values 1 and 1/2 marked. Right: the same with D*_count = m / (features with ‖W_i‖ above half
the largest norm), which dropout's shrinking of the norms does not move
(:mod:`toy_superposition.analysis.dropout_superposition`).

The post: "models with more dropout having higher dimensions per feature for a given sparsity
rate, but this effect is not strict; at low levels of dropout and certain sparsity, the
dimensions per feature can be lower for dropout models".

Table columns (every row: ``row``, ``experiment``; null where a kind has no such column):

* ``model`` — every model with I = 1: the columns of
  :func:`toy_superposition.analysis.dropout_superposition.superposition_table` (``instance``, ``setting``,
  ``restart``, ``selected``, ``feature_probability``, ``importance_decay``, ``dropout``,
  ``final_loss``, ``d_star``, ``d_star_count``, ``frobenius_sq``, ``features_represented``)
  and ``inverse_density`` = 1/(1−S);
* ``effect`` — per (density, rate > 0) and ``measure`` ("d_star" or "d_star_count"): the
  columns of :func:`toy_superposition.analysis.dropout_superposition.dropout_effects` (``delta`` = mean at r − mean at
  0 with ``ci_low``, ``ci_high``, ``verdict``);
* ``claim`` — ``claim`` ("more dropout, higher D* in most cells, but not strictly …" — the
  post's sentence as one claim; "… by the norm-free D*_count …"), ``measured``, ``holds``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ..analysis import dropout_superposition as ds
from ..artifacts import ArtifactError
from ..config import FigureSpec, PipelineConfig
from .common import captions, inverse_density_axis, load_results
from .common.dropout import RATE_CMAP, RATE_NORM, tidy
from .registry import figure

STICKY = {1.0: "1", 0.5: "1/2"}


@figure("dropout-dims-per-feature")
def render(config: PipelineConfig, figure: FigureSpec) -> tuple[Figure, pd.DataFrame, str]:
    (name,) = figure.experiments
    results = load_results(config, name)
    spec = results.spec
    if spec.model != "relu_output_dropout":
        raise ArtifactError(f"figure {figure.name}: needs relu_output_dropout models, experiment {name} is {spec.model}")
    models = ds.superposition_table(results.W, results.instances)
    models = models[np.isclose(models["importance_decay"], 1.0)]
    if not len(models):
        raise ArtifactError(f"figure {figure.name}: experiment {name} has no models with equal importances (decay 1)")
    models = models.assign(inverse_density=1.0 / models["feature_probability"])
    effects = pd.concat([ds.dropout_effects(models, measure).assign(measure=measure)
                         for measure in ("d_star", "d_star_count")], ignore_index=True)
    star = effects[effects["measure"] == "d_star"]
    claims = pd.DataFrame([
        {"claim_id": "dropout-d-star-higher-not-strict",
         **ds.direction_claim(star, 1.0, f"more dropout, higher D* in most (1−S, r) cells, but not strictly: lower in "
                              f"some cell at r < {ds.LOW_DROPOUT:g} (I = 1)")},
        {"claim_id": "", **ds.inhibition_claim(effects[effects["measure"] == "d_star_count"], 1.0,
                                               "dropout generally inhibits superposition, by the norm-free D*_count "
                                               "(not moved by norm shrinkage)")},
    ])
    table = tidy(pd.concat([models.assign(row="model"), effects.assign(row="effect"), claims.assign(row="claim")],
                           ignore_index=True))
    table.insert(1, "experiment", name)

    width, panel_h = 10.5, 3.4
    restarts = spec.restarts
    heading = (f"Dimensions per feature with dropout: ReLU output model, n={spec.features}, m={spec.hidden}, I = 1; "
               f"lines: lowest-loss of {restarts} restarts, dots: every restart")
    header = captions.Header.of(width, heading, claims=captions.claim_lines(claims),
                                heading="Post's claims, measured (ΔD* = mean over restarts at r − at 0, 95% bootstrap CI):")
    fig = header.figure(0.25 + panel_h + 0.6)
    height = fig.get_figheight()
    panel_w = (width - 0.8 - 0.9 - 0.5) / 2
    top_value = 0.0
    axes = []
    for k, (measure, label) in enumerate((("d_star", r"$D^* = m\,/\,\|W\|_F^2$"),
                                          ("d_star_count", r"$D^*_{count} = m\,/\,\#\{i: \|W_i\| > \frac{1}{2}\max_j \|W_j\|\}$"))):
        ax = fig.add_axes(((0.8 + k * (panel_w + 0.9)) / width, (header.bottom + 0.6) / height, panel_w / width,
                           panel_h / height))
        axes.append(ax)
        for value, text in STICKY.items():
            ax.axhline(value, color="0.6", linewidth=0.8, linestyle="--", zorder=0)
            ax.annotate(text, (1.0, value), xycoords=("axes fraction", "data"), xytext=(3, 0),
                        textcoords="offset points", va="center", fontsize=7, color="0.35")
        for rate, group in models.groupby("dropout", sort=True):
            colour = RATE_CMAP(RATE_NORM(rate))
            ax.scatter(group["inverse_density"], group[measure], s=5, color=colour, alpha=0.35, linewidths=0)
            best = group[group["selected"]].sort_values("inverse_density")
            ax.plot(best["inverse_density"], best[measure], color=colour, marker="o", markersize=3, linewidth=1.3,
                    label=f"r = {rate:g}")
        inverse_density_axis(ax)
        ax.set_ylabel(label)
        finite = models[measure][np.isfinite(models[measure])]
        top_value = max(top_value, float(finite.max()) if len(finite) else 1.0)
        ax.set_title("dimensions per feature" if k == 0 else "dimensions per represented feature (norm-free)", pad=3)
    for ax in axes:
        ax.set_ylim(0, max(1.1, top_value * 1.05))
    axes[0].legend(frameon=False, title="dropout", title_fontsize=7, loc="best")
    title = heading + ". " + "; ".join(f"{c.claim}: {c.holds} ({c.measured})" for c in claims.itertuples())
    return fig, table, title
