"""Figure ``pentagon-importance`` (Geometry: Non-Uniform Superposition, Perturbing a Single Feature).

The pentagon of ``pentagon-perturbation`` perturbed by one feature's *importance* instead of its
density (the paper credits "the role of relative feature importance and sparsity"): n = 5
features in m = 2 dimensions, all of density 0.05, four of importance 1, the fifth's importance
I₅ varied. Four panels:

* the selected (lowest-loss) solution of every importance, canonicalised (rotated/reflected, the
  four identical features relabelled, to best fit a regular pentagon with the fifth feature on
  top; :func:`toy_superposition.analysis.nonuniform_geometry.perturbed_polygon_restarts`) and
  coloured by I₅ (★ = the fifth feature);
* the final loss of every restart against I₅ by geometry, each geometry's lower envelope, and
  the dashed line where the pentagon and digon-pair envelopes cross;
* ‖W₅‖ of every restart;
* the angle between the fifth feature's two neighbours in every pentagon restart (its "room";
  144° in a regular pentagon).

Table: one row per (restart, feature) with the canonical and raw coordinates, the restart's
I₅, loss, geometry and ``selected``, and the measured values repeated as columns.
"""

from __future__ import annotations

import math

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from ..analysis.geometry import LEARNED_NORM
from ..analysis.nonuniform_geometry import (
    DIGONS,
    PENTAGON,
    envelopes,
    perturbed_polygon_restarts,
    polygon_crossings,
)
from ..artifacts import ArtifactError
from ..config import FigureSpec, PipelineConfig
from .common import captions, load_results
from .registry import figure

VARIED = "extra_feature_importance"
GEOMETRY_STYLE = {PENTAGON: ("#1f5fa8", "o"), DIGONS: ("#d4582a", "s")}
OTHER_STYLE = ("0.55", "x")
IMPORTANCE_CMAP = "plasma"


def _value(value: float, spec: str = ".3g") -> str:
    return format(value, spec) if np.isfinite(value) else "— (none found)"


def _log_axis(ax) -> None:
    ax.set_xscale("log")
    ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    ax.set_xlabel("importance of the fifth feature  I₅")


def measure(table: pd.DataFrame) -> dict:
    """The crossing of the loss envelopes, where each geometry is selected, and the room of the fifth feature."""
    per_restart = table.drop_duplicates("instance")
    found = polygon_crossings(per_restart, VARIED)
    selected = per_restart[per_restart["selected"]].sort_values(VARIED)
    pentagons = selected[selected["geometry"] == PENTAGON]
    digons = selected[selected["geometry"] == DIGONS]
    return {
        "crossing_importance": float(found[-1]) if len(found) else math.nan,
        "crossings_found": int(len(found)),
        "all_crossings": ", ".join(f"{x:.3g}" for x in found),
        "least_important_selected_pentagon": float(pentagons[VARIED].min()) if len(pentagons) else math.nan,
        "most_important_selected_digon_pair": float(digons[VARIED].max()) if len(digons) else math.nan,
        "gap_least_important_pentagon_deg": float(pentagons["extra_neighbour_gap_deg"].iloc[0]) if len(pentagons) else math.nan,
        "gap_most_important_pentagon_deg": float(pentagons["extra_neighbour_gap_deg"].iloc[-1]) if len(pentagons) else math.nan,
        "least_important": float(selected[VARIED].min()),
        "geometry_least_important": str(selected["geometry"].iloc[0]),
        "extra_norm_least_important": float(selected["extra_norm"].iloc[0]),
    }


@figure("pentagon-importance")
def render(config: PipelineConfig, figure: FigureSpec) -> tuple[Figure, pd.DataFrame, str]:
    (name,) = figure.experiments
    results = load_results(config, name)
    spec = results.spec
    if spec.hidden != 2 or VARIED not in spec.grid:
        raise ArtifactError(f"figure {figure.name}: needs m = 2 and a grid over {VARIED} (experiment {name})")
    table = perturbed_polygon_restarts(results.W.numpy(), results.instances, VARIED)
    measured = measure(table)
    for key, value in measured.items():
        table[key] = value
    per_restart = table.drop_duplicates("instance")
    importances = np.sort(per_restart[VARIED].unique())
    norm = LogNorm(vmin=importances.min(), vmax=max(importances.max(), importances.min() * 1.01))
    cmap = matplotlib.colormaps[IMPORTANCE_CMAP]
    density = float(results.instances["feature_probability"].iloc[0])

    crossing = measured["crossing_importance"]
    crossing_text = {0: "no crossing found", 1: f"cross at I₅ ≈ {crossing:.3g}"}.get(
        measured["crossings_found"], f"cross {measured['crossings_found']} times, at I₅ ≈ {measured['all_crossings']}")
    caption = ("Paper (for density): the pentagon deforms to give the perturbed feature more or less room, and "
               "collapses to a digon pair where the two geometries' loss curves cross; importance is the other "
               "perturbation the paper studied.\n"
               f"Measured: pentagon and digon-pair loss curves {crossing_text}; selected solution a pentagon down to "
               f"I₅ = {_value(measured['least_important_selected_pentagon'])}, a digon pair up to "
               f"I₅ = {_value(measured['most_important_selected_digon_pair'])} (at I₅ = "
               f"{measured['least_important']:.3g}: {measured['geometry_least_important']}, ‖W₅‖ = "
               f"{measured['extra_norm_least_important']:.2f}); the fifth feature's room "
               f"{_value(measured['gap_least_important_pentagon_deg'], '.0f')}° → "
               f"{_value(measured['gap_most_important_pentagon_deg'], '.0f')}° from the least to the most important "
               "selected pentagon (regular: 144°).")
    width, body = 12.0, 3.7
    header = captions.Header.of(width, f"Perturbing one feature's importance: n = 5 in m = 2, all at 1−S = {density:g}, four "
                               f"of importance 1, the fifth's importance varied ({spec.restarts} restarts each)", caption)
    fig = header.figure(body)
    height = fig.get_figheight()
    bottom, tall = 0.5 / height, 2.75 / height
    ax_shape = fig.add_axes((0.0, 0.05 / height, 0.24, 3.2 / height))
    ax_bar = fig.add_axes((0.235, 0.6 / height, 0.008, 2.3 / height))
    ax_loss = fig.add_axes((0.33, bottom, 0.19, tall))
    ax_norm = fig.add_axes((0.58, bottom, 0.17, tall))
    ax_gap = fig.add_axes((0.81, bottom, 0.17, tall))

    circle = np.linspace(0, 2 * np.pi, 129)
    ax_shape.plot(np.cos(circle), np.sin(circle), color="0.88", linewidth=0.6, zorder=0)
    selected = table[table["selected"]].sort_values([VARIED, "feature"])
    for _, solution in selected.groupby("instance", sort=False):
        colour = cmap(norm(solution[VARIED].iloc[0]))
        learned = solution[np.hypot(solution["x"], solution["y"]) > LEARNED_NORM]
        order = np.argsort(np.arctan2(learned["y"], learned["x"]).to_numpy())
        ring = learned.iloc[np.r_[order, order[:1]]]
        if len(learned) >= 3:
            ax_shape.plot(ring["x"], ring["y"], color=colour, linewidth=0.7, alpha=0.8)
        others = solution[~solution["is_extra"]]
        ax_shape.plot(others["x"], others["y"], "o", color=colour, markersize=3.2, markeredgewidth=0)
        star = solution[solution["is_extra"]]
        ax_shape.plot(star["x"], star["y"], "*", color=colour, markersize=7, markeredgecolor="black",
                      markeredgewidth=0.3)
    limit = max(1.25, float(np.hypot(table["x"], table["y"]).max()) * 1.08)
    ax_shape.set_xlim(-limit, limit)
    ax_shape.set_ylim(-limit, limit)
    ax_shape.set_aspect("equal")
    ax_shape.axis("off")
    ax_shape.set_title("Selected solutions, aligned (★ = fifth feature)", fontsize=7.5)
    bar = fig.colorbar(matplotlib.cm.ScalarMappable(norm=norm, cmap=cmap), cax=ax_bar)
    bar.set_label("I₅", labelpad=1)
    bar.ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))

    wide = envelopes(per_restart, VARIED, "final_loss", "geometry")
    for shape in sorted(per_restart["geometry"].unique(), key=lambda g: (g not in GEOMETRY_STYLE, g)):
        colour, marker = GEOMETRY_STYLE.get(shape, OTHER_STYLE)
        rows = per_restart[per_restart["geometry"] == shape]
        style = {"color": colour, "markersize": 2.6, "alpha": 0.55, "linestyle": "none",
                 "markeredgewidth": 0.6 if marker == "x" else 0}
        ax_loss.plot(rows[VARIED], rows["final_loss"], marker, label=shape if shape in GEOMETRY_STYLE else
                     f"{shape} (other)", **style)
        ax_norm.plot(rows[VARIED], rows["extra_norm"], marker, **style)
        if shape == PENTAGON:
            ax_gap.plot(rows[VARIED], rows["extra_neighbour_gap_deg"], marker, **style)
        if shape in GEOMETRY_STYLE:
            ax_loss.plot(wide.index, wide[shape], "-", color=colour, linewidth=1.2)
    for ax in (ax_loss, ax_norm, ax_gap):
        _log_axis(ax)
        if np.isfinite(crossing):
            ax.axvline(crossing, color="black", linestyle="--", linewidth=0.8)
    ax_loss.set_yscale("log")
    ax_loss.set_ylabel("final loss of each restart")
    ax_loss.set_title("Loss by geometry (lines: lowest per I₅)", fontsize=7.5)
    handles, labels = ax_loss.get_legend_handles_labels()
    ax_loss.legend(handles[:6], labels[:6], frameon=False, fontsize=6.5, loc="upper left", markerscale=1.6)
    ax_norm.axhline(LEARNED_NORM, color="0.6", linewidth=0.6, linestyle=":")
    ax_norm.set_ylabel("‖W₅‖ (fifth feature)")
    ax_norm.set_title("Fifth feature's norm, every restart", fontsize=7.5)
    ax_norm.set_ylim(bottom=0)
    ax_gap.axhline(144, color="0.6", linewidth=0.6, linestyle=":")
    ax_gap.set_ylabel("angle between its neighbours (°)")
    ax_gap.set_title("Room of the fifth feature (pentagons)", fontsize=7.5)

    title = (f"Pentagon perturbed by importance (n=5, m=2): loss curves of pentagon and digon pair {crossing_text}; "
             f"room of the fifth feature {_value(measured['gap_least_important_pentagon_deg'], '.0f')}° → "
             f"{_value(measured['gap_most_important_pentagon_deg'], '.0f')}° (least → most important pentagon)")
    return fig, table, title
