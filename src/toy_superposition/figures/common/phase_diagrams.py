"""Figures ``phase-2-in-1`` and ``phase-3-in-2`` (Superposition as a Phase Change).

One ReLU output model with n features in m = n − 1 dimensions; the last ("extra") feature's
importance r is varied against the density 1−S of all features. Two panels side by side:

* **empirical**: at each grid point the restarts minus the highest-loss one are classified
  (:mod:`toy_superposition.analysis.phase_change`, thresholds in :mod:`toy_superposition.analysis.geometry`); each cell has the colour of its
  majority phase, paler the fewer of the kept models share it (full colour: all of them;
  ``_PALEST`` of the way to white: a third); a black dot marks a point whose majority phase
  differs from the theory;
* **theory**: the lowest closed-form expected loss among the paper's candidate configurations
  (:mod:`toy_superposition.analysis.phase_change`) on a fine grid, coloured by candidate.

The theoretical phase boundaries are drawn on both panels.

Table: one row per grid point: ``extra_importance``, ``feature_probability``, the fraction
of kept models in each phase (``fraction_confused``: the extra feature on top of another,
cos ≈ +1), ``agree_fraction`` (kept models in a phase the theory allows there),
``theory_allows_superposition``, ``empirical_phase`` / ``empirical_candidate``,
``theory_phase`` / ``theory_candidate``, every candidate's expected loss, ``agree`` and the
figure-level ``agreement`` (the measured value quoted in the title).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.colors import ListedColormap, to_rgb
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter

from ...analysis.geometry import ANTIPODAL_COS, INTERACTING_COS, LEARNED_NORM
from ...analysis.phase_change import (
    CONFUSED,
    DEDICATED,
    NOT_LEARNED,
    PHASES,
    SUPERPOSITION,
    candidates_for,
    derivative_jump,
    phase_table,
    theoretical_phase,
)
from ...artifacts import ArtifactError
from ...config import FigureSpec, PipelineConfig
from . import captions, load_results

#: Colour of each phase of the extra feature.
PHASE_COLOURS = {NOT_LEARNED: "#c8c8c8", SUPERPOSITION: "#3a6fb0", DEDICATED: "#e08a2e", CONFUSED: "#8e4fa8"}
#: A candidate that shares its phase with another one and drops a non-extra feature gets a lighter shade.
_LIGHTER = {DEDICATED: "#f3c99a", SUPERPOSITION: "#9bbbe0", NOT_LEARNED: "#e6e6e6"}
_FINE = 240  # theory grid resolution per axis
_PALEST = 0.75  # how far towards white a cell whose majority is a third of the models is drawn


def candidate_colours(candidates, extra: int) -> list[str]:
    phases = [c.phase_of(extra) for c in candidates]
    colours = []
    for candidate, phase in zip(candidates, phases):
        shared = phases.count(phase) > 1
        drops_other = any(i != extra for i in candidate.dropped)
        colours.append(_LIGHTER[phase] if shared and drops_other else PHASE_COLOURS[phase])
    return colours


def _edges(values: np.ndarray) -> np.ndarray:
    """Cell edges (geometric midpoints) around sorted log-spaced centres."""
    logs = np.log(values)
    if len(values) == 1:
        return np.exp([logs[0] - 0.5, logs[0] + 0.5])
    mids = (logs[1:] + logs[:-1]) / 2
    return np.exp(np.concatenate([[2 * logs[0] - mids[0]], mids, [2 * logs[-1] - mids[-1]]]))


def _format_log_axes(ax, xlim, ylim) -> None:

    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    plain = FuncFormatter(lambda value, _: f"{value:g}")
    ax.xaxis.set_major_formatter(plain)
    ax.yaxis.set_major_formatter(plain)
    ax.set_xlabel("relative importance of the extra feature  $r$")
    ax.set_ylabel("feature density  1−S")


def render(config: PipelineConfig, figure: FigureSpec) -> tuple[Figure, pd.DataFrame, str]:
    (name,) = figure.experiments
    results = load_results(config, name)
    spec = results.spec
    n, m = spec.features, spec.hidden
    try:
        candidates, symmetries = candidates_for(n)
    except ValueError as error:
        raise ArtifactError(f"figure {figure.name}: {error}") from None
    extra = n - 1
    features = results.features.sort_values(["instance", "feature"])
    probability = features["feature_probability"].to_numpy().reshape(-1, n)
    importance = features["importance"].to_numpy().reshape(-1, n)
    table, models = phase_table(results.instances, results.W, probability, importance, candidates, symmetries,
                                extra=extra, discard_worst=1 if spec.restarts > 1 else 0)
    agreement = float(table["agree"].mean())
    per_model = float(table["agree_fraction"].mean())
    agreement_candidate = float(table["agree_candidate"].mean())
    agreement_selected = float(table["agree_selected"].mean())
    table.insert(0, "experiment", name)
    table["agreement"] = agreement
    table["agreement_per_model"] = per_model
    table["agreement_candidate"] = agreement_candidate
    table["agreement_selected"] = agreement_selected

    r_values = np.sort(table["extra_importance"].unique())
    p_values = np.sort(table["feature_probability"].unique())
    r_edges, p_edges = _edges(r_values), _edges(p_values)
    p_edges[-1] = min(p_edges[-1], 1.0)  # a density is at most 1
    xlim, ylim = (r_edges[0], r_edges[-1]), (p_edges[0], p_edges[-1])

    # Empirical: the majority phase, paler where fewer models share it.
    rgb = np.ones((len(p_values), len(r_values), 3))
    for row in table.itertuples():
        i = np.searchsorted(p_values, row.feature_probability)
        j = np.searchsorted(r_values, row.extra_importance)
        share = getattr(row, f"fraction_{row.empirical_phase.replace(' ', '_')}")
        paleness = _PALEST * float(np.clip((1.0 - share) / (2.0 / 3.0), 0.0, 1.0))
        rgb[i, j] = (1.0 - paleness) * np.array(to_rgb(PHASE_COLOURS[row.empirical_phase])) + paleness

    # Theory on a fine grid (the table holds it at the grid points).
    fine_r = np.geomspace(*xlim, _FINE)
    fine_p = np.geomspace(*ylim, _FINE)
    R, P = np.meshgrid(fine_r, fine_p)
    fine_prob = np.repeat(P[..., None], n, axis=-1)
    fine_imp = np.ones(R.shape + (n,))
    fine_imp[..., extra] = R
    best = theoretical_phase(candidates, np.minimum(fine_prob, 1.0), fine_imp).best
    colours = candidate_colours(candidates, extra)

    # First order: along r at every grid density, the optimal loss's slope jumps at each crossing.
    jumps = np.concatenate([
        derivative_jump(candidates, np.full((_FINE, n), density), fine_imp[0], fine_r, relative=True)
        for density in p_values])
    table["theory_crossings_along_r"] = int(len(jumps))
    table["theory_min_relative_slope_jump"] = float(np.abs(jumps).min()) if len(jumps) else float("nan")

    caption = ("Paper: superposition needs sparsity; the empirical and theoretical diagrams show the same sharp "
               "(first-order) phase changes.\n"
               f"Measured: {per_model:.0%} of the kept models are in the theoretical phase (mean over the "
               f"{len(table)} points of each point's fraction); the majority phase equals it at {agreement:.0%} of the "
               f"points (same candidate configuration: {agreement_candidate:.0%}); the lowest-loss model's phase at "
               f"{agreement_selected:.0%}; extra feature confused with another (W ≈ W_j) in "
               f"{float(table['fraction_confused'].mean()):.0%} of the models. Theory: the optimal loss's slope in r "
               f"jumps at all {len(jumps)} boundary "
               f"crossings along r (smallest jump {np.abs(jumps).min() if len(jumps) else float('nan'):.0%} of the "
               "slope): first order.\n"
               f"Classification: not learned if ‖W_extra‖ ≤ {LEARNED_NORM:g}; confused if cos > {ANTIPODAL_COS:g} with "
               f"another learned feature (the comment section's W₁ ≈ W₂ solution, no candidate of the theory); "
               f"dedicated if |cos| ≤ {INTERACTING_COS:g} with every other learned feature; superposition otherwise.")
    width, body = 8.6, 4.3
    fig = captions.Header.of(width, f"Phase change: n = {n} features in m = {m} — the extra feature's fate against "
                             "its relative importance and the feature density", caption).figure(body)
    height = fig.get_figheight()
    axes = [fig.add_axes((0.08, 1.2 / height, 0.38, 2.75 / height)),
            fig.add_axes((0.58, 1.2 / height, 0.38, 2.75 / height))]
    axes[0].pcolormesh(r_edges, p_edges, rgb, shading="flat", rasterized=True)
    axes[1].pcolormesh(fine_r, fine_p, best, cmap=ListedColormap(colours), vmin=-0.5,
                       vmax=len(candidates) - 0.5, shading="nearest", rasterized=True)
    for ax in axes:
        ax.contour(fine_r, fine_p, best, levels=np.arange(len(candidates)) + 0.5, colors="black", linewidths=0.7)
        _format_log_axes(ax, xlim, ylim)
    wrong = table[~table["agree"]]
    axes[0].plot(wrong["extra_importance"], wrong["feature_probability"], "o", color="black", markersize=2.2,
                 linestyle="none", label="majority ≠ theory")
    kept = int(table["models_kept"].max())
    axes[0].set_title(f"Empirical: {len(table)} points × {kept} models (worst of {spec.restarts} dropped)", pad=4)
    axes[1].set_title("Theory: lowest closed-form loss of the candidates (b = 0)", pad=4)

    phase_handles = [Patch(color=PHASE_COLOURS[p], label=f"extra feature {p}") for p in PHASES]
    phase_handles.append(axes[0].lines[-1])
    phase_handles.append(Patch(color="none", label="paler: fewer models in the majority phase"))
    axes[0].legend(handles=phase_handles, loc="upper left", bbox_to_anchor=(0.0, -0.17), ncol=2, frameon=False,
                   fontsize=6.5)
    candidate_handles = [Patch(color=c, label=f"{cand.name}: extra {cand.phase_of(extra)}")
                         for cand, c in zip(candidates, colours)]
    axes[1].legend(handles=candidate_handles, loc="upper left", bbox_to_anchor=(0.0, -0.17), ncol=2,
                   frameon=False, fontsize=6.5)

    title = (f"Phase change, n={n} features in m={m} ({'extra = feature 2' if n == 2 else 'extra = feature 3'}): "
             f"paper: empirical and theoretical phase diagrams agree, with sharp (first-order) changes. "
             f"Measured: {per_model:.0%} of the kept models in the theoretical phase; majority phase = theory at "
             f"{agreement:.0%} of {len(table)} points "
             f"(same candidate configuration: {agreement_candidate:.0%}; lowest-loss model: {agreement_selected:.0%})")
    return fig, table, title
