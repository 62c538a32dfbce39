"""Figures ``correlated-m2`` and ``anticorrelated-m2`` (Geometry: Correlated and Anticorrelated Features).

ReLU output models with m = 2 whose features come in correlated sets (a set is all on or all
off together) or anticorrelated sets (at most one member active). One row of panels per
experiment, one panel per feature density: the selected (lowest-loss) model's W_i drawn from
the origin, coloured by set (marker = member within the set), canonicalised — rotated,
reflected and with members / equal-size sets relabelled to best match the row's sparsest
solution (:func:`toy_superposition.analysis.alignment.align`), as the paper does "to make solutions easy to compare".
Each set is labelled with :func:`toy_superposition.analysis.nonuniform_geometry.arrangement` (orthogonal, side by side,
antipodal, collapsed, mixed; thresholds there) and compared with the paper's prediction
(:func:`toy_superposition.analysis.nonuniform_geometry.expected_arrangement`).

Table: one row per (selected model, feature): canonical ``x``, ``y``, raw ``w_x``, ``w_y``,
the feature's set, the set's label, minimum / mean within-set cosine, the prediction,
``as_predicted`` and the figure-level fraction of sets as predicted.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ...analysis import alignment, nonuniform_geometry
from ...artifacts import ArtifactError
from ...config import FigureSpec, PipelineConfig
from . import ExperimentResults, captions, density_label, load_results

SET_COLOURS = ("#d62728", "#2ca02c", "#1f77b4", "#9467bd", "#ff7f0e", "#8c564b")
MEMBER_MARKERS = ("o", "s", "^", "D", "v", "P")


def draw_solution(ax: Axes, xy: np.ndarray, sets: np.ndarray, members: np.ndarray, limit: float) -> None:
    """W_i as lines from the origin with a marker at the tip; colour = set, marker = member."""
    circle = np.linspace(0, 2 * np.pi, 129)
    ax.plot(np.cos(circle), np.sin(circle), color="0.88", linewidth=0.6, zorder=0)
    for (x, y), s, k in zip(xy, sets, members):
        colour = SET_COLOURS[int(s) % len(SET_COLOURS)]
        ax.plot([0, x], [0, y], color=colour, linewidth=1.3, solid_capstyle="round")
        ax.plot([x], [y], MEMBER_MARKERS[int(k) % len(MEMBER_MARKERS)], color=colour, markersize=3.5,
                markeredgewidth=0)
    ax.set_xlim(-limit, limit)
    ax.set_ylim(-limit, limit)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    for side in ax.spines.values():
        side.set_visible(False)


def canonical_solutions(results: ExperimentResults, predict: bool = True) -> pd.DataFrame:
    """One row per (selected model, feature), canonicalised against the sparsest solution;
    with ``predict``, the paper's prediction for each set and whether it holds."""
    spec = results.spec
    n, k = spec.features, spec.set_size
    if spec.distribution == "independent":
        raise ArtifactError(f"experiment {spec.name}: needs correlated or anticorrelated feature sets")
    if spec.hidden != 2:
        raise ArtifactError(f"experiment {spec.name}: draws 2-D solutions, but hidden={spec.hidden}")
    groups = [list(range(s * k, (s + 1) * k)) for s in range(n // k)]
    orders = alignment.relabellings(groups, n, swap_groups=True)
    selected = results.selected()
    reference = results.W[int(selected["instance"].iloc[-1])].numpy()
    expected = nonuniform_geometry.expected_arrangement(spec.distribution, k, spec.hidden) if predict else None
    set_index = nonuniform_geometry.set_of(n, k)
    rows = []
    for row in selected.itertuples():
        W = results.W[row.instance].numpy()
        fit = alignment.align(W, reference, orders)
        sets = {s["set"]: s for s in nonuniform_geometry.arrangement(W, k)}
        within, between = nonuniform_geometry.overlap_by_block(W, k, signed=True)
        for position, feature in enumerate(fit.order):
            info = sets[int(set_index[feature])]
            rows.append({
                "experiment": spec.name, "distribution": spec.distribution, "set_size": k,
                "instance": row.instance, "feature_probability": row.feature_probability,
                "feature": feature, "set": int(set_index[feature]), "member": feature % k,
                "x": fit.aligned[position, 0], "y": fit.aligned[position, 1],
                "w_x": W[feature, 0], "w_y": W[feature, 1], "norm": float(np.linalg.norm(W[feature])),
                "model_within_set_cos": within, "model_between_set_cos": between,
                "set_label": info["label"], "set_min_cos": info["min_cos"], "set_mean_cos": info["mean_cos"],
            } | ({"predicted": expected, "as_predicted": info["label"] == expected} if predict else {}))
    return pd.DataFrame(rows)


def _set_summary(table: pd.DataFrame) -> pd.DataFrame:
    return table.drop_duplicates(["experiment", "instance", "set"])


def _describe(spec) -> str:
    kind = "correlated" if spec.distribution == "correlated" else "anticorrelated"
    sets = spec.features // spec.set_size
    word = {2: "pairs", 3: "triples"}.get(spec.set_size, f"sets of {spec.set_size}")
    return f"n={spec.features}: {sets} {kind} {word}"


def render(config: PipelineConfig, figure: FigureSpec) -> tuple[Figure, pd.DataFrame, str]:
    experiments = [load_results(config, name) for name in figure.experiments]
    tables = [canonical_solutions(r) for r in experiments]
    table = pd.concat(tables, ignore_index=True)
    sets = _set_summary(table)
    fraction = float(sets["as_predicted"].mean())
    table["fraction_as_predicted"] = fraction

    kind = "Anticorrelated" if all(r.spec.distribution == "anticorrelated" for r in experiments) else "Correlated"
    claim = ("anticorrelated features are placed antipodally (negative interference)" if kind == "Anticorrelated"
             else "correlated features are placed orthogonally, or side by side when they cannot all be orthogonal")
    counts = f"{int(sets['as_predicted'].sum())}/{len(sets)}"
    models = table.drop_duplicates(["experiment", "instance"])
    signs = "; ".join(f"{_describe(r.spec)}: mean cos within sets {part['model_within_set_cos'].mean():+.2f}, "
                      f"between sets {part['model_between_set_cos'].mean():+.2f}"
                      for r, (_, part) in zip(experiments, models.groupby("experiment", sort=False)))
    caption = (f"Paper: {claim}.\nMeasured: {counts} sets ({fraction:.0%}) of the selected models arranged as "
               f"predicted. {signs} (learned features, mean over densities).\nLabels: orthogonal = all |cos| < {nonuniform_geometry.INTERACTING_COS:g}; antipodal = cos < "
               f"−{nonuniform_geometry.ANTIPODAL_COS:g}; side by side = consecutive in angle, span < 180°, mean cos > 0; "
               f"collapsed = all cos > {nonuniform_geometry.ANTIPODAL_COS:g}.")
    columns = max(t["instance"].nunique() for t in tables)
    rows = len(experiments)
    width = max(8.0, 1.55 * columns + 1.7)
    header = captions.Header.of(width, f"{kind} feature sets in m = 2: selected models, colour = set, marker = "
                                "member, rotated/reflected to align", caption)
    fig = header.figure(1.85 * rows)
    height = fig.get_figheight()
    grid = fig.add_gridspec(rows, columns, left=1.6 / width, right=1 - 0.1 / width, top=1 - (header.top + 0.3) / height,
                            bottom=0.05 / height, wspace=0.08, hspace=0.5)
    limit = max(1.2, float(np.hypot(table["x"], table["y"]).max()) * 1.08)
    for r, (results, part) in enumerate(zip(experiments, tables)):
        ordered = part.sort_values("feature_probability", ascending=False)
        for c, (_instance, solution) in enumerate(ordered.groupby("instance", sort=False)):
            ax = fig.add_subplot(grid[r, c])
            draw_solution(ax, solution[["x", "y"]].to_numpy(), solution["set"].to_numpy(),
                          solution["member"].to_numpy(), limit)
            labels = solution.drop_duplicates("set").sort_values("set")["set_label"].tolist()
            summary = ", ".join(f"{labels.count(x)}× {x}" if labels.count(x) > 1 else x
                                for x in dict.fromkeys(labels))
            ax.set_title(f"{density_label(solution['feature_probability'].iloc[0])}\n{summary}", fontsize=6.5, pad=2)
            if c == 0:
                predicted = solution["predicted"].iloc[0]
                ax.text(-0.12, 0.5, f"{_describe(results.spec)}\npredicted: {predicted}", transform=ax.transAxes,
                        ha="right", va="center", fontsize=7)
    title = (f"{kind} feature sets in m=2 (selected models, rotated/reflected to align; colour = set): "
             f"paper: {claim}. Measured: {counts} sets ({fraction:.0%}) arranged as predicted")
    return fig, table, title
