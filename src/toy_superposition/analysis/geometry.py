"""Name the geometric configuration of a small weight matrix W (n, m).

The paper describes trained toy models by the shapes their feature vectors form: a feature
that is *not learned*, one with a *dedicated* dimension, *antipodal pairs* ("digons"),
*triangles*, *pentagons*, *tetrahedra*, and combinations of these in orthogonal subspaces
("tegum products", e.g. a *digon pair*: two antipodal pairs at right angles). This module
turns weights into such a name.

Procedure, for one model with rows ``W_i`` (feature i's embedding, shape (m,)):

1. Feature i is **learned** when ``‖W_i‖ > LEARNED_NORM`` (0.5, as ``metrics.REPRESENTED_NORM``;
   learned features have norm ≈ 1, unlearned ≈ 0).
2. Two learned features **interact** when ``|cos(W_i, W_j)| > INTERACTING_COS`` (0.25, i.e. they
   are more than ~14.5° from orthogonal). The connected components of this graph are the
   orthogonal factors of the configuration: features in different components do not
   interfere.
3. A learned feature alone in its component has a **dedicated** dimension; one that points
   the same way as another learned feature (``cos > ANTIPODAL_COS``) is **confused** with it
   (the "confused feature" solution ``W₁ ≈ W₂`` of the paper's comment section, found by the
   exact analysis of n = 2, m = 1: both features learned, cos ≈ +1, the model cannot tell
   them apart); any other feature in a larger component is in **superposition** (sharing its
   dimension with negative or small interference, e.g. antipodal, cos ≈ −1).
4. Each component is named by its size k and rank r (the number of singular values of its
   rows above ``RANK_TOLERANCE`` × the largest):

   =====  ====  =====================================================================
   k      r     name
   =====  ====  =====================================================================
   1      1     dedicated
   2      1     antipodal pair (cos < −ANTIPODAL_COS), aligned pair (cos > ANTIPODAL_COS)
   2      2     skewed pair (neither: interacting but not collinear)
   3      2     triangle
   4      2     square (four features on a plane, not split into two digons)
   5      2     pentagon
   6      2     hexagon
   4      3     tetrahedron
   k      r     "k features in rD" otherwise
   =====  ====  =====================================================================

   Features of a component of k > 2 that point the same way (cos > ANTIPODAL_COS, e.g.
   correlated features collapsed onto their principal component) are first merged: the
   component is named by the shape of its distinct directions, "... of aligned groups"
   (three collapsed pairs at 120°: "triangle of aligned groups"; all one way: "k aligned").

   Repeated components are counted: "2 antipodal pairs", "3 dedicated", "2× (3 aligned)".

5. The configuration's name joins its components' names (largest first); two antipodal pairs
   and nothing else is a **digon pair**; k > 1 dedicated features are "k dedicated".
   A model with nothing learned is **not learned**.

The shape names do not require regularity (a stretched pentagon is still a pentagon);
:attr:`Component.regular` says whether the planar polygon's angular gaps are equal within
``REGULAR_TOLERANCE`` radians.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from ..metrics import REPRESENTED_NORM

LEARNED_NORM = REPRESENTED_NORM
INTERACTING_COS = 0.25
ANTIPODAL_COS = 0.8
RANK_TOLERANCE = 0.2
REGULAR_TOLERANCE = 0.2  # radians (~11°)

NOT_LEARNED = "not learned"
DEDICATED = "dedicated"
SUPERPOSITION = "superposition"
CONFUSED = "confused"

_POLYGONS = {3: "triangle", 4: "square", 5: "pentagon", 6: "hexagon", 7: "heptagon", 8: "octagon"}


@dataclass(frozen=True)
class Component:
    """One orthogonal factor: the learned features in it, its rank and its name."""

    features: tuple[int, ...]
    rank: int
    shape: str
    regular: bool  # planar polygons: equal angular gaps; others: True when all |cos| agree


@dataclass(frozen=True)
class Geometry:
    """The configuration of one model."""

    name: str
    components: tuple[Component, ...]
    not_learned: tuple[int, ...]
    n_features: int
    aligned: tuple[tuple[int, int], ...] = ()  # learned pairs (i < j) with cos > ANTIPODAL_COS

    def phase_of(self, feature: int) -> str:
        """not learned, confused (aligned with another learned feature), dedicated (alone in its
        component) or superposition."""
        if feature in self.not_learned:
            return NOT_LEARNED
        if any(feature in pair for pair in self.aligned):
            return CONFUSED
        for component in self.components:
            if feature in component.features:
                return DEDICATED if len(component.features) == 1 else SUPERPOSITION
        raise IndexError(f"feature {feature} is not one of the {self.n_features} features")

    def component_of(self, feature: int) -> Component | None:
        for component in self.components:
            if feature in component.features:
                return component
        return None

    @property
    def learned(self) -> tuple[int, ...]:
        return tuple(i for i in range(self.n_features) if i not in self.not_learned)


def _components(unit: np.ndarray, learned: list[int]) -> list[list[int]]:
    """Connected components of the interaction graph among ``learned`` features."""
    remaining, result = set(learned), []
    while remaining:
        start = min(remaining)
        stack, members = [start], {start}
        remaining.discard(start)
        while stack:
            i = stack.pop()
            for j in sorted(remaining):
                if abs(float(unit[i] @ unit[j])) > INTERACTING_COS:
                    remaining.discard(j)
                    members.add(j)
                    stack.append(j)
        result.append(sorted(members))
    return result


def _rank(rows: np.ndarray) -> int:
    singular = np.linalg.svd(rows, compute_uv=False)
    return int((singular > RANK_TOLERANCE * singular[0]).sum())


def _planar_gaps(rows: np.ndarray) -> np.ndarray:
    """Angular gaps between consecutive directions in the plane the rows span (radians)."""
    _, _, vt = np.linalg.svd(rows, full_matrices=False)
    coords = rows @ vt[:2].T
    angles = np.sort(np.arctan2(coords[:, 1], coords[:, 0]))
    return np.diff(np.concatenate([angles, angles[:1] + 2 * math.pi]))


def _directions(unit: np.ndarray, features: list[int]) -> list[list[int]]:
    """Group features pointing the same way (cos > ANTIPODAL_COS with the group's first member)."""
    groups: list[list[int]] = []
    for i in features:
        for group in groups:
            if float(unit[group[0]] @ unit[i]) > ANTIPODAL_COS:
                group.append(i)
                break
        else:
            groups.append([i])
    return groups


def _name_component(W: np.ndarray, unit: np.ndarray, features: list[int]) -> Component:
    k = len(features)
    rows = W[features]
    rank = _rank(rows)
    groups = _directions(unit, features)
    if k > 2 and len(groups) < k:
        # Some features share a direction (e.g. collapsed correlated pairs): name the shape of
        # the distinct directions, one representative (the group's mean) each.
        merged = np.stack([W[g].mean(axis=0) for g in groups])
        merged_unit = merged / np.maximum(np.linalg.norm(merged, axis=1), 1e-12)[:, None]
        if len(groups) == 1:
            return Component(tuple(features), rank, f"{k} aligned", False)
        shape = _name_component(merged, merged_unit, list(range(len(groups)))).shape
        return Component(tuple(features), rank, f"{shape} of aligned groups", False)
    if k == 1:
        return Component(tuple(features), 1, DEDICATED, True)
    if k == 2:
        cos = float(unit[features[0]] @ unit[features[1]])
        if cos < -ANTIPODAL_COS:
            shape = "antipodal pair"
        elif cos > ANTIPODAL_COS:
            shape = "aligned pair"
        else:
            shape = "skewed pair"
        return Component(tuple(features), rank, shape, True)
    if rank == 2 and k in _POLYGONS:
        gaps = _planar_gaps(rows)
        regular = bool(np.all(np.abs(gaps - 2 * math.pi / k) < REGULAR_TOLERANCE))
        return Component(tuple(features), rank, _POLYGONS[k], regular)
    if rank == 3 and k == 4:
        cos = unit[features] @ unit[features].T
        off = cos[~np.eye(k, dtype=bool)]
        return Component(tuple(features), rank, "tetrahedron", bool(np.all(np.abs(off + 1 / 3) < 0.15)))
    return Component(tuple(features), rank, f"{k} features in {rank}D", False)


def configuration_name(components: list[Component] | tuple[Component, ...]) -> str:
    """Join component names: largest first, 'digon pair' for two antipodal pairs, 'k dedicated'."""
    if not components:
        return NOT_LEARNED
    shapes = Counter(c.shape for c in components)
    if shapes == Counter({"antipodal pair": 2}):
        return "digon pair"
    size = {c.shape: len(c.features) for c in components}
    parts = []
    for shape in sorted(shapes, key=lambda s: (-size[s], s)):
        count = shapes[shape]
        if count == 1:
            parts.append(shape)
        elif shape == DEDICATED:
            parts.append(f"{count} {shape}")
        elif shape.endswith(("pair", "gon", "angle", "hedron", "square")):
            parts.append(f"{count} {shape}s")
        else:
            parts.append(f"{count}× ({shape})")
    return " + ".join(parts)


def classify(W: Tensor | np.ndarray) -> Geometry:
    """The :class:`Geometry` of one model's weights W (n, m)."""
    W = W.detach().cpu().double().numpy() if isinstance(W, Tensor) else np.asarray(W, dtype=np.float64)
    if W.ndim != 2:
        raise ValueError(f"expected W of shape (n, m), got {W.shape}")
    norms = np.linalg.norm(W, axis=1)
    learned = [i for i in range(W.shape[0]) if norms[i] > LEARNED_NORM]
    unit = W / np.maximum(norms, 1e-12)[:, None]
    components = [_name_component(W, unit, members) for members in _components(unit, learned)]
    components.sort(key=lambda c: (-len(c.features), c.features))
    aligned = tuple((i, j) for k, i in enumerate(learned) for j in learned[k + 1:]
                    if float(unit[i] @ unit[j]) > ANTIPODAL_COS)
    return Geometry(
        name=configuration_name(components),
        components=tuple(components),
        not_learned=tuple(i for i in range(W.shape[0]) if i not in learned),
        n_features=W.shape[0],
        aligned=aligned,
    )


def classify_all(W: Tensor) -> list[Geometry]:
    """:func:`classify` for every instance of a batched W (I, n, m)."""
    return [classify(w) for w in torch.as_tensor(W)]


def neighbour_gap(W: Tensor | np.ndarray, feature: int) -> float:
    """m = 2: the angle (radians) between the two learned features adjacent to ``feature``
    in angular order — the room the others leave it (2·2π/5 = 144° in a regular pentagon).

    NaN when the feature is not learned, W is not 2-D, or fewer than two others are learned.
    """
    W = W.detach().cpu().double().numpy() if isinstance(W, Tensor) else np.asarray(W, dtype=np.float64)
    if W.shape[1] != 2:
        return math.nan
    norms = np.linalg.norm(W, axis=1)
    others = [i for i in range(W.shape[0]) if i != feature and norms[i] > LEARNED_NORM]
    if norms[feature] <= LEARNED_NORM or len(others) < 2:
        return math.nan
    angle = math.atan2(W[feature, 1], W[feature, 0])
    relative = np.sort([(math.atan2(W[i, 1], W[i, 0]) - angle) % (2 * math.pi) for i in others])
    return float(relative[0] + (2 * math.pi - relative[-1]))
