"""The hand-written step against autograd and torch.optim.AdamW; compiled against eager; training sanity.

Tolerances:

* gradients: float64, ``rtol=1e-9, atol=1e-12`` against ``torch.autograd`` through ``models.forward``;
* AdamW and SGD: float32 against ``torch.optim.AdamW`` / ``torch.optim.SGD`` over 5 steps,
  ``rtol=1e-6, atol=1e-7`` (a whole SGD training run against autograd: ``rtol=1e-5, atol=1e-6``);
* compiled step: float32 against the same graph run eagerly over 5 steps, ``rtol=1e-4, atol=1e-6``
  (Inductor reorders float sums and fuses multiply-adds, so bits differ).
"""

from __future__ import annotations

import dataclasses

import pytest
import torch

from toy_superposition.config import MODEL_KINDS, ExperimentSpec, TrainingConfig, derive_seed, with_training
from toy_superposition.distributions import FeatureDistribution, distribution_for
from toy_superposition.models import (
    BIAS_FREE,
    OUTPUT_ACTIVATIONS,
    activate,
    adversarial_input,
    forward,
    init_parameters,
    loss_per_instance,
    target_of,
)
from toy_superposition.training import compiled
from toy_superposition.training.compiled import compiled_step
from toy_superposition.training.step import (
    AdamWState,
    _output_backward,
    adamw_scalars,
    adamw_update,
    adamw_update_param,
    attack_perturbation,
    forward_backward,
    loss_and_grads,
    sample_attacked_feature,
    sample_batch,
    sample_dropout_scale,
    sgd_update,
)
from toy_superposition.training.trainer import TrainingDiverged

from ..helpers import plan_seeds, train_spec

N_INSTANCES, BATCH, FEATURES, HIDDEN = 3, 64, 7, 3


def make_spec(model: str = "relu_output", steps: int = 20, adversarial: bool = False, **training) -> ExperimentSpec:
    grid = {"feature_probability": (0.5, 0.1, 0.9)}
    if model == "relu_output_dropout":
        grid["dropout"] = (0.0, 0.25)
    if adversarial:
        grid["adversarial_fraction"] = (0.0, 0.4)
    return ExperimentSpec(
        name=f"test-{model}",
        model=model,
        features=FEATURES,
        hidden=HIDDEN,
        grid=grid,
        training=TrainingConfig(steps=steps, batch_size=BATCH, log_every=10, eval_batches=2, compile=False, **training),
        importance_decay=0.8,
    )


def float64_problem(model: str, seed: int = 0):
    """Random float64 parameters (non-zero bias), a batch x (I, B, n) and importances."""
    generator = torch.Generator().manual_seed(seed)
    params = {
        name: torch.randn(shape, generator=generator, dtype=torch.float64) * 0.5
        for name, shape in {
            "W": (N_INSTANCES, FEATURES, HIDDEN),
            "W1": (N_INSTANCES, FEATURES, HIDDEN),
            "W2": (N_INSTANCES, HIDDEN, FEATURES),
            "b": (N_INSTANCES, FEATURES),
            "b_hidden": (N_INSTANCES, HIDDEN),
        }.items()
        if ((name in ("W1", "W2")) == (model == "absolute_value") or name == "b")
        and (name != "b_hidden" or model == "relu_hidden_bias")
    }
    if model in BIAS_FREE:
        params["b"].zero_()  # the bias-free model's b is held at 0
    probability = torch.full((N_INSTANCES, FEATURES), 0.6, dtype=torch.float64)
    importance = torch.rand((N_INSTANCES, FEATURES), generator=generator, dtype=torch.float64) + 0.1
    dist = FeatureDistribution(probability, importance, signed=model == "absolute_value")
    x = dist.sample(BATCH, generator)  # (I, B, n)
    return params, x, importance


@pytest.mark.parametrize("model", MODEL_KINDS)
@pytest.mark.parametrize("with_l1", [False, True], ids=["no-l1", "l1"])
def test_gradients_match_autograd(model: str, with_l1: bool) -> None:
    params, x, importance = float64_problem(model)
    dropout = torch.tensor([0.0, 0.3, 0.6], dtype=torch.float64) if model == "relu_output_dropout" else None
    l1 = torch.tensor([0.05, 0.0, 0.2], dtype=torch.float64) if with_l1 else None

    leaves = {name: value.clone().requires_grad_(True) for name, value in params.items()}
    output, hidden = forward(model, leaves, x, dropout, generator=torch.Generator().manual_seed(7))
    expected_loss = loss_per_instance(output, target_of(model, x), importance)
    if l1 is not None:
        expected_loss = expected_loss + l1 * hidden.abs().sum(dim=2).mean(dim=1)
    expected_loss.sum().backward()

    loss, grads = loss_and_grads(
        model, params, x, importance, dropout, l1, generator=torch.Generator().manual_seed(7)
    )
    torch.testing.assert_close(loss, expected_loss.detach(), rtol=1e-9, atol=1e-12)
    assert grads.keys() == params.keys()
    for name, grad in grads.items():
        assert grad.shape == params[name].shape
        expected = torch.zeros_like(grad) if (model in BIAS_FREE and name == "b") else leaves[name].grad
        torch.testing.assert_close(grad, expected, rtol=1e-9, atol=1e-12, msg=f"{model}: d{name}")


@pytest.mark.parametrize("activation", ["gelu", "silu", "tanh"])
def test_output_activation_backward_is_autograds_bit_for_bit(activation: str) -> None:
    """The smooth activations' f' comes from the kernels autograd runs: identical bits, float32 and float64."""
    for dtype in (torch.float32, torch.float64):
        generator = torch.Generator().manual_seed(3)
        z = (torch.randn(4, 7, 33, generator=generator, dtype=dtype) * 3).requires_grad_(True)
        upstream = torch.randn(4, 7, 33, generator=generator, dtype=dtype)
        out = activate(activation, z)
        (expected,) = torch.autograd.grad(out, z, upstream)
        assert torch.equal(_output_backward(activation, upstream, z.detach(), out.detach()), expected)


def adversarial_problem(seed: int = 1):
    params, x, importance = float64_problem("relu_output", seed)
    fraction = torch.tensor([0.0, 0.3, 0.9], dtype=torch.float64)
    feature = torch.randint(FEATURES, (N_INSTANCES, BATCH), generator=torch.Generator().manual_seed(seed))
    return params, x, importance, fraction, feature


def test_attack_perturbation_is_the_reference_attack() -> None:
    """Feature-major δ equals models.adversarial_input's; δ_b has norm λ along G_{k_b}."""
    params, x, _, fraction, feature = adversarial_problem()
    W = params["W"]
    reference = adversarial_input(W, x, fraction, feature) - x  # (I, B, n)
    delta = attack_perturbation(W, x.transpose(1, 2), fraction, feature).transpose(1, 2)
    torch.testing.assert_close(delta, reference, rtol=1e-12, atol=1e-14)
    budget = fraction * x.norm(dim=2).mean(dim=1)
    torch.testing.assert_close(delta.norm(dim=2), budget[:, None].expand(-1, BATCH), rtol=1e-12, atol=1e-14)
    gram = W @ W.transpose(1, 2)
    direction = gram[1][feature[1]]  # (B, n): G_{k_b} of instance 1
    cosine = (delta[1] * direction).sum(1) / (delta[1].norm(dim=1) * direction.norm(dim=1))
    torch.testing.assert_close(cosine, torch.ones(BATCH, dtype=torch.float64))
    # an unlearned feature (G_k = 0) is not attacked
    W0 = W.clone()
    W0[:, 2] = 0.0
    zero = attack_perturbation(W0, x.transpose(1, 2), fraction, torch.full_like(feature, 2))
    assert torch.equal(zero, torch.zeros_like(zero))


def test_adversarial_gradients_match_autograd() -> None:
    """Danskin: the attack is a constant; autograd through the reference forward with δ detached."""
    params, x, importance, fraction, feature = adversarial_problem()
    leaves = {name: value.clone().requires_grad_(True) for name, value in params.items()}
    attacked = adversarial_input(leaves["W"], x, fraction, feature)
    assert not attacked.requires_grad  # δ is detached, and x is data
    output, _ = forward("relu_output", leaves, attacked)
    expected = loss_per_instance(output, x, importance)  # the target is the clean x
    expected.sum().backward()
    loss, grads = loss_and_grads("relu_output", params, x, importance, adversarial_fraction=fraction,
                                 attacked_feature=feature)
    torch.testing.assert_close(loss, expected.detach(), rtol=1e-9, atol=1e-12)
    for name, grad in grads.items():
        torch.testing.assert_close(grad, leaves[name].grad, rtol=1e-9, atol=1e-12, msg=f"d{name}")
    clean_loss, _ = loss_and_grads("relu_output", params, x, importance)
    assert clean_loss[0] == loss[0] and (loss[1:] > clean_loss[1:]).all()  # fraction 0: no attack


def test_attacked_features_are_uniform_and_keyed() -> None:
    torch.manual_seed(0)
    like = torch.zeros(2, 5)
    for key in (None, torch.tensor(77)):
        k = sample_attacked_feature(2, 5, 40_000, like, key)
        assert k.shape == (2, 40_000) and k.dtype == torch.int64 and k.min() == 0 and k.max() == 4
        counts = torch.bincount(k.flatten(), minlength=5) / k.numel()
        assert (counts - 0.2).abs().max() < 0.01


def test_feature_major_core_matches_public_function() -> None:
    params, x, importance = float64_problem("relu_hidden")
    expected = loss_and_grads("relu_hidden", params, x, importance)
    got = forward_backward("relu_hidden", params, x.transpose(1, 2).contiguous(), importance)
    torch.testing.assert_close(got[0], expected[0])
    for name in params:
        torch.testing.assert_close(got[1][name], expected[1][name])


def test_adamw_matches_torch_optimizer() -> None:
    torch.manual_seed(0)
    params = {"W": torch.randn(3, 5, 2), "b": torch.randn(3, 5)}
    ours = {name: value.clone() for name, value in params.items()}
    tensor_scalars = {name: value.clone() for name, value in params.items()}  # the compiled step's form
    theirs = [torch.nn.Parameter(params["W"].clone()), torch.nn.Parameter(params["b"].clone())]
    optimizer = torch.optim.AdamW(theirs, lr=1e-2, weight_decay=0.01)
    state = AdamWState.zeros_like(ours)
    moments = AdamWState.zeros_like(tensor_scalars)
    for step in range(1, 6):
        grads = {"W": torch.randn(3, 5, 2), "b": torch.randn(3, 5)}
        theirs[0].grad, theirs[1].grad = grads["W"].clone(), grads["b"].clone()
        optimizer.step()
        adamw_update(ours, grads, state, 1e-2, 0.01)
        scalars = [torch.tensor(v, dtype=torch.float64) for v in (1e-2, *adamw_scalars(step, 1e-2))]
        for name, param in tensor_scalars.items():
            adamw_update_param(param, grads[name], moments.exp_avg[name], moments.exp_avg_sq[name], *scalars, 0.01)
    assert state.step == 5
    for name, reference in zip(("W", "b"), theirs):
        torch.testing.assert_close(ours[name], reference.detach(), rtol=1e-6, atol=1e-7)
        torch.testing.assert_close(tensor_scalars[name], reference.detach(), rtol=1e-6, atol=1e-7)


def test_sgd_matches_torch_optimizer() -> None:
    torch.manual_seed(0)
    params = {"W": torch.randn(3, 5, 2), "b": torch.randn(3, 5)}
    ours = {name: value.clone() for name, value in params.items()}
    theirs = [torch.nn.Parameter(params["W"].clone()), torch.nn.Parameter(params["b"].clone())]
    optimizer = torch.optim.SGD(theirs, lr=0.05, weight_decay=0.01)
    for _ in range(5):
        grads = {"W": torch.randn(3, 5, 2), "b": torch.randn(3, 5)}
        theirs[0].grad, theirs[1].grad = grads["W"].clone(), grads["b"].clone()
        optimizer.step()
        sgd_update(ours, grads, 0.05, 0.01)
    for name, reference in zip(("W", "b"), theirs):
        torch.testing.assert_close(ours[name], reference.detach(), rtol=1e-6, atol=1e-7)


def test_sgd_is_rotation_equivariant_and_adamw_is_not() -> None:
    """The reason SGD is the control: rotating W's hidden space and its gradient commutes with
    an SGD step, not with an AdamW step (its normaliser is per coordinate)."""
    torch.manual_seed(1)
    W, grad = torch.randn(1, 5, 2, dtype=torch.float64), torch.randn(1, 5, 2, dtype=torch.float64)
    angle = torch.tensor(0.3, dtype=torch.float64)
    R = torch.stack([torch.stack([angle.cos(), -angle.sin()]), torch.stack([angle.sin(), angle.cos()])])

    def stepped(optimizer: str, rotate: bool) -> torch.Tensor:
        w, g = (W @ R, grad @ R) if rotate else (W.clone(), grad)
        params = {"W": w}
        if optimizer == "sgd":
            sgd_update(params, {"W": g}, 0.1, 0.01)
        else:
            adamw_update(params, {"W": g}, AdamWState.zeros_like(params), 0.1, 0.01)
        return params["W"]

    torch.testing.assert_close(stepped("sgd", rotate=True), stepped("sgd", rotate=False) @ R)
    assert not torch.allclose(stepped("adamw", rotate=True), stepped("adamw", rotate=False) @ R, atol=1e-3)


@pytest.mark.parametrize("key", [None, 12345], ids=["torch.rand", "counter"])
def test_sampled_batch_has_the_configured_distribution(key: int | None) -> None:
    torch.manual_seed(0)
    probability = torch.tensor([[0.05] * 4 + [0.5] * 4])  # (1, 8)
    dist = FeatureDistribution(probability, torch.ones_like(probability))
    key_tensor = None if key is None else torch.tensor(key)
    x = sample_batch(dist, 20_000, key_tensor)  # (1, n, B)
    assert x.shape == (1, 8, 20_000)
    active = x > 0
    torch.testing.assert_close(active.float().mean(dim=2), probability, atol=0.01, rtol=0.05)
    values = x[active]
    assert abs(values.mean().item() - 0.5) < 0.01 and abs(values.var().item() - 1 / 12) < 0.005
    assert values.max() < 1.0


def test_dropout_scale_keeps_the_expected_fraction() -> None:
    torch.manual_seed(0)
    dropout = torch.tensor([0.0, 0.25, 0.75])
    scale = sample_dropout_scale(dropout, (3, 4, 50_000), key=torch.tensor(99))
    kept = (scale > 0).float().mean(dim=(1, 2))
    torch.testing.assert_close(kept, 1 - dropout, atol=0.01, rtol=0)
    torch.testing.assert_close(scale.mean(dim=(1, 2)), torch.ones(3), atol=0.02, rtol=0)  # inverted dropout


def run_steps(spec: ExperimentSpec, compile: bool, steps: int = 5, device: str = "cpu"):
    params = {name: value.to(device) for name, value in init_parameters(spec, plan_seeds(spec)).items()}
    state = AdamWState.zeros_like(params)
    dist = distribution_for(spec).to(device)
    dropout = torch.tensor([s.dropout for s in spec.instances()]) if spec.model == "relu_output_dropout" else None
    dropout = None if dropout is None else dropout.to(device)
    l1 = torch.tensor([0.01, 0.0, 0.05, 0.0, 0.1, 0.0], device=device)[: spec.n_instances]
    adversarial = None
    if "adversarial_fraction" in spec.grid:
        adversarial = torch.tensor([s.adversarial_fraction for s in spec.instances()], device=device)
    step_fn = compiled_step(spec, params, state, dist, dropout, l1, compile=compile, adversarial_fraction=adversarial)
    torch.manual_seed(1234)
    losses = torch.stack([step_fn(1e-2) for _ in range(steps)])
    return losses, params, state


def test_compiled_step_matches_eager_graph(monkeypatch: pytest.MonkeyPatch) -> None:
    """One small compile: relu_output_dropout with L1, in two groups of instances, covers the most code."""
    spec = make_spec("relu_output_dropout")
    monkeypatch.setattr(compiled, "CACHE_BYTES", 3 * 4 * BATCH * 3 * (FEATURES + HIDDEN))
    monkeypatch.setattr(compiled, "SMALL_INSTANCE_BYTES", 0)
    assert len(compiled.instance_groups(spec.n_instances, FEATURES, HIDDEN, BATCH)) == 2
    eager_losses, eager_params, eager_state = run_steps(spec, compile=False)
    compiled_losses, compiled_params, compiled_state = run_steps(spec, compile=True)
    assert compiled_state.step == eager_state.step == 5
    torch.testing.assert_close(compiled_losses, eager_losses, rtol=1e-4, atol=1e-6)
    for name in eager_params:
        torch.testing.assert_close(compiled_params[name], eager_params[name], rtol=1e-4, atol=1e-6)
        torch.testing.assert_close(compiled_state.exp_avg_sq[name], eager_state.exp_avg_sq[name], rtol=1e-4, atol=1e-9)


def test_compiled_step_matches_eager_graph_for_the_new_options() -> None:
    """One compile covers the smooth output activations' backward and the adversarial term."""
    spec = dataclasses.replace(make_spec("relu_output", adversarial=True), model="gelu_output")
    eager_losses, eager_params, _ = run_steps(spec, compile=False)
    compiled_losses, compiled_params, _ = run_steps(spec, compile=True)
    torch.testing.assert_close(compiled_losses, eager_losses, rtol=1e-4, atol=1e-6)
    for name in eager_params:
        torch.testing.assert_close(compiled_params[name], eager_params[name], rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("model", ["relu_output_dropout", "absolute_value"])
def test_instance_groups_do_not_change_the_step(model: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The fused step runs cache-sized groups of instances; one instance per group gives the same result."""
    spec = make_spec(model)
    whole_losses, whole_params, _ = run_steps(spec, compile=False, steps=3)
    monkeypatch.setattr(compiled, "CACHE_BYTES", 1)
    monkeypatch.setattr(compiled, "SMALL_INSTANCE_BYTES", 0)
    assert len(compiled.instance_groups(spec.n_instances, FEATURES, HIDDEN, BATCH)) == spec.n_instances
    grouped_losses, grouped_params, _ = run_steps(spec, compile=False, steps=3)
    torch.testing.assert_close(grouped_losses, whole_losses, rtol=1e-5, atol=1e-7)
    for name in whole_params:
        torch.testing.assert_close(grouped_params[name], whole_params[name], rtol=1e-5, atol=1e-7)


def test_instance_groups_are_cache_sized_for_large_instances_and_one_for_tiny_ones() -> None:
    batch = 1024
    per_group = compiled.CACHE_BYTES // (4 * batch * 3 * (400 + 30))  # n=400, m=30 instances that fit
    assert 1 < per_group < 10
    groups = compiled.instance_groups(10, 400, 30, batch)
    assert [g.stop - g.start for g in groups] == [per_group] * (10 // per_group) + [10 % per_group] * (10 % per_group > 0)
    assert compiled.instance_groups(3500, 5, 2, batch) == [slice(0, 3500)]


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_compiled_step_matches_eager_graph_on_cuda() -> None:
    spec = make_spec("relu_output_dropout")
    eager_losses, eager_params, _ = run_steps(spec, compile=False, device="cuda")
    compiled_losses, compiled_params, _ = run_steps(spec, compile=True, device="cuda")
    torch.testing.assert_close(compiled_losses, eager_losses, rtol=1e-4, atol=1e-6)
    for name in eager_params:
        torch.testing.assert_close(compiled_params[name], eager_params[name], rtol=1e-4, atol=1e-6)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.parametrize("model", MODEL_KINDS)
def test_gradients_match_autograd_on_cuda(model: str) -> None:
    params, x, importance = float64_problem(model)
    params = {name: value.cuda() for name, value in params.items()}
    expected = loss_and_grads(model, {k: v.cpu() for k, v in params.items()}, x, importance)
    got = loss_and_grads(model, params, x.cuda(), importance.cuda())
    torch.testing.assert_close(got[0].cpu(), expected[0])
    for name in params:
        torch.testing.assert_close(got[1][name].cpu(), expected[1][name])


@pytest.mark.slow
@pytest.mark.parametrize("model", [m for m in MODEL_KINDS if m != "relu_output_dropout"])
def test_compiled_step_matches_eager_graph_all_models(model: str) -> None:
    spec = make_spec(model)
    eager_losses, eager_params, _ = run_steps(spec, compile=False)
    compiled_losses, compiled_params, _ = run_steps(spec, compile=True)
    torch.testing.assert_close(compiled_losses, eager_losses, rtol=1e-4, atol=1e-6)
    for name in eager_params:
        torch.testing.assert_close(compiled_params[name], eager_params[name], rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("model", MODEL_KINDS)
def test_short_training_run_reduces_the_loss(model: str) -> None:
    spec = make_spec(model, steps=300, learning_rate=1e-2)
    result = train_spec(spec)
    curve = result.loss_curve.groupby("step")["loss"].mean()
    assert curve.iloc[-1] < 0.8 * curve.iloc[0], curve
    assert torch.isfinite(result.params["b"]).all()


def test_sgd_training_takes_the_reference_steps() -> None:
    """optimizer: sgd trains eagerly, and its weights are those of autograd + torch.optim.SGD
    on the same batches (the trainer's sampler, replayed from its data seed)."""
    spec = with_training(make_spec("relu_output", steps=5, learning_rate=0.1), optimizer="sgd", compile="auto")
    result = train_spec(spec)
    params = {k: torch.nn.Parameter(v.clone()) for k, v in init_parameters(spec, plan_seeds(spec)).items()}
    optimizer = torch.optim.SGD(params.values(), lr=0.1, weight_decay=spec.training.weight_decay)
    dist = distribution_for(spec)
    torch.manual_seed(derive_seed(spec.seed, "data"))
    for _ in range(spec.training.steps):
        x = sample_batch(dist, spec.training.batch_size).transpose(1, 2)  # (I, B, n)
        output, _ = forward(spec.model, params, x)
        optimizer.zero_grad()
        loss_per_instance(output, x, dist.importance).sum().backward()
        optimizer.step()
    for name, reference in params.items():
        torch.testing.assert_close(result.params[name], reference.detach(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("model, adversarial", [("relu_output_bias_free", False), ("relu_hidden_bias", False),
                                                ("tanh_output", False), ("relu_output", True)])
def test_adamw_training_takes_the_reference_steps(model: str, adversarial: bool) -> None:
    """The eager trainer's AdamW run equals autograd + torch.optim.AdamW on the same batches (the
    trainer's sampler and attacked features, replayed from its data seed); the bias-free model's b
    is not a trained parameter there and stays 0 in both."""
    spec = make_spec(model, steps=5, adversarial=adversarial, learning_rate=0.05)
    result = train_spec(spec)
    params = {k: torch.nn.Parameter(v.clone()) for k, v in init_parameters(spec, plan_seeds(spec)).items()}
    trained = [p for name, p in params.items() if not (model in BIAS_FREE and name == "b")]
    optimizer = torch.optim.AdamW(trained, lr=0.05, weight_decay=spec.training.weight_decay)
    dist = distribution_for(spec)
    fraction = torch.tensor([s.adversarial_fraction for s in spec.instances()])
    torch.manual_seed(derive_seed(spec.seed, "data"))
    for _ in range(spec.training.steps):
        x = sample_batch(dist, spec.training.batch_size).transpose(1, 2)  # (I, B, n)
        attacked = x
        if adversarial:
            feature = sample_attacked_feature(spec.n_instances, spec.features, spec.training.batch_size, x)
            attacked = adversarial_input(params["W"], x, fraction, feature)
        output, _ = forward(spec.model, params, attacked)
        optimizer.zero_grad()
        loss_per_instance(output, x, dist.importance).sum().backward()
        optimizer.step()
    assert set(result.params) == set(params)
    for name, reference in params.items():
        torch.testing.assert_close(result.params[name], reference.detach(), rtol=1e-5, atol=1e-6, msg=name)
    if model in BIAS_FREE:
        assert torch.equal(result.params["b"], torch.zeros_like(result.params["b"]))


def test_output_activations_cover_every_model() -> None:
    assert set(OUTPUT_ACTIVATIONS) == set(MODEL_KINDS)


def test_training_is_deterministic() -> None:
    spec = make_spec("relu_output", steps=30)
    first, second = train_spec(spec), train_spec(spec)
    for name in first.params:
        assert torch.equal(first.params[name], second.params[name])


def test_divergence_raises() -> None:
    spec = make_spec("relu_output", steps=50, learning_rate=1e30)
    with pytest.raises(TrainingDiverged, match="NaN or inf"):
        train_spec(spec)


def test_compiled_training_snapshots_trained_weights_and_is_deterministic() -> None:
    spec = with_training(make_spec("relu_output", steps=20), compile=True, snapshot_steps=(0, 10))
    result = train_spec(spec)
    assert not torch.equal(result.snapshots[0]["W"], result.snapshots[10]["W"])
    assert not torch.equal(result.snapshots[10]["W"], result.params["W"])
    again = train_spec(spec)  # same graph, no recompile
    for name in result.params:
        assert torch.equal(result.params[name], again.params[name])


def test_correlated_batches_are_the_transposed_reference_samples() -> None:
    probability = torch.full((2, 6), 0.3)
    dist = FeatureDistribution(probability, torch.ones_like(probability), kind="anticorrelated", set_size=3)
    torch.manual_seed(5)
    expected = dist.sample(16)  # (I, B, n)
    torch.manual_seed(5)
    torch.testing.assert_close(sample_batch(dist, 16), expected.transpose(1, 2), rtol=0, atol=0)
