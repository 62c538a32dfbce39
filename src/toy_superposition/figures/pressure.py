"""Figure ``pressure`` (comment "Fractional Dimensionality and 'Pressure'" on the Feature Dimensionality section).

The comment: "Cleaner structure often seems to emerge when there is more 'pressure' – more
features competing to be represented. This is especially true at high sparsity levels." Here
m = 30 hidden dimensions take n = 100 … 1600 equally important features (one experiment per n,
the same densities), and "cleaner structure" is measured as in
:mod:`toy_superposition.analysis.uniform_geometry`: among the learned features whose D_i lies in
[⅜ − w, ¾ + w], the share within w of ¾, ⅔, ½, ⅖ or ⅜, against the chance rate of an even
spread over that range.

Left: the share against n (log axis), one line per density, 95% Wilson intervals, the chance
rate dashed. Right: the learned features' D_i at the claims' density, one row of points per n,
with the fractions as vertical lines.

Table (``row`` column): ``share`` rows, one per (n, density): learned / in_range / near counts,
share and interval, chance, share over chance, D*; ``trend`` rows, one per density: the ratio of
the largest n's share to the smallest n's with its Katz interval. The claims
(:mod:`toy_superposition.claims.pressure`) read the rows marked with their ``claim_id``: both at
the claims' density (:func:`claim_density`), the sparsest one at which the smallest and the
largest n both have learned features in the fractions' range (at sparser densities the features
pack below 3/8 and there is no share to compare).
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ..analysis.uniform_geometry import NAMED_FRACTIONS, WINDOW, fraction_range, polytope_share, ratio_of_proportions
from ..config import FigureSpec, PipelineConfig
from ..metrics import REPRESENTED_NORM
from .common import captions, load_results
from .registry import figure

TREND_CLAIM = "pressure-cleaner-structure"
CLUSTER_CLAIM = "pressure-clusters-at-fractions"


def share_rows(config: PipelineConfig, figure: FigureSpec) -> tuple[pd.DataFrame, dict[tuple[int, float], np.ndarray]]:
    """One ``share`` row per (experiment, density) of the selected models; and the learned D_i of each."""
    rows, learned = [], {}
    for name in figure.experiments:
        results = load_results(config, name)
        spec = results.spec
        selected = results.selected()
        for probability, chosen in selected.groupby("feature_probability", sort=False):
            features = results.features[results.features["instance"].isin(chosen["instance"])]
            share = polytope_share(features["norm"].to_numpy(), features["dimensionality"].to_numpy())
            over, over_low, over_high = share.over_chance
            squared = float((features["norm"] ** 2).sum()) / len(chosen)
            rows.append({
                "row": "share", "claim_id": "", "experiment": name, "features": spec.features, "hidden": spec.hidden,
                "feature_probability": float(probability), "models": len(chosen), "learned": share.learned,
                "in_range": share.in_range, "near": share.near, "share": share.share, "share_low": share.share_low,
                "share_high": share.share_high, "chance": share.chance, "over_chance": over,
                "over_chance_low": over_low, "over_chance_high": over_high, "d_star": spec.hidden / squared,
            })
            dims = features.loc[features["norm"] > REPRESENTED_NORM, "dimensionality"].to_numpy()
            learned[(spec.features, float(probability))] = dims
    return pd.DataFrame(rows), learned


def trend_rows(shares: pd.DataFrame) -> pd.DataFrame:
    """Per density: the largest n's share over the smallest n's, with its 95% Katz interval."""
    rows = []
    for probability, group in shares.groupby("feature_probability", sort=False):
        group = group.sort_values("features")
        low, high = group.iloc[0], group.iloc[-1]
        ratio, ratio_low, ratio_high = ratio_of_proportions(int(high["near"]), int(high["in_range"]),
                                                            int(low["near"]), int(low["in_range"]))
        rows.append({"row": "trend", "claim_id": "", "feature_probability": float(probability),
                     "features_low": int(low["features"]), "features_high": int(high["features"]),
                     "share_at_low": float(low["share"]), "share_at_high": float(high["share"]),
                     "ratio": ratio, "ratio_low": ratio_low, "ratio_high": ratio_high})
    return pd.DataFrame(rows)


def claim_density(shares: pd.DataFrame) -> float:
    """The sparsest density 1−S at which the smallest and the largest n both have a learned feature
    with D_i in the fractions' range; the sparsest density of all when there is none (the claims
    then report insufficient data)."""
    smallest, largest = shares["features"].min(), shares["features"].max()
    ends = shares[shares["features"].isin([smallest, largest])]
    filled = ends.groupby("feature_probability")["in_range"].min()
    decidable = filled[filled > 0]
    return float(decidable.index.min() if len(decidable) else shares["feature_probability"].min())


def error_bars(shares: pd.DataFrame) -> np.ndarray:
    """(2, rows) distances from each share to its interval's ends, for ``errorbar``; at a share of
    1 the Wilson bound can round a hair below it, so they are clipped at 0."""
    below = (shares["share"] - shares["share_low"]).to_numpy(dtype=float)
    above = (shares["share_high"] - shares["share"]).to_numpy(dtype=float)
    return np.clip(np.vstack([below, above]), 0.0, None)


@figure("pressure")
def render(config: PipelineConfig, figure: FigureSpec) -> tuple[Figure, pd.DataFrame, str]:
    shares, learned = share_rows(config, figure)
    trends = trend_rows(shares)
    density = claim_density(shares)
    largest = int(shares["features"].max())
    shares.loc[(shares["feature_probability"] == density) & (shares["features"] == largest), "claim_id"] = CLUSTER_CLAIM
    trends.loc[trends["feature_probability"] == density, "claim_id"] = TREND_CLAIM
    table = pd.concat([shares, trends], ignore_index=True)

    m = int(shares["hidden"].iloc[0])
    trend = trends[trends["claim_id"] == TREND_CLAIM].iloc[0]
    at_largest = shares[shares["claim_id"] == CLUSTER_CLAIM].iloc[0]
    caption = (
        "Comment (Fractional Dimensionality and 'Pressure'): cleaner structure emerges with more features competing "
        "to be represented, especially at high sparsity.\n"
        f"Measured at 1−S = {density:.3g}: the share of learned features with D_i in [{fraction_range()[0]:.3g}, "
        f"{fraction_range()[1]:.3g}] within {WINDOW:g} of a polytope fraction is {trend['share_at_low']:.0%} at "
        f"n = {int(trend['features_low'])} and {trend['share_at_high']:.0%} at n = {int(trend['features_high'])} "
        f"(ratio {trend['ratio']:.2f} [{trend['ratio_low']:.2f}, {trend['ratio_high']:.2f}]); chance "
        f"{at_largest['chance']:.0%}, so {at_largest['over_chance']:.2f}× chance at n = {largest}.")
    width, body = 8.6, 3.6
    header = captions.Header.of(width, f"Pressure: n features in m = {m} dimensions — learned features on polytope fractions", caption)
    fig = header.figure(body)
    height = fig.get_figheight()
    bottom, top = 0.6 / height, 2.7 / height
    left_ax = fig.add_axes((0.07, bottom, 0.38, top))
    right_ax = fig.add_axes((0.55, bottom, 0.42, top))

    for index, (probability, group) in enumerate(shares.groupby("feature_probability", sort=False)):
        group = group.sort_values("features")
        errors = error_bars(group)
        left_ax.errorbar(group["features"], group["share"], yerr=errors, marker="o", markersize=3, capsize=2,
                         linewidth=1.0, color=f"C{index}", label=f"1−S = {probability:.3g}")
    left_ax.axhline(float(shares["chance"].iloc[0]), color="0.4", linestyle="--", linewidth=0.8,
                    label="chance (even spread)")
    left_ax.set_xscale("log")
    n_values = np.sort(shares["features"].unique())
    left_ax.set_xticks(n_values, [str(int(n)) for n in n_values])
    left_ax.minorticks_off()
    left_ax.set_ylim(0, 1)
    left_ax.set_xlabel(f"features n (m = {m})")
    left_ax.set_ylabel(f"share of learned D_i within {WINDOW:g} of a fraction")
    left_ax.legend(frameon=False, loc="upper left")

    for value in NAMED_FRACTIONS:
        label = str(Fraction(value).limit_denominator(10))
        right_ax.axvline(value, color="0.75", linestyle="--", linewidth=0.7, zorder=0)
        right_ax.annotate(label, (value, 1.0), xycoords=("data", "axes fraction"), xytext=(0, 2),
                          textcoords="offset points", ha="center", fontsize=6.5, color="0.3")
    jitter = np.random.default_rng(0)  # vertical spread only, so points do not hide each other
    for row, n in enumerate(n_values):
        dims = learned.get((int(n), density), np.array([]))
        right_ax.scatter(dims, row + jitter.uniform(-0.3, 0.3, size=dims.size), s=4, alpha=0.35, linewidths=0,
                         color="C0")
    right_ax.set_yticks(range(len(n_values)), [f"n = {int(n)}" for n in n_values])
    right_ax.set_xlim(0, 1.05)
    right_ax.set_xlabel(f"feature dimensionality D_i of the learned features, 1−S = {density:.3g}")
    title = (f"Pressure: share of learned features on a polytope fraction against n (m = {m}); at 1−S = {density:.3g} "
             f"{trend['share_at_low']:.0%} (n = {int(trend['features_low'])}) to {trend['share_at_high']:.0%} "
             f"(n = {int(trend['features_high'])})")
    return fig, table, title
