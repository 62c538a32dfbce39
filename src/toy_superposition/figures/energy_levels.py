"""Figure ``energy-levels`` (Superposition and Learning Dynamics: discrete "energy level" jumps).

One uniform model (many equally important features, ReLU output, as in ``dims-per-feature``)
at a density where the features end up in antipodal pairs, followed through training by
its log-spaced weight snapshots. Top: every feature's dimensionality D_i(t) (one line per
feature that ever reaches a level above 0; never-learned features in grey), with the levels
1, 3/4, 2/3, 1/2, 2/5 marked. Bottom: the loss of each snapshot on one fixed evaluation batch
(smooth, so small drops show; ``learning_dynamics.snapshot_losses``) over the logged training
loss (faint). The jumps found by ``learning_dynamics.detect_jumps`` are drawn as vertical lines
in both panels, so a jump between levels can be matched with a drop in the loss.

The paper follows "one model where all the features converge into digons": the figure follows
the lowest-loss restart whose learned features all end with D_i ≈ 1/2 (the lowest-loss one if
none does; the table says which). It claims that the learning dynamics are dominated by such
jumps and that the loss drops as they happen. A jump counts between two non-zero levels
(``between_nonzero``): leaving 0 is a feature being learned. The title gives the number of jumps and how steeply the loss falls
where they happen: the median percentile of the loss's log-slope at the jumps among all
snapshot intervals (0.5 = typical, near 1 = the loss falls fastest there).

Table (long format, column ``quantity``): ``dimensionality`` rows (step, feature, value = D_i),
``snapshot_loss`` and ``training_loss`` rows (step, value), and one ``jump`` row per detected
jump (feature, from_level, to_level, start_step, step, end_step, loss_before, loss_after,
slope_percentile, between_nonzero); every row also holds ``restarts``, ``restarts_ending_in_digons``,
``chosen_ends_in_digons``, ``learned_at_end`` and ``in_digons_at_end`` of the followed model.
"""

from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd
import torch
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from .. import metrics
from ..analysis import learning_dynamics
from ..artifacts import load_snapshots, read_parquet
from ..config import FigureSpec, PipelineConfig
from ..paths import experiment_paths
from .common import captions, density_label, load_results
from .registry import figure

#: Levels drawn as reference lines (value → label).
REFERENCE_LEVELS = {1.0: "1", 3 / 4: "3/4", 2 / 3: "2/3", 1 / 2: "1/2", 2 / 5: "2/5"}


@figure("energy-levels")
def render(config: PipelineConfig, figure: FigureSpec) -> tuple[Figure, pd.DataFrame, str]:
    name = figure.experiments[0]
    results = load_results(config, name)
    spec = results.spec
    # As the paper: "one model where all the features converge into digons" — the lowest-loss
    # restart whose learned features all end with D_i ≈ 1/2 (the lowest-loss one if none does).
    instances = results.instances.sort_values("instance").reset_index(drop=True)
    final = results.W[torch.as_tensor(instances["instance"].to_numpy().copy())].double()
    final_dims, final_norms = metrics.feature_dimensionality(final).numpy(), metrics.feature_norms(final).numpy()
    index, ends_in_digons = learning_dynamics.choose_digon_model(final_dims, final_norms,
                                                                 instances["final_loss"].to_numpy())
    chosen = instances.iloc[index]
    instance = int(chosen["instance"])
    learned_at_end, digons_at_end = learning_dynamics.digon_count(final_dims[index], final_norms[index])
    clean_restarts = sum(learned > 0 and digons == learned for learned, digons in
                         (learning_dynamics.digon_count(d, w) for d, w in zip(final_dims, final_norms)))
    paths = experiment_paths(config, name)
    steps, snapshots = load_snapshots(config, name)
    W = snapshots["W"][:, instance].double()  # (T, n, m)
    dims = metrics.feature_dimensionality(W).numpy()  # (T, n)
    loss = learning_dynamics.snapshot_losses(spec, snapshots, results.distribution, [instance])[:, 0]
    curve = read_parquet(paths.loss_curve)
    curve = curve[curve["instance"] == instance].sort_values("step")

    jumps = learning_dynamics.detect_jumps(steps, dims)
    slope = learning_dynamics.log_slope(steps, loss)
    step_index = {int(s): k for k, s in enumerate(steps)}
    jumps["loss_before"] = [loss[step_index[int(s)]] for s in jumps["start_step"]]
    jumps["loss_after"] = [loss[step_index[int(s)]] for s in jumps["end_step"]]
    jumps["slope_percentile"] = learning_dynamics.slope_percentile(steps, slope, jumps["step"].to_numpy())
    jumps["between_nonzero"] = learning_dynamics.between_nonzero_levels(jumps)

    # ---- table
    n_snap, n_features = dims.shape
    table = pd.concat([
        pd.DataFrame({"quantity": "dimensionality", "step": np.repeat(steps, n_features),
                      "feature": np.tile(np.arange(n_features), n_snap), "value": dims.reshape(-1)}),
        pd.DataFrame({"quantity": "snapshot_loss", "step": steps, "value": loss}),
        pd.DataFrame({"quantity": "training_loss", "step": curve["step"].to_numpy(), "value": curve["loss"].to_numpy()}),
        jumps.assign(quantity="jump"),
    ], ignore_index=True)
    table.insert(0, "experiment", name)
    table.insert(1, "instance", instance)
    table["feature_probability"] = float(chosen["feature_probability"])
    table["restarts"] = len(instances)
    table["restarts_ending_in_digons"] = int(clean_restarts)
    table["chosen_ends_in_digons"] = bool(ends_in_digons)
    table["learned_at_end"] = learned_at_end
    table["in_digons_at_end"] = digons_at_end
    table = table.astype({"step": np.int64})
    table["feature"] = table["feature"].astype("Int64")
    table["between_nonzero"] = table["between_nonzero"].astype("boolean")  # null on the non-jump rows

    real = jumps[jumps["between_nonzero"]]
    median = float(real["slope_percentile"].median()) if len(real) else float("nan")
    final_pairs = int(np.sum(np.abs(dims[-1] - 0.5) <= learning_dynamics.LEVEL_TOLERANCE))
    kinds = ", ".join(f"{count}× {learning_dynamics.level_name(a)}→{learning_dynamics.level_name(b)}"
                      for (a, b), count in jumps.groupby(["from_level", "to_level"]).size().items())
    title = (f"Energy-level jumps: n={spec.features}, m={spec.hidden}, I=1, "
             f"{density_label(float(chosen['feature_probability']))}, one model")
    subtitle = (f"paper: in a model whose features all end in digons, features jump between dimensionality levels "
                f"during training, and the loss drops as they do\n"
                f"measured: {len(real)} jumps between non-zero levels of {int(real['feature'].nunique()) if len(real) else 0} "
                f"features, {len(jumps) - len(real)} to or from 0 (learning or dropping a feature, not counted)"
                f"{' (' + kinds + ')' if kinds else ''}\nthe loss falls faster at a jump than in "
                f"{'—' if np.isnan(median) else f'{median:.0%}'} of intervals (median); at the end {digons_at_end} of "
                f"{learned_at_end} learned features in digons ({final_pairs} with D_i ≈ 1/2); "
                f"{clean_restarts} of {len(instances)} restarts end with every learned feature in a digon")

    # ---- drawing
    header = captions.Header.of(7.2, title, subtitle)
    fig = header.figure(4.8)
    top = fig.add_axes(header.rect(fig, (0.1, 0.49, 0.8, 0.5)))
    bottom = fig.add_axes(header.rect(fig, (0.1, 0.093, 0.8, 0.327)), sharex=top)
    for value, label in REFERENCE_LEVELS.items():
        top.axhline(value, color="0.7", linewidth=0.6, linestyle="--", zorder=0)
        top.annotate(label, (1.0, value), xycoords=("axes fraction", "data"), xytext=(4, 0),
                     textcoords="offset points", va="center", fontsize=7, color="0.3")
    learned = dims.max(axis=0) > 0.2
    colours = _feature_colours(int(learned.sum()))
    for feature in np.flatnonzero(~learned):
        top.plot(steps, dims[:, feature], color="0.85", linewidth=0.4, zorder=1)
    for colour, feature in zip(colours, np.flatnonzero(learned)):
        top.plot(steps, dims[:, feature], color=colour, linewidth=0.8, alpha=0.85, zorder=2)
    for step in jumps["step"].unique():
        for ax in (top, bottom):
            ax.axvline(step, color="k", linewidth=0.5, alpha=0.35, linestyle=":", zorder=0)
    top.set_ylabel("feature dimensionality $D_i$")
    top.set_ylim(-0.03, 1.1)
    top.tick_params(labelbottom=False)
    bottom.plot(curve["step"], curve["loss"], color="0.75", linewidth=0.6, label="training loss (logged)")
    bottom.plot(steps, loss, color="C3", linewidth=1.2, label="loss of each snapshot (fixed batch)")
    if len(jumps):
        bottom.plot(jumps["step"], [loss[step_index[int(s)]] for s in jumps["step"]], "o", color="k", markersize=2.5,
                    label="detected jumps")
    bottom.set_xscale("log")
    bottom.set_yscale("log")
    bottom.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    bottom.set_xlabel("training step")
    bottom.set_ylabel("loss (log scale)")
    bottom.legend(frameon=False, loc="lower left", fontsize=6)

    return fig, table, f"{title}; {subtitle}"


def _feature_colours(count: int) -> list:
    cmap = matplotlib.colormaps["turbo"]
    return [cmap(0.05 + 0.9 * k / max(count - 1, 1)) for k in range(count)]
