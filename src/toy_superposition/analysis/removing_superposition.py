"""Removing superposition with an L1 penalty on the hidden activations (the paper's "Approach 1").

Training adds ``λ ‖h‖₁`` to the loss (``l1_penalty``; ``h = W x`` is the hidden vector,
averaged over the batch). Representing feature i then costs about
``λ · E|x_i| · ‖W_i‖₁``, which is smallest for a basis-aligned embedding
(``‖W_i‖₁ = ‖W_i‖₂``), while the reconstruction benefit scales with its importance
``I_i``: the penalty kills the features below an importance threshold that rises with λ,
and favours a privileged basis, where features do not share dimensions.

Per instance, with ``W`` (I, n, m), ``importance`` (I, n):

* ``d_star`` = m / ‖W‖²_F and ``features_represented`` (‖W_i‖ > 0.5), as in ``metrics``;
* ``features_in_superposition``: represented features with ``D_i < SUPERPOSED_BELOW``
  (sharing their dimension with others; a dedicated dimension has D_i = 1);
* ``basis_alignment``: mean over represented features of ``max_j |W_ij| / ‖W_i‖`` — 1 when
  every feature lies on one hidden neuron, ``1/√m`` at worst;
* ``least_important_represented``: the smallest ``I_i`` among represented features;
  ``top_features_represented``: whether the represented features are exactly the most
  important ones (an importance threshold), ties in importance counting either way.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch
from torch import Tensor

from .. import metrics

#: A represented feature with D_i below this shares its dimension (is in superposition).
SUPERPOSED_BELOW = 0.9


def basis_alignment(W: Tensor) -> Tensor:
    """``max_j |W_ij| / ‖W_i‖`` for every feature: (I, n) (0 for a zero row)."""
    norms = W.norm(dim=-1)
    return torch.where(norms > 0, W.abs().amax(dim=-1) / norms.clamp_min(1e-12), torch.zeros_like(norms))


def represents_top_features(represented: np.ndarray, importance: np.ndarray) -> bool:
    """True when no unrepresented feature is strictly more important than a represented one."""
    represented = np.asarray(represented, dtype=bool)
    importance = np.asarray(importance, dtype=np.float64)
    if represented.all() or not represented.any():
        return True
    return bool(importance[~represented].max() <= importance[represented].min())


def sweep_summary(W: Tensor, importance: Tensor, instances: pd.DataFrame) -> pd.DataFrame:
    """One row per instance of ``instances`` (columns ``instance``, ``l1_penalty``, ``final_loss``)."""
    W = W.double()
    rows = []
    norms = metrics.feature_norms(W)
    dims = metrics.feature_dimensionality(W)
    d_star = metrics.dimensions_per_feature(W)
    alignment = basis_alignment(W)
    for row in instances.itertuples():
        i = int(row.instance)
        represented = (norms[i] > metrics.REPRESENTED_NORM).numpy()
        imp = importance[i].double().numpy()
        rows.append({
            "instance": i,
            "l1_penalty": float(row.l1_penalty),
            "final_loss": float(row.final_loss),
            "d_star": float(d_star[i]),
            "features_represented": int(represented.sum()),
            "features_in_superposition": int((represented & (dims[i].numpy() < SUPERPOSED_BELOW)).sum()),
            "basis_alignment": float(alignment[i][torch.from_numpy(represented)].mean()) if represented.any() else float("nan"),
            "least_important_represented": float(imp[represented].min()) if represented.any() else float("nan"),
            "top_features_represented": represents_top_features(represented, imp),
        })
    return pd.DataFrame(rows)


def superposition_free_from(summary: pd.DataFrame) -> float:
    """The smallest λ from which on (for it and every larger λ swept) no feature is in superposition; NaN if none."""
    ordered = summary.sort_values("l1_penalty")
    free = (ordered["features_in_superposition"] == 0).to_numpy()
    if not free[-1]:
        return float("nan")
    k = len(free) - 1
    while k > 0 and free[k - 1]:
        k -= 1
    return float(ordered["l1_penalty"].iloc[k])
