"""Forward passes, initialisation and loss of the toy models on hand-computed examples."""

from __future__ import annotations

import dataclasses
import math

import pytest
import torch

from toy_superposition.config import load_config
from toy_superposition.models import (
    forward,
    init_parameters,
    init_stds,
    loss_per_instance,
    parameter_shapes,
    reference_std,
    target_of,
    xavier_normal_std,
)

from .helpers import plan_seeds

TIED = ["linear", "relu_output", "relu_output_dropout", "relu_hidden"]


def t(values) -> torch.Tensor:
    return torch.tensor(values, dtype=torch.float64)


def antipodal(b=(0.0, 0.0)) -> dict[str, torch.Tensor]:
    """One instance, n = 2, m = 1, W = [[1], [-1]]."""
    return {"W": t([[[1.0], [-1.0]]]), "b": t([list(b)])}


@pytest.fixture(scope="module")
def base_spec():
    return load_config().experiment("intro-5-in-2")


def spec_with(base, **changes):
    return dataclasses.replace(base, **changes)


# --------------------------------------------------------------------------- forward


def test_linear_antipodal():
    out, hidden = forward("linear", antipodal(), t([[[1.0, 0.0]]]))
    torch.testing.assert_close(out, t([[[1.0, -1.0]]]))
    torch.testing.assert_close(hidden, t([[[1.0]]]))


def test_relu_output_antipodal():
    out, hidden = forward("relu_output", antipodal(), t([[[1.0, 0.0]]]))
    torch.testing.assert_close(out, t([[[1.0, 0.0]]]))
    torch.testing.assert_close(hidden, t([[[1.0]]]))
    # the second feature alone: h = -1, Wᵀh = [-1, 1]
    out, _ = forward("relu_output", antipodal(), t([[[0.0, 1.0]]]))
    torch.testing.assert_close(out, t([[[0.0, 1.0]]]))


def test_bias_is_added_before_the_relu():
    params = antipodal(b=(0.5, -2.0))
    x = t([[[1.0, 0.0]]])
    torch.testing.assert_close(forward("linear", params, x)[0], t([[[1.5, -3.0]]]))
    torch.testing.assert_close(forward("relu_output", params, x)[0], t([[[1.5, 0.0]]]))
    params = antipodal(b=(-2.0, 3.0))
    torch.testing.assert_close(forward("relu_output", params, x)[0], t([[[0.0, 2.0]]]))


def test_two_hidden_dimensions_by_hand():
    # W rows (1,0), (0,1), (1,1); x = (1, 2, 3):  h = (1+3, 2+3) = (4, 5);  Wᵀh → (4, 5, 9)
    params = {"W": t([[[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]]), "b": t([[0.0, 0.0, -10.0]])}
    x = t([[[1.0, 2.0, 3.0]]])
    out, hidden = forward("linear", params, x)
    torch.testing.assert_close(hidden, t([[[4.0, 5.0]]]))
    torch.testing.assert_close(out, t([[[4.0, 5.0, -1.0]]]))
    torch.testing.assert_close(forward("relu_output", params, x)[0], t([[[4.0, 5.0, 0.0]]]))


def test_relu_hidden_zeroes_negative_pre_activation():
    params = antipodal(b=(0.25, 0.5))
    # x = (0, 1): pre-activation -1 → h = 0 → output is ReLU(b)
    out, hidden = forward("relu_hidden", params, t([[[0.0, 1.0]]]))
    torch.testing.assert_close(hidden, t([[[0.0]]]))
    torch.testing.assert_close(out, t([[[0.25, 0.5]]]))
    # the relu_output model lets the negative hidden value through: Wᵀ(-1) + b = (-0.75, 1.5)
    torch.testing.assert_close(forward("relu_output", params, t([[[0.0, 1.0]]]))[0], t([[[0.0, 1.5]]]))
    # x = (1, 0): positive pre-activation passes: (1, -1) + b → ReLU → (1.25, 0)
    out, hidden = forward("relu_hidden", params, t([[[1.0, 0.0]]]))
    torch.testing.assert_close(hidden, t([[[1.0]]]))
    torch.testing.assert_close(out, t([[[1.25, 0.0]]]))


def test_absolute_value_model_computes_abs():
    # n = 1, m = 2: h = ReLU((x, -x)), y = ReLU(h₁ + h₂ + b) = |x| for b = 0
    params = {"W1": t([[[1.0, -1.0]]]), "W2": t([[[1.0], [1.0]]]), "b": t([[0.0]])}
    x = t([[[-0.5], [0.3], [0.0]]])
    out, hidden = forward("absolute_value", params, x)
    torch.testing.assert_close(hidden, t([[[0.0, 0.5], [0.3, 0.0], [0.0, 0.0]]]))
    torch.testing.assert_close(out, t([[[0.5], [0.3], [0.0]]]))
    torch.testing.assert_close(out, target_of("absolute_value", x))
    params["b"] = t([[-0.4]])
    torch.testing.assert_close(forward("absolute_value", params, x)[0], t([[[0.1], [0.0], [0.0]]]))


def test_absolute_value_decoder_is_untied():
    # W2 ≠ W1ᵀ: n = 2, m = 1, W1 = [[1], [0]], W2 = [[2, 3]]: x = (1, 5) → h = 1 → y = (2, 3)
    params = {"W1": t([[[1.0], [0.0]]]), "W2": t([[[2.0, 3.0]]]), "b": t([[0.0, 0.0]])}
    out, hidden = forward("absolute_value", params, t([[[1.0, 5.0]]]))
    torch.testing.assert_close(hidden, t([[[1.0]]]))
    torch.testing.assert_close(out, t([[[2.0, 3.0]]]))


def test_target_of():
    x = t([[[-1.0, 0.5]]])
    assert torch.equal(target_of("absolute_value", x), t([[[1.0, 0.5]]]))
    for model in TIED:
        assert target_of(model, x) is x


def test_instances_are_computed_independently():
    params = {"W": t([[[1.0], [-1.0]], [[2.0], [1.0]]]), "b": t([[0.0, 0.0], [0.0, -1.0]])}
    x = t([[[1.0, 0.0], [0.0, 1.0]], [[1.0, 0.0], [0.0, 1.0]]])
    out, hidden = forward("linear", params, x)
    # instance 1: W Wᵀ = [[4, 2], [2, 1]]
    torch.testing.assert_close(out[1], t([[4.0, 1.0], [2.0, 0.0]]))
    torch.testing.assert_close(hidden[1], t([[2.0], [1.0]]))
    torch.testing.assert_close(out[0], t([[1.0, -1.0], [-1.0, 1.0]]))
    for k in range(2):
        alone = forward("linear", {name: value[k : k + 1] for name, value in params.items()}, x[k : k + 1])[0]
        torch.testing.assert_close(out[k : k + 1], alone)


# --------------------------------------------------------------------------- dropout


def test_dropout_model_without_rate_is_relu_output():
    params = antipodal(b=(0.1, 0.2))
    x = t([[[1.0, 0.0], [0.3, 0.9]]])
    torch.testing.assert_close(forward("relu_output_dropout", params, x)[0], forward("relu_output", params, x)[0])


def test_dropout_rate_zero_is_relu_output():
    generator = torch.Generator().manual_seed(0)
    params = {"W": torch.randn(3, 6, 2, generator=generator, dtype=torch.float64), "b": torch.zeros(3, 6, dtype=torch.float64)}
    x = torch.rand(3, 64, 6, generator=generator, dtype=torch.float64)
    out, hidden = forward("relu_output_dropout", params, x, dropout=torch.zeros(3, dtype=torch.float64), generator=generator)
    expected, expected_hidden = forward("relu_output", params, x)
    torch.testing.assert_close(out, expected)
    torch.testing.assert_close(hidden, expected_hidden)


def test_dropout_is_inverted_and_unbiased():
    """With W, x, b ≥ 0 the output ReLU is inactive, so E[output] = Wᵀ E[used hidden] + b."""
    batch = 100_000
    rates = t([0.0, 0.25, 0.5])
    W = t([[[0.5, 1.0, 0.2, 0.7], [1.0, 0.1, 0.3, 0.4], [0.2, 0.6, 0.9, 0.1]]] * 3)  # (3, 3, 4)
    params = {"W": W, "b": t([[0.1, 0.2, 0.3]] * 3)}
    x = t([0.5, 0.8, 0.3]).expand(3, batch, 3).contiguous()
    deterministic, hidden = forward("relu_output", params, x[:, :1])
    out, _ = forward("relu_output_dropout", params, x, dropout=rates, generator=torch.Generator().manual_seed(1))
    h = hidden[:, 0, :]  # (3, 4)
    for k, rate in enumerate(rates.tolist()):
        mean = out[k].mean(dim=0)
        # Var(out_i) = Σ_j (W_ij h_j)² · p / (1 − p)
        variance = ((W[k] * h[k]) ** 2).sum(dim=1) * rate / (1 - rate)
        bound = 5 * (variance / batch).sqrt() + 1e-9
        assert bool(((mean - deterministic[k, 0]).abs() <= bound).all()), (rate, mean, deterministic[k, 0])
        if rate > 0:  # the outputs really vary from mask to mask
            assert float(out[k].std(dim=0).min()) > 0.01


def test_dropout_keeps_units_scaled_by_inverse_keep_probability():
    # m = 1: output − b is either 0 (unit dropped) or Wᵀh / (1 − p) (kept)
    batch, rate = 40_000, 0.3
    params = {"W": t([[[1.0], [2.0]]]), "b": t([[0.0, 0.0]])}
    x = t([1.0, 0.5]).expand(1, batch, 2)  # h = 1 + 1 = 2
    out, hidden = forward("relu_output_dropout", params, x, dropout=t([rate]), generator=torch.Generator().manual_seed(2))
    assert bool((hidden == 2.0).all())  # the returned hidden vector is the deterministic one
    kept_value = t([2.0, 4.0]) / (1 - rate)
    kept = (out[0] == 0).all(dim=1).logical_not()
    torch.testing.assert_close(out[0][kept], kept_value.expand(int(kept.sum()), 2))
    assert bool((out[0][~kept] == 0).all())
    dropped = 1 - float(kept.double().mean())
    assert abs(dropped - rate) < 5 * math.sqrt(rate * (1 - rate) / batch)


# --------------------------------------------------------------------------- parameters


def test_parameter_shapes():
    assert parameter_shapes("relu_output", 3, 5, 2) == {"W": (3, 5, 2), "b": (3, 5)}
    assert parameter_shapes("linear", 1, 20, 5) == {"W": (1, 20, 5), "b": (1, 20)}
    assert parameter_shapes("absolute_value", 4, 6, 3) == {"W1": (4, 6, 3), "W2": (4, 3, 6), "b": (4, 6)}


def test_xavier_std_formula():
    assert xavier_normal_std(5, 2) == pytest.approx(math.sqrt(2 / 7))
    assert xavier_normal_std(400, 30) == pytest.approx(math.sqrt(2 / 430))


def test_init_has_per_instance_xavier_std_and_zero_bias(base_spec):
    spec = spec_with(base_spec, features=400, hidden=100, restarts=3, grid={"feature_probability": (1.0,)})
    params = init_parameters(spec, plan_seeds(spec))
    assert set(params) == {"W", "b"}
    assert params["W"].shape == (3, 400, 100) and params["W"].dtype == torch.float32
    assert params["b"].shape == (3, 400) and bool((params["b"] == 0).all())
    expected = math.sqrt(2 / 500)
    for k in range(3):  # each instance alone has the per-instance scale (not one set by I)
        W = params["W"][k].double()
        assert float(W.std()) == pytest.approx(expected, rel=0.02)  # 40 000 draws: SE ≈ 0.35 %
        assert abs(float(W.mean())) < 5 * expected / math.sqrt(W.numel())
    assert not torch.equal(params["W"][0], params["W"][1])


def test_init_absolute_value_model(base_spec):
    spec = spec_with(base_spec, model="absolute_value", features=300, hidden=100, grid={"feature_probability": (1.0,)}, restarts=2)
    params = init_parameters(spec, plan_seeds(spec))
    assert {name: tuple(v.shape) for name, v in params.items()} == {"W1": (2, 300, 100), "W2": (2, 100, 300), "b": (2, 300)}
    expected = math.sqrt(2 / 400)
    for name in ("W1", "W2"):
        assert float(params[name].double().std()) == pytest.approx(expected, rel=0.02)
    assert bool((params["b"] == 0).all())
    assert not torch.equal(params["W1"][0], params["W2"][0].T)


def test_init_of_an_instance_does_not_depend_on_the_instance_count(base_spec):
    small = spec_with(base_spec, restarts=1, grid={"feature_probability": (1.0, 0.5, 0.1)})
    large = spec_with(base_spec, restarts=1, grid={"feature_probability": tuple(float(p) for p in torch.linspace(1.0, 0.1, 10))})
    assert small.n_instances == 3 and large.n_instances == 10
    W_small, W_large = init_parameters(small, plan_seeds(small))["W"], init_parameters(large, plan_seeds(large))["W"]
    assert torch.equal(W_small, W_large[:3])
    # instances differ from each other
    assert len({W_large[k].sum().item() for k in range(10)}) == 10


def test_init_is_deterministic_and_depends_on_the_experiment(base_spec):
    a = init_parameters(base_spec, plan_seeds(base_spec))
    b = init_parameters(base_spec, plan_seeds(base_spec))
    for name in a:
        assert torch.equal(a[name], b[name])
    other = load_config().experiment("basic-20-in-5-relu")
    other = spec_with(other, features=base_spec.features, hidden=base_spec.hidden)
    assert not torch.equal(init_parameters(other, plan_seeds(other))["W"][0], a["W"][0])


def with_init(spec, init, **changes):
    return spec_with(spec, training=dataclasses.replace(spec.training, init=init), **changes)


@pytest.mark.parametrize("shape", [(30, 400, 30), (6250, 2, 1), (7, 10, 5), (3, 5, 20)])
def test_reference_std_is_xavier_normal_of_the_joint_tensor(shape):
    """The notebook's xavier_normal_ on the (I, a, b) tensor: torch's own fans, gain 1."""
    fan_in, fan_out = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
    assert reference_std(shape) == pytest.approx(math.sqrt(2.0 / (fan_in + fan_out)), rel=1e-12)
    instances, a, b = shape
    assert reference_std(shape) == pytest.approx(math.sqrt(2.0 / (a * b + instances * b)), rel=1e-12)


def test_reference_std_by_hand():
    # n=400, m=30, 30 instances (uniform-400-in-30): sqrt(2 / (12000 + 900)), 5.5x below per-instance
    assert reference_std((30, 400, 30)) == pytest.approx(0.012451, abs=1e-6)
    assert xavier_normal_std(400, 30) / reference_std((30, 400, 30)) == pytest.approx(5.477, abs=1e-3)


def test_init_stds_for_each_setting(base_spec):
    spec = spec_with(base_spec, features=400, hidden=30, restarts=30, grid={"feature_probability": (1.0,)})
    assert init_stds(spec) == {"W": pytest.approx(math.sqrt(2 / 430))}  # the default: per_instance
    assert init_stds(with_init(spec, "reference")) == {"W": pytest.approx(math.sqrt(2 / (400 * 30 + 30 * 30)))}
    assert init_stds(with_init(spec, 0.05)) == {"W": 0.05}
    # the reference scale uses the experiment's own instance count unless told another
    assert init_stds(with_init(spec, "reference"), n_instances=1) == {"W": pytest.approx(math.sqrt(2 / (12000 + 30)))}
    absval = with_init(spec, "reference", model="absolute_value")
    assert init_stds(absval) == {"W1": pytest.approx(math.sqrt(2 / (400 * 30 + 30 * 30))),
                                 "W2": pytest.approx(math.sqrt(2 / (30 * 400 + 30 * 400)))}


@pytest.mark.parametrize("init", ["reference", 0.02])
def test_init_draws_the_std_it_promises(base_spec, init):
    spec = with_init(base_spec, init, features=400, hidden=100, restarts=4, grid={"feature_probability": (1.0,)})
    expected = math.sqrt(2 / (400 * 100 + 4 * 100)) if init == "reference" else init
    params = init_parameters(spec, plan_seeds(spec))
    for k in range(4):
        assert float(params["W"][k].double().std()) == pytest.approx(expected, rel=0.02)  # 40 000 draws
    assert bool((params["b"] == 0).all())


@pytest.mark.parametrize("init", ["reference", 0.3])
def test_every_init_is_the_same_per_instance_draw_scaled(base_spec, init):
    """Instances stay independent: instance k's weights are its own generator's draw, only the
    scale differs between settings (so the reference scale does not mix instances)."""
    spec = spec_with(base_spec, restarts=3, grid={"feature_probability": (1.0, 0.5)})
    other = with_init(spec, init)
    base, scaled = init_parameters(spec, plan_seeds(spec))["W"], init_parameters(other, plan_seeds(other))["W"]
    ratio = init_stds(other)["W"] / init_stds(spec)["W"]
    torch.testing.assert_close(scaled, base * ratio, rtol=1e-6, atol=0)
    # a reference-initialised instance is the same direction in a larger experiment, at its scale
    bigger = with_init(spec, init, restarts=5)
    W_big = init_parameters(bigger, plan_seeds(bigger))["W"]
    first = plan_seeds(bigger).index(plan_seeds(other)[0])
    scale = init_stds(bigger)["W"] / init_stds(other)["W"]
    torch.testing.assert_close(W_big[first], scaled[0] * scale, rtol=1e-6, atol=0)


def test_init_with_the_config_grid(base_spec):
    params = init_parameters(base_spec, plan_seeds(base_spec))  # intro-5-in-2: 10 probabilities × 4 restarts
    assert params["W"].shape == (40, 5, 2)
    assert params["b"].shape == (40, 5)


# --------------------------------------------------------------------------- loss


def test_loss_per_instance_by_hand():
    output = t([[[1.0, 2.0], [0.0, 0.0]], [[0.0, 0.0], [0.0, 0.0]]])
    target = t([[[0.0, 2.0], [1.0, 1.0]], [[2.0, 0.0], [0.0, 0.0]]])
    importance = t([[1.0, 0.5], [0.1, 1.0]])
    # instance 0: (1·1 + 0.5·0 + 1·1 + 0.5·1) / (B n = 4) = 2.5 / 4
    # instance 1: 0.1 · 4 / 4
    torch.testing.assert_close(loss_per_instance(output, target, importance), t([0.625, 0.1]))


def test_loss_is_zero_for_perfect_reconstruction_and_weights_by_importance():
    x = torch.rand(2, 8, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(3))
    importance = t([[1.0, 1.0, 1.0], [1.0, 0.0, 0.0]])
    assert torch.equal(loss_per_instance(x, x, importance), t([0.0, 0.0]))
    shifted = x.clone()
    shifted[:, :, 1:] += 1.0  # error only on the features instance 1 gives no importance
    torch.testing.assert_close(loss_per_instance(shifted, x, importance), t([2 / 3, 0.0]))
