"""Claims of "Superposition as a Phase Change": the empirical phase diagrams of the extra
feature (n=2 in m=1, n=3 in m=2) against the closed-form theory.

Evidence: the figure tables of ``phase-2-in-1`` and ``phase-3-in-2``, one row per grid point
with the fraction of the kept models (the restarts minus the highest-loss one) in each phase
of the extra feature and in a phase the theory allows there (``agree_fraction``;
:mod:`toy_superposition.analysis.phase_change`). The paper "train[s] ten models for each point
and average[s] over the results", so each model is compared with the theory and the
per-point fractions are averaged, rather than one majority vote per point. A model whose
extra feature sits on top of another one (the comment section's "confused" solution
W₁ ≈ W₂, cos ≈ +1) is not in superposition: antipodal superposition has cos ≈ −1.
"""

from __future__ import annotations

import numpy as np

from ..analysis.statistics import proportion
from ..config import PipelineConfig
from .registry import ClaimResult, claim, insufficient
from .sources import paper
from .tables import figure_table, rows_of

SOURCE = paper("Superposition as a Phase Change")
#: "Most" of the models agree with the theory: the project's number, the same for both diagrams.
MOST = 0.75

QUOTES = {
    "phase-2-in-1": "But most interestingly, there appears to be a real phase change, observed in both the empirical "
    "and theoretical diagrams!",
    "phase-3-in-2": "These diagrams suggest that there really is a phase change between different strategies for "
    "encoding features.",
}
SPARSITY_QUOTE = ("As expected, sparsity is necessary for superposition to occur, but we can see that it interacts in "
                  "an interesting way with relative feature importance.")


def _models(table, column: str):
    """Kept models of each point in the phase(s) behind ``column`` (a fraction): integer counts."""
    return np.rint(table[column].to_numpy() * table["models_kept"].to_numpy()).astype(int)


def agreement_with_theory(config: PipelineConfig, figure: str) -> ClaimResult:
    """Mean over grid points of the fraction of kept models in a phase the theory allows there;
    Wilson interval over the kept models (independent trainings)."""
    table = figure_table(config, figure)
    if table.empty:
        return insufficient("no grid points")
    hits, total = int(_models(table, "agree_fraction").sum()), int(table["models_kept"].sum())
    value = float(table["agree_fraction"].mean())
    _, low, high = proportion(hits, total)
    worst = table.sort_values(["agree_fraction", "extra_importance", "feature_probability"]).head(4)
    examples = ", ".join(f"(r={r.extra_importance:.3g}, 1−S={r.feature_probability:.3g}: {r.agree_fraction:.0%} in "
                         f"{r.theory_phase})" for r in worst.itertuples() if r.agree_fraction < 1)
    confused = int(_models(table, "fraction_confused").sum()) if "fraction_confused" in table else 0
    detail = (f"{hits} of {total} kept models in the theoretical phase over {len(table)} points; majority phase = "
              f"theory at {int(table['agree'].sum())} points; {confused} models confused (W_extra ≈ W_j)")
    return ClaimResult(value, low, high, holds=value >= MOST, detail=detail + (f"; lowest: {examples}" if examples else ""))


def superposition_needs_sparsity(config: PipelineConfig, figure: str) -> ClaimResult:
    """Fraction of the kept models at the dense (1−S = 1) points where the theory rules superposition
    out that have the extra feature in (antipodal) superposition.

    At a dense point superposition is never strictly optimal in theory, but it can tie: at r = 1
    every candidate has the same loss. A model in superposition where the theory ties is no
    counterexample, so those points are not counted (the detail names them). Confused models
    (W_extra ≈ W_j) are not in superposition; the detail counts them.
    """
    table = figure_table(config, figure)
    dense = table[table["feature_probability"] >= 1.0]
    if dense.empty:
        return insufficient("the grid has no point at 1−S = 1")
    ruled_out = dense[~dense["theory_allows_superposition"].astype(bool)]
    tied = dense[dense["theory_allows_superposition"].astype(bool)]
    hits, total = int(_models(ruled_out, "fraction_superposition").sum()), int(ruled_out["models_kept"].sum())
    if total == 0:
        return insufficient("every dense point is a theoretical tie with superposition")
    value, low, high = proportion(hits, total)
    detail = (f"{hits} of {total} kept models at {len(ruled_out)} dense points have the extra feature in superposition "
              "where the theory rules it out")
    if "fraction_confused" in dense:
        detail += f"; {int(_models(dense, 'fraction_confused').sum())} dense models confused (W_extra ≈ W_j)"
    if len(tied):
        detail += "; not counted, the theory ties there: " + ", ".join(
            f"r={r.extra_importance:.3g} ({int(round(r.fraction_superposition * r.models_kept))} in superposition)"
            for r in tied.itertuples())
    return ClaimResult(value, low, high, holds=hits == 0, detail=detail)


def _register(figure: str, shape: str) -> None:
    claim(
        id=f"{figure}-agrees-with-theory",
        figure=figure,
        source=SOURCE,
        statement=f"The empirical phase diagram ({shape}) agrees with the theoretical one: the extra feature is "
        "not learned, dedicated or in superposition where the closed-form loss says so.",
        quantity="mean over grid points of the fraction of kept models (highest-loss restart dropped) whose extra "
        "feature is in a phase of the theory's optimum there (confused W_extra ≈ W_j counts as none); 95% Wilson "
        "interval over the kept models",
        threshold=f"≥ {MOST:g}",
        quote=QUOTES[figure],
        threshold_source="choice",
        threshold_reason="the text gives no rate of agreement; three quarters of the models (set when the claim was "
        "written, the same for both diagrams) as 'agree'",
    )(lambda config: agreement_with_theory(config, figure))
    claim(
        id=f"{figure}-superposition-needs-sparsity",
        figure=figure,
        source=SOURCE,
        statement=f"Sparsity is necessary for superposition ({shape}): with dense features the extra feature is "
        "never in superposition.",
        quantity="fraction of the kept models at 1−S = 1 with the extra feature in (antipodal) superposition, at the "
        "points where the theory's optimum is another phase (theoretical ties with superposition not counted)",
        threshold="= 0",
        quote=SPARSITY_QUOTE,
        threshold_source="text",
        threshold_reason="'necessary': no dense model in superposition",
    )(lambda config: superposition_needs_sparsity(config, figure))


_register("phase-2-in-1", "n=2 features in m=1")
_register("phase-3-in-2", "n=3 features in m=2")


# --- issue 14: the exact 2-in-1 loss (McGrath's comment) and other activations (Redwood's) --------

COMMENT = paper("Comments & Replications", "Replication & Further Results")  # Tom McGrath
EXACT = "phase-2-in-1-exact"
#: 'Sparsity is low and both features are important', read as 1−S ≥ 1/2 and r within a factor 5 of 1
#: (the comment gives no numbers).
LOW_SPARSITY, IMPORTANCE_FACTOR = 0.5, 5.0
#: W₁ ≃ W₂ ≃ 1/√2: each weight within this distance of 1/√2.
CONFUSED_TOLERANCE = 0.01


def _exact_rows(config: PipelineConfig, kind: str):
    return rows_of(figure_table(config, EXACT), kind)


@claim(
    id="phase-2-in-1-exact-confused-point",
    figure=EXACT,
    source=COMMENT,
    statement="Without bias, the exact optimum of n=2, m=1 at 1−S = 1 and r = 1 is the 'confused' solution "
    "W₁ = W₂ = 1/√2: similar, not antipodal, weights.",
    quantity="largest |w_i − 1/√2| of the bias-free exact optimum at 1−S = 1, r = 1 (sign-canonical)",
    threshold=f"≤ {CONFUSED_TOLERANCE:g}",
    quote="we also find a new phase where W_1\\simeq W_2 \\simeq \\frac{1}{\\sqrt{2}}: weights are similar rather "
    "than antipodal.",
    threshold_source="choice",
    threshold_reason="'≃' read as equal to two decimals; the exact optimum is W = (1/√2, 1/√2) analytically "
    "(loss 1/24), so any tolerance above the optimiser's precision (1e-7) gives the same verdict",
)
def _confused_point(config: PipelineConfig) -> ClaimResult:
    point = _exact_rows(config, "point")
    if point.empty:
        return insufficient("no exact optimum at 1−S = 1, r = 1 in the table")
    row = point.iloc[0]
    value = float(max(abs(row["w1"] - 0.5**0.5), abs(row["w2"] - 0.5**0.5)))
    return ClaimResult(value, holds=value <= CONFUSED_TOLERANCE,
                       detail=f"W = ({row['w1']:.4f}, {row['w2']:.4f}), loss {row['loss']:.5f}, {row['phase']}")


@claim(
    id="phase-2-in-1-exact-confused-where-dense-and-both-important",
    figure=EXACT,
    source=COMMENT,
    statement="Without bias, the confused phase is the exact optimum somewhere on the grid, and only where sparsity "
    "is low (1−S ≥ 1/2) and both features are important (1/5 ≤ r ≤ 5).",
    quantity="fraction of the grid points with a confused bias-free optimum that lie in 1−S ≥ 1/2, 1/5 ≤ r ≤ 5 "
    "(and their number)",
    threshold="= 1, with at least one confused point",
    quote="This ‘confused feature’ regime occurs when sparsity is low and both features are important (Figure 1c).",
    threshold_source="choice",
    threshold_reason="the comment gives no numbers; 1−S ≥ 1/2 and importances within a factor 5 are our reading "
    "of 'low sparsity' and 'both important' (chosen with the prototype's exact diagram in view, where the "
    "confused points lie at 1−S ≥ 0.68 and 0.2 ≤ r ≤ 4.6)",
)
def _confused_region(config: PipelineConfig) -> ClaimResult:
    grid = _exact_rows(config, "grid")
    if grid.empty:
        return insufficient("no grid points")
    confused = grid[grid["exact_free_phase"] == "confused"]
    if confused.empty:
        return ClaimResult(0.0, holds=False, detail=f"no confused point among {len(grid)}")
    inside = (confused["p"] >= LOW_SPARSITY) & (confused["r"] >= 1 / IMPORTANCE_FACTOR) & \
        (confused["r"] <= IMPORTANCE_FACTOR)
    region = grid[(grid["p"] >= LOW_SPARSITY) & (grid["r"] >= 1 / IMPORTANCE_FACTOR) & (grid["r"] <= IMPORTANCE_FACTOR)]
    value, low, high = proportion(int(inside.sum()), len(confused))
    return ClaimResult(value, low, high, holds=bool(inside.all()),
                       detail=f"{len(confused)} confused points of {len(grid)} (1−S ≥ {confused['p'].min():.3g}, "
                       f"r {confused['r'].min():.3g}–{confused['r'].max():.3g}); the region holds {len(region)} "
                       f"points, {int((region['exact_free_phase'] == 'confused').sum())} of them confused")


@claim(
    id="phase-2-in-1-exact-two-minima",
    figure=EXACT,
    source=COMMENT,
    statement="Without bias, some combinations of sparsity and importance have loss surfaces with two or more minima "
    "(up to the sign symmetry).",
    quantity="fraction of grid points whose bias-free loss surface has ≥ 2 local minima up to w → −w",
    threshold="> 0",
    quote="As Figure 1c shows, some combinations of sparsity and relative feature importance lead to loss surfaces "
    "with two minima (once the symmetry (W_1, W_2) \\to (-W_1, -W_2) has been accounted for).",
    threshold_source="text",
    threshold_reason="'some combinations': at least one",
)
def _two_minima(config: PipelineConfig) -> ClaimResult:
    grid = _exact_rows(config, "grid")
    if grid.empty:
        return insufficient("no grid points")
    hits = int((grid["exact_free_n_minima"] >= 2).sum())
    value, low, high = proportion(hits, len(grid))
    return ClaimResult(value, low, high, holds=hits > 0, detail=f"{hits} of {len(grid)} points")


def _trained_agreement(config: PipelineConfig, model: str, reference: str) -> ClaimResult:
    """Majority phase of the ``model`` experiment = ``reference`` exact optimum, minus = the candidates,
    on the points where both are defined."""
    rows = _exact_rows(config, "trained")
    rows = rows[rows["model"] == model] if len(rows) else rows
    column = f"agree_exact_{reference}"
    if model == "relu_output":  # compare on the points where the with-bias optimum was computed
        rows = rows[rows["exact_bias_phase"] != ""]
    rows = rows[rows[column].notna()] if len(rows) else rows
    if rows.empty:
        return insufficient(f"no trained {model} points with a {reference} exact optimum")
    exact_hits, theory_hits = int(rows[column].sum()), int(rows["agree_theory"].sum())
    e, e_low, e_high = proportion(exact_hits, len(rows))
    t, t_low, t_high = proportion(theory_hits, len(rows))
    best_exact, best_theory = rows[f"agree_selected_exact_{reference}"].mean(), rows["agree_selected_theory"].mean()
    return ClaimResult(e - t, holds=e > t,
                       detail=f"majority phase = exact ({reference}) at {exact_hits}/{len(rows)} = {e:.0%} "
                       f"[{e_low:.0%}, {e_high:.0%}], = candidates at {theory_hits}/{len(rows)} = {t:.0%} "
                       f"[{t_low:.0%}, {t_high:.0%}]; lowest-loss model: {best_exact:.0%} vs {best_theory:.0%}")


BLURRY = "This explains the ‘blurry’ region around the triple point in the phase diagram."

claim(
    id="phase-2-in-1-trained-agree-with-exact-with-bias",
    figure=EXACT,
    source=COMMENT,
    statement="The trained 2-in-1 models (which have an output bias) agree with the exact optimum of their own "
    "model (with the bias) more often than with the three candidate configurations.",
    quantity="fraction of points whose majority phase equals the with-bias exact optimum's, minus the fraction "
    "where it equals a lowest-loss candidate's (same points: every second grid point)",
    threshold="> 0",
    quote=BLURRY,
    threshold_source="text",
    threshold_reason="'explains': the exact solution accounts for the trained diagram better than the candidates",
)(lambda config: _trained_agreement(config, "relu_output", "bias"))

claim(
    id="phase-2-in-1-trained-agree-with-exact-bias-free",
    figure=EXACT,
    source=COMMENT,
    statement="The trained 2-in-1 models (which have an output bias) agree with the bias-free exact optimum of the "
    "comment more often than with the three candidate configurations.",
    quantity="fraction of points whose majority phase equals the bias-free exact optimum's, minus the fraction "
    "where it equals a lowest-loss candidate's (same points as the with-bias claim)",
    threshold="> 0",
    quote=BLURRY,
    threshold_source="text",
    threshold_reason="'explains', as for the with-bias optimum; the comment's optimum ignores the bias the trained "
    "models have, so this claim tests the comment's analysis against the paper's trained models as they are",
)(lambda config: _trained_agreement(config, "relu_output", "free"))

claim(
    id="phase-2-in-1-bias-free-trained-agree-with-exact",
    figure=EXACT,
    source=COMMENT,
    statement="2-in-1 models trained without an output bias (the comment's model) agree with its bias-free exact "
    "optimum more often than with the three candidate configurations.",
    quantity="fraction of points whose majority phase equals the bias-free exact optimum's, minus the fraction "
    "where it equals a lowest-loss candidate's",
    threshold="> 0",
    quote=BLURRY,
    threshold_source="text",
    threshold_reason="'explains': the exact solution accounts for the trained diagram better than the candidates",
)(lambda config: _trained_agreement(config, "relu_output_bias_free", "free"))


ACTIVATIONS = "activation-phase-diagrams"
REDWOOD = paper("Comments & Replications", "Replication & Forthcoming Paper")  # Redwood Research
REDWOOD_QUOTE = ("We found the phase diagrams look quite different depending on the activation function, suggesting "
                 "that in this toy model some activation functions induce more polysemanticity than others.")
#: 'Quite different': at least a quarter of the points change phase.
QUITE_DIFFERENT = 0.25


def _activation_summary(config: PipelineConfig):
    return rows_of(figure_table(config, ACTIVATIONS), "summary")


@claim(
    id="activation-phase-diagrams-differ",
    figure=ACTIVATIONS,
    source=REDWOOD,
    statement="The 2-in-1 phase diagram looks quite different with another output activation (GELU, SiLU or tanh) "
    "than with ReLU.",
    quantity="largest, over the other activations, fraction of grid points whose majority phase differs from "
    "ReLU's at the same point (95% Wilson interval)",
    threshold=f"≥ {QUITE_DIFFERENT:g}",
    quote=REDWOOD_QUOTE,
    threshold_source="choice",
    threshold_reason="'quite different' read as a quarter of the diagram changing phase, fixed before training",
)
def _activations_differ(config: PipelineConfig) -> ClaimResult:
    summary = _activation_summary(config)
    others = summary[summary["activation"] != "relu"] if len(summary) else summary
    others = others[others["compared_with_relu"] > 0] if len(others) else others
    if others.empty:
        return insufficient("no activation compared with ReLU")
    top = others.sort_values("share_differs_from_relu").iloc[-1]
    detail = "; ".join(f"{r.activation}: {int(r.differs_from_relu)}/{int(r.compared_with_relu)}" for r in others.itertuples())
    value = float(top["share_differs_from_relu"])
    return ClaimResult(value, float(top["differs_ci_low"]), float(top["differs_ci_high"]),
                       holds=value >= QUITE_DIFFERENT, detail=detail)


@claim(
    id="activation-some-induce-more-polysemanticity",
    figure=ACTIVATIONS,
    source=REDWOOD,
    statement="Some output activations induce more polysemanticity than others: the share of the 2-in-1 diagram "
    "where both features share the one dimension differs between activations.",
    quantity="largest minus smallest share, over ReLU, GELU, SiLU and tanh, of grid points whose majority phase "
    "has both features learned (superposition or confused)",
    threshold="> 0, with the 95% Wilson intervals of the largest and the smallest share disjoint",
    quote=REDWOOD_QUOTE,
    threshold_source="convention",
    threshold_reason="a difference of proportions called real when their 95% intervals do not overlap",
)
def _activation_polysemanticity(config: PipelineConfig) -> ClaimResult:
    summary = _activation_summary(config)
    if len(summary) < 2:
        return insufficient("fewer than two activations")
    ordered = summary.sort_values("share_polysemantic")
    low, high = ordered.iloc[0], ordered.iloc[-1]
    value = float(high["share_polysemantic"] - low["share_polysemantic"])
    detail = "; ".join(f"{r.activation}: {int(r.polysemantic)}/{int(r.points)}" for r in summary.itertuples())
    return ClaimResult(value, holds=value > 0 and high["ci_low"] > low["ci_high"], detail=detail)
