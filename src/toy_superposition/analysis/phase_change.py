"""Superposition as a Phase Change.

The theory — Closed-form expected losses of candidate weight configurations: the theoretical phase diagrams.

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

Empirical phase diagrams — Empirical phase diagrams: classify trained models and compare them with the theory.

For each grid point (a *setting*: the extra feature's importance × the feature density) the
experiment trains several restarts. Following the paper ("we train ten models for each point
and average over the results, discarding the model with the highest loss"):

1. the ``discard_worst`` highest-loss restarts of the setting are dropped;
2. each kept model is classified with :func:`geometry.classify`: the extra feature's phase
   (not learned / superposition / dedicated, or *confused* — learned on top of another
   feature, ``W_extra ≈ W_j``, cos ≈ +1, the comment section's "confused feature" solution,
   which is no candidate of the theory and is not antipodal superposition; thresholds in
   :mod:`geometry`) and the candidate configuration it matches, if any (``other`` otherwise);
3. per point, the fraction of kept models in each phase (``fraction_<phase>``) and the
   fraction in a phase the theory allows there (``agree_fraction``, the per-model comparison
   the claims use: the paper averages the kept models of a point); the point's empirical
   phase is the majority phase of the kept models (a tie goes to the phase of the lowest-loss
   model among the tied phases), drawn in the figure;
4. the theoretical phase is that of the lowest-expected-loss candidate at the point's
   probabilities and importances (``theoretical_phase``); a phase *agrees* when it is the
   phase of a candidate within the tie tolerance of the minimum (``agree``: the majority
   phase does; ``theory_allows_superposition``: superposition is among the tied optima).

The phase of the setting's lowest-loss model (``selected_phase``, ``agree_selected``) is
recorded too: restarts stuck in a local minimum move the majority but not the best model.

Shapes: ``I`` instances, ``n`` features, ``m`` hidden; W (I, n, m); probability and
importance (I, n).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch
from torch import Tensor

from ..distributions import FeatureDistribution
from ..models import forward
from .geometry import CONFUSED, DEDICATED, NOT_LEARNED, SUPERPOSITION, Geometry, classify

# --- The theory --------------------------------------------------------------------------------

#: The extra feature's possible fates: the theory's three, and the confused solution (no candidate).
PHASES = (NOT_LEARNED, SUPERPOSITION, DEDICATED, CONFUSED)

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

    W = W.double()
    n = W.shape[0]
    dist = FeatureDistribution(probability.double()[None, :], importance.double()[None, :])
    x = dist.sample(samples, generator)  # (1, samples, n)
    b = torch.zeros(1, n, dtype=torch.float64) if bias is None else bias.double()[None, :]
    output, _ = forward("relu_output", {"W": W[None], "b": b}, x)
    per_sample = (dist.importance[:, None, :] * (output - x) ** 2).mean(dim=-1).flatten()  # (samples,)
    return float(per_sample.mean()), float(per_sample.std() / np.sqrt(samples))

# --- Empirical phase diagrams ------------------------------------------------------------------

OTHER = "other"


def candidates_for(n: int) -> tuple[tuple[Candidate, ...], tuple[tuple[int, ...], ...]]:
    """The paper's candidate configurations for an n-feature extra-feature diagram, and the
    relabellings of its identical (non-extra) features: n = 2 (m = 1) or n = 3 (m = 2)."""
    if n == 2:
        return CANDIDATES_2_IN_1, ()
    if n == 3:
        return CANDIDATES_3_IN_2, exchange_symmetries(3, (0, 1))
    raise ValueError(f"no theoretical candidates for n={n} features (the paper's diagrams have n = 2 or 3)")


def matches(geometry: Geometry, candidate: Candidate, permutation: tuple[int, ...] | None = None) -> bool:
    """Whether the model has the candidate's structure (with features relabelled i → permutation[i]).

    Same dropped features; every dedicated feature alone in its component; every antipodal
    pair a component named "antipodal pair". Magnitudes and exact angles are not compared.
    """
    perm = permutation or tuple(range(candidate.n))
    if geometry.n_features != candidate.n:
        return False
    if set(geometry.not_learned) != {perm[i] for i in candidate.dropped}:
        return False
    expected = {(perm[i],): "dedicated" for i in candidate.dedicated}
    expected |= {tuple(sorted((perm[i], perm[j]))): "antipodal pair" for i, j in candidate.antipodal}
    found = {c.features: c.shape for c in geometry.components}
    return found == expected


def matching_candidate(geometry: Geometry, candidates: tuple[Candidate, ...],
                       symmetries: tuple[tuple[int, ...], ...] = ()) -> int:
    """Index of the first candidate the model matches (under any of ``symmetries``), or −1."""
    permutations = (tuple(range(geometry.n_features)), *symmetries)
    for index, candidate in enumerate(candidates):
        if any(matches(geometry, candidate, perm) for perm in permutations):
            return index
    return -1


def exchange_symmetries(n: int, exchangeable: tuple[int, ...]) -> tuple[tuple[int, ...], ...]:
    """All relabellings that permute only the ``exchangeable`` features (identical importance and density)."""
    result = []
    for order in itertools.permutations(exchangeable):
        perm = list(range(n))
        for source, target in zip(exchangeable, order):
            perm[source] = target
        if perm != list(range(n)):
            result.append(tuple(perm))
    return tuple(result)


def classify_models(W: Tensor, candidates: tuple[Candidate, ...], extra: int,
                    symmetries: tuple[tuple[int, ...], ...] = ()) -> pd.DataFrame:
    """Per instance: configuration name, the extra feature's phase, the matching candidate."""
    rows = []
    for instance, weights in enumerate(W):
        geometry = classify(weights)
        index = matching_candidate(geometry, candidates, symmetries)
        rows.append({
            "instance": instance,
            "geometry": geometry.name,
            "extra_phase": geometry.phase_of(extra if extra >= 0 else geometry.n_features + extra),
            "candidate": candidates[index].name if index >= 0 else OTHER,
            "extra_norm": float(np.linalg.norm(weights[extra].double().numpy())),
        })
    return pd.DataFrame(rows)


def _majority(phases: pd.Series, losses: pd.Series) -> str:
    counts = phases.value_counts()
    top = counts[counts == counts.max()].index
    if len(top) == 1:
        return str(top[0])
    order = np.argsort(losses.to_numpy(), kind="stable")
    for k in order:  # lowest-loss model among the tied phases
        if phases.iloc[k] in top:
            return str(phases.iloc[k])
    raise AssertionError("unreachable")


def phase_table(
    instances: pd.DataFrame,
    W: Tensor,
    probability: np.ndarray,
    importance: np.ndarray,
    candidates: tuple[Candidate, ...],
    symmetries: tuple[tuple[int, ...], ...] = (),
    extra: int = -1,
    discard_worst: int = 1,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(per-point table, per-model table) of the empirical against the theoretical phase.

    ``instances`` is the trainer's table (instance, setting, final_loss, ...); ``probability``
    and ``importance`` (I, n) are the instances' distributions. The per-point table has one
    row per setting with the extra feature's importance and density, the fraction of kept
    models in each phase, the empirical and theoretical phases and candidates, every
    candidate's expected loss and ``agree``.
    """
    models = classify_models(W, candidates, extra, symmetries)
    models = instances[["instance", "setting", "restart", "final_loss"]].merge(models, on="instance")
    models["kept"] = True
    for _, group in models.groupby("setting"):
        if discard_worst and len(group) > discard_worst:
            worst = group.sort_values(["final_loss", "instance"]).index[-discard_worst:]
            models.loc[worst, "kept"] = False

    first = instances.sort_values("instance").groupby("setting")["instance"].first()
    p = np.asarray(probability, dtype=np.float64)[first.to_numpy()]
    imp = np.asarray(importance, dtype=np.float64)[first.to_numpy()]
    theory = theoretical_phase(candidates, p, imp)
    extra_index = extra if extra >= 0 else p.shape[1] + extra

    rows = []
    for k, setting in enumerate(first.index):
        kept = models[(models["setting"] == setting) & models["kept"]]
        phase = _majority(kept["extra_phase"], kept["final_loss"])
        every = models[models["setting"] == setting]
        best_model = every.sort_values(["final_loss", "instance"]).iloc[0]
        candidate = _majority(kept["candidate"], kept["final_loss"])
        tied = [c for c, t in zip(candidates, theory.tied[k]) if t]
        best = candidates[int(theory.best[k])]
        row = {
            "setting": int(setting),
            "extra_importance": float(imp[k, extra_index]),
            "extra_probability": float(p[k, extra_index]),
            "feature_probability": float(p[k, 0]),
            "models_kept": int(len(kept)),
        }
        for name in PHASES:
            row[f"fraction_{name.replace(' ', '_')}"] = float((kept["extra_phase"] == name).mean())
        allowed = {c.phase_of(extra_index) for c in tied}
        row |= {
            "agree_fraction": float(kept["extra_phase"].isin(allowed).mean()),
            "theory_allows_superposition": SUPERPOSITION in allowed,
            "empirical_phase": phase,
            "empirical_candidate": candidate,
            "theory_phase": best.phase_of(extra_index),
            "theory_candidate": best.name,
            "theory_tie": len(tied) > 1,
            "agree": phase in allowed,
            "agree_candidate": candidate in {c.name for c in tied},
            "selected_phase": best_model["extra_phase"],
            "agree_selected": best_model["extra_phase"] in allowed,
            "mean_final_loss": float(kept["final_loss"].mean()),
            "theory_optimal_loss": float(theory.optimal_loss[k]),
        }
        for c, loss in zip(candidates, theory.losses[k]):
            row[f"theory_loss {c.name}"] = float(loss)
        rows.append(row)
    return pd.DataFrame(rows), models
