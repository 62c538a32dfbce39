"""Claims of "Superposition as a Phase Change": the empirical phase diagrams of the extra
feature (n=2 in m=1, n=3 in m=2) against the closed-form theory.

Evidence: the figure tables of ``phase-2-in-1`` and ``phase-3-in-2``, one row per grid point
with the kept models' majority phase (``empirical_phase``), the theory's phase and ``agree``
(:mod:`toy_superposition.analysis.phase_change`).
"""

from __future__ import annotations

from ..analysis.phase_change import SUPERPOSITION
from ..analysis.statistics import proportion
from ..config import PipelineConfig
from .registry import ClaimResult, claim, insufficient
from .tables import figure_table

SOURCE = "Superposition as a Phase Change"
#: "Most of the grid": fixed before any result, the same for both diagrams.
MOST = 0.75


def agreement_with_theory(config: PipelineConfig, figure: str) -> ClaimResult:
    """Fraction of grid points whose majority phase is the theoretical one, Wilson interval over points."""
    table = figure_table(config, figure)
    if table.empty:
        return insufficient("no grid points")
    hits, total = int(table["agree"].sum()), len(table)
    value, low, high = proportion(hits, total)
    wrong = table[~table["agree"]]
    examples = ", ".join(f"(r={r.extra_importance:.3g}, 1−S={r.feature_probability:.3g}: {r.empirical_phase} vs "
                         f"{r.theory_phase})" for r in wrong.head(4).itertuples())
    return ClaimResult(value, low, high, holds=value >= MOST,
                       detail=f"{hits} of {total} points agree" + (f"; e.g. {examples}" if examples else ""))


def superposition_needs_sparsity(config: PipelineConfig, figure: str) -> ClaimResult:
    """Fraction of the dense (1−S = 1) grid points where the extra feature is in superposition
    (majority) although the theory says superposition is worse than another candidate.

    At a dense point superposition is never strictly optimal in theory, but it can tie: at r = 1
    every candidate has the same loss. A point in superposition where the theory ties is no
    counterexample, so it is not counted (the detail names it).
    """
    table = figure_table(config, figure)
    dense = table[table["feature_probability"] >= 1.0]
    if dense.empty:
        return insufficient("the grid has no point at 1−S = 1")
    superposed = dense[dense["empirical_phase"] == SUPERPOSITION]
    against = superposed[~superposed["agree"]]
    tied = superposed[superposed["agree"]]
    hits, total = len(against), len(dense)
    value, low, high = proportion(hits, total)
    detail = f"{hits} of {total} dense points have the extra feature in superposition where the theory rules it out"
    if len(tied):
        detail += "; not counted, the theory ties there: " + ", ".join(f"r={r:.3g}" for r in tied["extra_importance"])
    return ClaimResult(value, low, high, holds=hits == 0, detail=detail)


def _register(figure: str, shape: str) -> None:
    claim(
        id=f"{figure}-agrees-with-theory",
        figure=figure,
        source=SOURCE,
        statement=f"The empirical phase diagram ({shape}) agrees with the theoretical one: the extra feature is "
        "not learned, dedicated or in superposition where the closed-form loss says so.",
        quantity="fraction of grid points whose majority phase (kept restarts) equals the theoretical phase "
        "(95% Wilson interval over points)",
        threshold=f"≥ {MOST:g} (most of the grid)",
    )(lambda config: agreement_with_theory(config, figure))
    claim(
        id=f"{figure}-superposition-needs-sparsity",
        figure=figure,
        source=SOURCE,
        statement=f"Sparsity is necessary for superposition ({shape}): with dense features the extra feature is "
        "never in superposition.",
        quantity="fraction of grid points at 1−S = 1 whose majority phase is superposition where the "
        "theory's optimum is another phase (ties with superposition not counted)",
        threshold="= 0",
    )(lambda config: superposition_needs_sparsity(config, figure))


_register("phase-2-in-1", "n=2 features in m=1")
_register("phase-3-in-2", "n=3 features in m=2")
