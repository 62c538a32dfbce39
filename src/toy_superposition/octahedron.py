"""Describe a configuration of correlated feature sets, and recognise the octahedron.

With ``n = 2m`` features in ``m`` dimensions made of two correlated sets of ``m`` features
(``distribution: correlated``, ``set_size = m``), the paper finds that training ends, as a
strong attractor, in the *cross-polytope* (the octahedron for m = 3): the ``m`` features of
one set orthogonal to each other (correlated features avoid interfering), and each one
antipodal to a feature of the other set (features of different sets are rarely active
together, so they can share a direction with opposite signs).

For one instance's embedding ``W`` (n, m) with unit directions ``Ŵ_i`` and cosines
``c_ij = Ŵ_i · Ŵ_j``:

* ``within_set_cosine`` (per set): mean ``c_ij`` over pairs of the same set — near 1 when
  the set is collapsed onto its principal component (the PCA-like solution), near 0 when
  its features are orthogonal;
* ``antipodal_pairs``: pairs with ``c_ij ≤ −1 + tolerance``; ``cross_set_antipodal_pairs``:
  those whose two features are in different sets;
* ``is_cross_polytope``: every feature represented (‖W_i‖ > 0.5), each with exactly one
  antipode, from the other set, and ``|c_ij| ≤ tolerance`` for every other pair.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from .metrics import REPRESENTED_NORM

TOLERANCE = 0.1


@dataclass(frozen=True)
class SetGeometry:
    represented: int
    within_set_cosine: tuple[float, ...]  # one per set
    antipodal_pairs: int
    cross_set_antipodal_pairs: int
    is_cross_polytope: bool


def cosines(W: Tensor) -> Tensor:
    """``Ŵ_i · Ŵ_j`` (n, n); a zero row gives zero cosines."""
    norms = W.norm(dim=-1, keepdim=True)
    unit = W / norms.clamp_min(1e-12)
    return unit @ unit.transpose(-1, -2)


def set_geometry(W: Tensor, set_size: int, tolerance: float = TOLERANCE) -> SetGeometry:
    """Summarise one embedding W (n, m) whose features form consecutive sets of ``set_size``."""
    n_features = W.shape[0]
    if n_features % set_size:
        raise ValueError(f"set_size {set_size} does not divide n = {n_features}")
    W = W.double()
    cos = cosines(W)
    sets = torch.arange(n_features) // set_size
    same_set = sets[:, None] == sets[None, :]
    upper = torch.triu(torch.ones(n_features, n_features, dtype=torch.bool), diagonal=1)
    within = []
    for s in range(n_features // set_size):
        members = torch.arange(s * set_size, (s + 1) * set_size)
        block = cos[members][:, members]
        pairs = torch.triu(torch.ones(set_size, set_size, dtype=torch.bool), diagonal=1)
        within.append(float(block[pairs].mean()) if set_size > 1 else float("nan"))
    antipodal = (cos <= -1.0 + tolerance) & upper
    represented = int((W.norm(dim=-1) > REPRESENTED_NORM).sum())
    antipodes_per_feature = (antipodal | antipodal.T).sum(dim=-1)
    others_orthogonal = bool(((cos.abs() <= tolerance) | antipodal | antipodal.T | torch.eye(n_features, dtype=torch.bool)).all())
    cross = antipodal & ~same_set
    polytope = (
        represented == n_features
        and bool((antipodes_per_feature == 1).all())
        and int(cross.sum()) == n_features // 2
        and others_orthogonal
    )
    return SetGeometry(
        represented=represented,
        within_set_cosine=tuple(within),
        antipodal_pairs=int(antipodal.sum()),
        cross_set_antipodal_pairs=int(cross.sum()),
        is_cross_polytope=polytope,
    )
