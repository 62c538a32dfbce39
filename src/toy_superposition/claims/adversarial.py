"""Claims of "Relationship to Adversarial Robustness": vulnerability to the optimal L2 attack
rises as superposition forms, and tracks the features per dimension.

Evidence: the ``adversarial`` figure table, one row per feature density of the uniform
models with the vulnerabilities and the features per dimension 1/D*
(:mod:`toy_superposition.analysis.adversarial`). The paper's attack, per model: of the 2n
analytically optimal L2 attacks ``±ε (WᵀW)_i / ‖(WᵀW)_i‖`` (ε = 0.1 × the mean input norm),
"the one of these attacks which most harms model performance" — the one attack that raises
the model's mean loss most (``universal_vulnerability``). The per-input variant (for each
input the attack that harms it most, ``vulnerability``) is stronger; its claims are second rows.

Vulnerability V = (L_attacked − L_clean) / L_clean, with the losses the mean importance-weighted
squared error over one fixed batch of inputs per model.
"""

from __future__ import annotations

from ..analysis.statistics import pearson_with_interval
from ..config import PipelineConfig
from .registry import ClaimResult, claim, insufficient
from .sources import paper
from .tables import figure_table

SOURCE = paper("Relationship to Adversarial Robustness")
#: The paper's "increasing by >3x".
RISE = 3.0
#: "Closely tracks": a Pearson correlation at least this strong (the project's number).
CLOSE = 0.8
QUOTE = ("We find that vulnerability to adversarial examples sharply increases as superposition forms (increasing by "
         ">3x), and that the level of vulnerability closely tracks the number of features per dimension (the "
         "reciprocal of feature dimensionality).")
ATTACKS = {
    "universal_vulnerability": ("", "the one attack per model (of the 2n optimal L2 attacks ±ε(WᵀW)_i/‖(WᵀW)_i‖, "
                                "ε = 0.1 × mean input norm) that raises its mean loss most, as the paper"),
    "vulnerability": ("-per-input", "for each input the attack (of the same 2n) that raises its loss most (stronger "
                      "than the paper's)"),
}
DEFINITION = "vulnerability V = (L_attacked − L_clean) / L_clean"


def _rise(config: PipelineConfig, column: str) -> ClaimResult:
    table = figure_table(config, "adversarial").sort_values("inverse_density").reset_index(drop=True)
    if len(table) < 2 or not table[column].iloc[0] > 0:
        return insufficient("fewer than two densities, or zero vulnerability at the densest")
    rise = table[column] / table[column].iloc[0]
    peak = int(rise.idxmax())
    value = float(rise.iloc[peak])
    return ClaimResult(value, holds=value > RISE,
                       detail=f"V = {table[column].iloc[0]:.3g} at 1/(1−S) = {table['inverse_density'].iloc[0]:.3g}, "
                       f"peak {table[column].iloc[peak]:.3g} at 1/(1−S) = {table['inverse_density'].iloc[peak]:.3g}")


def _tracks(config: PipelineConfig, column: str) -> ClaimResult:
    table = figure_table(config, "adversarial")
    r, low, high = pearson_with_interval(table[column], table["features_per_dimension"])
    if r != r:
        return insufficient(f"{len(table)} densities: correlation undefined")
    return ClaimResult(r, low, high, holds=r >= CLOSE, detail=f"{len(table)} densities")


def _register(column: str) -> None:
    suffix, attack = ATTACKS[column]
    claim(
        id=f"adversarial-vulnerability-rises-3x{suffix}",
        figure="adversarial",
        source=SOURCE,
        statement="Vulnerability to adversarial examples sharply increases as superposition forms (by more than 3×); "
        f"attack: {attack}; {DEFINITION}.",
        quantity="largest V over the densities, over V of the densest model (1−S = 1, no superposition)",
        threshold=f"> {RISE:g}",
        quote=QUOTE,
        threshold_source="text",
        threshold_reason="'increasing by >3x'",
    )(lambda config: _rise(config, column))
    claim(
        id=f"adversarial-tracks-features-per-dimension{suffix}",
        figure="adversarial",
        source=SOURCE,
        statement=f"The level of vulnerability closely tracks the number of features per dimension (1/D*); attack: "
        f"{attack}; {DEFINITION}.",
        quantity="Pearson correlation of V with 1/D* across densities (95% Fisher-z interval)",
        threshold=f"≥ {CLOSE:g}",
        quote=QUOTE,
        threshold_source="choice",
        threshold_reason="'closely tracks' has no number: a Pearson correlation of at least 0.8",
    )(lambda config: _tracks(config, column))


_register("universal_vulnerability")
_register("vulnerability")
