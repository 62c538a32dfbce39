"""Figures ``dropout-orientation-2d`` and ``dropout-orientation-dense`` (Superposition and Dropout).

Many 2-D ReLU output models with dropout on the hidden vector, equally important features,
one feature density, dropout rates r from 0 to 0.9. Each model's orientation is the unit
vector ``u = W_k/‖W_k‖`` of its largest-norm feature (:mod:`toy_superposition.analysis.dropout_orientation`).

* left: every model's ``u`` drawn on a circle of radius 1 + r, one circle per dropout rate (as
  the post does, so the rates do not overlap); grey lines mark the axes and diagonals;
* middle: the distribution of the angle folded onto [0°, 45°] (0° = on an axis, 45° = on a
  diagonal), per rate, as density relative to a uniform angle;
* third: the mean of ``cos 4θ`` per rate (+1 axes, −1 diagonals, 0 uniform) with 95%
  percentile-bootstrap intervals over models, coloured by regime, and the transition rate r*
  (:mod:`toy_superposition.analysis.dropout_orientation`) with its interval. ``dropout-orientation-dense`` also draws the
  sparse experiment (its figure's second experiment) in grey for comparison;
* right: the same mean per rate at the training steps of the experiment's weight snapshots
  (``snapshots.safetensors``, written by the train stage together with the weights), which
  shows whether the orientation has settled by the end of training.

The caption under the panels states each claim of the post and the measured value; the
uniformity tests at r = 0 are also printed in the caption.

Table columns (stable: the claims of :mod:`..claims` read them). Every row has ``row`` (its
kind) and ``experiment``; a column a kind does not use is null.

* ``model`` — one per trained model: ``instance``, ``restart``, ``dropout``,
  ``feature_probability``, ``u_0``, ``u_1`` (the orientation u), ``theta`` (atan2 angle of u,
  radians), ``folded`` (angle to the nearest axis, degrees in [0, 45]), ``alignment``
  (cos 4θ), ``axis_angle`` / ``diagonal_angle`` (degrees from u to the nearest axis / main
  diagonal), ``feature_alignment`` (mean a_2 over features with ‖W_i‖ > 0.5),
  ``largest_norm``, ``represented`` (features with ‖W_i‖ > 0.5), ``final_loss``.
* ``rate`` — one per dropout rate: ``dropout``, ``models``, ``mean`` / ``ci_low`` /
  ``ci_high`` (mean cos 4θ and its 95% percentile-bootstrap interval), ``mean_vs_baseline`` /
  ``_low`` / ``_high`` (its change from r = 0), ``axis_share`` / ``diagonal_share`` with Wilson
  intervals (models within 5° of an axis / a diagonal) and their differences from r = 0
  (``axis_vs_baseline``, ``diagonal_vs_baseline``, Newcombe intervals), ``regime`` ("avoids
  axes" / "axis-aligned" / "no preference": axis share below / above / as at r = 0),
  ``towards_diagonals``, ``z`` and
  ``p_uniform`` (alignment z-test of mean 0), ``p_rayleigh`` (Rayleigh test of 4θ),
  ``p_kuiper`` (Kuiper test), ``cos8_mean`` / ``cos8_ci_low`` / ``cos8_ci_high`` (mean cos 8θ:
  +1 on the axes *and* the diagonals, which tells a rate whose models split between axes and
  diagonals, mean cos 4θ ≈ 0, from a uniform one). ``dropout-orientation-dense`` appends the
  rate rows of the sparse comparison experiment (their ``experiment`` names it).
* ``histogram`` — per rate and bin of the folded angle: ``dropout``, ``bin_low``,
  ``bin_high`` (degrees), ``density`` (1 = uniform).
* ``step`` — per weight snapshot and rate: ``step``, ``dropout``, ``mean``, ``ci_low``,
  ``ci_high`` (as in ``rate`` rows).
* ``transition`` — one row: ``mean`` / ``ci_low`` / ``ci_high`` (the onset rate r* of
  :func:`toy_superposition.analysis.dropout_orientation.transition_rate` and its bootstrap interval; NaN when the mean
  never turns positive), ``defined`` (fraction of resamples with a crossing).
* ``claim`` — ``claim``, ``measured`` (the numbers, with intervals), ``holds`` (yes / partly /
  unclear / no), ``kind`` and ``claim_id`` (the registered claim that reads the row). Claims,
  in this order: "no dropout: orientation uniform", "low dropout (0 < r < 0.5): avoids the
  axes", "dropout above 50%: aligned with the axes" (both against r = 0), "transition to
  alignment at about 50%", and for the dense figure "effect weaker than with sparse features
  (1−S = …)".
"""

from __future__ import annotations

import math

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.colors import Normalize, TwoSlopeNorm
from matplotlib.figure import Figure

from ...analysis import dropout_orientation as orientation
from ...analysis.statistics import bootstrap_mean_ci, kuiper_test, rayleigh_test
from ...artifacts import ArtifactError, load_snapshots
from ...config import FigureSpec, PipelineConfig
from . import ExperimentResults, captions, importance_label, load_results

#: Colour map of the dropout rate (plasma without its palest end, which vanishes on white).
RATE_CMAP = matplotlib.colors.LinearSegmentedColormap.from_list(
    "rate", matplotlib.colormaps["plasma"](np.linspace(0.0, 0.85, 256)))
RATE_NORM = Normalize(vmin=0.0, vmax=0.9)
#: Colours of the regimes in the statistics panels.
REGIME_COLOURS = {orientation.AVOIDS: "#2166ac", orientation.ALIGNED: "#b2182b", orientation.NEUTRAL: "0.45"}
#: Bins of the folded angle, degrees.
FOLD_BINS = np.linspace(0.0, 45.0, 10)


def marker_size(models_per_rate: int) -> float:
    """Scatter marker area (pt²) for one ring: small dots for hundreds of models, larger for a handful."""
    return float(np.clip(400.0 / max(models_per_rate, 1), 1.5, 10.0))


def uniformity_text(rates: pd.DataFrame) -> str:
    """The uniformity tests at dropout 0 in one sentence: "Uniformity at r = 0 (N = …): z-test,
    mean cos 4θ = 0: p = …; …"; "" without r = 0."""
    zero = rates[rates["dropout"] == 0.0]
    if not len(zero):
        return ""
    row = zero.iloc[0]
    names = {"p_uniform": "z-test, mean cos 4θ = 0", "p_rayleigh": "Rayleigh (4θ)", "p_kuiper": "Kuiper"}
    tests = [f"{label}: p = {row[column]:.2g}" for column, label in names.items() if column in row.index]
    return f"Uniformity at r = 0 (N = {int(row['models'])}): " + "; ".join(tests) + "."


def orientation_table(results: ExperimentResults) -> pd.DataFrame:
    """One row per model: dropout rate, orientation u, angles, cos 4θ and the embedding's alignment."""
    W = results.W
    u = orientation.basis_direction(W)
    instances = results.instances.sort_values("instance")
    index = instances["instance"].to_numpy().copy()
    table = pd.DataFrame({
        "row": "model",
        "experiment": results.spec.name,
        "instance": index,
        "restart": instances["restart"].to_numpy(),
        "dropout": instances["dropout"].to_numpy(),
        "feature_probability": instances["feature_probability"].to_numpy(),
        "alignment": orientation.axis_alignment(u).numpy()[index],
        "axis_angle": orientation.axis_angle(u).numpy()[index],
        "diagonal_angle": orientation.diagonal_angle(u).numpy()[index],
        "feature_alignment": orientation.feature_alignment(W).numpy()[index],
        "largest_norm": W.norm(dim=-1).max(dim=-1).values.numpy()[index],
        "represented": (W.norm(dim=-1) > 0.5).sum(dim=-1).numpy()[index].astype(np.int64),
        "final_loss": instances["final_loss"].to_numpy(),
    })
    for j in range(min(2, results.spec.hidden)):
        table[f"u_{j}"] = u[index, j].numpy()
    if results.spec.hidden == 2:
        theta = orientation.angle(u)
        table["theta"] = theta.numpy()[index]
        table["folded"] = np.degrees(orientation.folded_angle(theta).numpy()[index])
    return table


def rate_table(models: pd.DataFrame, m: int, seed: int) -> pd.DataFrame:
    """Per-rate mean alignment, interval, regime and uniformity tests (``row`` = rate)."""
    summary = orientation.alignment_by_rate(models["dropout"].to_numpy(), models["alignment"].to_numpy(), m, seed=seed,
                                            axis_angles=models["axis_angle"].to_numpy(),
                                            diagonal_angles=models["diagonal_angle"].to_numpy())
    if "theta" in models:
        thetas = [models.loc[models["dropout"] == r, "theta"].to_numpy() for r in summary["dropout"]]
        summary["p_rayleigh"] = [rayleigh_test(theta).p_value for theta in thetas]
        summary["p_kuiper"] = [kuiper_test(theta).p_value for theta in thetas]
        # cos 8θ = +1 on the axes *and* on the diagonals: concentration on either (mean 0, variance 1/2 if uniform).
        cos8 = [bootstrap_mean_ci(np.cos(8 * theta), seed=seed + 50 + k) for k, theta in enumerate(thetas)]
        summary["cos8_mean"] = [c.estimate for c in cos8]
        summary["cos8_ci_low"] = [c.low for c in cos8]
        summary["cos8_ci_high"] = [c.high for c in cos8]
    summary.insert(0, "row", "rate")
    summary.insert(1, "experiment", models["experiment"].iloc[0])
    return summary


def histogram_table(models: pd.DataFrame) -> pd.DataFrame:
    """Density (relative to a uniform angle) of the folded angle in FOLD_BINS, per rate."""
    rows = []
    for rate, group in models.groupby("dropout", sort=True):
        counts, _ = np.histogram(group["folded"], bins=FOLD_BINS)
        density = counts / max(len(group), 1) * (len(FOLD_BINS) - 1)
        for k, value in enumerate(density):
            rows.append({"row": "histogram", "experiment": group["experiment"].iloc[0], "dropout": rate,
                         "bin_low": FOLD_BINS[k], "bin_high": FOLD_BINS[k + 1], "density": float(value)})
    return pd.DataFrame(rows)


def step_table(config: PipelineConfig, results: ExperimentResults) -> pd.DataFrame:
    """Mean alignment per rate (95% bootstrap CI) at every snapshot step; empty without snapshots."""
    spec = results.spec
    steps, snapshots = load_snapshots(config, spec.name, required=False)
    rates = results.instances.sort_values("instance")["dropout"].to_numpy()
    rows = []
    for t, step in enumerate(steps.tolist()):
        W = snapshots["W"][t].double()
        values = orientation.axis_alignment(orientation.basis_direction(W)).numpy()
        for k, rate in enumerate(np.unique(rates)):
            interval = bootstrap_mean_ci(values[rates == rate], seed=k)
            rows.append({"row": "step", "experiment": spec.name, "step": step, "dropout": float(rate),
                         "mean": interval.estimate, "ci_low": interval.low, "ci_high": interval.high})
    return pd.DataFrame(rows)


def uniform_p(rates: pd.DataFrame) -> float:
    """The smallest p-value of the uniformity tests at dropout 0 (NaN without a rate 0)."""
    zero = rates[rates["dropout"] == 0.0]
    if not len(zero):
        return math.nan
    columns = [c for c in ("p_uniform", "p_rayleigh", "p_kuiper") if c in zero]
    return float(zero[columns].min(axis=1).iloc[0])


def analyse(results: ExperimentResults, seed: int) -> dict[str, pd.DataFrame | orientation.Interval]:
    """Everything the figure draws for one experiment."""
    models = orientation_table(results)
    rates = rate_table(models, results.spec.hidden, seed)
    transition, defined = orientation.transition_interval(models["dropout"].to_numpy(), models["alignment"].to_numpy(), seed=seed)
    claims = orientation.regime_claims(rates, transition, uniform_p(rates))
    return {"models": models, "rates": rates, "transition": transition, "defined": defined, "claims": claims}


def _check(results: ExperimentResults, figure: FigureSpec) -> None:
    spec = results.spec
    if spec.hidden != 2 or spec.model != "relu_output_dropout":
        raise ArtifactError(f"figure {figure.name}: needs 2-D relu_output_dropout models, experiment {spec.name} "
                            f"is {spec.model} with hidden={spec.hidden}")


def draw_alignment(ax, rates: pd.DataFrame, transition: orientation.Interval | None, label: str | None = None,
                   faded: bool = False, m: int = 2) -> None:
    """Mean alignment per rate with its interval; markers coloured by regime. Rates with too
    few models to decide a regime are left out (the caption names them)."""
    rates = rates[rates["regime"] != orientation.TOO_FEW]
    x, y = rates["dropout"].to_numpy(), rates["mean"].to_numpy()
    low, high = rates["ci_low"].to_numpy(), rates["ci_high"].to_numpy()
    if faded:
        ax.errorbar(x, y, yerr=[y - low, high - y], color="0.7", linewidth=1.0, marker="o", markersize=3,
                    capsize=2, label=label, zorder=1)
        return
    ax.plot(x, y, color="0.35", linewidth=1.0, zorder=2, label=label)
    for row in rates.itertuples():
        colour = REGIME_COLOURS[row.regime]
        ax.errorbar([row.dropout], [row.mean], yerr=[[row.mean - row.ci_low], [row.ci_high - row.mean]],
                    color=colour, marker="o", markersize=4, capsize=2.5, linewidth=1.2, zorder=3)
    # The onset is drawn only where some rate is significantly aligned (else it is noise around 0).
    if transition is not None and math.isfinite(transition.estimate) and (rates["regime"] == orientation.ALIGNED).any():
        if math.isfinite(transition.low):
            ax.axvspan(transition.low, transition.high, color="#fddbc7", alpha=0.7, zorder=0, linewidth=0)
        ax.axvline(transition.estimate, color="#b2182b", linewidth=0.8, linestyle=":", zorder=1)
        ax.annotate(f"r* = {transition.estimate:.2f}", (transition.estimate, 0.92), xytext=(3, 0),
                    textcoords="offset points", fontsize=7, color="#b2182b", va="top")


def alignment_axes(ax, m: int, ylabel: str, extra_handles: list | None = None) -> None:
    ax.axhline(0.0, color="0.5", linewidth=0.7, linestyle="--", zorder=0)
    ax.set_xlim(-0.05, 0.95)
    ax.set_ylim(orientation.diagonal_value(m) - 0.05, 1.05)
    ax.set_xlabel("dropout rate r")
    ax.set_ylabel(ylabel)
    ax.axhline(1.0, color="0.85", linewidth=0.6, zorder=0)
    ax.axhline(orientation.diagonal_value(m), color="0.85", linewidth=0.6, zorder=0)
    ax.annotate("on the axes", (0.01, 1.0), xycoords=("axes fraction", "data"), xytext=(0, -2),
                textcoords="offset points", fontsize=6.5, color="0.4", va="top")
    ax.annotate("on the diagonals", (0.01, orientation.diagonal_value(m)), xycoords=("axes fraction", "data"), xytext=(0, 2),
                textcoords="offset points", fontsize=6.5, color="0.4", va="bottom")
    handles = [matplotlib.lines.Line2D([], [], color=c, marker="o", linestyle="", markersize=4, label=name)
               for name, c in REGIME_COLOURS.items()]
    legend = ax.legend(handles=handles + (extra_handles or []), loc="lower right", bbox_to_anchor=(1.0, 0.04),
                       frameon=False, fontsize=6.5, handletextpad=0.3)
    ax.add_artist(legend)  # a later ax.legend() adds to it instead of replacing it


#: Integer columns of the figures' mixed-row tables (nullable, since not every row kind has them).
INTEGER_COLUMNS = ("instance", "restart", "setting", "models", "represented", "features_represented", "step",
                   "restarts", "i", "j", "order")


#: Boolean columns of the same tables (nullable for the same reason).
BOOLEAN_COLUMNS = ("towards_diagonals",)


def tidy(table: pd.DataFrame) -> pd.DataFrame:
    """Integer and boolean columns as nullable ones (concatenating row kinds with and without them makes
    floats or objects)."""
    for column in INTEGER_COLUMNS:
        if column in table:
            table[column] = table[column].astype("Int64")
    for column in BOOLEAN_COLUMNS:
        if column in table:
            table[column] = table[column].astype("boolean")
    return table


def render(config: PipelineConfig, figure: FigureSpec, claim_ids: dict[str, str]
           ) -> tuple[Figure, pd.DataFrame, str]:
    """Draw a 2-D orientation figure; ``claim_ids`` maps the kinds of its claim rows (uniform, low,
    high, transition, weaker) to the ids of the registered claims that read them."""
    results = load_results(config, figure.experiments[0])
    _check(results, figure)
    spec = results.spec
    main = analyse(results, seed=0)
    comparison = None
    if len(figure.experiments) > 1:
        other = load_results(config, figure.experiments[1])
        _check(other, figure)
        comparison = analyse(other, seed=0)
    models, rates = main["models"], main["rates"]
    histogram = histogram_table(models)
    claims = main["claims"].copy()
    if comparison is not None:
        strength = orientation.effect_strength(models["dropout"], models["alignment"], seed=1)
        other_strength = orientation.effect_strength(comparison["models"]["dropout"], comparison["models"]["alignment"], seed=1)
        other_p = comparison["models"]["feature_probability"].iloc[0]
        claims = pd.concat([claims, pd.DataFrame([{"kind": "weaker", **orientation.weaker_claim(
            strength, other_strength, f"effect weaker than with sparse features (1−S = {other_p:g})")}])],
            ignore_index=True)
    claims.insert(0, "row", "claim")
    claims.insert(1, "experiment", spec.name)
    claims.insert(2, "claim_id", claims["kind"].map(claim_ids).fillna(""))
    transition = main["transition"]
    transition_row = pd.DataFrame([{"row": "transition", "experiment": spec.name, "mean": transition.estimate,
                                    "ci_low": transition.low, "ci_high": transition.high,
                                    "defined": main["defined"]}])
    steps = step_table(config, results)
    parts = [models, rates, histogram, steps, transition_row, claims]
    if comparison is not None:
        parts.append(comparison["rates"])
    table = tidy(pd.concat(parts, ignore_index=True))

    width, panel = 15.3, 3.9
    concentrated = rates[rates["cos8_ci_low"] > 0]["dropout"].tolist()
    note = (uniformity_text(rates) + " Also measured: models concentrated on the axes or the diagonals (mean cos 8θ, 95% CI above 0) at r = "
            + (", ".join(f"{r:g}" for r in concentrated) or "none") + "; per-rate Rayleigh (4θ) and Kuiper p-values "
            "in the table. At r = 0 the loss is rotation invariant but AdamW's per-coordinate normaliser is not "
            "(plain SGD, training.optimizer: sgd, leaves u uniform by symmetry), so every rate is judged against "
            f"r = 0: regimes by the share of models within {orientation.NEAR_DEGREES:g}° of an axis (and of a "
            "diagonal) against the r = 0 shares, 95% Newcombe intervals.")
    per_rate = int(models.groupby("dropout").size().min())
    density = models["feature_probability"].iloc[0]
    heading = (f"Dropout and the orientation of the 2-D basis: ReLU output model, n={spec.features}, m={spec.hidden}, "
               f"{importance_label(spec)}, 1−S={density:g}, {per_rate} models per rate")
    header = captions.Header.of(width, heading, claims=captions.claim_lines(claims) + [note],
                                heading="Post's claims, measured:")
    fig = header.figure(0.25 + panel + 0.55)
    height = fig.get_figheight()
    bottom = (header.bottom + 0.55) / height

    # Rings: u on a circle of radius 1 + r.
    ax = fig.add_axes((0.35 / width, bottom, panel / width, panel / height))
    limit = 1.0 + float(models["dropout"].max()) + 0.15
    for angle in np.arange(4) * math.pi / 4:
        ax.plot([-limit * math.cos(angle), limit * math.cos(angle)], [-limit * math.sin(angle), limit * math.sin(angle)],
                color="0.88" if angle % (math.pi / 2) else "0.7", linewidth=0.6, zorder=0)
    cmap = RATE_CMAP
    circle = np.linspace(0.0, 2 * math.pi, 257)
    for rate, group in models.groupby("dropout", sort=True):
        radius = 1.0 + rate
        colour = cmap(RATE_NORM(rate))
        ax.plot(radius * np.cos(circle), radius * np.sin(circle), color=colour, alpha=0.25, linewidth=0.5, zorder=1)
        ax.scatter(group["u_0"] * radius, group["u_1"] * radius, s=marker_size(len(group)), color=colour,
                   linewidths=0, zorder=2, rasterized=False)
        ax.annotate(f"{rate:g}", (radius * math.cos(math.radians(67.5)), radius * math.sin(math.radians(67.5))),
                    fontsize=5.5, color=colour, ha="center", va="center", zorder=3,
                    bbox=dict(boxstyle="round,pad=0.1", facecolor="white", edgecolor="none", alpha=0.8))
    ax.set_xlim(-limit, limit)
    ax.set_ylim(-limit, limit)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    for side in ax.spines.values():
        side.set_visible(False)
    ax.set_title(r"orientation $u = W_k/\|W_k\|$ on radius $1 + r$", pad=3)
    cax = fig.add_axes(((0.35 + panel + 0.05) / width, bottom + 0.15 * panel / height, 0.1 / width, 0.7 * panel / height))
    bar = fig.colorbar(matplotlib.cm.ScalarMappable(RATE_NORM, cmap), cax=cax)
    bar.set_label("dropout rate r", labelpad=2)

    # Folded-angle densities.
    hx = 0.35 + panel + 0.95
    hist_width = 2.2
    ax = fig.add_axes((hx / width, bottom, hist_width / width, panel / height))
    rates_sorted = sorted(models["dropout"].unique())
    grid = np.array([histogram.loc[histogram["dropout"] == r, "density"].to_numpy() for r in rates_sorted])
    vmax = max(2.0, float(grid.max()))
    image = ax.imshow(grid, cmap="RdBu_r", norm=TwoSlopeNorm(vmin=0.0, vcenter=1.0, vmax=vmax), aspect="auto",
                      extent=(FOLD_BINS[0], FOLD_BINS[-1], len(rates_sorted) - 0.5, -0.5), interpolation="nearest")
    ax.set_yticks(range(len(rates_sorted)))
    ax.set_yticklabels([f"{r:g}" for r in rates_sorted])
    ax.set_ylabel("dropout rate r")
    ax.set_xticks([0, 15, 30, 45])
    ax.set_xlabel("angle to the nearest axis (°)\n0 = axis, 45 = diagonal")
    ax.set_title("density of the angle (uniform = 1)", pad=3)
    cax = fig.add_axes(((hx + hist_width + 0.08) / width, bottom + 0.15 * panel / height, 0.1 / width,
                        0.7 * panel / height))
    fig.colorbar(image, cax=cax)

    # Mean cos 4θ per rate.
    sx = hx + hist_width + 1.3
    stats_width = 3.0
    ax = fig.add_axes((sx / width, bottom, stats_width / width, panel / height))
    if comparison is not None:
        other_p = comparison["models"]["feature_probability"].iloc[0]
        draw_alignment(ax, comparison["rates"], None, label=f"1−S = {other_p:g} (sparse)", faded=True)
    draw_alignment(ax, rates, transition, label=f"1−S = {models['feature_probability'].iloc[0]:g}")
    cos8 = dict(color="#1b7837", marker="s", markersize=3, markerfacecolor="white", linewidth=0.8, linestyle=":")
    ax.errorbar(rates["dropout"] + 0.012, rates["cos8_mean"],
                yerr=[rates["cos8_mean"] - rates["cos8_ci_low"], rates["cos8_ci_high"] - rates["cos8_mean"]],
                capsize=1.5, zorder=2, **cos8)
    cos8_handle = matplotlib.lines.Line2D([], [], label=r"mean $\cos 8\theta$: axes or diagonals", **cos8)
    alignment_axes(ax, 2, r"mean $\cos 4\theta$  (95% bootstrap CI)", extra_handles=[cos8_handle])
    if comparison is not None:
        ax.legend(loc="upper left", bbox_to_anchor=(0.0, 0.95), frameon=False, fontsize=6.5)
    ax.set_title(r"axis alignment: mean $\cos 4\theta$ per rate", pad=3)

    # The same during training.
    tx = sx + stats_width + 0.8
    ax = fig.add_axes((tx / width, bottom, (width - tx - 0.2) / width, panel / height))
    for rate, group in steps.groupby("dropout", sort=True) if len(steps) else []:
        colour = cmap(RATE_NORM(rate))
        ax.fill_between(group["step"], group["ci_low"], group["ci_high"], color=colour, alpha=0.15, linewidth=0)
        ax.plot(group["step"], group["mean"], color=colour, marker="o", markersize=2.5, linewidth=1.1)
    ax.axhline(0.0, color="0.5", linewidth=0.7, linestyle="--", zorder=0)
    ax.set_ylim(-1.05, 1.05)
    ax.set_xlabel("training step")
    ax.set_ylabel(r"mean $\cos 4\theta$")
    ax.set_title("during training (colour: rate)", pad=3)

    title = heading + ". " + "; ".join(f"{row.claim}: {row.holds} ({row.measured})" for row in claims.itertuples())
    return fig, table, title
