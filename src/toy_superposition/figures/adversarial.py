"""Figure ``adversarial`` (Relationship to Adversarial Robustness).

The uniform models of ``dims-per-feature`` (ReLU output, equally important features), one
per feature density: for each, the analytically optimal L2 attack on every feature,
``±ε (WᵀW)_i / ‖(WᵀW)_i‖`` with ``ε`` = 0.1 × the mean input norm, keeping for every input
the most damaging one (``adversarial.vulnerability``, on one fixed batch per model).
Plotted against 1/(1−S): the vulnerability — the attacked loss's increase over the clean
loss, relative to the clean loss — and, on the right axis, the features per dimension
``1/D* = ‖W‖²_F / m``.

The paper reports that vulnerability "sharply increases as superposition forms (increasing
by >3x)" and "closely tracks the number of features per dimension". The title gives the
measured rise (the largest vulnerability over that of the densest model, which has no
superposition) and the Pearson correlation of vulnerability with 1/D* across densities.

Table: one row per density with ``budget`` ε, ``clean_loss``, ``attacked_loss``,
``vulnerability`` (per input its most damaging attack), ``universal_vulnerability`` (the paper's:
per model the one attack that harms it most), their rises over the densest model
(``rise_over_densest``, ``universal_rise_over_densest``), ``d_star`` and ``features_per_dimension``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch
from matplotlib.figure import Figure

from .. import metrics
from ..analysis import adversarial
from ..config import FigureSpec, PipelineConfig, derive_seed
from ..distributions import FeatureDistribution, sample_features
from .common import captions, importance_label, inverse_density_axis, load_results
from .registry import figure

#: Inputs per model on which the attack is evaluated.
EVAL_BATCH = 512


def vulnerability_table(config: PipelineConfig, name: str) -> pd.DataFrame:
    """Attack every selected model of experiment ``name`` (one per density), densest first."""
    results = load_results(config, name)
    spec = results.spec
    dist = results.distribution
    selected = results.selected()
    rows = []
    for row in selected.itertuples():
        i = int(row.instance)
        generator = torch.Generator().manual_seed(derive_seed(spec.seed, "adversarial", i))
        probability = dist.probability[i: i + 1].double()
        importance = dist.importance[i: i + 1].double()
        one = FeatureDistribution(probability, importance, dist.kind, dist.set_size, dist.signed)
        x = sample_features(one, EVAL_BATCH, generator)
        params = {"W": results.W[i: i + 1], "b": results.b[i: i + 1]}
        result = adversarial.vulnerability(spec.model, params, x, importance)
        W = results.W[i: i + 1]
        d_star = float(metrics.dimensions_per_feature(W)[0])
        rows.append({
            "experiment": name,
            "instance": i,
            "feature_probability": float(row.feature_probability),
            "inverse_density": 1.0 / float(row.feature_probability),
            "budget": float(result.budget[0]),
            "clean_loss": float(result.clean_loss[0]),
            "attacked_loss": float(result.attacked_loss[0]),
            "vulnerability": float(result.vulnerability[0]),
            "universal_vulnerability": float(result.universal_vulnerability[0]),
            "d_star": d_star,
            "features_per_dimension": 1.0 / d_star,
        })
    return pd.DataFrame(rows)


@figure("adversarial")
def render(config: PipelineConfig, figure: FigureSpec) -> tuple[Figure, pd.DataFrame, str]:
    name = figure.experiments[0]
    table = vulnerability_table(config, name)
    spec = config.experiment(name)
    baseline = float(table["vulnerability"].iloc[0])  # densest model
    peak = int(table["vulnerability"].idxmax())
    rise = float(table["vulnerability"].iloc[peak]) / baseline if baseline > 0 else float("inf")
    correlation = float(np.corrcoef(table["vulnerability"], table["features_per_dimension"])[0, 1]) if len(table) > 2 else float("nan")
    table["rise_over_densest"] = table["vulnerability"] / baseline if baseline > 0 else np.nan
    # The paper's attack: per model, the one of the 2n attacks that harms it most.
    universal = float(table["universal_vulnerability"].iloc[0])
    table["universal_rise_over_densest"] = table["universal_vulnerability"] / universal if universal > 0 else np.nan
    universal_rise = float(table["universal_rise_over_densest"].max())
    universal_correlation = (float(np.corrcoef(table["universal_vulnerability"], table["features_per_dimension"])[0, 1])
                             if len(table) > 2 else float("nan"))
    table["correlation_with_features_per_dimension"] = correlation

    title = (f"Adversarial vulnerability: n={spec.features}, m={spec.hidden}, {importance_label(spec)}, "
             f"L2 budget 0.1 × mean input norm")
    subtitle = (f"paper: vulnerability rises sharply (>3×) as superposition forms and closely tracks the features per "
                f"dimension\nmeasured, the paper's attack (per model, the one attack that harms it most): peak "
                f"{universal_rise:.1f}× the densest model's, corr(vulnerability, 1/D*) = {universal_correlation:.2f}; "
                f"per-input best attack: peak {rise:.1f}× (at 1/(1−S) = {table['inverse_density'].iloc[peak]:.3g}), "
                f"corr = {correlation:.2f}")
    header = captions.Header.of(6.8, title, subtitle)
    fig = header.figure(3.3)
    ax = fig.add_axes(header.rect(fig, (0.11, 0.158, 0.76, 0.824)))
    ax.plot(table["inverse_density"], table["vulnerability"], "o-", color="C3", markersize=3, linewidth=1.3,
            label="vulnerability (per-input best attack)")
    ax.plot(table["inverse_density"], table["universal_vulnerability"], "s--", color="C3", alpha=0.45, markersize=2.5,
            linewidth=0.9, label="one attack for all inputs")
    ax.set_ylabel("vulnerability: (L_attacked − L_clean) / L_clean", color="C3")
    ax.set_ylim(bottom=0)
    inverse_density_axis(ax)
    right = ax.twinx()
    right.spines["right"].set_visible(True)
    right.plot(table["inverse_density"], table["features_per_dimension"], "o-", color="C0", markersize=2.5, linewidth=1.0,
               label="features per dimension 1/D*")
    right.set_ylabel("features per dimension  $1/D^* = \\|W\\|_F^2/m$", color="C0")
    right.set_ylim(bottom=0)
    handles = ax.get_legend_handles_labels()
    more = right.get_legend_handles_labels()
    ax.legend(handles[0] + more[0], handles[1] + more[1], frameon=False, loc="upper left", fontsize=6.5)
    return fig, table, f"{title}; {subtitle}"
