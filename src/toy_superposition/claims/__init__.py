"""The paper's claims, and the dropout study's, each checked by a number the pipeline computes.

:mod:`.registry` defines a claim and :func:`evaluate_claims`; one module per section of the
paper (and one for the dropout study) registers that section's claims on import. The claims
stage evaluates every claim whose figure the profile makes and writes
``results/claims.parquet`` and ``results/claims.json`` (a ``dvc metrics`` file).

Every figure in ``config/config.yaml`` has at least one claim (a test checks it).
"""

from __future__ import annotations

from ..analysis.statistics import longest_run, pearson_with_interval, proportion, wilson_interval
from .registry import CLAIMS, REPLACED, Claim, ClaimResult, claim, evaluate_claims, insufficient
from .tables import figure_table, selected_features

# Importing a section's module registers its claims (paper order, the dropout study last).
from . import demonstrating  # noqa: E402,F401  isort: skip
from . import phase_change  # noqa: E402,F401  isort: skip
from . import uniform_geometry  # noqa: E402,F401  isort: skip
from . import pressure  # noqa: E402,F401  isort: skip
from . import nonuniform_geometry  # noqa: E402,F401  isort: skip
from . import learning_dynamics  # noqa: E402,F401  isort: skip
from . import adversarial  # noqa: E402,F401  isort: skip
from . import privileged_basis  # noqa: E402,F401  isort: skip
from . import computation  # noqa: E402,F401  isort: skip
from . import removing_superposition  # noqa: E402,F401  isort: skip
from . import nonlinear_compression  # noqa: E402,F401  isort: skip
from . import dropout  # noqa: E402,F401  isort: skip

__all__ = [
    "CLAIMS", "REPLACED", "Claim", "ClaimResult", "claim", "evaluate_claims", "insufficient",
    "longest_run", "pearson_with_interval", "proportion", "wilson_interval",
    "figure_table", "selected_features",
]
