"""Automatic detection of the *asymmetric superposition* motif in absolute-value models.

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
from torch import Tensor

from . import neurons

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
