"""Figure ``dropout-importance`` (reading notes on Superposition and Dropout).

The claim (shared seed 002): "dropout generally inhibits superposition, except in the
presence of both features with varying importance (exponentially decaying in this case) and
low sparsity". Tested with ReLU output models at two importance profiles, I = 1 and
I_i = 0.7^i (the experiment's grid), over feature density, with and without dropout:

* top: D* = m/‖W‖²_F (mean over restarts; bars: min to max) against 1/(1−S), one line per
  dropout rate, one panel per importance profile;
* bottom: ΔD* = mean D*(r) − mean D*(0) with its 95% bootstrap interval over restarts
  (:mod:`toy_superposition.analysis.dropout_superposition`); above 0 = dropout inhibits superposition. The shaded band
  is "low sparsity" (1−S ≥ 0.3).

Table columns (every row: ``row``, ``experiment``; null where a kind has no such column):

* ``model`` — every model: as in :mod:`.dropout_dims_per_feature`, both importance profiles;
* ``effect`` — per (importance profile, density, rate > 0) and ``measure`` ("d_star" /
  "d_star_count"): ``restarts``, ``baseline``, ``value``, ``delta``, ``ci_low``,
  ``ci_high``, ``verdict``;
* ``claim`` — ``claim`` (by the norm-free D*_count, a majority of cells: "dropout generally
  inhibits superposition …, <profile>, all densities", "…, sparse (1−S < 0.3)", "exception:
  most cells not inhibited … at low sparsity (1−S ≥ 0.3)"; the same with D*, unregistered),
  ``measured``, ``holds``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ..analysis import dropout_superposition as ds
from ..artifacts import ArtifactError
from ..config import FigureSpec, PipelineConfig
from .common import captions, inverse_density_axis, load_results
from .common.dropout import RATE_CMAP, RATE_NORM, tidy
from .registry import figure


def profile_label(decay: float) -> str:
    return "I = 1" if decay == 1.0 else f"$I_i = {decay:g}^i$"


@figure("dropout-importance")
def render(config: PipelineConfig, figure: FigureSpec) -> tuple[Figure, pd.DataFrame, str]:
    (name,) = figure.experiments
    results = load_results(config, name)
    spec = results.spec
    if spec.model != "relu_output_dropout":
        raise ArtifactError(f"figure {figure.name}: needs relu_output_dropout models, experiment {name} is {spec.model}")
    models = ds.superposition_table(results.W, results.instances)
    models = models.assign(inverse_density=1.0 / models["feature_probability"])
    decays = sorted(models["importance_decay"].unique(), reverse=True)
    effects = ds.dropout_effects(models)
    counted = ds.dropout_effects(models, "d_star_count", seed=1)
    # The registered claims read the norm-free D*_count (D* rises with dropout also because the
    # norms shrink); the same claims with D* are the unregistered rows beside them.
    claims = []
    for decay in decays:
        label = "I = 1" if decay == 1.0 else f"I_i = {decay:g}^i"
        claims.append({"claim_id": "dropout-inhibits-superposition-equal-importance" if decay == 1.0 else "",
                       **ds.inhibition_claim(counted, decay, f"dropout generally inhibits superposition (most cells, "
                                             f"D*_count), {label}, all densities")})
        if decay < 1.0:
            claims.append({"claim_id": "dropout-inhibits-superposition-decaying-sparse",
                           **ds.inhibition_claim(counted, decay, f"dropout inhibits superposition (most cells, "
                                                 f"D*_count), {label}, sparse (1−S < {ds.LOW_SPARSITY:g})",
                                                 dense_only=False)})
            claims.append({"claim_id": "dropout-exception-decaying-low-sparsity",
                           **ds.exception_claim(counted, decay, f"exception: most cells not inhibited (D*_count) with "
                                                f"{label} at low sparsity (1−S ≥ {ds.LOW_SPARSITY:g})")})
            claims.append({"claim_id": "", **ds.exception_claim(effects, decay, "the same exception measured with D* "
                                                                 "(ΔD*)")})
    claims.append({"claim_id": "", **ds.inhibition_claim(effects, 1.0,
                                                          "D*: dropout inhibits superposition, I = 1, all densities")})
    claims = pd.DataFrame(claims)
    effects = pd.concat([effects.assign(measure="d_star"), counted.assign(measure="d_star_count")],
                        ignore_index=True)
    table = tidy(pd.concat([models.assign(row="model"), effects.assign(row="effect"), claims.assign(row="claim")],
                           ignore_index=True))
    table.insert(1, "experiment", name)

    width, top_h, bottom_h = 11.0, 2.6, 1.9
    heading = (f"Does dropout inhibit superposition? ReLU output model, n={spec.features}, m={spec.hidden}, "
               f"{spec.restarts} restarts per setting, I = 1 against decaying importance")
    header = captions.Header.of(width, heading, claims=captions.claim_lines(claims), heading="Claims, measured:")
    fig = header.figure(0.25 + top_h + 0.35 + bottom_h + 0.6)
    height = fig.get_figheight()
    columns = len(decays)
    panel_w = (width - 0.8 - 0.5 - 0.8 * (columns - 1)) / columns
    d_top = float(np.nanmax(models["d_star"][np.isfinite(models["d_star"])])) if len(models) else 1.0
    drawn = effects[effects["measure"] == "d_star"]
    finite = drawn[np.isfinite(drawn["ci_low"])] if len(drawn) else drawn
    span = float(np.nanmax(np.abs(finite[["ci_low", "ci_high"]].to_numpy()))) if len(finite) else 1.0
    for k, decay in enumerate(decays):
        x = 0.8 + k * (panel_w + 0.8)
        ax = fig.add_axes((x / width, (header.bottom + 0.6 + bottom_h + 0.35) / height, panel_w / width, top_h / height))
        subset = models[np.isclose(models["importance_decay"], decay)]
        for rate, group in subset.groupby("dropout", sort=True):
            stats = group.groupby("inverse_density")["d_star"].agg(["mean", "min", "max"]).reset_index()
            colour = RATE_CMAP(RATE_NORM(rate))
            ax.errorbar(stats["inverse_density"], stats["mean"],
                        yerr=[stats["mean"] - stats["min"], stats["max"] - stats["mean"]], color=colour, marker="o",
                        markersize=3, capsize=1.5, linewidth=1.2, label=f"r = {rate:g}")
        ax.axhline(1.0, color="0.6", linewidth=0.7, linestyle="--", zorder=0)
        ax.axvspan(0.9, 1 / ds.LOW_SPARSITY, color="0.93", zorder=0, linewidth=0)
        inverse_density_axis(ax)
        ax.set_xlabel("")
        ax.set_ylim(0, max(1.1, d_top * 1.05))
        ax.set_ylabel(r"$D^* = m/\|W\|_F^2$")
        ax.set_title(f"{profile_label(decay)}: dimensions per feature (mean of restarts, min–max)", pad=3)
        if k == 0:
            ax.legend(frameon=False, title="dropout", title_fontsize=7, fontsize=6.5, loc="upper right")
        ax = fig.add_axes((x / width, (header.bottom + 0.6) / height, panel_w / width, bottom_h / height))
        cells = effects[np.isclose(effects["importance_decay"], decay) & (effects["measure"] == "d_star")]
        for rate, group in cells.groupby("dropout", sort=True):
            group = group.sort_values("feature_probability", ascending=False)
            inverse = 1.0 / group["feature_probability"].to_numpy()
            shift = 1.0 + 0.04 * (rate - 0.45)  # keep the rates' error bars apart
            ax.errorbar(inverse * shift, group["delta"], yerr=[group["delta"] - group["ci_low"],
                                                               group["ci_high"] - group["delta"]],
                        color=RATE_CMAP(RATE_NORM(rate)), marker="o", markersize=3, capsize=1.5, linewidth=1.0)
        ax.axhline(0.0, color="0.3", linewidth=0.8)
        ax.axvspan(0.9, 1 / ds.LOW_SPARSITY, color="0.93", zorder=0, linewidth=0)
        inverse_density_axis(ax)
        ax.set_ylim(-1.1 * span - 0.05, 1.1 * span + 0.05)
        ax.set_ylabel("ΔD* = D*(r) − D*(0)\n(95% CI; > 0: inhibits)")
        ax.annotate("low sparsity", (0.95, 1.0), xycoords=("data", "axes fraction"), xytext=(0, -3),
                    textcoords="offset points", fontsize=6.5, color="0.4", va="top")
    title = heading + ". " + "; ".join(f"{c.claim}: {c.holds} ({c.measured})" for c in claims.itertuples())
    return fig, table, title
