"""Figure ``geometric-transformations`` (Superposition and Learning Dynamics: learning as
geometric transformations).

n=6 features in m=3 dimensions, two sets of three correlated features (ReLU output model).
Top: the loss of each weight snapshot on one fixed evaluation batch against the step
(log-log), split into regimes by ``learning_dynamics.find_regimes`` (plateaus between steep
drops), shaded and lettered A, B, C, …. Bottom: the 3-D feature configuration at the start
of each regime and at the end of training — each feature an arrow from the origin, set 1
in reds, set 2 in blues — rotated onto the final configuration (``alignment.rotate_onto``; the
model is invariant under rotations of the hidden space) so the panels are comparable.
Under each panel: the mean cosine within each set (1 = collapsed onto its principal
component, 0 = orthogonal) and the number of antipodal pairs (``learning_dynamics.set_geometry``).

The paper claims that learning proceeds in regimes visible in the loss curve, each a
simple geometric transformation, ending in an octahedron whose antipodal pairs join
features of different sets — "a strong attractor", though trajectories differ between
runs. The title reports the regimes found, whether the shown model ends in the octahedron
(cross-polytope) and in how many restarts that happens.

Table (long format, column ``quantity``): ``snapshot_loss`` (step, value); ``regime`` rows
(regime, start_step, end_step, drop_peak_step, within-set cosines, antipodal pairs);
``embedding`` rows (panel, step, feature, x, y, z of the aligned configuration); and one
``restart`` row per instance (final loss, selected, is_octahedron).
"""

from __future__ import annotations

import string

import mpl_toolkits.mplot3d  # noqa: F401  (registers the "3d" projection)
import numpy as np
import pandas as pd
import torch
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from ..analysis import alignment, learning_dynamics
from ..artifacts import load_snapshots
from ..config import FigureSpec, PipelineConfig
from .common import captions, density_label, load_results
from .registry import figure

SET_COLOURS = (("#b2182b", "#ef8a62", "#f4a582"), ("#2166ac", "#67a9cf", "#92c5de"))
#: The loss curve is split into at most this many regimes for display (the steepest drops win).
MAX_PANELS = 6


def _set_colour(feature: int, set_size: int) -> str:
    palette = SET_COLOURS[(feature // set_size) % len(SET_COLOURS)]
    return palette[(feature % set_size) % len(palette)]


@figure("geometric-transformations")
def render(config: PipelineConfig, figure: FigureSpec) -> tuple[Figure, pd.DataFrame, str]:
    name = figure.experiments[0]
    results = load_results(config, name)
    spec = results.spec
    if spec.hidden != 3:
        raise ValueError(f"geometric-transformations draws 3-D configurations; experiment {name} has m={spec.hidden}")
    set_size = spec.set_size
    chosen = results.selected().iloc[0]
    instance = int(chosen["instance"])
    steps, snapshots = load_snapshots(config, name)
    loss = learning_dynamics.snapshot_losses(spec, snapshots, results.distribution, [instance])[:, 0]
    regimes = learning_dynamics.find_regimes(steps, loss)
    if len(regimes) > MAX_PANELS - 1:  # keep the regimes after the steepest drops
        keep = regimes.iloc[1:].nlargest(MAX_PANELS - 2, "drop_slope").index
        regimes = _merge_regimes(regimes, sorted(keep), steps, loss)

    # Reference frame: the final configuration, rotated so set 1 lies as close as possible to
    # the coordinate axes (in the octahedron, set 2 then lies on the negative axes).
    final = results.W[instance]  # (n, m)
    axes = torch.eye(spec.hidden, dtype=final.dtype)[: min(set_size, spec.hidden)]
    final = final @ alignment.procrustes_rotation(final[: len(axes)], axes)
    # (label, step, embedding): the start of every regime, then the trained model
    panels = [(f"{string.ascii_uppercase[r]}: start of regime {string.ascii_uppercase[r]}", int(row.start_step),
               snapshots["W"][int(row.start_index), instance].double()) for r, row in enumerate(regimes.itertuples())]
    panels.append(("end of training", spec.training.steps, results.W[instance]))
    configurations = [(alignment.rotate_onto(W, final), learning_dynamics.set_geometry(W, set_size)) for _, _, W in panels]

    # restarts: does each end in the octahedron?
    instances = results.instances.sort_values("instance")
    same_setting = instances[instances["setting"] == int(chosen["setting"])]
    restart_rows = []
    for row in same_setting.itertuples():
        geometry = learning_dynamics.set_geometry(results.W[int(row.instance)], set_size)
        restart_rows.append({"quantity": "restart", "instance": int(row.instance), "value": float(row.final_loss),
                             "selected": bool(row.selected), "is_octahedron": geometry.is_cross_polytope})
    n_octahedra = sum(r["is_octahedron"] for r in restart_rows)

    # ---- table
    regime_rows = []
    for r, (row, (_, geometry)) in enumerate(zip(regimes.itertuples(), configurations)):
        regime_rows.append({
            "quantity": "regime", "regime": string.ascii_uppercase[r], "step": int(row.start_step),
            "end_step": int(row.end_step), "drop_peak_step": row.drop_peak_step, "value": row.start_loss,
            "within_set_cosine_1": geometry.within_set_cosine[0],
            "within_set_cosine_2": geometry.within_set_cosine[1] if len(geometry.within_set_cosine) > 1 else np.nan,
            "antipodal_pairs": geometry.antipodal_pairs,
            "cross_set_antipodal_pairs": geometry.cross_set_antipodal_pairs,
            "is_octahedron": geometry.is_cross_polytope,
        })
    embedding_rows = []
    for (label, step, _), (aligned, _) in zip(panels, configurations):
        for feature in range(spec.features):
            x, y, z = (float(v) for v in aligned[feature])
            embedding_rows.append({"quantity": "embedding", "panel": label, "step": step,
                                   "feature": feature, "x": x, "y": y, "z": z})
    table = pd.concat([
        pd.DataFrame({"quantity": "snapshot_loss", "step": steps.astype(np.int64), "value": loss}),
        pd.DataFrame(regime_rows), pd.DataFrame(embedding_rows), pd.DataFrame(restart_rows),
    ], ignore_index=True)
    table.insert(0, "experiment", name)
    table["feature_probability"] = float(chosen["feature_probability"])
    for column in ("step", "end_step", "feature", "antipodal_pairs", "cross_set_antipodal_pairs", "instance"):
        table[column] = table[column].astype("Int64")
    for column in ("is_octahedron", "selected"):
        table[column] = table[column].astype("boolean")
    table.loc[table["quantity"] != "restart", "instance"] = table.loc[table["quantity"] != "restart", "instance"].fillna(instance)

    # ---- drawing
    n_panels = len(panels)
    final_geometry = configurations[-1][1]
    title = (f"Learning as geometric transformations: n={spec.features}, m={spec.hidden}, two correlated sets of {set_size}, "
             f"{density_label(float(chosen['feature_probability']))}")
    subtitle = (f"paper: learning proceeds in regimes visible in the loss, each a geometric transformation, ending in an "
                f"octahedron (a strong attractor)\nmeasured: {len(regimes)} regimes; the lowest-loss restart ends "
                f"{'in' if final_geometry.is_cross_polytope else 'outside'} the octahedron; "
                f"{n_octahedra}/{len(restart_rows)} restarts end in it")
    header = captions.Header.of(max(7.2, 1.8 * n_panels), title, subtitle)
    fig = header.figure(5.3)
    ax = fig.add_axes(header.rect(fig, (0.1, 0.679, 0.85, 0.306)))
    ax.plot(steps, loss, color="k", linewidth=1.2)
    for r, row in enumerate(regimes.itertuples()):
        ax.axvspan(max(row.start_step, steps[0]), row.end_step, color=("C0" if r % 2 == 0 else "C1"), alpha=0.12, linewidth=0)
        ax.annotate(string.ascii_uppercase[r], (np.sqrt(row.start_step * max(row.end_step, row.start_step)), 1.0),
                    xycoords=("data", "axes fraction"), ha="center", va="top", fontsize=9, fontweight="bold")
        ax.plot(row.start_step, row.start_loss, "o", color="C3", markersize=3.5)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    ax.set_xlabel("training step")
    ax.set_ylabel("loss (fixed batch)")
    width = 0.94 / n_panels
    for p, ((label, step, _), (aligned, geometry)) in enumerate(zip(panels, configurations)):
        ax3 = fig.add_axes(header.rect(fig, (0.03 + p * width, 0.079, width, 0.475)), projection="3d")
        _draw_configuration(ax3, aligned.numpy(), set_size)
        centre = 0.03 + (p + 0.5) * width
        fig.text(centre, header.y(fig, 0.566), f"{label}\nstep {step}", ha="center", va="top", fontsize=7)
        cos = ", ".join(f"{c:.2f}" for c in geometry.within_set_cosine)
        shape = "octahedron" if geometry.is_cross_polytope else f"{geometry.antipodal_pairs} antipodal pair(s)"
        fig.text(centre, header.y(fig, 0.085), f"mean cos within sets: {cos}\n{shape}", ha="center", va="top", fontsize=6)
    fig.text(0.5, header.y(fig, 0.0136), "set 1: reds, set 2: blues; grey lines join the tips of non-antipodal features; "
             "every panel rotated onto the final configuration", ha="center", fontsize=6, color="0.35")

    return fig, table, f"{title}; {subtitle}"


def _merge_regimes(regimes: pd.DataFrame, keep: list, steps: np.ndarray, loss: np.ndarray) -> pd.DataFrame:
    """Keep regime 0 and the regimes starting after the drops in ``keep``; each runs to the next kept start."""
    kept = regimes.loc[[0, *keep]].reset_index(drop=True)
    kept["end_index"] = list(kept["start_index"].iloc[1:] - 1) + [len(steps) - 1]
    kept["end_step"] = steps[kept["end_index"]].astype(float)
    kept["end_loss"] = loss[kept["end_index"]]
    kept["regime"] = range(len(kept))
    return kept


def _draw_configuration(ax, W: np.ndarray, set_size: int) -> None:
    """Arrows from the origin to each W_i (n, 3), coloured by set, in a fixed view."""
    limit = max(1.0, float(np.abs(W).max())) * 1.05
    for axis in range(3):
        line = np.zeros((2, 3))
        line[:, axis] = (-limit, limit)
        ax.plot(line[:, 0], line[:, 1], line[:, 2], color="0.85", linewidth=0.5)
    cos = learning_dynamics.cosines(torch.from_numpy(W)).numpy()
    tips = np.linalg.norm(W, axis=1) > 0.5
    for i in range(len(W)):
        for j in range(i + 1, len(W)):
            if tips[i] and tips[j] and cos[i, j] > -1.0 + learning_dynamics.OCTAHEDRON_TOLERANCE:
                ax.plot(*zip(W[i], W[j]), color="0.6", linewidth=0.4, alpha=0.7)
    for feature, (x, y, z) in enumerate(W):
        colour = _set_colour(feature, set_size)
        ax.plot([0, x], [0, y], [0, z], color=colour, linewidth=1.6)
        ax.scatter([x], [y], [z], color=colour, s=10, depthshade=False)
    ax.set_xlim(-limit, limit)
    ax.set_ylim(-limit, limit)
    ax.set_zlim(-limit, limit)
    ax.set_box_aspect((1, 1, 1), zoom=1.45)
    ax.view_init(elev=22, azim=30)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_zticks([])
    ax.set_axis_off()
