"""Figure ``local-orthogonal-bases`` (Geometry: Local Almost-Orthogonal Bases).

A larger ReLU output model whose features form correlated sets (all members of a set on or
off together). For the selected model at each density: WᵀW (features ordered by set, set
boundaries drawn; the paper's Gram matrix of feature vectors), and, beside the matrices, the
mean |cos| between learned features of the same set and of different sets, and the mean
feature dimensionality computed within the feature's own set
(:func:`toy_superposition.analysis.nonuniform_geometry.local_dimensionality`, 1 = the set is locally an orthogonal basis)
against the ordinary D_i over all features (:func:`..metrics.feature_dimensionality`).

Table: one row per (selected model, i, j) with ``WtW``; and per-model measured values
(``within_abs_cos``, ``between_abs_cos``, ``local_dimensionality``, ``global_dimensionality``,
``d_star``) repeated on every row of the model.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch
from matplotlib.figure import Figure

from .. import metrics
from ..analysis import geometry, nonuniform_geometry
from ..artifacts import ArtifactError
from ..config import FigureSpec, PipelineConfig
from .common import WEIGHT_CMAP, WEIGHT_NORM, captions, density_label, load_results
from .registry import figure


def model_measures(W: np.ndarray, set_size: int) -> dict[str, float]:
    """Within/between-set |cos|, local and global dimensionality (learned features), D*."""
    within, between = nonuniform_geometry.overlap_by_block(W, set_size)
    learned = nonuniform_geometry.learned(W)
    local = nonuniform_geometry.local_dimensionality(W, set_size)[learned]
    global_d = metrics.feature_dimensionality(torch.as_tensor(W)[None]).numpy()[0][learned]
    return {
        "within_abs_cos": within,
        "between_abs_cos": between,
        "local_dimensionality": float(local.mean()) if local.size else float("nan"),
        "global_dimensionality": float(global_d.mean()) if global_d.size else float("nan"),
        "d_star": float(metrics.dimensions_per_feature(torch.as_tensor(W)[None])[0]),
        "features_learned": int(learned.sum()),
    }


@figure("local-orthogonal-bases")
def render(config: PipelineConfig, figure: FigureSpec) -> tuple[Figure, pd.DataFrame, str]:
    (name,) = figure.experiments
    results = load_results(config, name)
    spec = results.spec
    if spec.distribution != "correlated":
        raise ArtifactError(f"figure {figure.name}: needs correlated feature sets, experiment {name} is "
                            f"{spec.distribution}")
    n, k = spec.features, spec.set_size
    selected = results.selected()
    blocks, summaries = [], []
    for row in selected.itertuples():
        W = results.W[row.instance].numpy()
        measures = model_measures(W, k)
        summaries.append({"instance": row.instance, "feature_probability": row.feature_probability} | measures)
        gram = W @ W.T
        i, j = np.divmod(np.arange(n * n), n)
        blocks.append(pd.DataFrame({"experiment": name, "instance": row.instance,
                                    "feature_probability": row.feature_probability,
                                    "i": i, "j": j, "same_set": (i // k) == (j // k), "WtW": gram.ravel()}
                                   | measures))
    table = pd.concat(blocks, ignore_index=True)
    summary = pd.DataFrame(summaries)

    sets = n // k
    detail = "; ".join(
        f"1−S = {s.feature_probability:.3g}: within-set |cos| {s.within_abs_cos:.2f} vs between {s.between_abs_cos:.2f}, "
        f"D^set {s.local_dimensionality:.2f} vs D {s.global_dimensionality:.2f} (D* = {s.d_star:.2f})"
        for s in summary.itertuples())
    caption = ("Paper: correlated features form a local almost-orthogonal basis — the model as a whole is in "
               "superposition, each correlated set on its own nearly is not.\nMeasured (learned features, "
               f"‖W_i‖ > {geometry.LEARNED_NORM:g}): " + detail + ".")
    panels = len(selected)
    side, gap, left = 2.2, 0.3, 0.25  # inches: matrix size, gap between matrices, left margin
    bar_left = left + panels * (side + gap)
    chart_left = bar_left + 0.12 + 0.65 + 0.7
    width = max(7.5, chart_left + 2.2 + 0.3)
    fig = captions.Header.of(width, f"Local almost-orthogonal bases: n = {n} features in {sets} correlated sets of "
                             f"{k}, m = {spec.hidden}; WᵀW of the selected model", caption).figure(3.0)
    height = fig.get_figheight()
    for c, row in enumerate(selected.itertuples()):
        ax = fig.add_axes(((left + c * (side + gap)) / width, 0.25 / height, side / width, side / height))
        gram = table[table["instance"] == row.instance]["WtW"].to_numpy().reshape(n, n)
        image = ax.imshow(gram, cmap=WEIGHT_CMAP, norm=WEIGHT_NORM, interpolation="nearest")
        for boundary in range(k, n, k):
            ax.axhline(boundary - 0.5, color="black", linewidth=0.8)
            ax.axvline(boundary - 0.5, color="black", linewidth=0.8)
        ax.set_xticks([])
        ax.set_yticks([])
        s = summary.iloc[c]
        ax.set_title(f"{density_label(row.feature_probability)}\nwithin-set |cos| {s.within_abs_cos:.2f}, "
                     f"between {s.between_abs_cos:.2f}", fontsize=6.8, pad=3)
    bar = fig.add_axes((bar_left / width, 0.45 / height, 0.12 / width, 1.8 / height))
    fig.colorbar(image, cax=bar).set_label("WᵀW", labelpad=1)

    ax = fig.add_axes((chart_left / width, 0.5 / height, 2.2 / width, 1.95 / height))
    x = np.arange(len(summary))
    ax.bar(x - 0.2, summary["local_dimensionality"], width=0.4, color="C2", label="within own set  $D_i^{set}$")
    ax.bar(x + 0.2, summary["global_dimensionality"], width=0.4, color="C0", label="over all features  $D_i$")
    ax.axhline(1.0, color="0.6", linestyle="--", linewidth=0.7)
    ax.set_xticks(x, [f"{p:.3g}" for p in summary["feature_probability"]])
    ax.set_xlabel("1−S")
    ax.set_ylabel("mean feature dimensionality")
    ax.set_ylim(0, 1.45)
    ax.set_yticks([0, 0.25, 0.5, 0.75, 1.0])
    ax.legend(frameon=False, fontsize=6.3, loc="upper left")

    title = (f"Local almost-orthogonal bases (n={n} in {sets} correlated sets of {k}, m={spec.hidden}): paper: each "
             f"correlated set is nearly orthogonal internally though the model is in superposition. Measured: {detail}")
    return fig, table, title
