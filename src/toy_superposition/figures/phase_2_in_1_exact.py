"""Figure ``phase-2-in-1-exact`` (comment section: Tom McGrath's exact solution of n = 2, m = 1).

The expected loss of the 2-in-1 ReLU output model in closed form
(:mod:`toy_superposition.analysis.phase_change`, "The exact 2-in-1 loss"), minimised at every
point of the trained grid, beside the paper's three-candidate theory and the trained models.
Two exact diagrams, because the comment and the trainer differ:

* **without bias** (the comment: "ignoring bias terms"): ``x̂ = ReLU(WᵀW x)``; here the
  "confused" phase W₁ ≈ W₂ ≈ 1/√2 appears at low sparsity;
* **with the output bias** (what ``relu_output`` trains): ``x̂ = ReLU(WᵀW x + b)``, minimised
  over (w1, w2, b1, b2) on every second point of the grid (the 4-D search is the slow part).

Top row: the two exact diagrams (dashed outline: points whose bias-free loss surface has two or
more minima up to the sign symmetry), the three candidates' diagram, and the majority phase of
each trained experiment (with bias: ``phase-2-in-1``; without: ``phase-2-in-1-bias-free``;
paler: fewer of the kept models in the majority phase). Bottom row: the bias-free loss surface at
three points, with its minima (white) and the three candidates (black).

Table (``row``): ``grid`` one row per point (exact optima with and without bias, the
candidates' phase); ``trained`` one row per (experiment, point) with its majority and
lowest-loss phases and whether they agree with each reference; ``point`` the bias-free optimum
at 1−S = 1, r = 1; ``surface_minimum`` the minima drawn on the surfaces.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure

from ..analysis.phase_change import (
    CANDIDATES_2_IN_1,
    CONFUSED,
    exact_optimum,
    exact_phase_diagram,
    lookup_points,
    loss_surface,
    optimum_with_bias,
    theoretical_phase,
)
from ..artifacts import ArtifactError
from ..config import FigureSpec, PipelineConfig
from .common import captions, load_results
from .common.phase_maps import draw_phase_map, phase_legend, trained_points
from .registry import figure

#: Points whose bias-free loss surfaces are drawn: sparse antipodal; antipodal with a dedicated
#: local minimum nearby; dense and equally important (confused, with an antipodal local minimum).
SURFACES = ((0.1, 1.0), (0.5, 2.0), (1.0, 1.0))
#: At most this many points per axis for the with-bias optimum (every k-th point of the grid).
BIAS_POINTS_PER_AXIS = 13
WITH_BIAS, BIAS_FREE = "relu_output", "relu_output_bias_free"


def subsample(values: np.ndarray, most: int) -> np.ndarray:
    """Every k-th of the sorted ``values`` (both ends kept when k divides len − 1), at most ``most``."""
    values = np.sort(np.asarray(values, dtype=np.float64))
    step = max(1, math.ceil((len(values) - 1) / max(most - 1, 1)))
    return values[::step]


def theory_phases(p: np.ndarray, r: np.ndarray) -> tuple[list[str], list[str]]:
    """(lowest candidate's phase, all tied candidates' phases joined by ';') at every point (K,)."""
    probability = np.stack([p, p], axis=-1)
    importance = np.stack([np.ones_like(r), r], axis=-1)
    theory = theoretical_phase(CANDIDATES_2_IN_1, probability, importance)
    best = [CANDIDATES_2_IN_1[int(k)].phase_of(1) for k in theory.best]
    tied = [";".join(sorted({c.phase_of(1) for c, t in zip(CANDIDATES_2_IN_1, row) if t})) for row in theory.tied]
    return best, tied


def grid_table(p_values: np.ndarray, r_values: np.ndarray) -> pd.DataFrame:
    """Exact optima without and with bias, and the candidates, at every point of P × R."""
    free = exact_phase_diagram(p_values, r_values)
    bias = optimum_with_bias(subsample(p_values, BIAS_POINTS_PER_AXIS), subsample(r_values, BIAS_POINTS_PER_AXIS))
    table = free.rename(columns={c: f"exact_free_{c}" for c in free.columns if c not in ("p", "r")})
    for column in ("phase", "w1", "w2", "b1", "b2", "loss"):
        values = lookup_points(bias, table["p"].to_numpy(), table["r"].to_numpy(), column)
        table[f"exact_bias_{column}"] = ["" if v is None else v for v in values] if column == "phase" else \
            np.array([np.nan if v is None else v for v in values], dtype=np.float64)
    best, tied = theory_phases(table["p"].to_numpy(), table["r"].to_numpy())
    table["theory_phase"], table["theory_phases"] = best, tied
    table.insert(0, "row", "grid")
    return table


def trained_table(points: pd.DataFrame, grid: pd.DataFrame, model: str) -> pd.DataFrame:
    """Per point of one trained experiment: its phases and whether they agree with each reference."""
    table = points.copy()
    p, r = table["p"].to_numpy(), table["r"].to_numpy()
    for column in ("exact_free_phase", "exact_bias_phase", "theory_phases"):
        values = lookup_points(grid, p, r, column)
        table[column] = ["" if v is None else v for v in values]
    for which in ("phase", "selected_phase"):
        prefix = "agree" if which == "phase" else "agree_selected"
        table[f"{prefix}_exact_free"] = (table[which] == table["exact_free_phase"]).astype(float)
        table[f"{prefix}_exact_bias"] = np.where(table["exact_bias_phase"] == "", np.nan,
                                                 (table[which] == table["exact_bias_phase"]).astype(float))
        table[f"{prefix}_theory"] = [float(ph in tied.split(";")) for ph, tied in zip(table[which], table["theory_phases"])]
    table.insert(0, "model", model)
    table.insert(0, "row", "trained")
    return table


def agreement(rows: pd.DataFrame, column: str, where: pd.Series | None = None) -> tuple[float, int]:
    """(fraction of rows where ``column`` is 1, number of rows) over the rows where ``where`` holds
    and ``column`` is defined."""
    rows = rows if where is None else rows[where]
    values = rows[column].dropna()
    return (float(values.mean()) if len(values) else math.nan), int(len(values))


def _surface_panel(ax, p: float, r: float, table_rows: list[dict]) -> None:
    axis, L = loss_surface(p, r)
    optimum = exact_optimum(p, r)
    gap = L - optimum.loss + 1e-6
    image = ax.pcolormesh(axis, axis, gap.T, norm=LogNorm(vmin=1e-6, vmax=float(gap.max())), cmap="magma_r",
                          shading="nearest", rasterized=True)
    ax.contour(axis, axis, gap.T, levels=np.geomspace(1e-4, float(gap.max()), 8), colors="white", linewidths=0.3)
    for w, loss, phase in zip(optimum.minima, optimum.losses, optimum.phases):
        for sign in (1, -1):
            ax.plot(sign * w[0], sign * w[1], "o", color="white", markeredgecolor="black", markersize=4.2,
                    markeredgewidth=0.6)
        table_rows.append({"row": "surface_minimum", "p": p, "r": r, "w1": float(w[0]), "w2": float(w[1]),
                           "loss": float(loss), "phase": phase, "n_minima": optimum.n_minima})
    for candidate in CANDIDATES_2_IN_1:
        w = candidate.weights()[:, 0].numpy()
        ax.plot(w[0], w[1], "x", color="black", markersize=4, markeredgewidth=0.9)
    ax.set_aspect("equal")
    ax.set_xlabel("w₁")
    ax.set_ylabel("w₂")
    ax.set_title(f"1−S = {p:g}, r = {r:g}: {optimum.n_minima} minim{'a' if optimum.n_minima > 1 else 'um'}, "
                 f"best {optimum.phase}", fontsize=7)
    return image


@figure("phase-2-in-1-exact")
def render(config: PipelineConfig, figure: FigureSpec) -> tuple[Figure, pd.DataFrame, str]:
    experiments = [load_results(config, name) for name in figure.experiments]
    by_model = {results.spec.model: results for results in experiments}
    if WITH_BIAS not in by_model:
        raise ArtifactError(f"figure {figure.name}: needs a 2-in-1 experiment of model {WITH_BIAS} (the trained diagram)")
    trained = {model: trained_points(results) for model, results in by_model.items()}
    points = pd.concat([t[0] for t in trained.values()], ignore_index=True)
    grid = grid_table(np.unique(points["p"]), np.unique(points["r"]))
    trained_rows = pd.concat([trained_table(trained[m][0], grid, m) for m in trained], ignore_index=True)
    centre = exact_optimum(1.0, 1.0)
    extra_rows = [{"row": "point", "p": 1.0, "r": 1.0, "w1": float(centre.w[0]), "w2": float(centre.w[1]),
                   "loss": centre.loss, "phase": centre.phase, "n_minima": centre.n_minima}]

    # Agreement of each trained experiment with each reference, on the points where the with-bias
    # optimum was computed (the same points for every reference, so the fractions compare).
    with_bias = trained_rows[trained_rows["model"] == WITH_BIAS]
    on_bias_points = with_bias["exact_bias_phase"] != ""
    measured = {
        "bias": agreement(with_bias, "agree_exact_bias", on_bias_points),
        "theory": agreement(with_bias, "agree_theory", on_bias_points),
        "free": agreement(with_bias, "agree_exact_free", on_bias_points),
        "bias_selected": agreement(with_bias, "agree_selected_exact_bias", on_bias_points),
        "theory_selected": agreement(with_bias, "agree_selected_theory", on_bias_points),
    }
    free_models = trained_rows[trained_rows["model"] == BIAS_FREE]
    if len(free_models):
        measured["bias_free_models_free"] = agreement(free_models, "agree_exact_free")
        measured["bias_free_models_theory"] = agreement(free_models, "agree_theory")
    confused = grid[grid["exact_free_phase"] == CONFUSED]
    two_minima = float((grid["exact_free_n_minima"] >= 2).mean())

    def pct(key: str) -> str:
        value, count = measured[key]
        return f"{value:.0%} of {count}" if np.isfinite(value) else "—"

    caption = ("Comment (McGrath, exact, ignoring bias terms): a 'confused feature' phase W₁ ≈ W₂ ≈ 1/√2 where "
               "sparsity is low and both features are important; some points have two minima.\n"
               f"Measured: without bias, the optimum at 1−S = 1, r = 1 is W = ({centre.w[0]:.3f}, {centre.w[1]:.3f}) "
               f"({centre.phase}); confused at {len(confused)} of {len(grid)} grid points"
               + (f" (1−S ≥ {confused['p'].min():.2g}, r from {confused['r'].min():.2g} to {confused['r'].max():.2g})"
                  if len(confused) else "")
               + f"; ≥ 2 minima at {two_minima:.0%}. With the output bias (as trained) the optimum is confused at "
               f"{int((grid['exact_bias_phase'] == CONFUSED).sum())} of {int((grid['exact_bias_phase'] != '').sum())} "
               "points.\nTrained with bias, majority phase = exact with-bias optimum at " + pct("bias")
               + " points, = the three candidates at " + pct("theory") + ", = the bias-free optimum at " + pct("free")
               + " (lowest-loss model: " + pct("bias_selected") + " vs " + pct("theory_selected") + ")"
               + ("; trained without bias: = bias-free optimum at " + pct("bias_free_models_free")
                  + ", = candidates at " + pct("bias_free_models_theory") if len(free_models) else "") + ".")
    width = 13.0
    header = captions.Header.of(width, "The exact loss of n = 2 features in m = 1: optimal phases without and with the "
                               "output bias, the three candidates, the trained models, and three loss surfaces", caption)
    body = 6.0
    fig = header.figure(body)
    height = fig.get_figheight()
    maps = [("Exact optimum, no bias (comment)", grid["p"], grid["r"], grid["exact_free_phase"], None),
            ("Exact optimum with output bias", grid["p"], grid["r"], grid["exact_bias_phase"], None),
            ("Three candidates (b = 0)", grid["p"], grid["r"], grid["theory_phase"], None)]
    for model, label in ((WITH_BIAS, "Trained with bias"), (BIAS_FREE, "Trained without bias")):
        if model in trained:
            rows = trained[model][0]
            share = np.array([row[f"fraction_{row['phase'].replace(' ', '_')}"] for _, row in rows.iterrows()])
            maps.append((f"{label} ({by_model[model].spec.name})", rows["p"], rows["r"], rows["phase"], share))
    n_maps, gap = len(maps), 0.035
    panel_width = (0.93 - (len(maps) - 1) * gap) / n_maps
    top = 1 - (header.top + 0.25) / height
    map_height = 2.0 / height
    for k, (label, p, r, phases, share) in enumerate(maps):
        ax = fig.add_axes((0.05 + k * (panel_width + gap), top - map_height, panel_width, map_height))
        p_values, r_values = draw_phase_map(ax, p.to_numpy(), r.to_numpy(), np.asarray(phases), share)
        if k == 0 and len(p_values) > 1 and len(r_values) > 1:  # outline where two minima coexist
            many = grid.pivot(index="p", columns="r", values="exact_free_n_minima").sort_index().to_numpy() >= 2
            ax.contour(r_values, p_values, many.astype(float), levels=[0.5], colors="black", linewidths=0.8,
                       linestyles="--")
        ax.set_title(label, fontsize=7, pad=3)
        if k:
            ax.set_ylabel("")
    fig.legend(handles=phase_legend(), loc="upper center", bbox_to_anchor=(0.5, top - map_height - 0.42 / height),
               ncol=4, frameon=False, fontsize=6.5)

    surface_rows: list[dict] = []
    surface_height = 2.1 / height
    for k, (p, r) in enumerate(SURFACES):
        ax = fig.add_axes((0.07 + k * 0.31, 0.45 / height, 0.22, surface_height))
        image = _surface_panel(ax, p, r, surface_rows)
        bar = fig.colorbar(image, ax=ax, fraction=0.05, pad=0.02)
        bar.set_label("loss − minimum (no bias)", fontsize=6)
        bar.ax.tick_params(labelsize=5.5)

    table = pd.concat([grid, trained_rows, pd.DataFrame(extra_rows + surface_rows)], ignore_index=True)
    for key, (value, _count) in measured.items():
        table[f"agreement_{key}"] = value
    title = ("Exact 2-in-1 loss (McGrath's comment): confused phase without bias at "
             f"{len(confused)} of {len(grid)} points; trained models (with bias) agree with the exact with-bias "
             f"optimum at {pct('bias')}, with the three candidates at {pct('theory')}, with the bias-free optimum at "
             f"{pct('free')}")
    return fig, table, title
