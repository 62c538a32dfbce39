"""Figure ``l1-superposition`` (Strategic Approaches, Approach 1: creating models without superposition).

ReLU output models trained with an L1 penalty ``λ‖h‖₁`` on the hidden activations, λ swept
(λ = 0 drawn at the left, apart from the log axis), one selected (lowest-loss) model per λ.
Panels: (a) superposition — the number of represented features (‖W_i‖ > 0.5), how many of
them share their dimension (D_i < 0.9) and the hidden size m; (b) dimensions per feature
D* = m/‖W‖²_F with the line D* = 1; (c) the cost — the reconstruction loss (without the
penalty) relative to λ = 0; (d) ‖W_i‖ of every feature (most important at the top) against λ.
Quantities from ``removing_superposition.sweep_summary``.

The paper claims superposition is "quite easy to get rid of … albeit at the cost of a
higher loss", the penalty "killing features below a certain importance threshold". The
title reports the smallest λ from which no feature is in superposition, and the loss there
relative to λ = 0.

Table: one row per λ (``quantity = "summary"``: d_star, features_represented,
features_in_superposition, basis_alignment, least_important_represented,
top_features_represented, final_loss, relative_loss) and one row per (λ, feature)
(``quantity = "norm"``: feature, importance, value = ‖W_i‖, dimensionality).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

from .. import metrics
from ..analysis import removing_superposition
from ..config import FigureSpec, PipelineConfig
from .common import captions, density_label, importance_label, load_results, model_label
from .registry import figure


def _positions(penalties: np.ndarray) -> tuple[np.ndarray, float | None]:
    """x positions on a log axis: λ itself, and λ = 0 placed a factor 4 left of the smallest positive λ."""
    positive = penalties[penalties > 0]
    zero_at = float(positive.min()) / 4 if len(positive) else 1.0
    return np.where(penalties > 0, penalties, zero_at), (zero_at if (penalties == 0).any() else None)


@figure("l1-superposition")
def render(config: PipelineConfig, figure: FigureSpec) -> tuple[Figure, pd.DataFrame, str]:
    name = figure.experiments[0]
    results = load_results(config, name)
    spec = results.spec
    dist = results.distribution
    selected = results.selected().sort_values("l1_penalty").reset_index(drop=True)
    summary = removing_superposition.sweep_summary(results.W, dist.importance, selected)
    reference = summary.loc[summary["l1_penalty"] == summary["l1_penalty"].min(), "final_loss"].iloc[0]
    summary["relative_loss"] = summary["final_loss"] / reference
    free_from = removing_superposition.superposition_free_from(summary)

    norms = metrics.feature_norms(results.W).numpy()
    dims = metrics.feature_dimensionality(results.W).numpy()
    norm_rows = []
    for row in summary.itertuples():
        for feature in range(spec.features):
            norm_rows.append({"quantity": "norm", "instance": row.instance, "l1_penalty": row.l1_penalty,
                              "feature": feature, "importance": float(dist.importance[row.instance, feature]),
                              "value": float(norms[row.instance, feature]),
                              "dimensionality": float(dims[row.instance, feature])})
    table = pd.concat([summary.assign(quantity="summary"), pd.DataFrame(norm_rows)], ignore_index=True)
    table.insert(0, "experiment", name)
    table["feature_probability"] = float(selected["feature_probability"].iloc[0])
    table["feature"] = table["feature"].astype("Int64")
    for column in ("features_represented", "features_in_superposition"):
        table[column] = table[column].astype("Int64")
    table["top_features_represented"] = table["top_features_represented"].astype("boolean")

    x, zero_at = _positions(summary["l1_penalty"].to_numpy())
    at_free = summary.loc[summary["l1_penalty"] == free_from]
    cost = (f"loss there {float(at_free['relative_loss'].iloc[0]):.2g}× that at λ=0, "
            f"{int(at_free['features_represented'].iloc[0])} features kept" if len(at_free) else "never reached")
    title = (f"Removing superposition with an L1 penalty on h: {model_label(spec)}, n={spec.features}, m={spec.hidden}, "
             f"{importance_label(spec)}, {density_label(float(selected['feature_probability'].iloc[0]))}")
    subtitle = (f"paper: an L1 penalty on h gets rid of superposition, at the cost of a higher loss, killing features below an "
                f"importance threshold\nmeasured: at λ=0 {int(summary['features_represented'].iloc[0])} features represented, "
                f"{int(summary['features_in_superposition'].iloc[0])} in superposition\nnone in superposition from "
                f"λ = {_penalty_label(free_from) if np.isfinite(free_from) else '— (never)'} on ({cost}); "
                f"represented features are the most important ones at {int(summary['top_features_represented'].sum())}"
                f"/{len(summary)} λ")
    header = captions.Header.of(8.6, title, subtitle)
    fig = header.figure(5.5)
    axes = [fig.add_axes(header.rect(fig, box)) for box in ((0.08, 0.64, 0.37, 0.326), (0.57, 0.64, 0.37, 0.326),
                                                            (0.08, 0.116, 0.37, 0.337))]
    heat = fig.add_axes(header.rect(fig, (0.57, 0.116, 0.32, 0.337)))
    colour_bar = fig.add_axes(header.rect(fig, (0.9, 0.116, 0.012, 0.337)))

    a, b, c = axes
    a.plot(x, summary["features_represented"], "o-", color="C0", markersize=3, label="features represented")
    a.plot(x, summary["features_in_superposition"], "s-", color="C3", markersize=3, label="… of them in superposition ($D_i$ < 0.9)")
    a.axhline(spec.hidden, color="0.5", linestyle="--", linewidth=0.8)
    a.annotate(f"m = {spec.hidden}", (1.0, spec.hidden), xycoords=("axes fraction", "data"), xytext=(2, 2),
               textcoords="offset points", fontsize=7, color="0.35", ha="right", va="bottom")
    a.set_ylabel("features")
    a.set_ylim(bottom=0)
    a.legend(frameon=False, fontsize=6.5, loc="upper right")
    a.set_title("(a) superposition", loc="left")
    learned = summary["features_represented"].to_numpy() > 0  # D* is meaningless (→ ∞) with nothing learned
    b.plot(x[learned], summary["d_star"][learned], "o-", color="k", markersize=3)
    for position in x[~learned]:
        b.annotate("nothing\nlearned", (position, 1.0), ha="center", va="bottom", fontsize=6, color="0.35")
    b.axhline(1.0, color="0.5", linestyle="--", linewidth=0.8)
    b.set_ylabel("dimensions per feature $D^*$")
    b.set_yscale("log")
    b.set_title("(b) $D^* = m/\\|W\\|_F^2$ (1 = one dimension per feature)", loc="left")
    c.plot(x, summary["relative_loss"], "o-", color="C2", markersize=3)
    c.axhline(1.0, color="0.5", linestyle="--", linewidth=0.8)
    c.set_yscale("log")
    c.set_ylabel("loss / loss at λ = 0")
    c.set_title("(c) the cost: reconstruction loss (no penalty term)", loc="left")
    for ax in axes:
        _penalty_axis(ax, x, summary["l1_penalty"].to_numpy(), zero_at)
        if np.isfinite(free_from):
            ax.axvline(free_from, color="C3", linewidth=0.8, alpha=0.5, linestyle=":")

    order = np.argsort(-dist.importance[int(summary["instance"].iloc[0])].numpy(), kind="stable")
    grid = norms[summary["instance"].to_numpy()][:, order].T  # (n, settings), most important on top
    image = heat.imshow(grid, aspect="auto", cmap="viridis", vmin=0, vmax=max(1.0, float(grid.max())),
                        interpolation="nearest")
    heat.set_xticks(range(len(summary)))
    heat.set_xticklabels([_penalty_label(v) for v in summary["l1_penalty"]], rotation=90, fontsize=6)
    heat.set_xlabel("L1 penalty λ")
    heat.set_ylabel("feature (most important on top)")
    heat.set_title("(d) ‖W_i‖ per feature", loc="left")
    fig.colorbar(image, cax=colour_bar, label="‖W_i‖")

    return fig, table, f"{title}; {subtitle}"


def _penalty_label(value: float) -> str:
    return "0" if value == 0 else f"{value:.2g}"


def _penalty_axis(ax, x: np.ndarray, penalties: np.ndarray, zero_at: float | None) -> None:
    ax.set_xscale("log")
    ax.set_xlim(float(x.min()) / 1.5, float(x.max()) * 1.5)
    ticks = sorted(set(x.tolist()))
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_minor_locator(NullLocator())
    labels = {float(pos): _penalty_label(float(pen)) for pos, pen in zip(x, penalties)}
    ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: labels.get(float(value), "")))
    ax.tick_params(axis="x", labelrotation=90, labelsize=6)
    ax.set_xlabel("L1 penalty λ")
