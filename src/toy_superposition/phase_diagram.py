"""Empirical phase diagrams: classify trained models and compare them with the theory.

For each grid point (a *setting*: the extra feature's importance × the feature density) the
experiment trains several restarts. Following the paper ("we train ten models for each point
and average over the results, discarding the model with the highest loss"):

1. the ``discard_worst`` highest-loss restarts of the setting are dropped;
2. each kept model is classified with :func:`geometry.classify`: the extra feature's phase
   (not learned / superposition / dedicated, thresholds in :mod:`geometry`) and the candidate
   configuration of :mod:`phase_theory` it matches, if any (``other`` otherwise);
3. the point's empirical phase is the majority phase of the kept models (a tie goes to the
   phase of the lowest-loss model among the tied phases); the fractions are kept too;
4. the theoretical phase is that of the lowest-expected-loss candidate at the point's
   probabilities and importances (``phase_theory.theoretical_phase``); they *agree* when the
   empirical phase is the phase of a candidate within the tie tolerance of the minimum.

The phase of the setting's lowest-loss model (``selected_phase``, ``agree_selected``) is
recorded too: restarts stuck in a local minimum move the majority but not the best model.

Shapes: ``I`` instances, ``n`` features, ``m`` hidden; W (I, n, m); probability and
importance (I, n).
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
from torch import Tensor

from .geometry import Geometry, classify
from .phase_theory import CANDIDATES_2_IN_1, CANDIDATES_3_IN_2, PHASES, Candidate, theoretical_phase

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
        row |= {
            "empirical_phase": phase,
            "empirical_candidate": candidate,
            "theory_phase": best.phase_of(extra_index),
            "theory_candidate": best.name,
            "theory_tie": len(tied) > 1,
            "agree": phase in {c.phase_of(extra_index) for c in tied},
            "agree_candidate": candidate in {c.name for c in tied},
            "selected_phase": best_model["extra_phase"],
            "agree_selected": best_model["extra_phase"] in {c.phase_of(extra_index) for c in tied},
            "mean_final_loss": float(kept["final_loss"].mean()),
            "theory_optimal_loss": float(theory.optimal_loss[k]),
        }
        for c, loss in zip(candidates, theory.losses[k]):
            row[f"theory_loss {c.name}"] = float(loss)
        rows.append(row)
    return pd.DataFrame(rows), models
