"""Closed-form expected losses of candidate weight configurations: the theoretical phase diagrams.

The paper's "toy model of the toy model" (section *Superposition as a Phase Change*) compares
a few natural ways of storing ``n`` features in ``m = n − 1`` dimensions and asks which has
the lowest expected loss. A candidate is described by which features it *drops*, which pairs
it stores as *antipodal pairs* (``W_j = −W_i``, one shared dimension) and which features get a
*dedicated* dimension (everything else). Every dedicated feature and every pair gets its own
unit basis vector, so the components are mutually orthogonal and the bias is 0.

Shapes: ``n`` features; ``probability`` and ``importance`` are (..., n) and broadcast.

Data. Feature ``i`` is 0 with probability ``S_i = 1 − p_i`` and ``x_i ~ U[0, 1]`` otherwise,
independently, so ``E[x_i²] = p_i / 3``.

Model. ReLU output, ``x̂ = ReLU(WᵀW x)`` (b = 0), loss as the trainer measures it:
``L = (1/n) Σ_i I_i E[(x̂_i − x_i)²]``.

Derivation, per kind of feature (components are orthogonal, so they do not interact):

* dedicated: ``x̂_i = ReLU(x_i) = x_i`` since x ≥ 0; error 0.
* dropped: ``x̂_i = ReLU(0) = 0``; error ``E[x_i²] = p_i / 3``.
* antipodal pair (i, j): ``x̂_i = ReLU(x_i − x_j)``. If ``x_j = 0`` the output is exact; if
  ``x_i = 0`` it is ``ReLU(−x_j) = 0``, exact again. Only when both are active (probability
  ``p_i p_j``) is there an error, ``ReLU(x_i − x_j) − x_i = −min(x_i, x_j)``. For independent
  ``U, V ~ U[0, 1]``, ``min(U, V)`` has density ``2(1 − t)``, so
  ``E[min(U, V)²] = ∫₀¹ 2(1 − t) t² dt = 2 (1/3 − 1/4) = 1/6``. The same holds for ``x̂_j``, so
  the pair costs ``(I_i + I_j) p_i p_j / 6``.

Hence, for a candidate with dropped set ``D`` and antipodal pairs ``P``::

    L = (1/n) [ Σ_{i ∈ D} I_i p_i / 3  +  Σ_{(i,j) ∈ P} (I_i + I_j) p_i p_j / 6 ].

For the paper's 2-in-1 diagram (``I = (1, r)``, both features of density p)::

    L[1,0] = r p / 6,    L[0,1] = p / 6,    L[1,−1] = (1 + r) p² / 12,

so superposition (the antipodal pair) wins exactly when ``(1 + r) p / 2 < min(1, r)``. For
3-in-2 (``I = (1, 1, r)``, all of density p)::

    L(W ⊥ [0,0,1]) = r p / 9,   L(W ⊥ [1,0,0]) = p / 9,
    L(W ⊥ [0,1,1]) = (1 + r) p² / 18,   L(W ⊥ [1,1,0]) = p² / 9.

The optimal loss ``min_c L_c`` is continuous but its derivative jumps where two candidates
cross: a first-order phase change. :func:`monte_carlo_loss` estimates the same expectation by
sampling and running the real forward pass (the tests check the two agree).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
from torch import Tensor

#: The extra feature's three possible fates (the phase of a point of the diagram).
NOT_LEARNED = "not learned"
SUPERPOSITION = "superposition"
DEDICATED = "dedicated"
PHASES = (NOT_LEARNED, SUPERPOSITION, DEDICATED)

#: Candidate losses within this relative distance of the minimum count as tied.
TIE_TOLERANCE = 1e-9


@dataclass(frozen=True)
class Candidate:
    """A weight configuration: dropped features, antipodal pairs, the rest dedicated.

    ``ignored`` is the direction W maps to zero, the paper's label (``W ⊥ ignored``).
    """

    name: str
    n: int
    dropped: tuple[int, ...] = ()
    antipodal: tuple[tuple[int, int], ...] = ()
    ignored: tuple[int, ...] = field(default=())

    def __post_init__(self) -> None:
        used = list(self.dropped) + [i for pair in self.antipodal for i in pair]
        if len(set(used)) != len(used) or any(not 0 <= i < self.n for i in used):
            raise ValueError(f"candidate {self.name}: features must be distinct and in [0, {self.n})")

    @property
    def dedicated(self) -> tuple[int, ...]:
        taken = set(self.dropped) | {i for pair in self.antipodal for i in pair}
        return tuple(i for i in range(self.n) if i not in taken)

    @property
    def hidden(self) -> int:
        """Dimensions it uses: one per dedicated feature and one per antipodal pair."""
        return len(self.dedicated) + len(self.antipodal)

    def phase_of(self, feature: int) -> str:
        """What the candidate does with ``feature``: not learned, superposition or dedicated."""
        if feature in self.dropped:
            return NOT_LEARNED
        if any(feature in pair for pair in self.antipodal):
            return SUPERPOSITION
        return DEDICATED

    def weights(self, hidden: int | None = None) -> Tensor:
        """The configuration as stored weights W (n, m): row i is feature i's embedding (float64)."""
        hidden = self.hidden if hidden is None else hidden
        if hidden < self.hidden:
            raise ValueError(f"candidate {self.name} needs {self.hidden} dimensions, got {hidden}")
        W = torch.zeros(self.n, hidden, dtype=torch.float64)
        column = 0
        for i in self.dedicated:
            W[i, column] = 1.0
            column += 1
        for i, j in self.antipodal:
            W[i, column], W[j, column] = 1.0, -1.0
            column += 1
        return W

    def expected_loss(self, probability, importance) -> np.ndarray:
        """The closed form of the module docstring; arrays (..., n) broadcast, result (...)."""
        p = np.asarray(probability, dtype=np.float64)
        imp = np.asarray(importance, dtype=np.float64)
        p, imp = np.broadcast_arrays(p, imp)
        if p.shape[-1] != self.n:
            raise ValueError(f"candidate {self.name}: expected {self.n} features, got shape {p.shape}")
        total = np.zeros(p.shape[:-1])
        for i in self.dropped:
            total = total + imp[..., i] * p[..., i] / 3.0
        for i, j in self.antipodal:
            total = total + (imp[..., i] + imp[..., j]) * p[..., i] * p[..., j] / 6.0
        return total / self.n


#: n = 2, m = 1; feature 1 (index 1) is the extra one.
CANDIDATES_2_IN_1 = (
    Candidate("W=[1,0]", n=2, dropped=(1,), ignored=(0, 1)),
    Candidate("W=[0,1]", n=2, dropped=(0,), ignored=(1, 0)),
    Candidate("W=[1,−1]", n=2, antipodal=((0, 1),), ignored=(1, 1)),
)

#: n = 3, m = 2; feature 2 (the third) is the extra one. Features 0 and 1 are identical, so
#: each candidate stands for itself and its mirror image with 0 ↔ 1 swapped.
CANDIDATES_3_IN_2 = (
    Candidate("W⊥[0,0,1]", n=3, dropped=(2,), ignored=(0, 0, 1)),
    Candidate("W⊥[1,0,0]", n=3, dropped=(0,), ignored=(1, 0, 0)),
    Candidate("W⊥[0,1,1]", n=3, antipodal=((1, 2),), ignored=(0, 1, 1)),
    Candidate("W⊥[1,1,0]", n=3, antipodal=((0, 1),), ignored=(1, 1, 0)),
)


@dataclass(frozen=True)
class TheoreticalPhase:
    """The best candidate at each point: arrays of shape (...) except ``losses`` (..., C)."""

    losses: np.ndarray  # expected loss of every candidate
    best: np.ndarray  # index of the lowest-loss candidate (the first one among ties)
    tied: np.ndarray  # bool (..., C): within TIE_TOLERANCE of the minimum
    optimal_loss: np.ndarray


def theoretical_phase(candidates: tuple[Candidate, ...], probability, importance) -> TheoreticalPhase:
    """Expected losses of ``candidates`` at every point and which is lowest."""
    losses = np.stack([c.expected_loss(probability, importance) for c in candidates], axis=-1)
    optimal = losses.min(axis=-1)
    tied = losses <= optimal[..., None] * (1.0 + TIE_TOLERANCE) + 1e-300
    return TheoreticalPhase(losses=losses, best=losses.argmin(axis=-1), tied=tied, optimal_loss=optimal)


def derivative_jump(candidates: tuple[Candidate, ...], probability: np.ndarray, importance: np.ndarray,
                    axis_values: np.ndarray, relative: bool = False) -> np.ndarray:
    """Jump of d(optimal loss)/d(axis) at each change of best candidate along a 1-D path.

    ``probability`` and ``importance`` are (K, n) points along a path parametrised by
    ``axis_values`` (K,); returns, for every k where the best candidate changes between k and
    k+1, the difference of the one-sided slopes of the two candidates' losses at the crossing
    (non-zero: a first-order change). With ``relative``, the jump divided by the larger of
    the two slopes' magnitudes (1 = one side flat or slopes of opposite sign and equal size).
    Shape (number of changes,).
    """
    phase = theoretical_phase(candidates, probability, importance)
    jumps = []
    for k in np.flatnonzero(phase.best[1:] != phase.best[:-1]):
        a, b = phase.best[k], phase.best[k + 1]
        dx = axis_values[k + 1] - axis_values[k]
        slope_a = (phase.losses[k + 1, a] - phase.losses[k, a]) / dx
        slope_b = (phase.losses[k + 1, b] - phase.losses[k, b]) / dx
        jump = slope_b - slope_a
        if relative:
            jump = jump / max(abs(slope_a), abs(slope_b), 1e-300)
        jumps.append(jump)
    return np.asarray(jumps, dtype=np.float64)


def monte_carlo_loss(W: Tensor, probability: Tensor, importance: Tensor, samples: int,
                     generator: torch.Generator, bias: Tensor | None = None) -> tuple[float, float]:
    """Sampled ``(1/n) Σ_i I_i E[(ReLU(WᵀW x + b)_i − x_i)²]`` and its standard error.

    ``W`` (n, m), ``probability`` and ``importance`` (n,). Runs the package's own sampler and
    ReLU-output forward pass on one instance, so it checks the closed form against the model
    the trainer optimises.
    """
    from .distributions import FeatureDistribution
    from .models import forward

    W = W.double()
    n = W.shape[0]
    dist = FeatureDistribution(probability.double()[None, :], importance.double()[None, :])
    x = dist.sample(samples, generator)  # (1, samples, n)
    b = torch.zeros(1, n, dtype=torch.float64) if bias is None else bias.double()[None, :]
    output, _ = forward("relu_output", {"W": W[None], "b": b}, x)
    per_sample = (dist.importance[:, None, :] * (output - x) ** 2).mean(dim=-1).flatten()  # (samples,)
    return float(per_sample.mean()), float(per_sample.std() / np.sqrt(samples))
