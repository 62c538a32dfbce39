"""Neuron-level metrics of a model with a privileged basis: which features each neuron stores.

Shapes: ``I`` instances, ``n`` features, ``m`` hidden neurons. ``W_in`` (I, n, m) holds the
input weights, ``W_in[i, k]`` = weight from feature i to neuron k (``W`` of the ReLU hidden
layer model, ``W1`` of the absolute-value model). ``W_out`` (I, m, n) holds the output
weights, ``W_out[k, j]`` = weight from neuron k to output j (``Wᵀ`` for the tied models,
``W2`` for the absolute-value model).

**Drive.** Feature i can only make neuron k fire through its input weight. With
non-negative inputs (x ≥ 0, the ReLU hidden layer model) only a positive weight does; with
signed inputs (the absolute-value model, x ∈ [−1, 1]) either sign does::

    a[i, k] = max(W_in[i, k], 0)      (unsigned inputs)
    a[i, k] = |W_in[i, k]|            (signed inputs)

**Gain.** What neuron k contributes to output i per unit of input i, through its read
and its write: ``g[i, k] = a[i, k] · max(W_out[k, i], 0)`` (for the tied models
``max(W_ik, 0)²``). It is unchanged by the rescaling freedom of a hidden unit
(``W_in[:, k] · α``, ``W_out[k, :] / α`` gives the same model), and it ignores what a
neuron reads but does not write back (interference, inhibition) and small leftovers of
the random initialisation, which a threshold on the input weights alone would count.

**Stored features.** Neuron k *stores* feature i when

    g[i, k] > STORED_FRACTION · max_j g[j, k]        and neuron k is alive.

For the asymmetric-superposition example of the paper (input weights 2 and −½, output
weights ½ and 2) both gains are 1: both features are stored. For tied weights the
threshold means a weight above √0.1 ≈ 0.32 of the neuron's largest. A neuron is *dead*
when its strength ``s_k = max_i a[i, k] · max_j |W_out[k, j]|`` (also rescaling-invariant)
is at most ``DEAD_FRACTION · max_k s_k``: it neither reads nor writes anything that
matters.

**Polysemanticity** of neuron k is the number of features it stores: 0 none (dead, or it
only inhibits), 1 *monosemantic*, ≥ 2 *polysemantic*. Its *primary* feature is the stored
feature with the largest drive ``a[i, k]`` (it gives the neuron's largest activations),
its *secondary* features the other stored ones. A continuous companion is
the participation ratio ``(Σ_i a²)² / Σ_i a⁴`` ("effective number of features"): 1 for a
single weight, k for k equal weights.

**Feature in superposition** (neuron view): feature i shares a neuron with another
feature, i.e. it is stored in at least one polysemantic neuron.

**Basis alignment** of feature i: ``max_k W_in[i, k]² / ‖W_in[i]‖²``, the share of the
feature's embedding on its single largest neuron: 1 when the feature sits on one neuron,
1/m for a direction spread evenly over all m neurons. **Neuron purity** is the same seen
from a neuron: ``max_i W_in[i, k]² / Σ_i W_in[i, k]²``, 1 for a neuron dedicated to one
feature, 1/n for one reading all n features equally. Both use the weights alone (any
sign), so they apply to a model without a privileged basis too, e.g. the linear model.
"""

from __future__ import annotations

import torch
from torch import Tensor

#: A feature whose gain through a neuron is below this fraction of the neuron's largest
#: gain is not "stored" there.
STORED_FRACTION = 0.1
#: A neuron whose strength is at most this fraction of the model's strongest is dead
#: (0.1 of the largest drive times 0.1 of the largest output weight).
DEAD_FRACTION = 0.01

#: Codes of :func:`neuron_kind`.
NONE, MONOSEMANTIC, POLYSEMANTIC = 0, 1, 2
KIND_NAMES = {NONE: "none", MONOSEMANTIC: "monosemantic", POLYSEMANTIC: "polysemantic"}


def drive(W_in: Tensor, signed: bool) -> Tensor:
    """``a[i, k]``: how strongly feature i can drive neuron k (see module doc). (I, n, m)."""
    return W_in.abs() if signed else W_in.clamp_min(0.0)


def _output_weights(W_in: Tensor, W_out: Tensor | None) -> Tensor:
    return W_in.transpose(-1, -2) if W_out is None else W_out


def gain(W_in: Tensor, W_out: Tensor | None = None, signed: bool = False) -> Tensor:
    """``g[i, k] = a[i, k] · max(W_out[k, i], 0)`` (I, n, m); ``W_out`` defaults to ``W_inᵀ`` (tied)."""
    W_out = _output_weights(W_in, W_out)
    return drive(W_in, signed) * W_out.transpose(-1, -2).clamp_min(0.0)


def neuron_strength(W_in: Tensor, W_out: Tensor | None = None, signed: bool = False) -> Tensor:
    """``s_k = max_i a[i, k] · max_j |W_out[k, j]|`` (I, m); ``W_out`` defaults to ``W_inᵀ`` (tied)."""
    W_out = _output_weights(W_in, W_out)
    return drive(W_in, signed).amax(dim=-2) * W_out.abs().amax(dim=-1)


def alive(W_in: Tensor, W_out: Tensor | None = None, signed: bool = False,
          dead_fraction: float = DEAD_FRACTION) -> Tensor:
    """Neurons that are not dead: strength above ``dead_fraction`` of the strongest. (I, m) bool."""
    strength = neuron_strength(W_in, W_out, signed)
    return (strength > dead_fraction * strength.amax(dim=-1, keepdim=True)) & (strength > 0)


def stored_features(W_in: Tensor, W_out: Tensor | None = None, signed: bool = False,
                    stored_fraction: float = STORED_FRACTION, dead_fraction: float = DEAD_FRACTION) -> Tensor:
    """``stored[i, k]``: neuron k stores feature i (see module doc). (I, n, m) bool."""
    g = gain(W_in, W_out, signed)
    largest = g.amax(dim=-2, keepdim=True)  # (I, 1, m)
    return (g > stored_fraction * largest) & (g > 0) & alive(W_in, W_out, signed, dead_fraction)[:, None, :]


def polysemanticity(stored: Tensor) -> Tensor:
    """Number of features each neuron stores: (I, m) int64 (0 none, 1 mono, ≥ 2 poly)."""
    return stored.sum(dim=-2)


def neuron_kind(stored: Tensor) -> Tensor:
    """NONE, MONOSEMANTIC or POLYSEMANTIC for every neuron: (I, m) int64."""
    count = polysemanticity(stored)
    return torch.where(count >= 2, POLYSEMANTIC, torch.where(count == 1, MONOSEMANTIC, NONE)).long()


def effective_features(W_in: Tensor, signed: bool = False) -> Tensor:
    """Participation ratio ``(Σ_i a²)² / Σ_i a⁴`` of every neuron: (I, m); 0 for an all-zero neuron."""
    squared = drive(W_in, signed).square()
    numerator = squared.sum(dim=-2).square()
    denominator = squared.square().sum(dim=-2)
    return torch.where(denominator > 0, numerator / denominator.clamp_min(1e-300), torch.zeros_like(denominator))


def primary_feature(W_in: Tensor, stored: Tensor, signed: bool = False) -> Tensor:
    """The stored feature with the largest drive on each neuron, −1 where none is stored: (I, m) int64."""
    a = torch.where(stored, drive(W_in, signed), torch.full_like(W_in, -1.0))
    primary = a.argmax(dim=-2)
    return torch.where(stored.any(dim=-2), primary, torch.full_like(primary, -1))


def secondary_features(W_in: Tensor, stored: Tensor, signed: bool = False) -> Tensor:
    """Stored features other than the primary one: (I, n, m) bool."""
    primary = primary_feature(W_in, stored, signed)
    n = W_in.shape[-2]
    is_primary = torch.arange(n, device=W_in.device)[None, :, None] == primary[:, None, :]
    return stored & ~is_primary


def features_in_superposition(stored: Tensor) -> Tensor:
    """Feature i is stored in at least one polysemantic neuron: (I, n) bool."""
    polysemantic = polysemanticity(stored) >= 2  # (I, m)
    return (stored & polysemantic[:, None, :]).any(dim=-1)


def basis_alignment(W_in: Tensor) -> Tensor:
    """``max_k W_in[i, k]² / ‖W_in[i]‖²`` per feature (I, n); 0 for an all-zero feature."""
    squared = W_in.square()
    total = squared.sum(dim=-1)
    return torch.where(total > 0, squared.amax(dim=-1) / total.clamp_min(1e-300), torch.zeros_like(total))


def neuron_purity(W_in: Tensor) -> Tensor:
    """``max_i W_in[i, k]² / Σ_i W_in[i, k]²`` per neuron (I, m); 0 for an all-zero neuron."""
    return basis_alignment(W_in.transpose(-1, -2))


def neuron_order(primary: Tensor, strength: Tensor) -> list[int]:
    """A display order of the neurons of one instance (``primary`` and ``strength`` are (m,)):
    by primary feature (most important, i.e. lowest index, first), ties by decreasing
    strength, then index; neurons storing nothing (primary −1) last."""
    m = primary.shape[-1]
    dead_key = 10**9
    return sorted(range(m), key=lambda k: (int(primary[k]) if int(primary[k]) >= 0 else dead_key,
                                           -float(strength[k]), k))
