"""Figure ``correlated-collapse`` (Geometry: Collapsing of Correlated Features).

Six features in three correlated pairs (red, green, blue), m = 2, across feature densities.
Top: the selected model at each density, canonicalised as in :mod:`.correlated_geometry`.
Bottom: for every pair (a, b), the share of its weight on its first principal component
(a + b)/√2 (:func:`toy_superposition.analysis.nonuniform_geometry.pc_share`: 1 = collapsed onto the principal component,
¾ = 60° apart as in a hexagon, ½ = orthogonal), mean over the three pairs; small dots are
all restarts, the line the selected models.

Table: one row per (selected model, feature) with the canonical coordinates, the set label,
the pair's ``pc_share``, the model's geometry name, plus the measured values.
"""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ..analysis import geometry, nonuniform_geometry
from ..artifacts import ArtifactError
from ..config import FigureSpec, PipelineConfig
from .common import captions, density_label, inverse_density_axis, load_results
from .common import correlated as correlated_geometry
from .registry import figure

_LEVELS = {1.0: "collapsed (PCA)", 0.75: "60° (hexagon)", 0.5: "orthogonal"}


def pair_shares(W: np.ndarray, set_size: int) -> list[float]:
    return [nonuniform_geometry.pc_share(W, s * set_size, s * set_size + 1) for s in range(W.shape[0] // set_size)]


@figure("correlated-collapse")
def render(config: PipelineConfig, figure: FigureSpec) -> tuple[Figure, pd.DataFrame, str]:
    (name,) = figure.experiments
    results = load_results(config, name)
    spec = results.spec
    if spec.distribution != "correlated" or spec.set_size != 2:
        raise ArtifactError(f"figure {figure.name}: needs correlated pairs, experiment {name} has "
                            f"{spec.distribution} sets of {spec.set_size}")
    table = correlated_geometry.canonical_solutions(results, predict=False)
    shares = {}
    names = {}
    for instance in results.instances["instance"]:
        W = results.W[int(instance)].numpy()
        shares[int(instance)] = pair_shares(W, 2)
        names[int(instance)] = geometry.classify(W).name
    table["pc_share"] = [shares[i][s] for i, s in zip(table["instance"], table["set"])]
    table["geometry"] = table["instance"].map(names)

    everything = results.instances.assign(
        mean_pc_share=[float(np.nanmean(shares[int(i)])) for i in results.instances["instance"]])
    selected = everything[everything["selected"]].sort_values("feature_probability")
    sparsest, densest = selected.iloc[0], selected.iloc[-1]
    collapsed_dense = int((table[(table["instance"] == densest["instance"])]
                           .drop_duplicates("set")["set_label"] == nonuniform_geometry.COLLAPSED).sum())
    measured = {
        "sparsest_geometry": names[int(sparsest["instance"])],
        "sparsest_labels": ", ".join(table[table["instance"] == sparsest["instance"]].drop_duplicates("set")["set_label"]),
        "sparsest_mean_pc_share": float(sparsest["mean_pc_share"]),
        "densest_geometry": names[int(densest["instance"])],
        "densest_mean_pc_share": float(densest["mean_pc_share"]),
        "densest_pairs_collapsed": collapsed_dense,
    }
    collapsed = (table.drop_duplicates(["instance", "set"])
                 .assign(collapsed=lambda t: t["set_label"] == nonuniform_geometry.COLLAPSED)
                 .groupby("feature_probability")["collapsed"].sum().sort_index(ascending=False))
    share = selected.set_index("feature_probability")["mean_pc_share"].sort_index(ascending=False)
    measured["collapsed_pairs_dense_to_sparse"] = ", ".join(str(int(c)) for c in collapsed)
    measured["pc_share_dense_to_sparse"] = ", ".join(f"{s:.2f}" for s in share)
    for key, value in measured.items():
        table[key] = value

    caption = ("Paper: very sparse → hexagon, correlated features side by side; denser → progressive collapse onto "
               "principal components; very dense → PCA.\n"
               f"Measured: sparsest {density_label(float(sparsest['feature_probability']))}: "
               f"{measured['sparsest_geometry']}, the pairs {measured['sparsest_labels']}, PC share "
               f"{measured['sparsest_mean_pc_share']:.2f}; densest {density_label(float(densest['feature_probability']))}: "
               f"{measured['densest_geometry']}, PC share {measured['densest_mean_pc_share']:.2f}, "
               f"{collapsed_dense}/3 pairs collapsed (cos > {nonuniform_geometry.ANTIPODAL_COS:g}).\n"
               f"From dense to sparse, pairs collapsed: {measured['collapsed_pairs_dense_to_sparse']}; "
               f"PC share: {measured['pc_share_dense_to_sparse']}.")
    models = table.sort_values("feature_probability", ascending=False)
    columns = models["instance"].nunique()
    width = max(8.0, 1.3 * columns + 0.6)
    header = captions.Header.of(width, "Collapsing of correlated features: 6 features in 3 correlated pairs "
                                "(colour), m = 2", caption)
    fig = header.figure(4.6)
    height = fig.get_figheight()
    grid = fig.add_gridspec(2, columns, height_ratios=[1, 1.25], left=0.1, right=1 - 1.0 / width,
                            top=1 - (header.top + 0.3) / height, bottom=0.5 / height, hspace=0.45, wspace=0.08)
    limit = max(1.2, float(np.hypot(table["x"], table["y"]).max()) * 1.08)
    for c, (instance, solution) in enumerate(models.groupby("instance", sort=False)):
        ax = fig.add_subplot(grid[0, c])
        correlated_geometry.draw_solution(ax, solution[["x", "y"]].to_numpy(), solution["set"].to_numpy(),
                                          solution["member"].to_numpy(), limit)
        name = "\n".join(textwrap.wrap(names[int(instance)], 18))
        ax.set_title(f"{density_label(solution['feature_probability'].iloc[0])}\n{name}", fontsize=6.3, pad=2)

    ax = fig.add_subplot(grid[1, :])
    for level, label in _LEVELS.items():
        ax.axhline(level, color="0.7", linestyle="--", linewidth=0.7, zorder=0)
        ax.annotate(label, (1.0, level), xycoords=("axes fraction", "data"), xytext=(4, 0),
                    textcoords="offset points", ha="left", va="center", fontsize=6.5, color="0.4")
    ax.plot(1 / everything["feature_probability"], everything["mean_pc_share"], ".", color="0.6", markersize=3,
            label="every restart")
    ax.plot(1 / selected["feature_probability"], selected["mean_pc_share"], "o-", color="C3", markersize=3.5,
            linewidth=1.2, label="selected (lowest loss)")
    inverse_density_axis(ax)
    ax.set_ylim(-0.02, 1.05)
    ax.set_ylabel("weight share on the pair's\nprincipal component (mean of 3 pairs)")
    ax.legend(frameon=False, loc="lower left", fontsize=6.5)

    title = (f"Collapse of correlated features (n=6 in three correlated pairs, m=2): paper: sparse → hexagon with "
             f"each pair side by side; denser → pairs collapse onto their principal components (PCA). Measured: "
             f"sparsest {measured['sparsest_geometry']} ({measured['sparsest_labels']}), PC share "
             f"{measured['sparsest_mean_pc_share']:.2f}; densest {measured['densest_geometry']}, PC share "
             f"{measured['densest_mean_pc_share']:.2f}, {collapsed_dense}/3 pairs collapsed")
    return fig, table, title
