"""Does dropout inhibit superposition? D* with and without dropout, with bootstrap intervals.

Shapes: ``I`` models, ``n`` features, ``m`` hidden dimensions; ``W`` (I, n, m).

Measures of superposition per model:

* ``D* = m / ‖W‖²_F`` (the paper's dimensions per feature; the post's measure). Lower D* =
  more features per dimension = more superposition.
* ``D*_count = m / #{i : ‖W_i‖ > ½ max_j ‖W_j‖}`` — dimensions per *represented* feature,
  counting features against the model's own largest norm. Dropout shrinks the norms it
  learns (a lone feature on one axis, kept with probability q = 1 − r and scaled by 1/q, has
  loss-minimising ‖W_i‖² = q), which raises ``D*`` with no change in how many features share
  the space; ``D*_count`` is blind to that shrinkage, so the two together separate "fewer
  features" from "smaller norms".

Effect of dropout rate r at one setting (feature density, importance profile): the difference
``Δ = mean D*(r) − mean D*(0)`` over the restarts of each, with a percentile-bootstrap
interval (restarts resampled independently, :mod:`.statistics`); *inhibits* superposition if
the interval is above 0, *promotes* it if below, else *unclear*.

Claims over cells. "Generally inhibits" holds when a **majority** of the (1−S, r > 0) cells
inhibit (the share is reported with its Wilson interval); "partly" when some but not most
do. Whether dropout inhibits *superposition* is measured with ``D*_count``: D* also rises
when dropout merely shrinks the norms. The post's D* statement ("higher dimensions per
feature ... but this effect is not strict; at low levels of dropout ... can be lower") is one
claim about D*: most cells higher, and some cell at a low rate (r < ``LOW_DROPOUT``) lower.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch
from torch import Tensor

from .. import metrics
from .statistics import bootstrap_difference_ci, proportion

INHIBITS = "inhibits"
PROMOTES = "promotes"
UNCLEAR = "unclear"

#: "Low sparsity" (dense features) in the reader's claim: feature probability 1−S at least this.
LOW_SPARSITY = 0.3
#: Relative norm above which a feature counts in D*_count.
RELATIVE_NORM = 0.5
#: "Low levels of dropout" in the post: rates below this (as its "low" orientation regime, below 50%).
LOW_DROPOUT = 0.5


def count_dimensions_per_feature(W: Tensor, relative: float = RELATIVE_NORM) -> Tensor:
    """``m / #{i : ‖W_i‖ > relative · max_j ‖W_j‖}``: (I, n, m) → (I,); inf when W = 0."""
    norms = W.norm(dim=-1)
    largest = norms.max(dim=-1, keepdim=True).values
    counted = ((norms > relative * largest) & (largest > 0)).sum(dim=-1)
    return W.shape[-1] / counted.to(W.dtype)


def superposition_table(W: Tensor, instances: pd.DataFrame) -> pd.DataFrame:
    """One row per model: its settings, D*, D*_count, ‖W‖²_F and the features with ‖W_i‖ > 0.5."""
    rows = instances.sort_values("instance").reset_index(drop=True)
    index = torch.as_tensor(rows["instance"].to_numpy().copy())
    W = W[index]
    return pd.DataFrame({
        "instance": rows["instance"].to_numpy(),
        "setting": rows["setting"].to_numpy(),
        "restart": rows["restart"].to_numpy(),
        "selected": rows["selected"].to_numpy(),
        "feature_probability": rows["feature_probability"].to_numpy(),
        "importance_decay": rows["importance_decay"].to_numpy(),
        "dropout": rows["dropout"].to_numpy(),
        "final_loss": rows["final_loss"].to_numpy(),
        "d_star": metrics.dimensions_per_feature(W).numpy(),
        "d_star_count": count_dimensions_per_feature(W).numpy(),
        "frobenius_sq": W.square().sum(dim=(-1, -2)).numpy(),
        "features_represented": metrics.features_represented(W).numpy().astype(np.int64),
    })


def verdict(low: float, high: float) -> str:
    if low > 0:
        return INHIBITS
    if high < 0:
        return PROMOTES
    return UNCLEAR


def dropout_effects(models: pd.DataFrame, measure: str = "d_star", seed: int = 0) -> pd.DataFrame:
    """Δ = mean measure(r) − mean measure(0) per (importance_decay, feature_probability, r > 0).

    ``models`` is :func:`superposition_table`'s table. Columns: ``importance_decay``,
    ``feature_probability``, ``dropout``, ``restarts``, ``baseline`` (mean at r = 0),
    ``value`` (mean at r), ``delta``, ``ci_low``, ``ci_high``, ``verdict``.
    """
    rows = []
    for k, ((decay, probability), group) in enumerate(
        models.groupby(["importance_decay", "feature_probability"], sort=True)
    ):
        baseline = group.loc[group["dropout"] == 0.0, measure].to_numpy()
        if baseline.size == 0:
            continue
        for rate in sorted(r for r in group["dropout"].unique() if r > 0):
            sample = group.loc[group["dropout"] == rate, measure].to_numpy()
            interval = bootstrap_difference_ci(sample, baseline, seed=seed + 31 * k + int(round(rate * 100)))
            rows.append({
                "importance_decay": float(decay), "feature_probability": float(probability), "dropout": float(rate),
                "restarts": int(sample.size), "baseline": float(np.mean(baseline)), "value": float(np.mean(sample)),
                "delta": interval.estimate, "ci_low": interval.low, "ci_high": interval.high,
                "verdict": verdict(interval.low, interval.high),
            })
    return pd.DataFrame(rows)


def majority_verdict(hits: int, total: int) -> str:
    """"yes" when ``hits`` are a majority of ``total``, "partly" when some, "no" when none (or no cell)."""
    if total and 2 * hits > total:
        return "yes"
    return "partly" if hits else "no"


def _share(hits: int, total: int) -> str:
    value, low, high = proportion(hits, total)
    return f"{hits} of {total} ({value:.0%} [{low:.0%}, {high:.0%}])"


def _cells(effects: pd.DataFrame, decay: float, dense_only: bool | None) -> pd.DataFrame:
    cells = effects[np.isclose(effects["importance_decay"], decay)]
    if dense_only is True:
        cells = cells[cells["feature_probability"] >= LOW_SPARSITY]
    elif dense_only is False:
        cells = cells[cells["feature_probability"] < LOW_SPARSITY]
    return cells


def inhibition_claim(effects: pd.DataFrame, decay: float, label: str, dense_only: bool | None = None) -> dict:
    """Row of a claim about the cells of one importance profile.

    ``dense_only`` True restricts to feature probability ≥ LOW_SPARSITY, False to the sparser
    cells, None takes every cell. The claim "dropout (generally) inhibits superposition" holds
    ("yes") when a majority of the cells inhibit, "partly" when some do, "no" when none does.
    """
    cells = _cells(effects, decay, dense_only)
    counts = {v: int((cells["verdict"] == v).sum()) for v in (INHIBITS, PROMOTES, UNCLEAR)}
    total = len(cells)
    measured = (f"of {total} (1−S, r) cells: {_share(counts[INHIBITS], total)} inhibit (Δ CI > 0), "
                f"{counts[PROMOTES]} promote, {counts[UNCLEAR]} unclear; mean Δ = {cells['delta'].mean():+.3f}"
                if total else "no cells")
    return {"claim": label, "measured": measured, "holds": majority_verdict(counts[INHIBITS], total)}


def exception_claim(effects: pd.DataFrame, decay: float, label: str) -> dict:
    """"Dropout does *not* inhibit superposition with decaying importance at low sparsity": a majority
    of those cells not inhibited."""
    cells = _cells(effects, decay, dense_only=True)
    not_inhibited = int((cells["verdict"] != INHIBITS).sum())
    total = len(cells)
    measured = (f"{_share(not_inhibited, total)} cells with 1−S ≥ {LOW_SPARSITY:g} not inhibited; " + ", ".join(
        f"1−S={c.feature_probability:.2g}, r={c.dropout:g}: Δ={c.delta:+.2f} [{c.ci_low:+.2f}, {c.ci_high:+.2f}]"
        for c in cells.itertuples())) if total else "no cells"
    return {"claim": label, "measured": measured, "holds": majority_verdict(not_inhibited, total)}


def direction_claim(effects: pd.DataFrame, decay: float, label: str) -> dict:
    """The post's D* statement as one claim: most cells have a higher D* with dropout (Δ CI > 0),
    but not strictly: at least one cell at a low rate (r < LOW_DROPOUT) has a lower one (Δ CI < 0).
    "yes" when both, "partly" when one, "no" when neither."""
    cells = _cells(effects, decay, dense_only=None)
    total = len(cells)
    higher = int((cells["verdict"] == INHIBITS).sum())
    lower = cells[(cells["verdict"] == PROMOTES) & (cells["dropout"] < LOW_DROPOUT)]
    mostly, not_strict = total > 0 and 2 * higher > total, len(lower) > 0
    measured = (f"higher D* in {_share(higher, total)} cells; lower at r < {LOW_DROPOUT:g} in {len(lower)}"
                + (": " + ", ".join(f"1−S={c.feature_probability:.2g}, r={c.dropout:g}: {c.delta:+.2f} "
                                    f"[{c.ci_low:+.2f}, {c.ci_high:+.2f}]" for c in lower.itertuples())
                   if len(lower) else "")) if total else "no cells"
    holds = "yes" if mostly and not_strict else ("partly" if mostly or not_strict else "no")
    return {"claim": label, "measured": measured, "holds": holds}
