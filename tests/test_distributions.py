"""Statistics of the synthetic feature distributions (seeded, large batches).

Statistical checks allow 5 standard errors; the generators are seeded, so each check
is deterministic.
"""

from __future__ import annotations

import dataclasses
import math

import pytest
import torch

from toy_superposition.config import load_config
from toy_superposition.distributions import (
    FeatureDistribution,
    distribution_for,
    importance_vector,
    sample_features,
)

BATCH = 200_000


def generator(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def make(probability, kind="independent", set_size=1, signed=False) -> FeatureDistribution:
    probability = torch.as_tensor(probability, dtype=torch.float32)
    return FeatureDistribution(probability, torch.ones_like(probability), kind, set_size, signed)


def within(observed: float, expected: float, standard_error: float, sigmas: float = 5.0) -> bool:
    return abs(observed - expected) <= sigmas * standard_error


# --------------------------------------------------------------------------- independent


def test_independent_zero_fraction_per_instance_and_feature():
    p = torch.tensor([[1.0, 0.5, 0.1], [0.3, 0.9, 0.02]])
    x = sample_features(make(p), BATCH, generator(1))
    assert x.shape == (2, BATCH, 3)
    assert x.dtype == torch.float32
    active = (x != 0).double().mean(dim=1)  # (I, n)
    for k in range(2):
        for i in range(3):
            pk = float(p[k, i])
            se = math.sqrt(max(pk * (1 - pk), 1e-12) / BATCH)
            assert within(float(active[k, i]), pk, se), (k, i, float(active[k, i]), pk)
    # p = 1 means always active (a zero would need u == 0 exactly)
    assert float(active[0, 0]) > 1 - 1e-4


def test_independent_active_values_are_uniform_on_unit_interval():
    x = sample_features(make([[0.25, 0.8]]), BATCH, generator(2))
    for i in range(2):
        values = x[0, :, i]
        values = values[values != 0].double()
        count = values.numel()
        assert float(values.min()) >= 0.0
        assert float(values.max()) < 1.0
        assert within(float(values.mean()), 0.5, math.sqrt(1 / 12 / count))
        # Var of U[0,1) is 1/12; the sample variance's standard error is sqrt((μ4 - σ⁴)/N) = sqrt(1/180 / N)
        assert within(float(values.var()), 1 / 12, math.sqrt((1 / 80 - 1 / 144) / count))
        # evenly spread: each tenth of [0, 1) holds about 10 % of the values
        counts = torch.histc(values, bins=10, min=0.0, max=1.0) / count
        assert float((counts - 0.1).abs().max()) < 5 * math.sqrt(0.09 / count)


def test_independent_values_are_never_negative_and_zeros_are_exact():
    x = sample_features(make([[0.5] * 4] * 3), 1000, generator(3))
    assert bool((x >= 0).all())
    assert bool((x < 1).all())


def test_signed_active_values_are_uniform_on_symmetric_interval():
    p = torch.tensor([[0.4, 1.0], [0.05, 0.7]])
    x = sample_features(make(p, signed=True), BATCH, generator(4))
    for k in range(2):
        for i in range(2):
            column = x[k, :, i]
            pk = float(p[k, i])
            active = (column != 0).double().mean()
            assert within(float(active), pk, math.sqrt(max(pk * (1 - pk), 1e-12) / BATCH))
            values = column[column != 0].double()
            count = values.numel()
            assert float(values.min()) >= -1.0
            assert float(values.max()) < 1.0
            assert within(float(values.mean()), 0.0, math.sqrt(1 / 3 / count))
            # U[-1,1): σ² = 1/3, μ4 = 1/5
            assert within(float(values.var()), 1 / 3, math.sqrt((1 / 5 - 1 / 9) / count))
            # half negative
            assert within(float((values < 0).double().mean()), 0.5, math.sqrt(0.25 / count))


# --------------------------------------------------------------------------- correlated


def test_correlated_sets_are_all_on_or_all_off():
    p = torch.tensor([[0.3] * 6 + [0.6] * 3, [0.1] * 9])  # sets of 3 share their probability
    x = sample_features(make(p, "correlated", set_size=3), 50_000, generator(5))
    on = (x != 0).view(2, 50_000, 3, 3)
    all_on, all_off = on.all(dim=-1), (~on).all(dim=-1)
    assert bool((all_on | all_off).all())
    set_active = all_on.double().mean(dim=1)  # (I, K)
    expected = torch.tensor([[0.3, 0.3, 0.6], [0.1, 0.1, 0.1]], dtype=torch.float64)
    for k in range(2):
        for s in range(3):
            pk = float(expected[k, s])
            assert within(float(set_active[k, s]), pk, math.sqrt(pk * (1 - pk) / 50_000))
    # member values are independent uniforms on [0, 1)
    values = x[x != 0].double()
    assert float(values.min()) >= 0 and float(values.max()) < 1
    assert within(float(values.mean()), 0.5, math.sqrt(1 / 12 / values.numel()))


def test_correlated_different_sets_are_independent():
    x = sample_features(make([[0.5] * 8], "correlated", set_size=2), BATCH, generator(6))
    set_on = (x[0] != 0).view(BATCH, 4, 2)[..., 0].double()  # (B, K)
    correlation = torch.corrcoef(set_on.T)
    off_diagonal = correlation[~torch.eye(4, dtype=torch.bool)]
    assert float(off_diagonal.abs().max()) < 5 / math.sqrt(BATCH)
    # while members of a set are perfectly correlated
    members = (x[0, :, :2] != 0).double()
    assert float(torch.corrcoef(members.T)[0, 1]) == pytest.approx(1.0)
    # and their values are not: the two members of a set draw separate values
    both = (x[0, :, 0] != 0)
    value_correlation = torch.corrcoef(x[0, both, :2].double().T)[0, 1]
    assert abs(float(value_correlation)) < 5 / math.sqrt(int(both.sum()))


# --------------------------------------------------------------------------- anticorrelated


def test_anticorrelated_at_most_one_member_per_set():
    p = torch.tensor([[0.4] * 8, [0.9] * 4 + [0.2] * 4])
    x = sample_features(make(p, "anticorrelated", set_size=4), BATCH, generator(7))
    on = (x != 0).view(2, BATCH, 2, 4)
    per_set = on.sum(dim=-1)  # (I, B, K)
    assert int(per_set.max()) == 1
    set_active = (per_set == 1).double().mean(dim=1)  # (I, K)
    for k, expected in enumerate([[0.4, 0.4], [0.9, 0.2]]):
        for s, pk in enumerate(expected):
            assert within(float(set_active[k, s]), pk, math.sqrt(pk * (1 - pk) / BATCH))


def test_anticorrelated_member_is_chosen_uniformly_and_values_uniform():
    k = 4
    x = sample_features(make([[0.5] * 8], "anticorrelated", set_size=k), BATCH, generator(8))
    on = (x[0] != 0).view(BATCH, 2, k)
    active_sets = on.any(dim=-1)  # (B, K)
    chosen = on.double().sum(dim=0) / active_sets.double().sum(dim=0)[:, None]  # (K, k): P(member | set on)
    total = float(active_sets.double().sum(dim=0).min())
    assert float((chosen - 1 / k).abs().max()) < 5 * math.sqrt((1 / k) * (1 - 1 / k) / total)
    # the member choice does not bias the value
    values = x[0][x[0] != 0].double()
    assert float(values.min()) >= 0 and float(values.max()) < 1
    assert within(float(values.mean()), 0.5, math.sqrt(1 / 12 / values.numel()))
    for member in range(k):
        member_values = x[0, :, member][x[0, :, member] != 0].double()
        assert within(float(member_values.mean()), 0.5, math.sqrt(1 / 12 / member_values.numel()))
    # the two sets are independent
    correlation = torch.corrcoef(active_sets.double().T)[0, 1]
    assert abs(float(correlation)) < 5 / math.sqrt(BATCH)


def test_anticorrelated_with_probability_one_always_has_exactly_one_member():
    x = sample_features(make([[1.0] * 6], "anticorrelated", set_size=3), 10_000, generator(9))
    assert bool(((x[0] != 0).view(10_000, 2, 3).sum(dim=-1) == 1).all())


def test_unknown_kind_is_rejected():
    with pytest.raises(ValueError, match="unknown distribution kind"):
        sample_features(make([[0.5, 0.5]], "bogus", set_size=2), 4, generator())


# --------------------------------------------------------------------------- importance, specs


def test_importance_vector():
    torch.testing.assert_close(
        importance_vector(4, 0.7), torch.tensor([1.0, 0.7, 0.49, 0.343], dtype=torch.float64)
    )
    torch.testing.assert_close(importance_vector(3, 1.0), torch.ones(3, dtype=torch.float64))
    assert importance_vector(5, 0.9).dtype == torch.float64
    assert importance_vector(5, 0.9).shape == (5,)


def test_distribution_for_a_config_experiment():
    spec = load_config().experiment("intro-5-in-2")  # 10 probabilities × 4 restarts, n = 5, decay 0.9
    dist = distribution_for(spec)
    assert dist.probability.shape == dist.importance.shape == (40, 5)
    assert dist.probability.dtype == dist.importance.dtype == torch.float32
    assert dist.kind == "independent" and dist.set_size == 1 and dist.signed is False
    assert dist.n_instances == 40 and dist.n_features == 5
    expected_p = torch.tensor([s.feature_probability for s in spec.instances()], dtype=torch.float32)
    torch.testing.assert_close(dist.probability, expected_p[:, None].expand(40, 5))
    # restarts innermost: instances 0..3 share p = 1, the last four p = 0.05
    torch.testing.assert_close(dist.probability[:4], torch.ones(4, 5))
    torch.testing.assert_close(dist.probability[-4:], torch.full((4, 5), 0.05))
    torch.testing.assert_close(dist.importance, (0.9 ** torch.arange(5.0))[None].expand(40, 5))


def test_distribution_for_importance_grid_correlated_and_signed():
    spec = load_config().experiment("intro-5-in-2")
    spec = dataclasses.replace(
        spec, features=6, restarts=1, distribution="correlated", set_size=2,
        grid={"feature_probability": (0.5,), "importance_decay": (1.0, 0.5)},
    )
    dist = distribution_for(spec)
    assert dist.kind == "correlated" and dist.set_size == 2 and not dist.signed
    torch.testing.assert_close(dist.importance[0], torch.ones(6))
    torch.testing.assert_close(dist.importance[1], 0.5 ** torch.arange(6.0))
    torch.testing.assert_close(dist.probability, torch.full((2, 6), 0.5))

    absolute = dataclasses.replace(spec, model="absolute_value", distribution="independent", set_size=1)
    assert distribution_for(absolute).signed is True


def test_sampling_is_reproducible_with_the_same_seed():
    for dist in [
        make([[0.3, 0.7], [0.1, 1.0]]),
        make([[0.3, 0.7], [0.1, 1.0]], signed=True),
        make([[0.3] * 4], "correlated", set_size=2),
        make([[0.3] * 4], "anticorrelated", set_size=2),
    ]:
        a = dist.sample(512, generator(11))
        b = dist.sample(512, generator(11))
        c = dist.sample(512, generator(12))
        assert torch.equal(a, b)
        assert not torch.equal(a, c)


def test_sample_uses_global_rng_without_generator():
    dist = make([[0.5, 0.5]])
    torch.manual_seed(123)
    a = dist.sample(256)
    torch.manual_seed(123)
    b = dist.sample(256)
    assert torch.equal(a, b)
    torch.testing.assert_close(a, sample_features(dist, 256, torch.Generator().manual_seed(123)))


def test_to_device_keeps_the_description():
    dist = make([[0.2] * 4], "anticorrelated", set_size=2, signed=True)
    moved = dist.to("cpu")
    assert moved.kind == "anticorrelated" and moved.set_size == 2 and moved.signed is True
    assert torch.equal(moved.probability, dist.probability)
