"""The benchmark's JAX peer computes the project's loss and gradients, and trains on the same problem."""

from __future__ import annotations

import numpy as np
import pytest
import torch

jax = pytest.importorskip("jax")
jnp = pytest.importorskip("jax.numpy")

from toy_superposition.models import loss_per_instance  # noqa: E402
from toy_superposition.training import benchmark  # noqa: E402
from toy_superposition.training.benchmark import Setting, benchmark_spec, window_mean_losses  # noqa: E402
from toy_superposition.training.jax_peer import _batched_without_dropout, batched_loss_and_grads  # noqa: E402


def torch_loss_and_grads(W, b, x, importance, keep, mask):
    """The loss of models.forward's ReLU-output model (dropout mask given) and its autograd gradients."""
    W, b = W.clone().requires_grad_(), b.clone().requires_grad_()
    hidden = torch.einsum("ibn,inm->ibm", x, W)
    if mask is not None:
        hidden = hidden * mask / keep[:, None, None]
    out = torch.relu(torch.einsum("ibm,inm->ibn", hidden, W) + b[:, None, :])
    loss = loss_per_instance(out, x, importance)
    loss.sum().backward()
    return loss.detach(), W.grad, b.grad


@pytest.mark.parametrize("dropout", [False, True])
def test_loss_and_gradients_match_torch_autograd(dropout):
    generator = torch.Generator().manual_seed(0)
    n_instances, batch, n, m = 3, 64, 6, 2
    W, b = torch.randn(n_instances, n, m, generator=generator), torch.randn(n_instances, n, generator=generator) * 0.1
    x = torch.rand(n_instances, batch, n, generator=generator) * (torch.rand(n_instances, batch, n, generator=generator) < 0.3)
    importance = 0.9 ** torch.arange(n, dtype=torch.float32).expand(n_instances, n).contiguous()
    keep = torch.tensor([1.0, 0.7, 0.5])
    mask = (torch.rand(n_instances, batch, m, generator=generator) < keep[:, None, None]).float() if dropout else None
    expected = torch_loss_and_grads(W, b, x, importance, keep, mask)

    params = {"W": jnp.asarray(W.numpy()), "b": jnp.asarray(b.numpy())}
    args = (params, jnp.asarray(x.numpy()), jnp.asarray(importance.numpy()), jnp.asarray(keep.numpy()))
    if dropout:
        loss, grads = batched_loss_and_grads(*args, jnp.asarray(mask.numpy()))
    else:
        loss, grads = _batched_without_dropout(*args, None)
    for mine, theirs in zip((loss, grads["W"], grads["b"]), expected):
        np.testing.assert_allclose(np.asarray(mine), theirs.numpy(), rtol=2e-5, atol=1e-7)


@pytest.mark.parametrize("setting", [Setting(5, 2, 0.2, 1, restarts=20),
                                     Setting(5, 2, 0.2, 1, restarts=10, dropout=(0.0, 0.5))])
def test_the_peer_trains_as_the_reference_loop_in_expectation(setting):
    """Same initialisation, different random streams: in each window of steps the mean over
    instances of the paired loss difference is within 5 standard errors of zero (the
    benchmark's own check, without its compiled step), and the peer learns."""
    spec = benchmark_spec(setting)
    cpu = torch.device("cpu")
    torch.manual_seed(0)
    reference = window_mean_losses(benchmark.reference_step(spec, cpu), 3, 100, setting.n_instances)
    peer = window_mean_losses(benchmark.jax_step_fn(spec, cpu), 3, 100, setting.n_instances)  # (windows, I)
    assert peer[-1].mean() < peer[0].mean()
    difference = peer - reference
    z = difference.mean(dim=1) / (difference.std(dim=1) / difference.shape[1] ** 0.5)
    assert bool((z.abs() < 5).all()), z


def test_the_benchmark_times_the_peer_when_jax_is_installed():
    assert "jax" in benchmark.methods() and "jax" not in benchmark.methods(peers=False)
    assert benchmark.jax_version().startswith(f"jax {jax.__version__}")
