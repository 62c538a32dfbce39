"""Superposition metrics on hand-built weights whose values are known in closed form.

For unit feature vectors forming a tight frame of n vectors in m dimensions (the
regular polytopes of the paper's "feature dimensionality" section), every feature has
D_i = m / n and interference n / m - 1.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from toy_superposition import metrics


def batch(*rows: list[list[float]]) -> torch.Tensor:
    """One or more (n, m) weight matrices as a float64 (I, n, m) tensor."""
    return torch.tensor(rows, dtype=torch.float64)


def polygon(n: int) -> list[list[float]]:
    """n unit vectors evenly spaced on the circle."""
    return [[math.cos(2 * math.pi * k / n), math.sin(2 * math.pi * k / n)] for k in range(n)]


def tetrahedron() -> list[list[float]]:
    s = 1 / math.sqrt(3)
    return [[s, s, s], [s, -s, -s], [-s, s, -s], [-s, -s, s]]


def square_antiprism() -> list[list[float]]:
    """Two squares rotated 45° against each other at heights ±h, unit vectors.

    With radius² = 2/3 and h² = 1/3 the eight vectors form a tight frame
    (Σ w wᵀ = 8/3 · I), the configuration with D_i = 3/8 exactly.
    """
    r, h = math.sqrt(2 / 3), math.sqrt(1 / 3)
    return [[r * math.cos(k * math.pi / 4), r * math.sin(k * math.pi / 4), h if k % 2 == 0 else -h] for k in range(8)]


def assert_close(actual: torch.Tensor, expected, atol: float = 1e-12) -> None:
    expected = torch.as_tensor(expected, dtype=actual.dtype)
    torch.testing.assert_close(actual, expected.expand_as(actual), rtol=1e-10, atol=atol)


# --------------------------------------------------------------------------- geometry


def test_orthogonal_basis_has_dedicated_dimensions():
    W = batch([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    assert_close(metrics.feature_norms(W), 1.0)
    assert_close(metrics.feature_dimensionality(W), 1.0)
    assert_close(metrics.interference(W), 0.0)
    assert_close(metrics.dimensions_per_feature(W), 1.0)
    assert metrics.features_represented(W).tolist() == [3]


def test_orthogonal_basis_with_non_unit_norms_still_has_dimensionality_one():
    W = batch([[3.0, 0.0], [0.0, 0.25]])
    assert_close(metrics.feature_norms(W), [[3.0, 0.25]])
    assert_close(metrics.feature_dimensionality(W), 1.0)
    assert_close(metrics.interference(W), 0.0)


def test_antipodal_pair():
    W = batch([[1.0], [-1.0]])
    assert_close(metrics.feature_dimensionality(W), 0.5)
    assert_close(metrics.interference(W), 1.0)
    assert_close(metrics.dimensions_per_feature(W), 0.5)  # m / ‖W‖²_F = 1 / 2


@pytest.mark.parametrize(
    "vectors, dimensionality, interference",
    [
        (polygon(3), 2 / 3, 1 / 2),  # triangle: cos² 120° = 1/4, twice
        (polygon(5), 2 / 5, 3 / 2),  # pentagon: 2 (cos² 72° + cos² 144°) = 3/2
        (tetrahedron(), 3 / 4, 1 / 3),  # cos² = 1/9, three times
        (square_antiprism(), 3 / 8, 5 / 3),
    ],
    ids=["triangle", "pentagon", "tetrahedron", "square-antiprism"],
)
def test_uniform_polytopes(vectors, dimensionality, interference):
    W = batch(vectors)
    n, m = W.shape[1:]
    assert_close(metrics.feature_dimensionality(W), dimensionality)
    assert_close(metrics.interference(W), interference)
    assert_close(metrics.dimensions_per_feature(W), m / n)
    assert metrics.features_represented(W).tolist() == [n]


def test_square_antiprism_is_a_tight_frame():
    W = batch(square_antiprism())[0]
    torch.testing.assert_close(W.T @ W, 8 / 3 * torch.eye(3, dtype=torch.float64))
    torch.testing.assert_close(W.norm(dim=1), torch.ones(8, dtype=torch.float64))


def test_unequal_norms_by_hand():
    # W_0 = (2, 0), W_1 = (1, 1):  Ŵ_0·W_1 = 1,  Ŵ_1·W_0 = 2/√2 = √2.
    W = batch([[2.0, 0.0], [1.0, 1.0]])
    assert_close(metrics.interference(W), [[1.0, 2.0]])
    # D_0 = 4 / (4 + 1),  D_1 = 2 / (2 + 2)
    assert_close(metrics.feature_dimensionality(W), [[4 / 5, 1 / 2]])


def test_unlearned_feature():
    W = batch([[1.0, 0.0], [0.0, 0.0], [0.0, 1.0]])
    assert_close(metrics.feature_norms(W), [[1.0, 0.0, 1.0]])
    assert_close(metrics.feature_dimensionality(W), [[1.0, 0.0, 1.0]])
    assert_close(metrics.interference(W), 0.0)
    assert metrics.features_represented(W).tolist() == [2]
    assert not torch.isnan(metrics.feature_dimensionality(W)).any()


def test_unlearned_feature_does_not_change_the_others():
    with_zero = batch(polygon(3) + [[0.0, 0.0]])
    assert_close(metrics.feature_dimensionality(with_zero), [[2 / 3, 2 / 3, 2 / 3, 0.0]])
    assert_close(metrics.interference(with_zero), [[1 / 2, 1 / 2, 1 / 2, 0.0]])


def test_all_zero_weights():
    W = torch.zeros(1, 4, 2, dtype=torch.float64)
    assert_close(metrics.feature_dimensionality(W), 0.0)
    assert_close(metrics.interference(W), 0.0)
    assert metrics.features_represented(W).tolist() == [0]
    assert math.isinf(float(metrics.dimensions_per_feature(W)[0]))


def test_dimensions_per_feature_by_hand():
    # ‖W‖²_F = 1 + 4 + 0 + 9 + 1 + 1 = 16, m = 2  →  D* = 2 / 16
    W = batch([[1.0, 2.0], [0.0, 3.0], [-1.0, 1.0]])
    assert_close(metrics.dimensions_per_feature(W), [0.125])
    # a second instance with ‖W‖²_F = 4  →  D* = 1/2
    W2 = batch([[1.0, 2.0], [0.0, 3.0], [-1.0, 1.0]], [[1.0, 1.0], [1.0, -1.0], [0.0, 0.0]])
    assert_close(metrics.dimensions_per_feature(W2), [0.125, 0.5])


def test_features_represented_threshold_is_strict():
    # norms 0.4, 0.5, 0.6, 1.0, 0.0
    W = batch([[0.4, 0.0], [0.0, 0.5], [0.6, 0.0], [0.6, 0.8], [0.0, 0.0]])
    assert metrics.REPRESENTED_NORM == 0.5
    assert metrics.features_represented(W).tolist() == [2]  # 0.6 and 1.0; 0.5 itself is not above 0.5
    assert metrics.features_represented(W, threshold=0.45).tolist() == [3]
    assert metrics.features_represented(W, threshold=0.3).tolist() == [4]
    assert metrics.features_represented(W, threshold=0.0).tolist() == [4]  # the zero row never counts
    assert metrics.features_represented(W, threshold=1.5).tolist() == [0]


def test_metrics_of_float32_weights():
    W = batch(polygon(5)).float()
    torch.testing.assert_close(metrics.feature_dimensionality(W), torch.full((1, 5), 0.4), rtol=1e-5, atol=1e-6)


def test_embedding_of():
    W, W1, W2 = torch.ones(2, 3, 1), torch.zeros(2, 3, 1), torch.ones(2, 1, 3)
    assert metrics.embedding_of({"W": W, "b": torch.zeros(2, 3)}) is W
    assert metrics.embedding_of({"W1": W1, "W2": W2, "b": torch.zeros(2, 3)}) is W1


def test_instances_are_independent():
    W = torch.stack([batch(polygon(3))[0], batch([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]])[0]])
    assert_close(metrics.feature_dimensionality(W), [[2 / 3] * 3, [1.0, 1.0, 0.0]])
    assert_close(metrics.interference(W), [[0.5] * 3, [0.0] * 3])
    assert metrics.features_represented(W).tolist() == [3, 2]


# --------------------------------------------------------------------------- properties

# Entries are 0 or at least 1e-2 in magnitude, so no row sits near the 1e-6 "unlearned" cutoff.
entries = st.one_of(st.just(0.0), st.floats(0.01, 10.0), st.floats(-10.0, -0.01))


@st.composite
def weights(draw, max_instances: int = 4) -> np.ndarray:
    shape = (
        draw(st.integers(1, max_instances)),
        draw(st.integers(1, 8)),
        draw(st.integers(1, 5)),
    )
    return draw(hnp.arrays(np.float64, shape, elements=entries))


def orthogonal(m: int, seed: int) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    q, _ = torch.linalg.qr(torch.randn(m, m, generator=generator, dtype=torch.float64))
    return q


PER_FEATURE = [metrics.feature_norms, metrics.feature_dimensionality, metrics.interference]
PER_INSTANCE = [metrics.dimensions_per_feature, metrics.features_represented]


@settings(max_examples=60, deadline=None)
@given(weights())
def test_batched_metrics_equal_per_instance_metrics(array):
    W = torch.from_numpy(array)
    for metric in PER_FEATURE + PER_INSTANCE:
        batched = metric(W)
        assert batched.shape == W.shape[: 2 if metric in PER_FEATURE else 1]
        for k in range(W.shape[0]):
            alone = metric(W[k : k + 1])[0]
            torch.testing.assert_close(batched[k], alone, rtol=1e-12, atol=1e-12)


@settings(max_examples=60, deadline=None)
@given(weights(), st.integers(0, 2**31 - 1))
def test_rotation_of_hidden_space_changes_nothing(array, seed):
    W = torch.from_numpy(array)
    R = orthogonal(W.shape[-1], seed)
    rotated = W @ R
    for metric in PER_FEATURE + [metrics.dimensions_per_feature]:
        torch.testing.assert_close(metric(rotated), metric(W), rtol=1e-9, atol=1e-9)


@settings(max_examples=60, deadline=None)
@given(weights(), st.floats(0.1, 10.0))
def test_scaling(array, scale):
    W = torch.from_numpy(array)
    scaled = W * scale
    torch.testing.assert_close(metrics.feature_dimensionality(scaled), metrics.feature_dimensionality(W), rtol=1e-9, atol=1e-12)
    torch.testing.assert_close(metrics.feature_norms(scaled), scale * metrics.feature_norms(W), rtol=1e-9, atol=1e-12)
    torch.testing.assert_close(metrics.interference(scaled), scale**2 * metrics.interference(W), rtol=1e-9, atol=1e-9)
    torch.testing.assert_close(
        metrics.dimensions_per_feature(scaled), metrics.dimensions_per_feature(W) / scale**2, rtol=1e-9, atol=0.0
    )


@settings(max_examples=100, deadline=None)
@given(weights())
def test_dimensionalities_sum_to_at_most_the_rank(array):
    """Σ_i D_i ≤ rank(W) ≤ m for every W.

    Proof: with M = WᵀW, D_i = ‖W_i‖⁴ / (W_iᵀ M W_i), and Cauchy–Schwarz gives
    ‖W_i‖⁴ = (W_iᵀ M^{1/2} M^{+1/2} W_i)² ≤ (W_iᵀ M W_i)(W_iᵀ M⁺ W_i), so
    Σ_i D_i ≤ Σ_i W_iᵀ M⁺ W_i = tr(M⁺ M) = rank(M).
    """
    W = torch.from_numpy(array)
    D = metrics.feature_dimensionality(W)
    assert bool((D >= 0).all()) and bool((D <= 1 + 1e-12).all())
    for k in range(W.shape[0]):
        rank = int(torch.linalg.matrix_rank(W[k]))
        assert float(D[k].sum()) <= rank + 1e-9 <= W.shape[-1] + 1e-9


@settings(max_examples=60, deadline=None)
@given(weights())
def test_interference_and_dimensionality_agree(array):
    """For a learned feature, D_i = 1 / (1 + interference_i / ‖W_i‖²)."""
    W = torch.from_numpy(array)
    norms = metrics.feature_norms(W)
    learned = norms > 0
    expected = 1.0 / (1.0 + metrics.interference(W) / norms.square().clamp_min(1e-300))
    torch.testing.assert_close(metrics.feature_dimensionality(W)[learned], expected[learned], rtol=1e-9, atol=1e-12)
    assert bool((metrics.feature_dimensionality(W)[~learned] == 0).all())


def test_tight_frame_dimensionality_is_equality_case():
    # A tight frame of unit vectors reaches the bound Σ D_i = m.
    for vectors, m in [(polygon(7), 2), (tetrahedron(), 3), (square_antiprism(), 3)]:
        assert float(metrics.feature_dimensionality(batch(vectors)).sum()) == pytest.approx(m, rel=1e-12)
