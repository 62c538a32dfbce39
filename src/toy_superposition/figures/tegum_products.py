"""Figure ``tegum-products`` (Geometry: Uniform Superposition, "Why these geometric structures?").

Every selected uniform model's learned features (‖W_i‖ > 0.5) split into groups that do not
interfere: the connected components of the graph with an edge where |cos(W_i, W_j)| > 0.1
(:func:`toy_superposition.analysis.uniform_geometry.tegum_decomposition`), each named by its
polytope when its size, rank and dimensionalities match one (digon, triangle, tetrahedron,
pentagon, ...). Panels: every learned feature's D_i against 1/(1−S) coloured by its factor's
polytope, with lines at the factor values (the split lines ⅔ and ½ where a triangular bipyramid
would give ⅗); the number of factors of each polytope per density; and the histogram of |cos|
between learned features, with the threshold: a gap between the factors' internal cosines and
the (near-zero) cosines across factors means any threshold in the gap gives the same factors.

Table (``row``): ``feature`` one row per learned feature (experiment, density, group, polytope,
k, d, D); ``model`` one per selected model (learned, groups, the largest cross-factor projection
|Ŵ_i·W_j| and cosine, the share of the interference Σ(Ŵ_i·W_j)² that crosses factors, the
smallest cosine holding a factor together, counts per polytope); ``cos_histogram`` the |cos|
histogram per experiment.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ..analysis.uniform_geometry import OTHER, POLYTOPES, TEGUM_COS, tegum_rows
from ..config import FigureSpec, PipelineConfig
from .common import captions, inverse_density_axis, load_results
from .registry import figure

POLYTOPE_COLOURS = {"dedicated": "#444444", "digon": "#3a6fb0", "triangle": "#e08a2e", "tetrahedron": "#3f9a56",
                    "pentagon": "#b03a7c", "hexagon": "#8c6d31", "square antiprism": "#17becf", OTHER: "#bbbbbb"}
COS_BINS = np.linspace(0.0, 1.0, 51)


def decompose(results) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(feature rows, model rows, |cos| histogram rows) of one experiment's selected models."""
    spec = results.spec
    features, models, cosines = [], [], []
    for row in results.selected().itertuples():
        rows, summary, cos = tegum_rows(results.W[row.instance].numpy())
        common = {"experiment": spec.name, "n_features": spec.features, "hidden": spec.hidden,
                  "instance": row.instance, "feature_probability": row.feature_probability,
                  "inverse_density": 1.0 / row.feature_probability}
        features += [{"row": "feature", **common, **r} for r in rows]
        models.append({"row": "model", **common, **summary})
        cosines.append(cos)
    counts, _ = np.histogram(np.concatenate(cosines) if cosines else np.zeros(0), bins=COS_BINS)
    histogram = pd.DataFrame({"row": "cos_histogram", "experiment": spec.name, "bin_low": COS_BINS[:-1],
                              "bin_high": COS_BINS[1:], "count": counts.astype(np.int64)})
    return pd.DataFrame(features), pd.DataFrame(models), histogram


@figure("tegum-products")
def render(config: PipelineConfig, figure: FigureSpec) -> tuple[Figure, pd.DataFrame, str]:
    parts = [decompose(load_results(config, name)) for name in figure.experiments]
    features = pd.concat([p[0] for p in parts], ignore_index=True)
    models = pd.concat([p[1] for p in parts], ignore_index=True)
    histogram = pd.concat([p[2] for p in parts], ignore_index=True)
    reference = figure.experiments[0]
    counted = models[models["groups"] >= 2]
    named = features[features["polytope"] != OTHER] if len(features) else features
    in_named = len(named) / len(features) if len(features) else np.nan
    worst_share = float(counted["cross_share"].max()) if len(counted) else np.nan
    gap_low = float(counted["cross_cos_max"].max()) if len(counted) else np.nan
    gap_high = float(models.loc[models["learned"] > 0, "bottleneck_cos_min"].min()) if (models["learned"] > 0).any() \
        else np.nan
    caption = ("Paper: many Thomson solutions are tegum products of smaller uniform polytopes in orthogonal "
               "subspaces; no interference crosses tegum factors, so each feature's dimensionality is its factor's "
               "(split lines ⅔ and ½ instead of ⅗ for a triangular bipyramid).\n"
               f"Measured ({', '.join(figure.experiments)}; edges |cos| > {TEGUM_COS:g}): {len(features)} learned "
               f"features, {in_named:.0%} in factors named as uniform polytopes; share of the interference crossing "
               f"factors at most {worst_share:.2g} per model; largest |cos| across factors {gap_low:.2g}, smallest "
               f"holding a factor {gap_high:.2g}: every threshold in between gives the same factors.")
    width, body = 11.5, 3.2
    header = captions.Header.of(width, "Tegum products: uniform models split into non-interfering factors, each a uniform "
                               "polytope", caption)
    fig = header.figure(body)
    height = fig.get_figheight()
    bottom, tall = 0.5 / height, 2.45 / height
    ax_d = fig.add_axes((0.06, bottom, 0.30, tall))
    ax_count = fig.add_axes((0.43, bottom, 0.24, tall))
    ax_cos = fig.add_axes((0.74, bottom, 0.24, tall))

    ref = features[features["experiment"] == reference] if len(features) else features
    for (k, d), name in POLYTOPES.items():
        ax_d.axhline(d / k, color=POLYTOPE_COLOURS[name], linewidth=0.6, linestyle="--", zorder=0)
    ax_d.axhline(3 / 5, color="black", linewidth=0.6, linestyle=":", zorder=0)
    ax_d.annotate("⅗", (1.0, 0.6), xycoords=("axes fraction", "data"), xytext=(3, 0), textcoords="offset points",
                  va="center", fontsize=7)
    for name, colour in POLYTOPE_COLOURS.items():
        rows = ref[ref["polytope"] == name] if len(ref) else ref
        if len(rows):
            jitter = np.exp(np.linspace(-0.04, 0.04, len(rows)))
            ax_d.plot(rows["inverse_density"] * jitter, rows["D"], ".", color=colour, markersize=2, alpha=0.6,
                      label=name, rasterized=True)
    inverse_density_axis(ax_d)
    ax_d.set_ylim(0, 1.08)
    ax_d.set_ylabel("feature dimensionality D_i")
    ax_d.set_title(f"{reference}: D_i by tegum factor", fontsize=7.5)
    ax_d.legend(frameon=False, fontsize=5.8, markerscale=3, loc="lower left", ncol=2)

    ref_models = models[models["experiment"] == reference].sort_values("inverse_density")
    for name, colour in POLYTOPE_COLOURS.items():
        column = f"groups_{name.replace(' ', '_')}"
        if column in ref_models and ref_models[column].sum() > 0:
            ax_count.plot(ref_models["inverse_density"], ref_models[column], "o-", color=colour, markersize=2.5,
                          linewidth=0.9, label=name)
    inverse_density_axis(ax_count)
    ax_count.set_ylabel("factors in the model")
    ax_count.set_title("Factors of each polytope", fontsize=7.5)
    ax_count.legend(frameon=False, fontsize=5.8)

    for k, name in enumerate(figure.experiments):
        rows = histogram[histogram["experiment"] == name]
        ax_cos.stairs(rows["count"] + 0.5, COS_BINS, color=f"C{k}", label=name, baseline=0.5)
    ax_cos.axvline(TEGUM_COS, color="black", linestyle="--", linewidth=0.8, label=f"threshold {TEGUM_COS:g}")
    ax_cos.set_yscale("log")
    ax_cos.set_xlabel("|cos(W_i, W_j)|, learned pairs")
    ax_cos.set_ylabel("pairs (+0.5)")
    ax_cos.set_title("Cosines: near 0 across factors", fontsize=7.5)
    ax_cos.legend(frameon=False, fontsize=5.8)

    table = pd.concat([features, models, histogram], ignore_index=True)
    title = (f"Tegum products: {in_named:.0%} of learned features in uniform-polytope factors; interference across "
             f"factors ≤ {worst_share:.2g} of the total per model")
    return fig, table, title
