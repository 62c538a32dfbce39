"""Figure ``dropout-kurtosis`` (Superposition and Dropout, comments: kurtosis of the activations).

The claim (a comment on the post): with more dropout the hidden activations have higher
kurtosis, i.e. a heavier-tailed distribution *in the coordinate basis* — evidence for a
privileged basis, since activations in a non-privileged basis should look like an isotropic
Gaussian's (kurtosis ≈ 3).

For every model of the experiment, 2048 fresh inputs from its feature distribution give the
hidden activations ``h = Wᵀx`` (the deterministic model); :mod:`toy_superposition.analysis.dropout_kurtosis` measures

* left: the per-vector kurtosis (the m coordinates of one activation vector as a sample,
  averaged over inputs; Anthropic's measure), with the isotropic-Gaussian value 3m/(m+2)
  (which tends to 3 as m grows) and 3 drawn as references;
* right: the per-coordinate kurtosis (each hidden coordinate over the inputs, averaged over
  coordinates); a Gaussian gives exactly 3.

Each panel shows the mean over the models of each dropout rate with its 95% bootstrap
interval, and the *randomly rotated control*: the same kurtosis after rotating each model's
hidden space by a Haar-random orthogonal matrix, i.e. what the model would show if its basis
were not privileged. The basis is privileged at a rate when the paired difference
(model − rotated) has an interval above 0.

Table columns (every row: ``row``, ``experiment``; null where a kind has no such column):

* ``model`` — every model: ``instance``, ``dropout``, ``vector``, ``vector_rotated``,
  ``coordinate``, ``coordinate_rotated`` (the kurtoses of :func:`toy_superposition.analysis.dropout_kurtosis.model_kurtosis`);
* ``rate`` — per rate and ``measure`` ("vector" / "coordinate"): ``dropout``, ``models``,
  ``mean`` / ``ci_low`` / ``ci_high`` (model), ``rotated_mean`` / ``rotated_ci_*`` (rotated
  control), ``excess_mean`` / ``excess_ci_*`` (paired model − control), ``privileged``
  (excess interval above 0);
* ``claim`` — ``claim`` ("<measure> kurtosis higher with more dropout (r=… vs r=…)",
  "<measure> kurtosis above the rotated control (privileged basis) at every rate r > 0": at r = 0
  the post expects no privileged basis, so that rate is reported but not counted), ``measured``,
  ``holds``.
"""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

from ..analysis import dropout_kurtosis as hk
from ..analysis.statistics import bootstrap_difference_ci, bootstrap_mean_ci
from ..artifacts import ArtifactError
from ..config import FigureSpec, PipelineConfig, derive_seed
from .common import captions, importance_label, load_results
from .common.dropout import tidy
from .registry import figure

MEASURES = {
    "vector": "per-vector kurtosis (across the m coordinates)",
    "coordinate": "per-coordinate kurtosis (across inputs)",
}
#: Inputs per model.
BATCH = 2048


def rate_rows(models: pd.DataFrame, measure: str) -> pd.DataFrame:
    rows = []
    for k, (rate, group) in enumerate(models.groupby("dropout", sort=True)):
        value = bootstrap_mean_ci(group[measure].to_numpy(), seed=k)
        rotated = bootstrap_mean_ci(group[f"{measure}_rotated"].to_numpy(), seed=100 + k)
        excess = bootstrap_mean_ci((group[measure] - group[f"{measure}_rotated"]).to_numpy(), seed=200 + k)
        rows.append({
            "row": "rate", "measure": measure, "dropout": float(rate), "models": len(group),
            "mean": value.estimate, "ci_low": value.low, "ci_high": value.high,
            "rotated_mean": rotated.estimate, "rotated_ci_low": rotated.low, "rotated_ci_high": rotated.high,
            "excess_mean": excess.estimate, "excess_ci_low": excess.low, "excess_ci_high": excess.high,
            "privileged": bool(excess.low > 0),
        })
    return pd.DataFrame(rows)


def claims_for(models: pd.DataFrame, rates: pd.DataFrame, measure: str) -> list[dict[str, str]]:
    """"Kurtosis rises with dropout" and "the coordinate basis is privileged" for one measure."""
    levels = sorted(models["dropout"].unique())
    low, high = levels[0], levels[-1]
    rise = bootstrap_difference_ci(models.loc[models["dropout"] == high, measure].to_numpy(),
                                   models.loc[models["dropout"] == low, measure].to_numpy(), seed=7)
    # At r = 0 the post expects no privileged basis: the claim is about the rates with dropout.
    part = rates[(rates["measure"] == measure) & (rates["dropout"] > 0)]
    privileged = part[part["privileged"]]["dropout"].tolist()
    below = part[part["excess_ci_high"] < 0]["dropout"].tolist()
    at_zero = rates[(rates["measure"] == measure) & (rates["dropout"] == 0)]
    zero_text = (f"; at r = 0 (not counted): excess {at_zero['excess_mean'].iloc[0]:+.3f} "
                 f"[{at_zero['excess_ci_low'].iloc[0]:+.3f}, {at_zero['excess_ci_high'].iloc[0]:+.3f}]"
                 if len(at_zero) else "")
    rotated_rise = bootstrap_difference_ci(models.loc[models["dropout"] == high, f"{measure}_rotated"].to_numpy(),
                                           models.loc[models["dropout"] == low, f"{measure}_rotated"].to_numpy(), seed=8)
    registered = measure == "vector"  # the comment's measure; the per-coordinate one is shown beside it
    return [
        {"claim_id": "dropout-kurtosis-rises" if registered else "",
         "claim": f"{measure} kurtosis higher with more dropout (r={high:g} vs r={low:g})",
         "measured": f"difference {rise}; rotated control difference {rotated_rise}",
         "holds": "yes" if rise.low > 0 else ("no" if rise.high < 0 else "unclear")},
        {"claim_id": "dropout-kurtosis-above-rotated-control" if registered else "",
         "claim": f"{measure} kurtosis above the rotated control (privileged basis) at every rate r > 0",
         "measured": f"above at {len(privileged)} of {len(part)} rates r > 0: "
         + (", ".join(f"{r:g}" for r in privileged) or "none")
         + "; below (kurtosis lower than the control) at: " + (", ".join(f"{r:g}" for r in below) or "none")
         + zero_text,
         "holds": "yes" if len(part) and len(privileged) == len(part) else ("partly" if privileged else "no")},
    ]


@figure("dropout-kurtosis")
def render(config: PipelineConfig, figure: FigureSpec) -> tuple[Figure, pd.DataFrame, str]:
    (name,) = figure.experiments
    results = load_results(config, name)
    spec = results.spec
    if spec.model != "relu_output_dropout" or spec.distribution != "independent":
        raise ArtifactError(f"figure {figure.name}: needs relu_output_dropout models on independent features, "
                            f"experiment {name} is {spec.model} / {spec.distribution}")
    m = spec.hidden
    instances = results.instances.sort_values("instance").reset_index(drop=True)
    probability = results.distribution.probability
    values = hk.model_kurtosis(results.W, probability, batch_size=BATCH, seed=derive_seed(spec.seed, "kurtosis"))
    models = pd.DataFrame({
        "row": "model", "experiment": name, "instance": instances["instance"].to_numpy(),
        "dropout": instances["dropout"].to_numpy(),
        **{key: value.numpy()[instances["instance"].to_numpy()] for key, value in values.items()},
    })
    rates = pd.concat([rate_rows(models, measure) for measure in MEASURES], ignore_index=True)
    rates.insert(1, "experiment", name)
    claims = pd.DataFrame([c for measure in MEASURES for c in claims_for(models, rates, measure)])
    claims.insert(0, "row", "claim")
    claims.insert(1, "experiment", name)
    table = tidy(pd.concat([models, rates, claims], ignore_index=True))

    width, panel_h = 10.0, 3.3
    per_rate = int(models.groupby("dropout").size().min())
    density = float(results.instances["feature_probability"].iloc[0])
    heading = (f"Kurtosis of the hidden activations against dropout: ReLU output model, n={spec.features}, m={m}, "
               f"{importance_label(spec)}, 1−S={density:g}, {per_rate} models per rate, {BATCH} inputs each")
    header = captions.Header.of(width, heading, claims=captions.claim_lines(claims), heading="Claims, measured:")
    fig = header.figure(0.25 + panel_h + 0.55)
    height = fig.get_figheight()
    references = {
        "vector": [(hk.gaussian_vector_kurtosis(m), f"isotropic Gaussian, m={m}: 3m/(m+2) = {hk.gaussian_vector_kurtosis(m):.2f}"),
                   (3.0, "isotropic Gaussian, m → ∞: 3")],
        "coordinate": [(hk.GAUSSIAN_COORDINATE_KURTOSIS, "Gaussian: 3")],
    }
    panel_w = (width - 0.8 * 2 - 0.6) / 2
    for k, (measure, label) in enumerate(MEASURES.items()):
        ax = fig.add_axes(((0.75 + k * (panel_w + 0.9)) / width, (header.bottom + 0.55) / height, panel_w / width,
                           panel_h / height))
        part = rates[rates["measure"] == measure]
        x = part["dropout"].to_numpy()
        for prefix, colour, style, text, shift in (("", "#b2182b", "-", "model (coordinate basis)", -0.006),
                                                  ("rotated_", "0.45", "--", "randomly rotated control", 0.006)):
            y = part[f"{prefix}mean"].to_numpy()
            ax.errorbar(x + shift, y, yerr=[y - part[f"{prefix}ci_low"], part[f"{prefix}ci_high"] - y], color=colour,
                        linestyle=style, marker="o", markersize=3.5, capsize=2, linewidth=1.2, label=text)
        # Reference lines go in the legend: a label on the line would sit on the data near it.
        for (value, text), style in zip(references[measure], (":", "-.")):
            ax.axhline(value, color="0.55", linewidth=0.8, linestyle=style, zorder=0, label=text)
        ax.set_xlabel("dropout rate r")
        ax.set_ylabel("kurtosis (mean over models, 95% CI)")
        ax.set_title(label, pad=3)
        ax.set_xlim(-0.05, max(0.95, float(x.max()) + 0.05))
        ax.legend(frameon=False, loc="best", fontsize=6.5)
    title = heading + ". " + "; ".join(f"{row.claim}: {row.holds} ({row.measured})" for row in claims.itertuples())
    return fig, table, title
