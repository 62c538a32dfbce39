"""The analytic L2 attack: hand cases, a naive loop, and brute-force searches on tiny models."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from toy_superposition.analysis import adversarial
from toy_superposition.models import forward


@pytest.fixture(autouse=True)
def double_precision():
    """Exact comparisons need float64; restore the default afterwards for the other test modules."""
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(previous)


def sparse_inputs(n_features: int, batch: int, probability: float, seed: int) -> torch.Tensor:
    u = torch.rand((1, batch, n_features), generator=torch.Generator().manual_seed(seed))
    return torch.where(u < probability, u / probability, 0.0)


def fibonacci_sphere(count: int) -> torch.Tensor:
    """``count`` nearly uniform unit vectors in R³: (count, 3)."""
    i = torch.arange(count) + 0.5
    polar = torch.arccos(1 - 2 * i / count)
    azimuth = math.pi * (1 + 5**0.5) * i
    return torch.stack([torch.cos(azimuth) * torch.sin(polar), torch.sin(azimuth) * torch.sin(polar), torch.cos(polar)], -1)


def loss_of(params, x, delta, importance):
    """Per-input loss of x + delta against the clean target x (batch-major (1, B, n))."""
    output, _ = forward("relu_output", params, x + delta)
    return (importance[:, None, :] * (output - x).square()).mean(-1)


def test_directions_and_budget_by_hand():
    W = torch.tensor([[[1.0, 0.0], [0.0, 2.0], [0.0, 0.0]]])  # feature 2 unlearned
    directions = adversarial.attack_directions(W)
    np.testing.assert_allclose(directions[0], [[1, 0, 0], [0, 1, 0], [0, 0, 0]])
    x = torch.tensor([[[3.0, 4.0, 0.0], [0.0, 0.0, 0.0]]])  # norms 5 and 0
    assert adversarial.attack_budget(x).item() == pytest.approx(0.25)
    candidates = adversarial.candidate_perturbations(W, torch.tensor([0.5]))
    np.testing.assert_allclose(candidates[0], [[0.5, 0, 0], [0, 0.5, 0], [0, 0, 0], [-0.5, 0, 0], [0, -0.5, 0], [0, 0, 0]])


def test_without_superposition_the_best_attack_adds_the_budget_to_the_most_important_feature():
    """W = I, b = 0: x' = ReLU(x + δ); +ε on feature i costs exactly I_i ε² / n, the most any candidate can."""
    params = {"W": torch.eye(3)[None], "b": torch.zeros(1, 3)}
    importance = torch.tensor([[1.0, 0.5, 0.25]])
    x = sparse_inputs(3, 32, 0.5, seed=0)
    result = adversarial.vulnerability("relu_output", params, x, importance)
    epsilon = 0.1 * x.norm(dim=-1).mean()
    assert result.clean_loss.item() == pytest.approx(0.0, abs=1e-15)
    assert result.attacked_loss.item() == pytest.approx(1.0 * epsilon.item() ** 2 / 3, rel=1e-12)
    assert result.best_feature.item() == 0


def test_vectorised_losses_equal_a_loop_over_candidates():
    generator = torch.Generator().manual_seed(1)
    params = {"W": torch.randn(2, 5, 2, generator=generator), "b": -0.1 * torch.rand(2, 5, generator=generator)}
    importance = 0.8 ** torch.arange(5.0).expand(2, 5)
    x = torch.cat([sparse_inputs(5, 7, 0.3, seed=2), sparse_inputs(5, 7, 0.3, seed=3)])
    budget = adversarial.attack_budget(x)
    losses = adversarial.attacked_losses("relu_output", params, x, importance, budget, chunk=3)
    assert losses.shape == (2, 7, 10)
    for instance in range(2):
        gram = params["W"][instance] @ params["W"][instance].T
        for k in range(10):
            feature, sign = k % 5, (1.0 if k < 5 else -1.0)
            delta = sign * budget[instance] * gram[feature] / gram[feature].norm()
            one = {name: value[instance: instance + 1] for name, value in params.items()}
            expected = loss_of(one, x[instance: instance + 1], delta, importance[instance: instance + 1])[0]
            np.testing.assert_allclose(losses[instance, :, k], expected, rtol=1e-12, atol=1e-15)


def test_each_direction_moves_its_own_output_the_most_brute_force():
    """Cauchy–Schwarz: over 20,000 directions of the ε-sphere in R³, none moves (G δ)_i more than ε‖G_i‖."""
    W = torch.randn(3, 2, generator=torch.Generator().manual_seed(4))
    gram = W @ W.T
    epsilon = 0.3
    sphere = epsilon * fibonacci_sphere(20_000)
    moves = sphere @ gram.T  # (D, n): (G δ)_i for every δ
    analytic = epsilon * gram.norm(dim=1)
    directions = adversarial.attack_directions(W[None])[0]
    np.testing.assert_allclose((epsilon * directions * gram).sum(dim=1), analytic, rtol=1e-12)
    assert torch.all(moves.max(dim=0).values <= analytic * (1 + 1e-12))
    assert torch.all(moves.max(dim=0).values >= analytic * (1 - 1e-3))  # the search gets close


def test_attack_is_the_optimum_for_an_antipodal_pair_brute_force():
    """n=2, m=1, W = (1, −1): the loss depends on δ only through w·δ, so ±ε w/‖w‖ spans every
    reachable value of it; the analytic attack equals a grid search over the whole ε-disk."""
    params = {"W": torch.tensor([[[1.0], [-1.0]]]), "b": torch.tensor([[-0.1, -0.1]])}
    importance = torch.tensor([[1.0, 0.7]])
    x = sparse_inputs(2, 64, 0.3, seed=5)
    result = adversarial.vulnerability("relu_output", params, x, importance)
    epsilon = result.budget.item()
    radius = torch.linspace(0, 1, 41)[:, None]
    angle = torch.linspace(0, 2 * math.pi, 721)[None]
    disk = epsilon * torch.stack([(radius * torch.cos(angle)).flatten(), (radius * torch.sin(angle)).flatten()], -1)
    searched = loss_of(params, x[0][:, None, :], disk[None], importance).max(dim=-1).values  # (B,)
    assert result.attacked_loss.item() == pytest.approx(searched.mean().item(), rel=1e-12, abs=1e-15)
    assert result.vulnerability.item() > 0


def test_attack_is_near_optimal_on_a_tiny_model_brute_force():
    """n=3, m=2: against the best of 20,000 perturbations on the ε-sphere, per input."""
    generator = torch.Generator().manual_seed(3)
    params = {"W": torch.randn(1, 3, 2, generator=generator), "b": torch.full((1, 3), -0.05)}
    importance = torch.ones(1, 3)
    x = sparse_inputs(3, 64, 0.3, seed=6)
    result = adversarial.vulnerability("relu_output", params, x, importance)
    sphere = result.budget.item() * fibonacci_sphere(20_000)
    searched = loss_of(params, x[0][:, None, :], sphere[None], importance).max(dim=-1).values
    candidates = adversarial.attacked_losses("relu_output", params, x, importance, result.budget)[0]
    clean = loss_of(params, x, torch.zeros(3), importance)[0]
    analytic = torch.maximum(candidates.max(dim=-1).values, clean)
    hurt = searched > 1e-12
    ratio = analytic[hurt] / searched[hurt]
    assert ratio.min() > 0.97 and ratio.median() > 0.999
    assert result.attacked_loss.item() == pytest.approx(analytic.mean().item(), rel=1e-12)


def test_untied_models_are_refused():
    with pytest.raises(ValueError, match="tied"):
        adversarial.vulnerability("absolute_value", {"W1": torch.zeros(1, 2, 1), "W2": torch.zeros(1, 1, 2),
                                                     "b": torch.zeros(1, 2)}, torch.zeros(1, 3, 2), torch.ones(1, 2))


@pytest.mark.parametrize("model", ["linear", "relu_output", "relu_hidden"])
def test_shortcut_through_the_pre_activation_equals_running_the_model(model):
    generator = torch.Generator().manual_seed(7)
    params = {"W": torch.randn(1, 4, 2, generator=generator), "b": -0.1 * torch.rand(1, 4, generator=generator)}
    x = sparse_inputs(4, 9, 0.4, seed=8)
    importance = torch.ones(1, 4)
    budget = adversarial.attack_budget(x)
    losses = adversarial.attacked_losses(model, params, x, importance, budget, chunk=5)
    deltas = adversarial.candidate_perturbations(params["W"], budget)[0]
    for k, delta in enumerate(deltas):
        output, _ = forward(model, params, x + delta)
        np.testing.assert_allclose(losses[0, :, k], ((output - x).square()).mean(-1)[0], rtol=1e-10, atol=1e-15)
