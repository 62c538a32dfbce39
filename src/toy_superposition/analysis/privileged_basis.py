"""Superposition in a Privileged Basis — the limitation of the ReLU hidden layer model: does the
model use its hidden ReLU, or shift its neurons into the regime where the ReLU is the identity?

The paper: "given a hidden layer bias, the model will set all the biases to be positive,
shifting the neurons into a positive regime where they behave linearly. If one removes the
bias, but gives the model enough features, it will simulate a bias by averaging over many
features."

For the ReLU hidden layer model ``h = ReLU(W x + c)`` (``c = 0`` without a hidden bias) and a
sample of inputs from the training distribution, per neuron k of every instance
(:func:`neuron_regimes`):

* ``weight_norm`` ``‖W_{:,k}‖`` (the neuron is *used* when it is above ``USED_NORM``);
* ``clipped``: the fraction of inputs whose pre-activation ``a_k = W_{:,k}·x + c_k`` is negative
  — where the ReLU changes the value; the neuron is in the *linear regime* when at most
  ``LINEAR_CLIP`` of the inputs are clipped;
* ``mixed_sign``: the neuron has input weights of both signs (each above ``SIGN_WEIGHT`` in
  magnitude). With non-negative inputs a neuron whose weights are all ≥ 0 is never clipped
  whatever the bias, so it is "linear" trivially; a mixed-sign neuron is linear only if a
  positive offset — the bias, or many small positive weights on features that are often
  active — keeps ``a_k`` above 0. The claims count mixed-sign neurons;
* ``bias`` ``c_k`` (0 without a hidden bias) and ``mean_pre_activation`` ``E[a_k]``.

Shapes: ``I`` instances, ``n`` features, ``m`` neurons, ``B`` sampled inputs; W (I, n, m).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch
from torch import Tensor

#: A neuron is used when its input weights have at least this norm.
USED_NORM = 0.5
#: A neuron is in the linear regime when at most this fraction of inputs is clipped by the ReLU.
LINEAR_CLIP = 0.01
#: A weight counts for the neuron's sign pattern from this magnitude on.
SIGN_WEIGHT = 0.1


def neuron_regimes(W: Tensor, x: Tensor, b_hidden: Tensor | None = None) -> pd.DataFrame:
    """One row per (instance, neuron): weight_norm, used, clipped, linear, mixed_sign, bias,
    mean_pre_activation. ``x`` (I, B, n) inputs from each instance's distribution; ``b_hidden``
    (I, m) or None."""
    W = W.double()
    pre = torch.einsum("ibn,inm->ibm", x.double(), W)  # (I, B, m)
    bias = torch.zeros(W.shape[0], W.shape[2], dtype=torch.float64) if b_hidden is None else b_hidden.double()
    pre = pre + bias[:, None, :]
    clipped = (pre < 0).double().mean(dim=1)  # (I, m)
    norms = W.norm(dim=1)  # (I, m)
    mixed = (W > SIGN_WEIGHT).any(dim=1) & (W < -SIGN_WEIGHT).any(dim=1)
    n_instances, m = norms.shape
    return pd.DataFrame({
        "instance": np.repeat(np.arange(n_instances, dtype=np.int64), m),
        "neuron": np.tile(np.arange(m, dtype=np.int64), n_instances),
        "weight_norm": norms.flatten().numpy(),
        "used": (norms > USED_NORM).flatten().numpy(),
        "clipped": clipped.flatten().numpy(),
        "linear": (clipped <= LINEAR_CLIP).flatten().numpy(),
        "mixed_sign": mixed.flatten().numpy(),
        "bias": bias.flatten().numpy(),
        "mean_pre_activation": pre.mean(dim=1).flatten().numpy(),
    })


def linear_share(neurons: pd.DataFrame) -> tuple[int, int]:
    """(used mixed-sign neurons in the linear regime, used mixed-sign neurons)."""
    counted = neurons[neurons["used"] & neurons["mixed_sign"]]
    return int(counted["linear"].sum()), int(len(counted))
