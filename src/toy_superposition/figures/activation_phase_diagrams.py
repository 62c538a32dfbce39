"""Figure ``activation-phase-diagrams`` (comment section: Redwood Research, "the phase diagrams look
quite different depending on the activation function").

The 2-in-1 phase diagram of ``phase-2-in-1`` (n = 2 in m = 1, the extra feature's importance r
against the density 1−S of both) with the output ReLU replaced by GELU (exact, z Φ(z)), SiLU /
Swish (z σ(z)) and the bounded tanh. Each trained model is classified as the exact analysis
does (:func:`toy_superposition.analysis.phase_change.classify_2_in_1`: not learned,
superposition (antipodal), dedicated, or confused (both learned, aligned)), and each point gets
the majority phase of its restarts minus the worst. ReLU is read from ``phase-2-in-1`` at the
points of the other diagrams' grid. Panels: one map per activation (paler: fewer models in the
majority phase; a dot: the phase differs from ReLU's there), and the share of points in each
phase per activation.

Table (``row``): ``point`` one per (activation, point) with its phase, the ReLU phase there and
``differs_from_relu``; ``summary`` one per activation with the share of points in each phase,
the share where both features are learned in the one dimension (superposition or confused:
polysemantic) with its 95% Wilson interval, and the share that differs from ReLU.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ..analysis.phase_change import CONFUSED, EXACT_PHASES, SUPERPOSITION, lookup_points
from ..analysis.statistics import wilson_interval
from ..artifacts import ArtifactError
from ..config import FigureSpec, PipelineConfig
from ..models import OUTPUT_ACTIVATIONS
from .common import captions, load_results
from .common.phase_maps import PHASE_COLOURS, draw_phase_map, phase_legend, trained_points
from .registry import figure

NAMES = {"relu": "ReLU", "gelu": "GELU", "silu": "SiLU (Swish)", "tanh": "tanh (bounded)"}


def summary_rows(points: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for activation, group in points.groupby("activation", sort=False):
        total = len(group)
        both = int(group["phase"].isin([SUPERPOSITION, CONFUSED]).sum())
        low, high = wilson_interval(both, total)
        compared = group[group["relu_phase"] != ""]
        differs = int(compared["differs_from_relu"].sum())
        d_low, d_high = wilson_interval(differs, len(compared))
        row = {"row": "summary", "activation": activation, "experiment": group["experiment"].iloc[0], "points": total,
               "polysemantic": both, "share_polysemantic": both / total, "ci_low": low, "ci_high": high,
               "differs_from_relu": differs, "compared_with_relu": int(len(compared)),
               "share_differs_from_relu": differs / len(compared) if len(compared) else np.nan,
               "differs_ci_low": d_low, "differs_ci_high": d_high}
        for phase in EXACT_PHASES:
            row[f"share_{phase.replace(' ', '_')}"] = float((group["phase"] == phase).mean())
        rows.append(row)
    return pd.DataFrame(rows)


@figure("activation-phase-diagrams")
def render(config: PipelineConfig, figure: FigureSpec) -> tuple[Figure, pd.DataFrame, str]:
    experiments = [load_results(config, name) for name in figure.experiments]
    by_activation = {}
    for results in experiments:
        activation = OUTPUT_ACTIVATIONS[results.spec.model]
        if activation in by_activation:
            raise ArtifactError(f"figure {figure.name}: two experiments with the {activation} activation")
        by_activation[activation] = trained_points(results)[0]
    if "relu" not in by_activation:
        raise ArtifactError(f"figure {figure.name}: needs a ReLU output 2-in-1 experiment (the reference)")
    relu = by_activation["relu"]
    others = [a for a in by_activation if a != "relu"]
    grid = by_activation[others[0]] if others else relu
    parts = []
    for activation, points in by_activation.items():
        points = points.copy()
        if activation == "relu":  # the reference at the other diagrams' points
            keep = lookup_points(points.assign(idx=np.arange(len(points))), grid["p"].to_numpy(),
                                 grid["r"].to_numpy(), "idx")
            points = points.iloc[[int(k) for k in keep if k is not None]].reset_index(drop=True)
        values = lookup_points(relu, points["p"].to_numpy(), points["r"].to_numpy(), "phase")
        points["relu_phase"] = ["" if v is None else v for v in values]
        points["differs_from_relu"] = (points["relu_phase"] != "") & (points["phase"] != points["relu_phase"])
        points.insert(0, "activation", activation)
        parts.append(points)
    points = pd.concat(parts, ignore_index=True)
    points.insert(0, "row", "point")
    summary = summary_rows(points)

    described = "; ".join(f"{NAMES.get(r.activation, r.activation)}: both features in one dimension at "
                          f"{r.share_polysemantic:.0%}" + ("" if r.activation == "relu" else
                                                           f", {r.share_differs_from_relu:.0%} differ from ReLU")
                          for r in summary.itertuples())
    caption = ("Comment (Redwood Research): the phase diagrams look quite different depending on the activation "
               "function; some activation functions induce more polysemanticity than others.\n"
               f"Measured on {len(grid)} points (majority phase of the restarts minus the worst): {described}.")
    width = 12.0
    header = captions.Header.of(
        width, "The 2-in-1 phase diagram with other output activations: ReLU, GELU, SiLU and tanh", caption)
    fig = header.figure(3.6)
    height = fig.get_figheight()
    order = ["relu"] + others
    panel, bottom, tall = 0.155, 1.0 / height, 2.3 / height
    for k, activation in enumerate(order):
        ax = fig.add_axes((0.05 + k * (panel + 0.035), bottom, panel, tall))
        rows = points[points["activation"] == activation]
        share = np.array([row[f"fraction_{row['phase'].replace(' ', '_')}"] for _, row in rows.iterrows()])
        draw_phase_map(ax, rows["p"].to_numpy(), rows["r"].to_numpy(), rows["phase"].to_numpy(), share)
        wrong = rows[rows["differs_from_relu"]]
        ax.plot(wrong["r"], wrong["p"], "o", color="black", markersize=2.2, linestyle="none")
        ax.set_title(NAMES.get(activation, activation), fontsize=7.5, pad=3)
        if k:
            ax.set_ylabel("")
    fig.legend(handles=phase_legend(), loc="lower left", bbox_to_anchor=(0.04, 0.0), ncol=4, frameon=False,
               fontsize=6.5)
    ax_bar = fig.add_axes((0.05 + len(order) * (panel + 0.035) + 0.01, bottom, 0.13, tall))
    left = np.zeros(len(order))
    for phase in EXACT_PHASES:
        shares = [float(summary.loc[summary["activation"] == a, f"share_{phase.replace(' ', '_')}"].iloc[0])
                  for a in order]
        ax_bar.barh(np.arange(len(order)), shares, left=left, color=PHASE_COLOURS[phase], height=0.7)
        left += shares
    ax_bar.set_yticks(np.arange(len(order)))
    ax_bar.set_yticklabels([NAMES.get(a, a).split(" ")[0] for a in order])
    ax_bar.invert_yaxis()
    ax_bar.set_xlim(0, 1)
    ax_bar.set_xlabel("share of points")
    ax_bar.set_title("Phases per activation", fontsize=7.5)

    table = pd.concat([points, summary], ignore_index=True)
    title = f"2-in-1 phase diagrams by output activation ({len(grid)} points): {described}"
    return fig, table, title
