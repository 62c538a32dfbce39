"""Figure ``pentagon-perturbation`` (Geometry: Non-Uniform Superposition, Perturbing a Single Feature).

n = 5 features in m = 2 dimensions, importance 1, density 0.05 for four features; the fifth
("extra") feature's density 1−S₅ is varied. Many restarts per density; the lowest-loss one is
the selected solution. Three panels:

* the selected solutions, canonicalised (rotated/reflected and the four identical features
  relabelled to best fit a regular pentagon with the extra feature on top,
  :func:`toy_superposition.analysis.alignment.align`), outlined in angular order and coloured by 1−S₅ (the extra
  feature is the star);
* the final loss of *every* restart against 1−S₅, by geometry (:mod:`toy_superposition.analysis.geometry`), with each
  geometry's lower envelope; the dashed line is where the pentagon and digon-pair envelopes
  cross (:mod:`toy_superposition.analysis.nonuniform_geometry`), the first-order change;
* ‖W₅‖ of every restart: the extra feature drops to zero in the digon pair.

Table: one row per (restart, feature): the canonical coordinates ``x``, ``y`` and the raw
``w_x``, ``w_y``, the feature's ``norm`` ‖W_i‖ and ``bias`` b_i, with the restart's density,
final loss, geometry and ``selected``; the
measured crossing, switch density and neighbour gaps are repeated as columns.
"""

from __future__ import annotations

import math

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from ..analysis.alignment import align, regular_polygon, relabellings
from ..analysis.geometry import LEARNED_NORM, classify, neighbour_gap
from ..analysis.nonuniform_geometry import crossings, envelopes
from ..artifacts import ArtifactError
from ..config import FigureSpec, PipelineConfig
from .common import captions, load_results
from .registry import figure

PENTAGON, DIGONS = "pentagon", "digon pair"
GEOMETRY_STYLE = {PENTAGON: ("#1f5fa8", "o"), DIGONS: ("#d4582a", "s")}
OTHER_STYLE = ("0.55", "x")
DENSITY_CMAP = "viridis"


def _reference(n: int) -> np.ndarray:
    """Regular pentagon, the extra (last) feature on top, the others counter-clockwise after it."""
    polygon = regular_polygon(n, start_angle=math.pi / 2)
    return np.vstack([polygon[1:], polygon[:1]])


def _value(value: float, spec: str = ".3g") -> str:
    return format(value, spec) if np.isfinite(value) else "— (none found)"


def _log_axis(ax) -> None:
    ax.set_xscale("log")
    ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    ax.set_xlabel("density of the fifth feature  1−S₅")


def analyse(results) -> tuple[pd.DataFrame, dict]:
    """Per-(restart, feature) table and the measured values."""
    spec = results.spec
    n = spec.features
    extra = n - 1
    reference = _reference(n)
    orders = relabellings([list(range(n - 1))], n)
    instances = results.instances.sort_values("instance").reset_index(drop=True)
    density = instances["extra_feature_probability"].to_numpy()
    if np.isnan(density).any():
        raise ArtifactError(f"experiment {spec.name}: the grid must vary extra_feature_probability")
    rows = []
    for row in instances.itertuples():
        W = results.W[row.instance].numpy()
        b = results.b[row.instance].numpy()
        geometry = classify(W)
        fit = align(W, reference, orders)
        gap = neighbour_gap(W, extra)
        for position in range(n):
            feature = fit.order[position]
            rows.append({
                "instance": row.instance, "setting": row.setting, "restart": row.restart,
                "extra_probability": row.extra_feature_probability,
                "feature_probability": row.feature_probability,
                "final_loss": row.final_loss, "selected": bool(row.selected),
                "geometry": geometry.name, "extra_norm": float(np.linalg.norm(W[extra])),
                "extra_neighbour_gap_deg": math.degrees(gap) if np.isfinite(gap) else math.nan,
                "feature": feature, "is_extra": feature == extra,
                "x": fit.aligned[position, 0], "y": fit.aligned[position, 1],
                "w_x": W[feature, 0], "w_y": W[feature, 1],
                "norm": float(np.linalg.norm(W[feature])), "bias": float(b[feature]),
            })
    table = pd.DataFrame(rows)

    per_restart = table.drop_duplicates("instance")
    wide = envelopes(per_restart, "extra_probability", "final_loss", "geometry")
    found = np.array([])
    if PENTAGON in wide and DIGONS in wide:
        found = crossings(wide.index.to_numpy(), wide[PENTAGON].to_numpy(), wide[DIGONS].to_numpy())
    selected = per_restart[per_restart["selected"]].sort_values("extra_probability")
    pentagon_at = selected.loc[selected["geometry"] == PENTAGON, "extra_probability"]
    digons_at = selected.loc[selected["geometry"] == DIGONS, "extra_probability"]
    gaps = selected[selected["geometry"] == PENTAGON].sort_values("extra_probability")["extra_neighbour_gap_deg"]
    measured = {
        # the loss curves of the two geometries cross here (all crossings, densest last)
        "crossing_density": float(found[-1]) if len(found) else math.nan,
        "crossings_found": int(len(found)),
        "all_crossings": ", ".join(f"{x:.3g}" for x in found),
        "sparsest_selected_pentagon": float(pentagon_at.min()) if len(pentagon_at) else math.nan,
        "densest_selected_digon_pair": float(digons_at.max()) if len(digons_at) else math.nan,
        "gap_sparsest_pentagon_deg": float(gaps.iloc[0]) if len(gaps) else math.nan,
        "gap_densest_pentagon_deg": float(gaps.iloc[-1]) if len(gaps) else math.nan,
        "restarts_per_density": int(spec.restarts),
    }
    for key, value in measured.items():
        table[key] = value
    return table, measured


@figure("pentagon-perturbation")
def render(config: PipelineConfig, figure: FigureSpec) -> tuple[Figure, pd.DataFrame, str]:
    (name,) = figure.experiments
    results = load_results(config, name)
    spec = results.spec
    if spec.hidden != 2:
        raise ArtifactError(f"figure {figure.name}: needs m = 2, experiment {name} has hidden={spec.hidden}")
    table, measured = analyse(results)
    per_restart = table.drop_duplicates("instance")
    densities = np.sort(per_restart["extra_probability"].unique())
    norm = LogNorm(vmin=densities.min(), vmax=densities.max() if densities.max() > densities.min() else densities.min() * 1.01)
    cmap = matplotlib.colormaps[DENSITY_CMAP]
    base = float(per_restart["feature_probability"].iloc[0])

    crossing = measured["crossing_density"]
    if measured["crossings_found"] == 1:
        crossing_text = f"cross at 1−S₅ ≈ {crossing:.3g}"
    elif measured["crossings_found"] > 1:
        crossing_text = f"cross {measured['crossings_found']} times, at 1−S₅ ≈ {measured['all_crossings']}"
    else:
        crossing_text = "no crossing found"
    caption = ("Paper: denser → the others make room; sparser → it takes less room; sufficiently sparse → the "
               "pentagon collapses to a digon pair, a first-order change where the loss curves cross.\n"
               f"Measured: pentagon and digon-pair loss curves: {crossing_text}; selected solution a pentagon down to "
               f"1−S₅ = {_value(measured['sparsest_selected_pentagon'])}, a digon pair up to "
               f"{_value(measured['densest_selected_digon_pair'])}; room of the fifth feature (angle between its "
               f"neighbours) {_value(measured['gap_sparsest_pentagon_deg'], '.0f')}° → "
               f"{_value(measured['gap_densest_pentagon_deg'], '.0f')}° from the sparsest to the densest pentagon "
               "(regular: 144°).")
    width, body = 10.5, 3.9
    fig = captions.Header.of(width, "Perturbing one feature of the pentagon: n = 5 in m = 2, four features at "
                             f"1−S = {base:g}, the fifth's density varied ({spec.restarts} restarts each)",
                             caption).figure(body)
    height = fig.get_figheight()
    ax_shape = fig.add_axes((0.0, 0.05 / height, 0.29, 3.3 / height))
    ax_bar = fig.add_axes((0.28, 0.6 / height, 0.009, 2.3 / height))
    ax_loss = fig.add_axes((0.41, 0.5 / height, 0.26, 2.9 / height))
    ax_norm = fig.add_axes((0.75, 0.5 / height, 0.23, 2.9 / height))

    # 1. canonicalised selected solutions
    circle = np.linspace(0, 2 * np.pi, 129)
    ax_shape.plot(np.cos(circle), np.sin(circle), color="0.88", linewidth=0.6, zorder=0)
    selected = table[table["selected"]].sort_values(["extra_probability", "feature"])
    for _, solution in selected.groupby("instance", sort=False):
        colour = cmap(norm(solution["extra_probability"].iloc[0]))
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
    ax_shape.set_title("Selected solutions, rotated/reflected to align\n(★ = fifth feature, ● = the four at "
                       f"1−S = {base:g})", fontsize=7.5)
    bar = fig.colorbar(matplotlib.cm.ScalarMappable(norm=norm, cmap=cmap), cax=ax_bar)
    bar.set_label("1−S₅", labelpad=1)
    bar.ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))

    # 2. loss of every restart by geometry; 3. the extra feature's norm
    wide = envelopes(per_restart, "extra_probability", "final_loss", "geometry")
    geometries = list(per_restart["geometry"].value_counts().index)
    for shape in sorted(geometries, key=lambda g: (g not in GEOMETRY_STYLE, g)):
        colour, marker = GEOMETRY_STYLE.get(shape, OTHER_STYLE)
        rows = per_restart[per_restart["geometry"] == shape]
        label = shape if shape in GEOMETRY_STYLE else f"{shape} (other)"
        ax_loss.plot(rows["extra_probability"], rows["final_loss"], marker, color=colour, markersize=2.6,
                     alpha=0.55, linestyle="none", label=label, markeredgewidth=0.6 if marker == "x" else 0)
        ax_norm.plot(rows["extra_probability"], rows["extra_norm"], marker, color=colour, markersize=2.6,
                     alpha=0.55, linestyle="none", markeredgewidth=0.6 if marker == "x" else 0)
        if shape in GEOMETRY_STYLE:
            ax_loss.plot(wide.index, wide[shape], "-", color=colour, linewidth=1.2)
    for ax in (ax_loss, ax_norm):
        _log_axis(ax)
        if np.isfinite(crossing):
            ax.axvline(crossing, color="black", linestyle="--", linewidth=0.8)
    ax_loss.set_ylabel("final loss of each restart")
    ax_loss.set_title("Loss by geometry (lines: lowest per density)", fontsize=7.5)
    handles, labels = ax_loss.get_legend_handles_labels()
    ax_loss.legend(handles[:6], labels[:6], frameon=False, fontsize=6.5, loc="upper left", markerscale=1.6)
    ax_norm.axhline(LEARNED_NORM, color="0.6", linewidth=0.6, linestyle=":")
    ax_norm.set_ylabel("‖W₅‖ (fifth feature)")
    ax_norm.set_title("Fifth feature's norm, every restart", fontsize=7.5)
    ax_norm.set_ylim(bottom=0)

    title = (f"Perturbed pentagon (n=5, m=2): paper: a sparser fifth feature collapses the pentagon to a digon pair "
             f"(fifth at zero) where the two geometries' loss curves cross (first order). Measured: {crossing_text}; "
             f"selected pentagon down to 1−S₅ = {_value(measured['sparsest_selected_pentagon'])}, digon pair up to "
             f"{_value(measured['densest_selected_digon_pair'])}; fifth feature's neighbour gap "
             f"{_value(measured['gap_sparsest_pentagon_deg'], '.0f')}° (sparsest pentagon) → "
             f"{_value(measured['gap_densest_pentagon_deg'], '.0f')}° (densest; 144° regular)")
    return fig, table, title
