"""Figure ``uniform-scaling`` (Geometry: Uniform Superposition): "the number of features and hidden
dimensions doesn't matter very much".

Uniform superposition (ReLU output, I = 1) at several sizes: the first experiment of the figure
(n = 400, m = 30) is the reference, the others double n (800 in 30) or m (400 in 60). Panels
against 1/(1−S): D* = m/‖W‖²_F of every selected model (the reference as a line); the number
of features learned ‖W‖²_F of each other model over the reference's, interpolated in log 1/(1−S)
(:func:`toy_superposition.analysis.uniform_geometry.interpolate_log`), with the paper's
expectation m/m_ref (dashed); and the share of learned features whose dimensionality sits on a
sticky fraction (1, 3/4, 2/3, 1/2, 2/5, 3/8 ± 0.02) — the "pressure" comment's cleaner structure
with more features competing.

Table: one row per selected model (``row == "model"``): experiment, n, m, density, D*, features
learned, features represented, learned features on a sticky fraction, the reference's D* and
features learned at that density, their ratios, the expected ratio and ``compared`` (both
models learn at most half their features, the regime n ≫ learned features the claims use).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from .. import metrics
from ..analysis.uniform_geometry import interpolate_log, near_fraction
from ..config import FigureSpec, PipelineConfig
from .common import ExperimentResults, captions, inverse_density_axis, load_results
from .common.d_star import STICKY
from .registry import figure


def model_rows(results: ExperimentResults) -> pd.DataFrame:
    """D*, features learned and the sticky-fraction share of every selected model of one experiment."""
    spec = results.spec
    selected = results.selected()
    W = results.W
    D = metrics.feature_dimensionality(W).numpy()
    norms = metrics.feature_norms(W).numpy()
    rows = []
    for row in selected.itertuples():
        learned = norms[row.instance] > metrics.REPRESENTED_NORM
        on = near_fraction(D[row.instance][learned])
        rows.append({"row": "model", "experiment": spec.name, "features": spec.features, "hidden": spec.hidden,
                     "instance": row.instance, "feature_probability": row.feature_probability,
                     "inverse_density": 1.0 / row.feature_probability,
                     "d_star": float(metrics.dimensions_per_feature(W[row.instance:row.instance + 1])[0]),
                     "features_learned": float(W[row.instance].square().sum()),
                     "features_represented": int(learned.sum()), "on_sticky_fraction": int(on.sum()),
                     "share_on_sticky_fraction": float(on.mean()) if on.size else np.nan})
    return pd.DataFrame(rows).sort_values("inverse_density").reset_index(drop=True)


def compare(table: pd.DataFrame, reference: str) -> pd.DataFrame:
    """Add the reference's D* and features learned at each model's density, the ratios and ``compared``."""
    ref = table[table["experiment"] == reference]
    n_ref, m_ref = int(ref["features"].iloc[0]), int(ref["hidden"].iloc[0])
    x = table["inverse_density"].to_numpy()
    table["reference"] = reference
    table["reference_d_star"] = interpolate_log(ref["inverse_density"], ref["d_star"], x)
    table["reference_features_learned"] = interpolate_log(ref["inverse_density"], ref["features_learned"], x)
    table["d_star_ratio"] = table["d_star"] / table["reference_d_star"]
    table["features_learned_ratio"] = table["features_learned"] / table["reference_features_learned"]
    table["expected_ratio"] = table["hidden"] / m_ref
    table["compared"] = ((table["experiment"] != reference)
                         & (table["features_learned"] <= table["features"] / 2)
                         & (table["reference_features_learned"] <= n_ref / 2)
                         & np.isfinite(table["reference_d_star"]))
    return table


@figure("uniform-scaling")
def render(config: PipelineConfig, figure: FigureSpec) -> tuple[Figure, pd.DataFrame, str]:
    experiments = [load_results(config, name) for name in figure.experiments]
    reference = figure.experiments[0]
    table = compare(pd.concat([model_rows(r) for r in experiments], ignore_index=True), reference)
    ref_spec = experiments[0].spec
    parts = []
    for results in experiments[1:]:
        spec = results.spec
        rows = table[(table["experiment"] == spec.name) & table["compared"]]
        if rows.empty:
            parts.append(f"n={spec.features}, m={spec.hidden}: no density to compare")
            continue
        parts.append(f"n={spec.features}, m={spec.hidden}: features learned {rows['features_learned_ratio'].min():.2f}–"
                     f"{rows['features_learned_ratio'].max():.2f}× the reference's (expected "
                     f"{spec.hidden / ref_spec.hidden:g}×), D* ratio {rows['d_star_ratio'].min():.2f}–"
                     f"{rows['d_star_ratio'].max():.2f} at {len(rows)} densities")
    caption = ("Paper: n doesn't matter as long as n ≫ m, and doubling m just doubles the number of features "
               "learned; comment: more features competing ('pressure') gives cleaner structure.\n"
               f"Measured against n={ref_spec.features}, m={ref_spec.hidden} (interpolated in log 1/(1−S)): "
               + "; ".join(parts) + ".")
    width, body = 11.0, 3.1
    header = captions.Header.of(width, "Uniform superposition at other sizes: D*, features learned against the reference, "
                               "and features on the sticky fractions", caption)
    fig = header.figure(body)
    height = fig.get_figheight()
    bottom, tall = 0.5 / height, 2.4 / height
    axes = [fig.add_axes((0.06 + k * 0.33, bottom, 0.26, tall)) for k in range(3)]
    for value in STICKY:
        axes[0].axhline(value, color="0.7", linewidth=0.7, linestyle="--", zorder=0)
    for k, results in enumerate(experiments):
        spec = results.spec
        rows = table[table["experiment"] == spec.name]
        style = {"color": f"C{k}", "label": f"n={spec.features}, m={spec.hidden}"}
        if k == 0:
            axes[0].plot(rows["inverse_density"], rows["d_star"], "-", linewidth=1.1, **style)
            axes[2].plot(rows["inverse_density"], rows["share_on_sticky_fraction"], "-", linewidth=1.1, **style)
            continue
        axes[0].plot(rows["inverse_density"], rows["d_star"], "o", markersize=4, **style)
        axes[2].plot(rows["inverse_density"], rows["share_on_sticky_fraction"], "o--", markersize=4, linewidth=0.8,
                     **style)
        shown = rows[np.isfinite(rows["features_learned_ratio"])]
        axes[1].plot(shown["inverse_density"], shown["features_learned_ratio"], "o-", markersize=4, linewidth=0.9,
                     **style)
        compared = shown[shown["compared"]]
        axes[1].plot(compared["inverse_density"], compared["features_learned_ratio"], "o", markersize=6,
                     markerfacecolor="none", color=f"C{k}")
        axes[1].axhline(spec.hidden / ref_spec.hidden, color=f"C{k}", linestyle="--", linewidth=0.7)
    for ax in axes:
        inverse_density_axis(ax)
    axes[0].set_ylabel("D* = m / ‖W‖²_F")
    axes[0].set_ylim(0, 1.1)
    axes[0].legend(frameon=False, fontsize=6.5)
    axes[0].set_title("Dimensions per feature", fontsize=7.5)
    axes[1].set_ylabel(f"‖W‖²_F over n={ref_spec.features}, m={ref_spec.hidden}'s")
    axes[1].set_title("Features learned (circled: compared, n ≫ learned)", fontsize=7.5)
    axes[2].set_ylabel("learned features on a sticky fraction")
    axes[2].set_ylim(-0.03, 1.03)
    axes[2].set_title("Clean structure (D_i within 0.02 of 1, ¾, ⅔, ½, ⅖, ⅜)", fontsize=7.5)
    title = "Uniform superposition at other sizes: " + "; ".join(parts)
    return fig, table, title
