"""Phase maps of the 2-in-1 model with the four exact phases (not learned, superposition,
dedicated, confused), shared by ``phase-2-in-1-exact`` and ``activation-phase-diagrams``:
loading trained 2-in-1 models as per-point phases, and drawing one map per panel.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import to_rgb
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter

from ...analysis.phase_change import (
    CONFUSED,
    DEDICATED,
    EXACT_PHASES,
    NOT_LEARNED,
    SUPERPOSITION,
    trained_2_in_1_phases,
)
from ...artifacts import ArtifactError
from . import ExperimentResults

#: Colour of each phase of the extra feature (the first three as in ``phase-2-in-1``).
PHASE_COLOURS = {NOT_LEARNED: "#c8c8c8", SUPERPOSITION: "#3a6fb0", DEDICATED: "#e08a2e", CONFUSED: "#3f9a56"}
_PALEST = 0.75  # how far towards white a cell whose majority is a third of the models is drawn


def trained_points(results: ExperimentResults) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(per-point, per-model) phases of a trained 2-in-1 experiment (the worst restart dropped)."""
    spec = results.spec
    if (spec.features, spec.hidden) != (2, 1):
        raise ArtifactError(f"experiment {spec.name}: a 2-in-1 phase map needs n = 2, m = 1 "
                            f"(has n = {spec.features}, m = {spec.hidden})")
    features = results.features.sort_values(["instance", "feature"])
    probability = features["feature_probability"].to_numpy().reshape(-1, 2)
    importance = features["importance"].to_numpy().reshape(-1, 2)
    points, models = trained_2_in_1_phases(results.instances, results.W, results.b, probability, importance,
                                           discard_worst=1 if spec.restarts > 1 else 0)
    points.insert(0, "experiment", spec.name)
    models.insert(0, "experiment", spec.name)
    return points, models


def edges(values: np.ndarray) -> np.ndarray:
    """Cell edges (geometric midpoints) around sorted log-spaced centres."""
    logs = np.log(np.asarray(values, dtype=np.float64))
    if len(logs) == 1:
        return np.exp([logs[0] - 0.5, logs[0] + 0.5])
    mids = (logs[1:] + logs[:-1]) / 2
    return np.exp(np.concatenate([[2 * logs[0] - mids[0]], mids, [2 * logs[-1] - mids[-1]]]))


def draw_phase_map(ax: Axes, p: np.ndarray, r: np.ndarray, phases: np.ndarray,
                   shares: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """One cell per point (p, r) (K,) coloured by its phase, paler the smaller ``shares`` (K,) (the
    fraction of models in the majority phase); log axes. Returns the sorted (p values, r values)."""
    p_values, r_values = np.unique(p), np.unique(r)
    rgb = np.ones((len(p_values), len(r_values), 3))
    for k, phase in enumerate(phases):
        if phase not in PHASE_COLOURS:
            continue  # not computed at this point: left white
        i, j = np.searchsorted(p_values, p[k]), np.searchsorted(r_values, r[k])
        paleness = 0.0 if shares is None else _PALEST * float(np.clip((1.0 - shares[k]) / (2.0 / 3.0), 0.0, 1.0))
        rgb[i, j] = (1.0 - paleness) * np.array(to_rgb(PHASE_COLOURS[phase])) + paleness
    p_edges, r_edges = edges(p_values), edges(r_values)
    p_edges[-1] = min(p_edges[-1], 1.0)
    ax.pcolormesh(r_edges, p_edges, rgb, shading="flat", rasterized=True)
    log_axes(ax, (r_edges[0], r_edges[-1]), (p_edges[0], p_edges[-1]))
    return p_values, r_values


def log_axes(ax: Axes, xlim, ylim) -> None:
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    plain = FuncFormatter(lambda value, _: f"{value:g}")
    ax.xaxis.set_major_formatter(plain)
    ax.yaxis.set_major_formatter(plain)
    ax.set_xlabel("importance of the extra feature  r")
    ax.set_ylabel("feature density  1−S")


def phase_legend(phases=EXACT_PHASES) -> list[Patch]:
    labels = {CONFUSED: "confused (W₁ ≈ W₂, aligned)", SUPERPOSITION: "superposition (antipodal)"}
    return [Patch(color=PHASE_COLOURS[p], label=f"extra feature {labels.get(p, p)}") for p in phases]
