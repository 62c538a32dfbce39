"""The claim registry: what a claim is, how it is registered and how the claims are evaluated.

A :class:`Claim` names the figure whose data tests it, states the claim in words, quotes the
sentence of the source it tests (``quote``, verbatim, with its section), says what quantity is
measured, its threshold and where the threshold comes from (``threshold_source``: ``text`` —
the number is in the quote; ``convention`` — a stated statistical convention; ``choice`` — the
project's number, with ``threshold_reason`` saying why), and evaluates to a
:class:`ClaimResult` (value, confidence interval where restarts or samples allow, holds or
not). A claim that does not hold is reported as such; a threshold or rule changed after its
results were seen is recorded in docs/claims-changelog.md.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from ..config import PipelineConfig


@dataclass(frozen=True)
class ClaimResult:
    value: float
    ci_low: float = math.nan
    ci_high: float = math.nan
    holds: bool = False
    detail: str = ""


#: Where a threshold comes from.
THRESHOLD_SOURCES = ("text", "convention", "choice")


@dataclass(frozen=True)
class Claim:
    id: str
    figure: str
    source: str  # where the claim is made: paper section or the dropout post
    statement: str
    quantity: str
    threshold: str
    evaluate: Callable[[PipelineConfig], ClaimResult]
    quote: str = ""  # the sentence of the source it tests, verbatim
    threshold_source: str = ""  # one of THRESHOLD_SOURCES
    threshold_reason: str = ""  # why this number (required for "choice")


CLAIMS: dict[str, Claim] = {}

#: Ids retired because the claim's meaning changed → the id that replaces them
#: (docs/claims-changelog.md says why); comparisons of claims tables pair them.
REPLACED: dict[str, str] = {
    "relu-hidden-features-align-with-neurons": "relu-hidden-aligns-with-neurons-vs-linear-hidden-layer",
    "dropout-raises-d-star": "dropout-d-star-higher-not-strict",
    "dropout-d-star-effect-not-strict": "dropout-d-star-higher-not-strict",
}


def claim(id: str, figure: str, source: str, statement: str, quantity: str, threshold: str,
          quote: str = "", threshold_source: str = "", threshold_reason: str = ""):
    """Register the decorated function as the evaluation of a claim.

    ``quote`` must be the sentence the claim tests, verbatim from a source text, and
    ``source`` the document and section it comes from; ``threshold_source`` says where the
    threshold comes from, with ``threshold_reason`` required for a ``choice``
    (``tests/claims/test_quotes.py`` checks every quote against the source texts).
    """
    if threshold_source not in THRESHOLD_SOURCES:
        raise ValueError(f"claim {id!r}: threshold_source {threshold_source!r} is not one of {THRESHOLD_SOURCES}")
    if not quote.strip():
        raise ValueError(f"claim {id!r}: no quote of the sentence it tests")
    if threshold_source == "choice" and not threshold_reason.strip():
        raise ValueError(f"claim {id!r}: a threshold that is the project's choice needs a threshold_reason")

    def register(evaluate: Callable[[PipelineConfig], ClaimResult]) -> Callable[[PipelineConfig], ClaimResult]:
        if id in CLAIMS:
            raise ValueError(f"claim {id!r} registered twice")
        CLAIMS[id] = Claim(id, figure, source, statement, quantity, threshold, evaluate, quote, threshold_source,
                           threshold_reason)
        return evaluate

    return register


def insufficient(detail: str) -> ClaimResult:
    """The result of a claim whose data cannot decide it (too few models, nothing found):
    NaN, does not hold, and why."""
    return ClaimResult(math.nan, holds=False, detail=f"insufficient data: {detail}")


def evaluate_claims(config: PipelineConfig) -> pd.DataFrame:
    """Evaluate every claim whose figure this profile makes; one row per claim."""
    rows = []
    for item in CLAIMS.values():
        if item.figure not in config.figures:
            continue
        result = item.evaluate(config)
        rows.append(
            {
                "claim": item.id,
                "figure": item.figure,
                "source": item.source,
                "statement": item.statement,
                "quantity": item.quantity,
                "value": float(result.value),
                "ci_low": float(result.ci_low),
                "ci_high": float(result.ci_high),
                "threshold": item.threshold,
                "holds": bool(result.holds),
                "detail": result.detail,
                "quote": item.quote,
                "threshold_source": item.threshold_source,
                "threshold_reason": item.threshold_reason,
            }
        )
    return pd.DataFrame(rows)
