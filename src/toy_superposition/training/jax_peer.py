"""The benchmark's peer: the same training step written the way a JAX user would write it.

One instance's loss is written for one model, ``jax.vmap`` maps it over the instances and
``jax.jit`` compiles the whole step (sampling, forward, ``jax.grad``, optax AdamW)::

    x      = [r₁ < p] · r₂                     r₁, r₂ ~ U[0, 1)   (B, n)  per instance
    h      = x W                                                    (B, m)
    h'     = h · [r₃ < 1 − d] / (1 − d)        dropout rate d only   (B, m)
    x'     = ReLU(h' Wᵀ + b)                                        (B, n)
    L      = (1 / (B n)) Σ_{b,i} I_i (x'_i − x_i)²

with ``optax.adamw(lr, weight_decay)`` (torch's defaults: β = (0.9, 0.999), ε = 1e-8,
decoupled weight decay). Only the benchmark imports this module, and only when JAX is
installed (``pip install -e ".[jax]"``): the default install does not need JAX.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np
import optax
import torch
from torch import Tensor

# JAX logs at INFO each accelerator backend it does not find (TPU, …); the CLI logs at INFO.
logging.getLogger("jax._src.xla_bridge").setLevel(logging.WARNING)

#: Params of one instance: W (n, m), b (n,).
Params = dict[str, jax.Array]


def instance_loss(params: Params, x: jax.Array, importance: jax.Array, keep: jax.Array, mask: jax.Array | None):
    """The importance-weighted MSE of one instance's ReLU-output model on a batch x (B, n)."""
    hidden = x @ params["W"]
    if mask is not None:
        hidden = hidden * mask / keep
    out = jax.nn.relu(hidden @ params["W"].T + params["b"])
    return jnp.mean(importance * (out - x) ** 2)


_loss_and_grads = jax.value_and_grad(instance_loss)
#: Per-instance loss and gradients over the instance axis: params (I, …), x (I, B, n) → (I,), grads (I, …);
#: the dropout mask (I, B, m) is mapped too, or None (no dropout) for every instance.
batched_loss_and_grads = jax.vmap(_loss_and_grads, in_axes=(0, 0, 0, 0, 0))
_batched_without_dropout = jax.vmap(_loss_and_grads, in_axes=(0, 0, 0, 0, None))


def make_step(probability: np.ndarray, importance: np.ndarray, dropout: np.ndarray | None, batch_size: int,
              learning_rate: float, weight_decay: float) -> tuple[Callable, optax.GradientTransformation]:
    """The jitted step ``(params, opt_state, key) -> (params, opt_state, loss (I,))`` for fixed settings."""
    optimizer = optax.adamw(learning_rate, b1=0.9, b2=0.999, eps=1e-8, weight_decay=weight_decay)
    p = jnp.asarray(probability, jnp.float32)[:, None, :]  # (I, 1, n)
    importance_ = jnp.asarray(importance, jnp.float32)
    keep = jnp.ones(p.shape[0], jnp.float32) if dropout is None else 1.0 - jnp.asarray(dropout, jnp.float32)
    n_instances, _, n_features = p.shape

    @jax.jit
    def step(params, opt_state, key):
        k1, k2, k3 = jax.random.split(key, 3)
        shape = (n_instances, batch_size, n_features)
        x = jnp.where(jax.random.uniform(k1, shape) < p, jax.random.uniform(k2, shape), 0.0)
        if dropout is None:
            loss, grads = _batched_without_dropout(params, x, importance_, keep, None)
        else:
            m = params["W"].shape[-1]
            mask = jax.random.uniform(k3, (n_instances, batch_size, m)) < keep[:, None, None]
            loss, grads = batched_loss_and_grads(params, x, importance_, keep, mask)
        updates, opt_state = optimizer.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), opt_state, loss

    return step, optimizer


def jax_step(params: dict[str, Tensor], probability: Tensor, importance: Tensor, dropout: Tensor | None,
             batch_size: int, learning_rate: float, weight_decay: float, seed: int = 0) -> Callable[[float], Tensor]:
    """``step_fn(lr) -> per-instance loss (I,)`` as the benchmark's other steps, from torch initial params.

    The learning rate is fixed at ``learning_rate`` (the benchmark's constant schedule); each call
    waits for the result (``np.asarray``), so timing it times the work.
    """
    state = {"params": {name: jnp.asarray(params[name].detach().cpu().numpy()) for name in ("W", "b")}}
    step, optimizer = make_step(probability.cpu().numpy(), importance.cpu().numpy(),
                                None if dropout is None else dropout.cpu().numpy(), batch_size, learning_rate,
                                weight_decay)
    state["opt_state"] = optimizer.init(state["params"])
    state["key"] = jax.random.key(seed)

    def step_fn(lr: float) -> Tensor:
        state["key"], key = jax.random.split(state["key"])
        state["params"], state["opt_state"], loss = step(state["params"], state["opt_state"], key)
        return torch.from_numpy(np.asarray(loss).copy())

    return step_fn


def version() -> str:
    return f"jax {jax.__version__}, optax {optax.__version__}"
