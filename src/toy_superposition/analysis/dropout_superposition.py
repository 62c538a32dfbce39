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
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch
from torch import Tensor

from .. import metrics
from .statistics import bootstrap_difference_ci

INHIBITS = "inhibits"
PROMOTES = "promotes"
UNCLEAR = "unclear"

#: "Low sparsity" (dense features) in the reader's claim: feature probability 1−S at least this.
LOW_SPARSITY = 0.3
#: Relative norm above which a feature counts in D*_count.
RELATIVE_NORM = 0.5


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


def inhibition_claim(effects: pd.DataFrame, decay: float, label: str, dense_only: bool | None = None) -> dict:
    """Row of a claim about the cells of one importance profile.

    ``dense_only`` True restricts to feature probability ≥ LOW_SPARSITY, False to the sparser
    cells, None takes every cell. The claim "dropout inhibits superposition" holds ("yes")
    when every cell inhibits, "partly" when some do, "no" when none does.
    """
    cells = effects[np.isclose(effects["importance_decay"], decay)]
    if dense_only is True:
        cells = cells[cells["feature_probability"] >= LOW_SPARSITY]
    elif dense_only is False:
        cells = cells[cells["feature_probability"] < LOW_SPARSITY]
    counts = {v: int((cells["verdict"] == v).sum()) for v in (INHIBITS, PROMOTES, UNCLEAR)}
    total = len(cells)
    holds = "yes" if total and counts[INHIBITS] == total else ("partly" if counts[INHIBITS] else "no")
    measured = (f"of {total} (1−S, r) cells: {counts[INHIBITS]} inhibit (Δ CI > 0), {counts[PROMOTES]} promote, "
                f"{counts[UNCLEAR]} unclear; mean Δ = {cells['delta'].mean():+.3f}" if total else "no cells")
    return {"claim": label, "measured": measured, "holds": holds}


def exception_claim(effects: pd.DataFrame, decay: float, label: str) -> dict:
    """"Dropout does *not* inhibit superposition with decaying importance at low sparsity"."""
    cells = effects[np.isclose(effects["importance_decay"], decay) & (effects["feature_probability"] >= LOW_SPARSITY)]
    not_inhibited = int((cells["verdict"] != INHIBITS).sum())
    total = len(cells)
    holds = "yes" if total and not_inhibited == total else ("partly" if not_inhibited else "no")
    measured = (f"{not_inhibited} of {total} cells with 1−S ≥ {LOW_SPARSITY:g} not inhibited; " + ", ".join(
        f"1−S={c.feature_probability:.2g}, r={c.dropout:g}: Δ={c.delta:+.2f} [{c.ci_low:+.2f}, {c.ci_high:+.2f}]"
        for c in cells.itertuples())) if total else "no cells"
    return {"claim": label, "measured": measured, "holds": holds}
