"""Claims of "Relationship to Adversarial Robustness": vulnerability to the optimal L2 attack
rises as superposition forms, and tracks the features per dimension.

Evidence: the ``adversarial`` figure table, one row per feature density of the uniform
models with the vulnerability (attacked loss over clean loss, minus 1), its rise over the
densest model (no superposition) and the features per dimension 1/D*.
"""

from __future__ import annotations

from ..analysis.statistics import pearson_with_interval
from ..config import PipelineConfig
from .registry import ClaimResult, claim, insufficient
from .tables import figure_table

SOURCE = "Relationship to Adversarial Robustness"
#: The paper's "increasing by >3x".
RISE = 3.0
#: "Closely tracks": a Pearson correlation at least this strong, fixed before any result.
CLOSE = 0.8


@claim(
    id="adversarial-vulnerability-rises-3x",
    figure="adversarial",
    source=SOURCE,
    statement="Vulnerability to adversarial examples sharply increases as superposition forms (by more than 3×).",
    quantity="largest vulnerability over that of the densest model (1−S = 1, no superposition)",
    threshold=f"> {RISE:g}",
)
def _rise(config: PipelineConfig) -> ClaimResult:
    table = figure_table(config, "adversarial").sort_values("inverse_density").reset_index(drop=True)
    if len(table) < 2 or not table["vulnerability"].iloc[0] > 0:
        return insufficient("fewer than two densities, or zero vulnerability at the densest")
    peak = int(table["rise_over_densest"].idxmax())
    value = float(table["rise_over_densest"].iloc[peak])
    return ClaimResult(value, holds=value > RISE,
                       detail=f"vulnerability {table['vulnerability'].iloc[0]:.3g} at 1/(1−S) = "
                       f"{table['inverse_density'].iloc[0]:.3g}, peak {table['vulnerability'].iloc[peak]:.3g} at "
                       f"1/(1−S) = {table['inverse_density'].iloc[peak]:.3g}")


@claim(
    id="adversarial-tracks-features-per-dimension",
    figure="adversarial",
    source=SOURCE,
    statement="The level of vulnerability closely tracks the number of features per dimension (1/D*).",
    quantity="Pearson correlation of vulnerability with 1/D* across densities (95% Fisher-z interval)",
    threshold=f"≥ {CLOSE:g}",
)
def _tracks(config: PipelineConfig) -> ClaimResult:
    table = figure_table(config, "adversarial")
    r, low, high = pearson_with_interval(table["vulnerability"], table["features_per_dimension"])
    if r != r:
        return insufficient(f"{len(table)} densities: correlation undefined")
    return ClaimResult(r, low, high, holds=r >= CLOSE, detail=f"{len(table)} densities")
