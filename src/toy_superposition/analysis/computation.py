"""Computation in Superposition.

The absolute-value model — Reading the absolute-value circuit off the weights: ``|x| = ReLU(x) + ReLU(−x)``.

The absolute-value model (``models.py``) is ``h = ReLU(W₁ x)``, ``y = ReLU(W₂ h + b)`` with
``W1`` (I, n, m) (``W1[i, k]``: feature i → neuron k) and ``W2`` (I, m, n) (``W2[k, j]``:
neuron k → output j), trained on signed inputs with target ``|x|``.

**Rescaling.** Hidden unit k can be rescaled, ``W1[:, k] · α`` and ``W2[k, :] / α`` for any
α > 0, without changing the model (ReLU is positively homogeneous). As in the paper, we
show every unit rescaled so that its largest-magnitude input weight is 1:
``α_k = 1 / max_i |W1[i, k]|`` (an all-zero unit is left as it is).

**Side neurons.** Neuron k is the *positive-side* neuron of feature i when it stores only
feature i (``neurons.stored_features`` with signed inputs), ``W1[i, k] > 0`` and
``W2[k, i] > 0``: it computes ``c · ReLU(x_i)`` into output i. It is the *negative-side*
neuron when ``W1[i, k] < 0`` and ``W2[k, i] > 0`` (``c · ReLU(−x_i)``). Its *gain* is
``W1[i, k] · W2[k, i]`` in absolute value (rescaling-invariant); a feature computed exactly
by one pair has gain 1 on both sides (if b_i = 0).

A feature has an *absolute-value pair* when it has at least one positive-side and at least
one negative-side neuron.

The asymmetric superposition motif — Automatic detection of the *asymmetric superposition* motif in absolute-value models.

The paper ("The Asymmetric Superposition Motif") describes pairs of neurons in a trained
absolute-value model ``h = ReLU(W₁x)``, ``y = ReLU(W₂h + b)``; ``W1`` (n, m) with
``W1[i, k]`` feature i → neuron k, ``W2`` (m, n) with ``W2[k, j]`` neuron k → output j:

1. One neuron k stores two features a and b with very different magnitudes (the paper's
   example: input weights ``[2, −½]``) and *reciprocal* output weights (``[½, 2]``). When
   a drives k, output b receives the large ``|W1[a,k]|·W2[k,b] · |x_a|`` (a interferes
   heavily with b); when b drives k, output a receives only the small
   ``|W1[b,k]|·W2[k,a] · |x_b|`` (b barely interferes with a).
2. A second neuron k' inhibits b exactly when that interference happens: it is driven
   by x_a with the same sign as k is (``sign W1[a,k'] = sign W1[a,k]``) and writes
   negatively to output b (``W2[k',b] < 0``), turning the positive interference (costly)
   into negative interference (cut off by the output ReLU).

**Detector.** For every neuron k of a model (``neurons.stored_features`` with signed inputs
decides what it stores):

* k is polysemantic; a is its primary feature (largest ``|W1[·,k]|``), b its second largest
  stored feature;
* asymmetric input: ``|W1[a,k]| ≥ ρ · |W1[b,k]|``;
* reciprocal output: ``W2[k,a] > 0``, ``W2[k,b] > 0`` and ``W2[k,b] ≥ ρ · W2[k,a]``
  (the output weights are ordered the other way round, by at least the same factor);
  hence the interference a → b, ``I_ab = |W1[a,k]|·W2[k,b]``, is at least ρ² times the
  interference b → a, ``I_ba = |W1[b,k]|·W2[k,a]``;
* inhibition: some other neuron k' with ``sign W1[a,k'] = sign W1[a,k]`` and
  ``W2[k',b] < 0`` has inhibition ``|W1[a,k']|·|W2[k',b]| ≥ κ · I_ab``; the strongest such
  k' is reported as the partner.

ρ = 2 and κ = ½ by default. Every quantity is a ratio or a product ``W1[·,k]·W2[k,·]``, so
the detector is invariant to the rescaling of hidden units, to permuting neurons and to
permuting features.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
import torch
from torch import Tensor

from . import neurons

# --- The absolute-value model ------------------------------------------------------------------

def rescale_hidden_units(W1: Tensor, W2: Tensor) -> tuple[Tensor, Tensor]:
    """``(W1 / s, W2 · s)`` with ``s_k = max_i |W1[i, k]|`` per hidden unit; the same model."""
    scale = W1.abs().amax(dim=-2)  # (I, m)
    scale = torch.where(scale > 0, scale, torch.ones_like(scale))
    return W1 / scale[:, None, :], W2 * scale[:, :, None]


def side_neurons(W1: Tensor, W2: Tensor, **thresholds: float) -> tuple[Tensor, Tensor]:
    """For every neuron: the feature it is a side neuron of (−1 if none) and the side
    (+1 positive, −1 negative, 0 none). Two (I, m) int64 tensors.

    ``thresholds`` are passed to :func:`neurons.stored_features`.
    """
    stored = neurons.stored_features(W1, W2, signed=True, **thresholds)  # (I, n, m)
    single = neurons.polysemanticity(stored) == 1  # (I, m)
    feature = stored.float().argmax(dim=-2)  # the only stored feature where single
    w_in = W1.gather(-2, feature[:, None, :]).squeeze(-2)  # (I, m): W1[feature_k, k]
    w_out = W2.gather(-1, feature[:, :, None]).squeeze(-1)  # (I, m): W2[k, feature_k]
    is_side = single & (w_out > 0) & (w_in != 0)
    side = torch.where(is_side, torch.sign(w_in), torch.zeros_like(w_in)).long()
    return torch.where(is_side, feature, torch.full_like(feature, -1)), side


def absolute_value_pairs(W1: Tensor, W2: Tensor, **thresholds: float) -> tuple[Tensor, Tensor]:
    """Per feature: number of positive-side and of negative-side neurons. Two (I, n) int64."""
    feature, side = side_neurons(W1, W2, **thresholds)
    n = W1.shape[-2]
    ids = torch.arange(n, device=W1.device)[None, :, None]  # (1, n, 1)
    mine = feature[:, None, :] == ids  # (I, n, m)
    positive = (mine & (side[:, None, :] > 0)).sum(dim=-1)
    negative = (mine & (side[:, None, :] < 0)).sum(dim=-1)
    return positive, negative


def has_pair(W1: Tensor, W2: Tensor, **thresholds: float) -> Tensor:
    """Feature i has both a ReLU(x_i) and a ReLU(−x_i) neuron: (I, n) bool."""
    positive, negative = absolute_value_pairs(W1, W2, **thresholds)
    return (positive > 0) & (negative > 0)


def gains(W1: Tensor, W2: Tensor) -> Tensor:
    """``|W1[i, k] · W2[k, i]|``: how much of |x_i| neuron k adds to output i. (I, n, m)."""
    return (W1 * W2.transpose(-1, -2)).abs()

# --- The asymmetric superposition motif --------------------------------------------------------

#: Minimum ratio of the two input weights (and, reversed, of the two output weights).
ASYMMETRY = 2.0
#: Minimum inhibition of the partner neuron, as a fraction of the interference a → b.
INHIBITION = 0.5


@dataclass(frozen=True)
class Candidate:
    """The tests of one neuron k of one instance (NaN / −1 where a step did not apply)."""

    instance: int
    neuron: int
    features_stored: int
    feature_a: int  # primary (protected) feature, −1 if the neuron stores nothing
    feature_b: int  # second stored feature, −1 if monosemantic or dead
    w_in_a: float  # W1[a, k]
    w_in_b: float  # W1[b, k]
    w_out_a: float  # W2[k, a]
    w_out_b: float  # W2[k, b]
    input_ratio: float  # |W1[a,k]| / |W1[b,k]|
    output_ratio: float  # W2[k,b] / W2[k,a] (if both positive)
    interference_ab: float  # |W1[a,k]| · W2[k,b]
    interference_ba: float  # |W1[b,k]| · W2[k,a]
    partner: int  # the inhibiting neuron k', −1 if none
    partner_w_in_a: float  # W1[a, k']
    partner_w_out_b: float  # W2[k', b]
    inhibition: float  # |W1[a,k']| · |W2[k',b]| of the strongest candidate partner
    asymmetric: bool  # input and output tests pass
    motif: bool  # asymmetric and inhibited


def neuron_candidates(W1: Tensor, W2: Tensor, instance: int = 0, asymmetry: float = ASYMMETRY,
                      inhibition: float = INHIBITION, **thresholds: float) -> list[Candidate]:
    """Run the detector on every neuron of one model: ``W1`` (n, m), ``W2`` (m, n)."""
    W1, W2 = W1.double(), W2.double()
    stored = neurons.stored_features(W1[None], W2[None], signed=True, **thresholds)[0]  # (n, m)
    w1, w2 = W1.cpu().numpy(), W2.cpu().numpy()
    n, m = w1.shape
    results = []
    nan = float("nan")
    for k in range(m):
        features = np.flatnonzero(stored[:, k].cpu().numpy())
        ordered = features[np.argsort(-np.abs(w1[features, k]), kind="stable")]
        a = int(ordered[0]) if len(ordered) >= 1 else -1
        b = int(ordered[1]) if len(ordered) >= 2 else -1
        row = dict(instance=instance, neuron=k, features_stored=int(len(features)), feature_a=a, feature_b=b,
                   w_in_a=nan, w_in_b=nan, w_out_a=nan, w_out_b=nan, input_ratio=nan, output_ratio=nan,
                   interference_ab=nan, interference_ba=nan, partner=-1, partner_w_in_a=nan,
                   partner_w_out_b=nan, inhibition=nan, asymmetric=False, motif=False)
        if b < 0:
            results.append(Candidate(**row))
            continue
        w_in_a, w_in_b, w_out_a, w_out_b = w1[a, k], w1[b, k], w2[k, a], w2[k, b]
        input_ratio = abs(w_in_a) / abs(w_in_b)
        output_ratio = w_out_b / w_out_a if w_out_a > 0 and w_out_b > 0 else nan
        interference_ab = abs(w_in_a) * max(w_out_b, 0.0)
        interference_ba = abs(w_in_b) * max(w_out_a, 0.0)
        asymmetric = bool(input_ratio >= asymmetry and output_ratio == output_ratio and output_ratio >= asymmetry)
        # Partner: same-sign drive by x_a, negative write to output b; strongest inhibition.
        others = np.array([j for j in range(m) if j != k], dtype=np.int64)
        same_sign = np.sign(w1[a, others]) == np.sign(w_in_a)
        inhibits = w2[others, b] < 0
        ok = others[same_sign & inhibits]
        partner, strength = -1, nan
        if len(ok):
            strengths = np.abs(w1[a, ok]) * np.abs(w2[ok, b])
            best = int(np.argmax(strengths))
            partner, strength = int(ok[best]), float(strengths[best])
        row.update(
            w_in_a=float(w_in_a), w_in_b=float(w_in_b), w_out_a=float(w_out_a), w_out_b=float(w_out_b),
            input_ratio=float(input_ratio), output_ratio=float(output_ratio),
            interference_ab=float(interference_ab), interference_ba=float(interference_ba),
            partner=partner,
            partner_w_in_a=float(w1[a, partner]) if partner >= 0 else nan,
            partner_w_out_b=float(w2[partner, b]) if partner >= 0 else nan,
            inhibition=strength, asymmetric=asymmetric,
            motif=bool(asymmetric and partner >= 0 and strength >= inhibition * interference_ab),
        )
        results.append(Candidate(**row))
    return results


def find_motifs(W1: Tensor, W2: Tensor, **options: float) -> list[Candidate]:
    """Every asymmetric-superposition motif in one model (``W1`` (n, m), ``W2`` (m, n))."""
    return [c for c in neuron_candidates(W1, W2, **options) if c.motif]


def candidate_table(W1: Tensor, W2: Tensor, instances: list[int] | None = None, **options: float) -> pd.DataFrame:
    """The detector's tests for every neuron of the given instances of batched weights
    ``W1`` (I, n, m), ``W2`` (I, m, n): one row per (instance, neuron)."""
    instances = list(range(W1.shape[0])) if instances is None else list(instances)
    rows = [asdict(c) for i in instances for c in neuron_candidates(W1[i], W2[i], instance=i, **options)]
    return pd.DataFrame(rows, columns=[f for f in Candidate.__dataclass_fields__])
