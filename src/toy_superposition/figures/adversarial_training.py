"""Figure ``adversarial-training`` (Relationship to Adversarial Robustness, the adversarial
training paragraph).

ReLU output models trained against the analytic optimal L2 attack on a random feature
(``models.adversarial_input``: every input is moved by λ G_k/‖G_k‖ for a feature k drawn at
random, λ a fraction of the batch's mean input norm), the fraction swept from 0 (no attack).
Panels against the fraction: features per dimension 1/D* = ‖W‖²_F/m (1: one feature per
dimension), the features represented and those of them in superposition (D_i < 0.9;
:func:`toy_superposition.analysis.adversarial.adversarial_training_summary`), and the clean loss.
Every restart is drawn; lines join the means.

Table: one row per instance (``row == "model"``) with the fraction, restart and the measures,
and the fraction from which on no model has a feature in superposition as a column.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ..analysis.adversarial import adversarial_training_summary, elimination_fraction
from ..artifacts import ArtifactError
from ..config import FigureSpec, PipelineConfig
from .common import captions, load_results
from .registry import figure


@figure("adversarial-training")
def render(config: PipelineConfig, figure: FigureSpec) -> tuple[Figure, pd.DataFrame, str]:
    (name,) = figure.experiments
    results = load_results(config, name)
    spec = results.spec
    if "adversarial_fraction" not in spec.grid:
        raise ArtifactError(f"figure {figure.name}: experiment {name} has no adversarial_fraction grid")
    table = adversarial_training_summary(results.W, results.instances)
    table.insert(0, "row", "model")
    eliminated = elimination_fraction(table)
    table["elimination_fraction"] = eliminated
    means = table.groupby("adversarial_fraction")[["features_per_dimension", "features_represented",
                                                     "features_in_superposition", "final_loss"]].mean()
    clean = means.iloc[0]
    largest = means.index.max()
    gone = (f"no feature is in superposition from a fraction of {eliminated:g} on" if np.isfinite(eliminated)
            else f"features remain in superposition at the largest fraction, {largest:g}")
    density = float(results.instances["feature_probability"].iloc[0])
    caption = ("Paper: adversarial training with the analytic attack on a random feature reduced superposition, "
               "but the attack had to be 80% of the input L2 norm to eliminate it.\n"
               f"Measured (n = {spec.features}, m = {spec.hidden}, 1−S = {density:g}, {spec.restarts} restarts): "
               f"features per dimension {clean['features_per_dimension']:.2f} without attack, "
               f"{means['features_per_dimension'].loc[largest]:.2f} at {largest:g}; features in superposition "
               f"{clean['features_in_superposition']:.1f} → {means['features_in_superposition'].loc[largest]:.1f}; "
               f"{gone}.")
    width, body = 11.0, 3.0
    header = captions.Header.of(width, "Adversarial training against the optimal attack on a random feature: superposition "
                         "against the attack's norm", caption)
    fig = header.figure(body)
    height = fig.get_figheight()
    bottom, tall = 0.5 / height, 2.3 / height
    axes = [fig.add_axes((0.06 + k * 0.325, bottom, 0.25, tall)) for k in range(3)]
    x = means.index.to_numpy()
    axes[0].plot(table["adversarial_fraction"], table["features_per_dimension"], "o", color="C0", markersize=2.5,
                 alpha=0.5)
    axes[0].plot(x, means["features_per_dimension"], "-", color="C0", linewidth=1.1)
    axes[0].axhline(1.0, color="0.5", linestyle=":", linewidth=0.8)
    axes[0].set_ylabel("features per dimension  ‖W‖²_F / m")
    for column, colour, text in (("features_represented", "C2", "represented (‖W_i‖ > 0.5)"),
                                 ("features_in_superposition", "C3", "in superposition (D_i < 0.9)")):
        axes[1].plot(table["adversarial_fraction"], table[column], "o", color=colour, markersize=2.5, alpha=0.5)
        axes[1].plot(x, means[column], "-", color=colour, linewidth=1.1, label=text)
    axes[1].axhline(spec.hidden, color="0.5", linestyle=":", linewidth=0.8, label=f"m = {spec.hidden}")
    axes[1].set_ylabel("features")
    axes[1].legend(frameon=False, fontsize=6.5)
    axes[2].plot(table["adversarial_fraction"], table["final_loss"], "o", color="C4", markersize=2.5, alpha=0.5)
    axes[2].plot(x, means["final_loss"], "-", color="C4", linewidth=1.1)
    axes[2].set_ylabel("clean loss")
    for ax in axes:
        ax.set_xlabel("attack norm / mean input L2 norm")
        ax.axvline(0.8, color="0.75", linewidth=0.6, zorder=0)
        if np.isfinite(eliminated):
            ax.axvline(eliminated, color="black", linestyle="--", linewidth=0.8)
    title = (f"Adversarial training (n={spec.features}, m={spec.hidden}): paper: reduces superposition, eliminated "
             f"only at 80% of the input norm. Measured: features per dimension {clean['features_per_dimension']:.2f} → "
             f"{means['features_per_dimension'].loc[largest]:.2f}; {gone}")
    return fig, table, title
