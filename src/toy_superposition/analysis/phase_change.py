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

The exact 2-in-1 loss — Tom McGrath's comment: the expected loss of n = 2, m = 1 in closed form,
its minima and the exact phase diagram, without the bias (as the comment) and with it (as the
trained models); the derivation is in the comment block above :func:`region_moments`.
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
from .geometry import CONFUSED, DEDICATED, LEARNED_NORM, NOT_LEARNED, SUPERPOSITION, Geometry, classify

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


# --- The exact 2-in-1 loss ---------------------------------------------------------------------
#
# Tom McGrath's comment ("Comments & Replications") solves the n = 2, m = 1 model exactly,
# ignoring bias terms. Model without bias: x̂ = ReLU(WᵀW x), W = (w1, w2), so
# x̂_i = ReLU(w_i h), h = w1 x1 + w2 x2; data and loss as above (both features of density p,
# importances I = (1, r), loss the importance-weighted squared error, mean over the features):
#
#     L(w1, w2) = E[(1/2) Σ_i I_i (x_i − ReLU(w_i (w1 x1 + w2 x2)))²].
#
# Derivation. A = w1², B = w1 w2, C = w2²: z1 = A x1 + B x2, z2 = B x1 + C x2. Split by which
# features are active (probabilities S², pS, Sp, p²):
#
# * none active: no error;
# * only x1: x̂1 = A x1, x̂2 = B⁺ x1 (B⁺ = max(B, 0)); with E[x1²] = 1/3 the errors are
#   (1 − A)²/3 and (B⁺)²/3; only x2: the mirror image;
# * both active, (x1, x2) ~ U[0, 1]²: McGrath's trick ∫(x − ReLU(z))² = ∫x² + ∫_{z>0}(z² − 2xz)
#   turns the ReLU into a restriction of the domain. For feature 1,
#   z1² − 2 x1 z1 = (A² − 2A) x1² + 2B(A − 1) x1 x2 + B² x2². If B ≥ 0, z1 ≥ 0 on the whole
#   square; if B < 0, z1 > 0 exactly on R_k = {x2 < k x1}, k = |w1|/|w2|, whose moments
#   M_ab(k) = ∫_{R_k} x1^a x2^b are
#       k ≤ 1:  M_ab = k^{b+1} / ((b+1)(a+b+2))
#       k > 1:  M_ab = 1/((a+1)(b+1)) − k^{−(a+1)} / ((a+1)(a+b+2))
#   (full square: M_20 = M_02 = 1/3, M_11 = 1/4). Feature 2 is the mirror image (moments M_ba(1/k)).
#
# Collecting, with e_i¹ = E[err_i | only x1] + E[err_i | only x2] and e_i² = E[err_i | both]:
#
#     L = (1/2) Σ_i I_i [p S e_i¹(w) + p² e_i²(w)]                                     (★)
#
# — linear in (pS, p²) and I for fixed w, so one grid of w is evaluated once
# (:func:`loss_components`) and reused for every (p, r). Checks: W = [1, 0] gives r p / 6,
# [0, 1] gives p / 6 and [1, −1] gives (1 + r) p² / 12, the candidates' closed forms (tests).
#
# Minima (:func:`exact_optimum`): (★) on a 201 × 201 grid over [−1.5, 1.5]², every grid point
# no higher than its 8 neighbours plus fixed seeds (SEEDS), each refined by damped Newton
# (finite differences of the exact loss; :func:`refine`), kept if no point on a small ring
# around it is lower, duplicates and mirror images (w → −w) merged.
#
# Phases (:func:`classify_2_in_1`): a feature is learned when |w_i| > LEARNED_NORM (0.5). In one
# dimension two learned features have cos = ±1, so only the sign of w1 w2 matters: both learned
# with w1 w2 < 0 is superposition (the antipodal pair), with w1 w2 > 0 the "confused" phase
# (geometry's "aligned pair", whose Geometry.phase_of is also "superposition": compare the
# trained models' component shape, not their phase, to see it).
#
# With the output bias (the model the trainer optimises), :func:`expected_loss_with_bias`
# integrates the same patterns exactly over the half-planes where each pre-activation is
# positive, and :func:`optimum_with_bias` minimises it over (w1, w2, b1, b2).

#: Default search grid: points per axis and half-width of [−extent, extent]².
#: Both features learned with w1 w2 > 0 (cos = +1): McGrath's W₁ ≈ W₂ ≈ 1/√2.
CONFUSED = "confused"
EXACT_PHASES = (NOT_LEARNED, SUPERPOSITION, DEDICATED, CONFUSED)

GRID_SIZE = 201
GRID_EXTENT = 1.5
#: Starting points refined besides the grid's local minima: the candidates of phase_theory, the
#: confused point, and points just off the axes — the "not learned" / "dedicated" minima near
#: w2 = +0.005 (or w1) in the sparse regime have basins narrower than the grid spacing.
SEEDS = tuple([(1.0, 0.0), (0.0, 1.0), (1.0, -1.0), (0.5**0.5, 0.5**0.5)]
              + [pt for d in (1e-3, 3e-3, 1e-2, 3e-2) for pt in ((1.0, d), (1.0, -d), (d, 1.0), (-d, 1.0))])
#: Refined minima closer than this (in w, after the sign canonicalisation) are one minimum.
MERGE_DISTANCE = 1e-4


def region_moments(k: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(M_20, M_11, M_02) of ``R_k = {(x1, x2) ∈ [0,1]²: x2 < k x1}``, k > 0, shape (...) each.

    ``M_ab = ∫_{R_k} x1^a x2^b dx1 dx2``; the two closed forms of the module docstring.
    """
    k = np.asarray(k, dtype=np.float64)
    small = k <= 1.0
    ks = np.where(small, k, 1.0)  # safe values for each branch
    kl = np.where(small, 1.0, k)

    inv = 1.0 / kl
    ks2, inv2 = ks * ks, inv * inv
    m20 = np.where(small, ks / 4.0, 1.0 / 3.0 - inv2 * inv / 12.0)  # a=2, b=0
    m11 = np.where(small, ks2 / 8.0, 1.0 / 4.0 - inv2 / 8.0)  # a=1, b=1
    m02 = np.where(small, ks2 * ks / 12.0, 1.0 / 3.0 - inv / 4.0)  # a=0, b=2
    return m20, m11, m02


@dataclass(frozen=True)
class LossComponents:
    """The w-dependent parts of (★), each of shape (..., 2) (last axis: feature i = 1, 2).

    ``single[..., i]`` = E[err_i | only x1 active] + E[err_i | only x2 active];
    ``both[..., i]`` = E[err_i | both active]; err_i = (x_i − x̂_i)².
    """

    single: np.ndarray
    both: np.ndarray

    def loss(self, probability, importance) -> np.ndarray:
        """(★) for density p and extra importance r broadcast against the components' (...) shape."""
        p = np.asarray(probability, dtype=np.float64)
        r = np.asarray(importance, dtype=np.float64)
        s = 1.0 - p
        per_feature_1 = p * s * self.single[..., 0] + p * p * self.both[..., 0]
        per_feature_2 = p * s * self.single[..., 1] + p * p * self.both[..., 1]
        return 0.5 * (per_feature_1 + r * per_feature_2)


def loss_components(w1, w2) -> LossComponents:
    """Exact per-pattern errors of the bias-free model at weights (w1, w2), shapes (...) → (..., 2)."""
    w1 = np.asarray(w1, dtype=np.float64)
    w2 = np.asarray(w2, dtype=np.float64)
    w1, w2 = np.broadcast_arrays(w1, w2)
    A, B, C = w1 * w1, w1 * w2, w2 * w2
    Bp = np.maximum(B, 0.0)
    single_1 = ((1.0 - A) ** 2 + Bp**2) / 3.0
    single_2 = (Bp**2 + (1.0 - C) ** 2) / 3.0

    negative = B < 0.0
    # k = |w1| / |w2| (feature 1's region x2 < k x1); only used where B < 0, so both are non-zero.
    a1, a2 = np.abs(w1), np.abs(w2)
    k = np.where(negative, a1 / np.where(negative, a2, 1.0), 1.0)
    m20, m11, m02 = region_moments(k)  # feature 1: region {x2 < k x1}
    n20, n11, n02 = region_moments(1.0 / k)  # feature 2: {x1 < x2 / k}, moments with a, b swapped
    full2, full11 = 1.0 / 3.0, 1.0 / 4.0
    m20, m11, m02 = (np.where(negative, m, f) for m, f in ((m20, full2), (m11, full11), (m02, full2)))
    # mirror: ∫_{x1 < x2/k} x1^a x2^b = M_ba(1/k)
    q20, q11, q02 = (np.where(negative, m, f) for m, f in ((n02, full2), (n11, full11), (n20, full2)))
    both_1 = 1.0 / 3.0 + (A * A - 2.0 * A) * m20 + 2.0 * B * (A - 1.0) * m11 + B * B * m02
    both_2 = 1.0 / 3.0 + B * B * q20 + 2.0 * B * (C - 1.0) * q11 + (C * C - 2.0 * C) * q02
    return LossComponents(np.stack([single_1, single_2], -1), np.stack([both_1, both_2], -1))


def expected_loss(w1, w2, probability, importance) -> np.ndarray:
    """Exact ``E[(1/2) Σ_i I_i (x_i − ReLU(w_i (w1 x1 + w2 x2)))²]``, I = (1, r); all broadcast, shape (...)."""
    return loss_components(w1, w2).loss(probability, importance)


def loss_surface(probability: float, importance: float, grid_size: int = GRID_SIZE,
                 extent: float = GRID_EXTENT) -> tuple[np.ndarray, np.ndarray]:
    """(axis (G,), L (G, G)) with ``L[a, b] = loss(w1 = axis[a], w2 = axis[b])``, for drawing."""
    axis = np.linspace(-extent, extent, grid_size)
    return axis, expected_loss(axis[:, None], axis[None, :], probability, importance)


# With the output bias: exact polynomial integration over a clipped unit square.

_GL_NODES, _GL_WEIGHTS = np.polynomial.legendre.leggauss(3)  # exact for degree ≤ 5 on each piece


def _interval_moment(alpha, beta, a: int) -> np.ndarray:
    """``∫_0^1 x^a [α x + β > 0] dx`` exactly, shapes (...)."""
    alpha, beta = np.broadcast_arrays(np.asarray(alpha, float), np.asarray(beta, float))
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.clip(-beta / alpha, 0.0, 1.0)
    lo = np.where(alpha > 0, t, 0.0)
    hi = np.where(alpha < 0, t, 1.0)
    zero = alpha == 0
    lo = np.where(zero, 0.0, lo)
    hi = np.where(zero, np.where(beta > 0, 1.0, 0.0), hi)
    return (hi ** (a + 1) - lo ** (a + 1)) / (a + 1)


def halfplane_moments(a1, a2, c) -> dict[tuple[int, int], np.ndarray]:
    """``M_ab = ∫_{[0,1]²} x1^a x2^b [a1 x1 + a2 x2 + c > 0]`` for a + b ≤ 2, exactly; shapes (...).

    For fixed x2 the x1-section is an interval [lo, hi] whose ends are clipped linear functions
    of x2, so ``∫ x1^a dx1 = (hi^{a+1} − lo^{a+1})/(a+1)`` times x2^b is a polynomial of degree
    ≤ 3 in x2 between the (at most two) breakpoints x2 = −c/a2 and −(c + a1)/a2 where a section
    end crosses 0 or 1; 3-point Gauss–Legendre on each of the three pieces is exact.
    """
    a1, a2, c = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in (a1, a2, c)))
    with np.errstate(divide="ignore", invalid="ignore"):
        b1 = np.where(a2 != 0, -c / a2, 0.0)
        b2 = np.where(a2 != 0, -(c + a1) / a2, 0.0)
    cuts = np.sort(np.stack([np.zeros_like(a1), np.clip(b1, 0, 1), np.clip(b2, 0, 1), np.ones_like(a1)], -1), -1)
    out = {key: np.zeros(a1.shape) for key in ((0, 0), (1, 0), (0, 1), (2, 0), (1, 1), (0, 2))}
    for piece in range(3):
        left, right = cuts[..., piece], cuts[..., piece + 1]
        half = 0.5 * (right - left)
        for node, weight in zip(_GL_NODES, _GL_WEIGHTS):
            x2 = left + half * (node + 1.0)
            s = c + a2 * x2
            for a, b in out:
                out[(a, b)] = out[(a, b)] + weight * half * x2**b * _interval_moment(a1, s, a)
    return out


def _quadratic_error_integral(A, B, bias, own: int, halfplane) -> np.ndarray:
    """``∫_{[0,1]²} (x_own − ReLU(A x1 + B x2 + bias))²`` given the half-plane moments of z > 0."""
    m = halfplane
    # (x − z)² − x² = z² − 2 x z with z = A x1 + B x2 + bias; expanded in monomials.
    z2 = {(2, 0): A * A, (0, 2): B * B, (1, 1): 2 * A * B, (1, 0): 2 * A * bias, (0, 1): 2 * B * bias,
          (0, 0): bias * bias}
    cross = {(2, 0): A, (1, 1): B, (1, 0): bias} if own == 0 else {(1, 1): A, (0, 2): B, (0, 1): bias}
    total = 1.0 / 3.0 + sum(coef * m[key] for key, coef in z2.items())
    total = total - 2.0 * sum(coef * m[key] for key, coef in cross.items())
    return total


def _interval_error_integral(alpha, beta, target: bool) -> np.ndarray:
    """``∫_0^1 (t·x − ReLU(α x + β))² dx`` with t = 1 (target x) or 0 (target 0), exactly."""
    m0, m1, m2 = (_interval_moment(alpha, beta, a) for a in range(3))
    relu_sq = alpha * alpha * m2 + 2 * alpha * beta * m1 + beta * beta * m0
    if not target:
        return relu_sq
    return 1.0 / 3.0 + relu_sq - 2.0 * (alpha * m2 + beta * m1)


def expected_loss_with_bias(w1, w2, b1, b2, probability, importance) -> np.ndarray:
    """Exact loss of ``x̂ = ReLU(WᵀW x + b)`` (n = 2, m = 1, with bias b = (b1, b2)); all (...) broadcast.

    Same split by sparsity pattern; the none-active pattern now costs ``Σ I_i ReLU(b_i)²``, the
    single patterns are 1-D integrals over [0, 1] clipped where the pre-activation is positive,
    the both-active pattern uses :func:`halfplane_moments`. The trained models have this bias;
    McGrath's comment drops it (:func:`expected_loss`).
    """
    w1, w2, b1, b2, p, r = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64)
                                                 for v in (w1, w2, b1, b2, probability, importance)))
    A, B, C = w1 * w1, w1 * w2, w2 * w2
    s = 1.0 - p
    none = np.maximum(b1, 0) ** 2 + r * np.maximum(b2, 0) ** 2
    only1 = _interval_error_integral(A, b1, True) + r * _interval_error_integral(B, b2, False)
    only2 = _interval_error_integral(B, b1, False) + r * _interval_error_integral(C, b2, True)
    both = (_quadratic_error_integral(A, B, b1, 0, halfplane_moments(A, B, b1))
            + r * _quadratic_error_integral(B, C, b2, 1, halfplane_moments(B, C, b2)))
    return 0.5 * (s * s * none + p * s * (only1 + only2) + p * p * both)


# Minima.


def classify_2_in_1(w1: float, w2: float) -> str:
    """The extra feature's phase at weights (w1, w2) of the 2-in-1 model (module docstring; LEARNED_NORM = 0.5)."""
    learned_1, learned_2 = abs(w1) > LEARNED_NORM, abs(w2) > LEARNED_NORM
    if not learned_2:
        return NOT_LEARNED
    if not learned_1:
        return DEDICATED
    return SUPERPOSITION if w1 * w2 < 0 else CONFUSED


def canonical(w: np.ndarray) -> np.ndarray:
    """Representative of ``±w`` (..., 2): w1 > 0, or w2 ≥ 0 when |w1| < 1e-9."""
    w = np.asarray(w, dtype=np.float64)
    flip = (w[..., 0] < -1e-9) | ((np.abs(w[..., 0]) <= 1e-9) & (w[..., 1] < 0))
    return np.where(flip[..., None], -w, w)


def refine(w: np.ndarray, loss_fn, steps: int = 60, h: float = 1e-5, tol: float = 1e-10) -> np.ndarray:
    """Damped Newton from starting points w (N, D) on a batched ``loss_fn(rows (N'·T, D), index (N',)) → (N'·T,)``.

    ``loss_fn`` gets rows in row-major (N', T) order and the indices of the N' starts they belong
    to. Central finite differences give the gradient and Hessian (``h``); the Newton direction is
    used where the Hessian is positive definite, −gradient elsewhere; step lengths 1, ½, …, 2⁻²⁴
    are tried at once and the longest with Armijo decrease is taken. A start stops when it cannot
    decrease the loss or its step is below ``tol``. Returns the refined points (N, D).
    """
    w = np.array(w, dtype=np.float64)
    n, d = w.shape
    eye = np.eye(d)
    ts = 0.5 ** np.arange(25)
    offsets = [np.zeros(d)]
    for i in range(d):
        offsets += [h * eye[i], -h * eye[i]]
    for i in range(d):
        for j in range(i):
            offsets += [h * (eye[i] + eye[j]), -h * (eye[i] + eye[j]), h * (eye[i] - eye[j]), -h * (eye[i] - eye[j])]
    offsets_arr = np.stack(offsets)  # (K, D)
    active = np.arange(n)
    for _ in range(steps):
        if not len(active):
            break
        x = w[active]
        m = len(active)
        f = loss_fn((x[:, None, :] + offsets_arr[None]).reshape(-1, d), active).reshape(m, -1)
        f0 = f[:, 0]
        grad = np.empty((m, d))
        hess = np.empty((m, d, d))
        for i in range(d):
            fp, fm = f[:, 1 + 2 * i], f[:, 2 + 2 * i]
            grad[:, i] = (fp - fm) / (2 * h)
            hess[:, i, i] = (fp - 2 * f0 + fm) / h**2
        col = 1 + 2 * d
        for i in range(d):
            for j in range(i):
                hess[:, i, j] = hess[:, j, i] = (f[:, col] + f[:, col + 1] - f[:, col + 2] - f[:, col + 3]) / (4 * h * h)
                col += 4
        eig_min = np.linalg.eigvalsh(hess)[:, 0]
        pd = eig_min > 1e-10
        safe = np.where(pd[:, None, None], hess, eye)
        newton = -np.linalg.solve(safe, grad[..., None])[..., 0]
        direction = np.where(pd[:, None], newton, -grad)
        slope = (grad * direction).sum(-1)  # < 0
        trial = x[:, None, :] + ts[None, :, None] * direction[:, None, :]  # (m, T, D)
        ft = loss_fn(trial.reshape(-1, d), active).reshape(m, len(ts))
        ok = (ft <= f0[:, None] + 1e-4 * ts[None, :] * slope[:, None]) & (ft < f0[:, None])
        moved = ok.any(1)
        first = np.where(moved, ok.argmax(1), 0)
        step = np.where(moved[:, None], ts[first][:, None] * direction, 0.0)
        w[active] = x + step
        active = active[moved & (np.abs(step).max(1) > tol)]
    return w


def _is_local_min(w: np.ndarray, loss_fn, radius: float = 1e-3, directions: int = 16) -> np.ndarray:
    """Whether no point on a ring of ``radius`` around each w (N, 2) is lower: (N,) bool."""
    angles = np.linspace(0, 2 * np.pi, directions, endpoint=False)
    ring = radius * np.stack([np.cos(angles), np.sin(angles)], -1)  # (K, 2)
    everyone = np.arange(len(w))
    f0 = loss_fn(w, everyone)
    fr = loss_fn((w[:, None, :] + ring[None]).reshape(-1, 2), everyone).reshape(len(w), directions)
    return (fr >= f0[:, None] - 1e-14).all(1)


def grid_local_minima(L: np.ndarray) -> np.ndarray:
    """Indices (K, 2) of interior grid points of L (G, G) no higher than any of their 8 neighbours."""
    core = L[1:-1, 1:-1]
    ok = np.ones_like(core, dtype=bool)
    G = L.shape[0]
    for da in (-1, 0, 1):
        for db in (-1, 0, 1):
            if da == db == 0:
                continue
            ok &= core <= L[1 + da: G - 1 + da, 1 + db: G - 1 + db]
    return np.argwhere(ok) + 1


@dataclass(frozen=True)
class ExactOptimum:
    """Every local minimum at one (p, r), up to the sign symmetry, best first.

    ``minima`` (K, 2) canonical weights, ``losses`` (K,), ``phases`` (K,).
    """

    probability: float
    importance: float
    minima: np.ndarray
    losses: np.ndarray
    phases: tuple[str, ...]

    @property
    def w(self) -> np.ndarray:
        return self.minima[0]

    @property
    def loss(self) -> float:
        return float(self.losses[0])

    @property
    def phase(self) -> str:
        return self.phases[0]

    @property
    def n_minima(self) -> int:
        return len(self.losses)

    @property
    def second_loss(self) -> float:
        return float(self.losses[1]) if len(self.losses) > 1 else float("nan")


def _merge(points: np.ndarray, losses: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    order = np.argsort(losses, kind="stable")
    kept: list[int] = []
    for i in order:
        if all(np.abs(points[i] - points[j]).max() > MERGE_DISTANCE for j in kept):
            kept.append(int(i))
    return points[kept], losses[kept]


def _optima(points: list[tuple[float, float]], components: LossComponents, axis: np.ndarray) -> list[ExactOptimum]:
    """Local minima of every (p, r) in ``points`` from one precomputed grid of components (G, G, 2)."""
    starts, owner = [], []
    for index, (p, r) in enumerate(points):
        L = components.loss(p, r)
        for a, b in grid_local_minima(L):
            starts.append((axis[a], axis[b]))
            owner.append(index)
        starts.extend(SEEDS)
        owner.extend([index] * len(SEEDS))
    starts_arr = np.asarray(starts, dtype=np.float64).reshape(-1, 2)
    owner_arr = np.asarray(owner, dtype=int)
    p_of = np.array([points[i][0] for i in owner_arr])
    r_of = np.array([points[i][1] for i in owner_arr])

    def loss_fn(w: np.ndarray, index: np.ndarray) -> np.ndarray:
        """Rows of w (N'·T, 2) in row-major (N', T) order: block k belongs to start index[k]."""
        reps = len(w) // len(index)
        return expected_loss(w[:, 0], w[:, 1], np.repeat(p_of[index], reps), np.repeat(r_of[index], reps))

    refined = refine(starts_arr, loss_fn)
    # _is_local_min evaluates (N*K, 2) rows in (N, K) order, the same layout.
    is_min = _is_local_min(refined, loss_fn)
    final = expected_loss(refined[:, 0], refined[:, 1], p_of, r_of)
    results = []
    for index, (p, r) in enumerate(points):
        mine = (owner_arr == index) & is_min
        pts, losses = _merge(canonical(refined[mine]), final[mine])
        results.append(ExactOptimum(float(p), float(r), pts, losses, tuple(classify_2_in_1(*w) for w in pts)))
    return results


def exact_optimum(probability: float, importance: float, grid_size: int = GRID_SIZE,
                  extent: float = GRID_EXTENT) -> ExactOptimum:
    """Global minimiser and all local minima of the exact bias-free loss at (p, r)."""
    axis = np.linspace(-extent, extent, grid_size)
    components = loss_components(axis[:, None], axis[None, :])
    return _optima([(probability, importance)], components, axis)[0]


def exact_phase_diagram(probabilities, importances, grid_size: int = GRID_SIZE,
                        extent: float = GRID_EXTENT) -> pd.DataFrame:
    """One row per (p, r) of the grid ``probabilities × importances`` (P,) × (R,):

    p, r, w1, w2 (canonical global minimiser), loss, phase, n_minima (local minima up to the
    sign symmetry), second_loss (NaN with one minimum), second_w1, second_w2, second_phase.
    """
    axis = np.linspace(-extent, extent, grid_size)
    components = loss_components(axis[:, None], axis[None, :])
    points = [(float(p), float(r)) for p in probabilities for r in importances]
    rows = []
    for opt in _optima(points, components, axis):
        second = opt.minima[1] if opt.n_minima > 1 else np.array([np.nan, np.nan])
        rows.append({
            "p": opt.probability, "r": opt.importance,
            "w1": float(opt.w[0]), "w2": float(opt.w[1]), "loss": opt.loss, "phase": opt.phase,
            "n_minima": opt.n_minima, "second_loss": opt.second_loss,
            "second_w1": float(second[0]), "second_w2": float(second[1]),
            "second_phase": opt.phases[1] if opt.n_minima > 1 else "",
        })
    return pd.DataFrame(rows)


def optimum_with_bias(probabilities, importances, steps: int = 80) -> pd.DataFrame:
    """Best (w1, w2, b1, b2) of :func:`expected_loss_with_bias` at every (p, r) of ``P × R``
    (the model the trainer optimises; McGrath's diagram is the bias-free one): the lowest of
    many refined starts, not a search for every local minimum.

    Starts per point: the bias-free local minima with b = 0 and b = (−0.1, −0.1), the
    "keep one feature, output the other's mean" points (1, 0, 0, p/2) and (0, 1, p/2, 0), the
    confused and antipodal points with b = 0, and unit w at 12 angles with b = (1 − w wᵀ) E[x]
    (in the dense regime the optimum is nearly degenerate along that ring); each refined by
    :func:`refine` in 4-D.
    One row per point: p, r, w1, w2, b1, b2 (canonical sign of w), loss, phase (of w, as
    :func:`classify_2_in_1`), free_loss, free_phase (the bias-free optimum).
    """
    free = exact_phase_diagram(probabilities, importances)
    starts, owner = [], []
    for k, row in free.iterrows():
        minima = [(row.w1, row.w2)] + ([(row.second_w1, row.second_w2)] if row.n_minima > 1 else [])
        mine = [(*w, *b) for w in minima for b in ((0.0, 0.0), (-0.1, -0.1))]
        mine += [(1.0, 0.0, 0.0, row.p / 2), (0.0, 1.0, row.p / 2, 0.0), (0.5**0.5, 0.5**0.5, 0.0, 0.0), (1.0, -1.0, 0.0, 0.0)]
        # the dense regime's near-degenerate ring: unit w at 12 angles, b = (1 − w wᵀ) E[x]
        for theta in np.arange(12) * np.pi / 12:
            u = np.array([np.cos(theta), np.sin(theta)])
            mine.append((*u, *((np.eye(2) - np.outer(u, u)) @ np.full(2, row.p / 2))))
        starts += mine
        owner += [k] * len(mine)
    starts_arr, owner_arr = np.asarray(starts, dtype=np.float64), np.asarray(owner)
    p_of, r_of = free.p.to_numpy()[owner_arr], free.r.to_numpy()[owner_arr]

    def loss_fn(x: np.ndarray, index: np.ndarray) -> np.ndarray:
        reps = len(x) // len(index)
        return expected_loss_with_bias(x[:, 0], x[:, 1], x[:, 2], x[:, 3],
                                       np.repeat(p_of[index], reps), np.repeat(r_of[index], reps))

    refined = refine(starts_arr, loss_fn, steps=steps)
    final = loss_fn(refined, np.arange(len(refined)))
    rows = []
    for k, row in free.iterrows():
        mine = np.flatnonzero(owner_arr == k)
        w1, w2, b1, b2 = refined[mine[np.argmin(final[mine])]]
        w1, w2 = canonical(np.array([w1, w2]))
        rows.append({"p": row.p, "r": row.r, "w1": float(w1), "w2": float(w2), "b1": float(b1), "b2": float(b2),
                     "loss": float(final[mine].min()), "phase": classify_2_in_1(w1, w2),
                     "free_loss": row.loss, "free_phase": row.phase})
    return pd.DataFrame(rows)


# Trained 2-in-1 models against the exact optimum.


def trained_2_in_1_phases(instances: pd.DataFrame, W: Tensor, b: Tensor, probability: np.ndarray,
                          importance: np.ndarray, discard_worst: int = 1) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(per-point table, per-model table) of trained n = 2, m = 1 models, classified as the exact
    optimum is (:func:`classify_2_in_1`: not learned, superposition, dedicated or confused).

    ``instances`` is the trainer's table (instance, setting, final_loss); W (I, 2, 1), b (I, 2);
    ``probability`` and ``importance`` (I, 2). Per model: w1, w2, b1, b2, its phase and the exact
    loss at its parameters (:func:`expected_loss_with_bias`). Per point (setting), as
    :func:`phase_table` does it: the ``discard_worst`` highest-loss restarts dropped, the majority
    phase of the rest (ties to the lowest-loss model) as ``phase``, the phase of the lowest-loss
    model as ``selected_phase``, and the fraction of kept models in each phase.
    """
    if W.shape[1:] != (2, 1):
        raise ValueError(f"expected 2-in-1 weights (I, 2, 1), got {tuple(W.shape)}")
    w = W[:, :, 0].double().numpy()
    bias = b.double().numpy()
    p = np.asarray(probability, dtype=np.float64)[:, 0]
    r = np.asarray(importance, dtype=np.float64)[:, 1]
    models = instances[["instance", "setting", "restart", "final_loss"]].sort_values("instance").reset_index(drop=True)
    index = models["instance"].to_numpy()
    models["p"], models["r"] = p[index], r[index]
    models["w1"], models["w2"] = w[index, 0], w[index, 1]
    models["b1"], models["b2"] = bias[index, 0], bias[index, 1]
    models["phase"] = [classify_2_in_1(a, c) for a, c in zip(models["w1"], models["w2"])]
    models["exact_loss"] = expected_loss_with_bias(models["w1"], models["w2"], models["b1"], models["b2"],
                                                   models["p"], models["r"])
    models["kept"] = True
    for _, group in models.groupby("setting"):
        if discard_worst and len(group) > discard_worst:
            worst = group.sort_values(["final_loss", "instance"]).index[-discard_worst:]
            models.loc[worst, "kept"] = False
    rows = []
    for setting, group in models.groupby("setting"):
        kept = group[group["kept"]]
        best = group.sort_values(["final_loss", "instance"]).iloc[0]
        row = {"setting": int(setting), "p": float(group["p"].iloc[0]), "r": float(group["r"].iloc[0]),
               "models_kept": int(len(kept)), "phase": _majority(kept["phase"], kept["final_loss"]),
               "selected_phase": best["phase"], "selected_w1": float(best["w1"]), "selected_w2": float(best["w2"])}
        for name in EXACT_PHASES:
            row[f"fraction_{name.replace(' ', '_')}"] = float((kept["phase"] == name).mean())
        rows.append(row)
    return pd.DataFrame(rows), models


def lookup_points(table: pd.DataFrame, p: np.ndarray, r: np.ndarray, column: str) -> np.ndarray:
    """``table[column]`` at the points (p, r) (K,), matched to the table's p, r columns with a
    relative tolerance of 1e-9 (grids from different geomspace calls); NaN-like "" where absent."""
    values = np.full(len(p), None, dtype=object)
    tp, tr = table["p"].to_numpy(), table["r"].to_numpy()
    for k, (pk, rk) in enumerate(zip(p, r)):
        hit = np.flatnonzero(np.isclose(tp, pk, rtol=1e-9, atol=0) & np.isclose(tr, rk, rtol=1e-9, atol=0))
        if len(hit):
            values[k] = table[column].iloc[hit[0]]
    return values
