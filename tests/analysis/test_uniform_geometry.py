"""Tegum factors of hand-built polytopes."""

import math

import numpy as np
import pytest
import torch

import toy_superposition.analysis.uniform_geometry as tegum
from toy_superposition.analysis import uniform_geometry as ug
from toy_superposition.analysis.statistics import wilson_interval


def polygon(k, angle=0.0):
    a = angle + 2 * np.pi * np.arange(k) / k
    return np.stack([np.cos(a), np.sin(a)], 1)


def embed(blocks, m):
    """Block-diagonal tegum product: each block (k_b, d_b) in its own coordinates of R^m."""
    rows, col = [], 0
    for block in blocks:
        padded = np.zeros((len(block), m))
        padded[:, col: col + block.shape[1]] = block
        rows.append(padded)
        col += block.shape[1]
    return np.concatenate(rows)


DIGON = np.array([[1.0], [-1.0]])
TETRA = np.array([[1, 1, 1], [1, -1, -1], [-1, 1, -1], [-1, -1, 1]]) / np.sqrt(3)


def antiprism():
    """Square antiprism with h² = r²/2 (a tight frame, so D = 3/8 exactly)."""
    r, h = np.sqrt(2 / 3), np.sqrt(1 / 3)
    top = np.concatenate([r * polygon(4), np.full((4, 1), h)], 1)
    bottom = np.concatenate([r * polygon(4, np.pi / 4), np.full((4, 1), -h)], 1)
    return np.concatenate([top, bottom])


def rotate(W, seed=0):
    q, _ = np.linalg.qr(np.random.default_rng(seed).normal(size=(W.shape[1], W.shape[1])))
    return W @ q


def test_triangular_bipyramid_splits_into_digon_and_triangle():
    W = rotate(embed([DIGON, polygon(3)], 3))
    dec = tegum.tegum_decomposition(W)
    assert dec.counts() == {"triangle": 1, "digon": 1}
    table = dec.table()
    np.testing.assert_allclose(table[table.polytope == "digon"].D, 0.5, atol=1e-12)
    np.testing.assert_allclose(table[table.polytope == "triangle"].D, 2 / 3, atol=1e-12)
    # split lines: no feature sits on the uniform 3/5 line, which is only their mean (D* = m/n)
    assert np.abs(table.D - 3 / 5).min() > 0.06
    assert table.D.mean() == pytest.approx(3 / 5) and table.D.sum() == pytest.approx(3.0)
    assert dec.cross_max < 1e-12 and dec.cross_share < 1e-20


@pytest.mark.parametrize("block, name, D", [(np.ones((1, 1)), "dedicated", 1.0), (DIGON, "digon", 0.5),
                                            (polygon(3), "triangle", 2 / 3), (TETRA, "tetrahedron", 0.75),
                                            (polygon(5), "pentagon", 0.4), (polygon(6), "hexagon", 1 / 3),
                                            (antiprism(), "square antiprism", 3 / 8)])
def test_each_polytope_alone(block, name, D):
    W = rotate(embed([block], 5), seed=3)
    dec = tegum.tegum_decomposition(W)
    assert [g.name for g in dec.groups] == [name]
    np.testing.assert_allclose(dec.groups[0].dimensionality, D, atol=1e-12)


def test_square_is_two_digons_and_octahedron_three():
    assert tegum.tegum_decomposition(polygon(4)).counts() == {"digon": 2}
    octahedron = np.concatenate([np.eye(3), -np.eye(3)])
    assert tegum.tegum_decomposition(rotate(octahedron, 1)).counts() == {"digon": 3}


def test_mixed_product_with_unlearned_features_and_small_interference():
    W = embed([polygon(5), TETRA, DIGON, np.ones((1, 1))], 7)
    W = np.concatenate([W, 0.1 * np.random.default_rng(0).normal(size=(3, 7))])  # three unlearned
    noise = 0.01 * np.random.default_rng(1).normal(size=W.shape)
    dec = tegum.tegum_decomposition(rotate(W + noise, 2))
    assert dec.counts() == {"pentagon": 1, "tetrahedron": 1, "digon": 1, "dedicated": 1}
    assert dec.not_learned == (12, 13, 14)
    assert 0 < dec.cross_max < 0.1 and dec.cross_share < 0.01
    assert [g.size for g in dec.groups] == [5, 4, 2, 1]


def test_other_and_torch_input():
    skewed = np.array([[1.0, 0.0], [np.cos(2.0), np.sin(2.0)], [np.cos(4.4), np.sin(4.4)]])  # uneven triangle
    dec = tegum.tegum_decomposition(torch.tensor(skewed))
    assert dec.counts() == {"other": 1} and dec.groups[0].rank == 2
    assert tegum.tegum_decomposition(np.zeros((4, 2))).groups == ()


def test_threshold_controls_edges():
    W = np.array([[1.0, 0.0], [np.cos(1.4), np.sin(1.4)]])  # |cos| = 0.17
    assert tegum.tegum_decomposition(W).counts() == {"other": 1}
    assert tegum.tegum_decomposition(W, threshold=0.2).counts() == {"dedicated": 2}
    np.testing.assert_allclose(tegum.learned_pair_cosines(W), [abs(np.cos(1.4))])


def test_threshold_margin():
    W = rotate(embed([polygon(5), DIGON], 3), 4)
    cross, hold = tegum.threshold_margin(W)
    assert cross < 1e-12
    assert hold == pytest.approx(-np.cos(4 * np.pi / 5))  # held together by its 144° pairs (0.809)


# --- the polytope share (issue 16) ---

def test_union_length_counts_overlaps_once():
    assert ug.union_length([0.5], 0.02) == pytest.approx(0.04)
    assert ug.union_length([0.3, 0.5], 0.02) == pytest.approx(0.08)  # disjoint
    assert ug.union_length([0.4, 0.375], 0.02) == pytest.approx(0.42 - 0.355)  # 2/5 and 3/8 overlap
    assert ug.union_length([0.5, 0.5, 0.51], 0.02) == pytest.approx(0.53 - 0.48)


def test_chance_rate_of_the_named_fractions_by_hand():
    # windows ±0.02: ¾, ⅔, ½ are 0.04 each; ⅖ ∪ ⅜ = [0.355, 0.42] = 0.065; range [0.355, 0.77] = 0.415
    assert ug.fraction_range() == pytest.approx((0.355, 0.77))
    assert ug.chance_rate() == pytest.approx((3 * 0.04 + 0.065) / 0.415)


def test_polytope_share_by_hand():
    dims = np.array([0.5, 0.51, 0.6, 0.9, 0.3, 0.75, 0.74])
    norm = np.array([1.0, 1.0, 1.0, 1.0, 1.0, 0.2, 0.9])  # the 0.75 is not learned
    share = ug.polytope_share(norm, dims)
    # learned: all but the 6th (6); in range [0.355, 0.77]: 0.5, 0.51, 0.6, 0.74 (4); near: 0.5, 0.51, 0.74 (3)
    assert (share.learned, share.in_range, share.near) == (6, 4, 3)
    assert share.share == pytest.approx(0.75)
    assert (share.share_low, share.share_high) == pytest.approx(wilson_interval(3, 4))
    ratio, low, high = share.over_chance
    assert ratio == pytest.approx(0.75 / ug.chance_rate())
    assert low == pytest.approx(share.share_low / ug.chance_rate())


def test_polytope_share_with_nothing_in_range_is_nan():
    share = ug.polytope_share(np.ones(3), np.array([0.1, 0.2, 0.95]))
    assert (share.learned, share.in_range, share.near) == (3, 0, 0)
    assert math.isnan(share.share) and math.isnan(share.over_chance[0])


def test_uniformly_spread_dimensionalities_hit_at_the_chance_rate():
    dims = np.random.default_rng(1).uniform(*ug.fraction_range(), size=200_000)
    share = ug.polytope_share(np.ones_like(dims), dims)
    assert share.share == pytest.approx(ug.chance_rate(), abs=0.005)


def test_ratio_of_proportions_katz_interval_by_hand():
    ratio, low, high = ug.ratio_of_proportions(20, 50, 10, 50)
    spread = 1.959964 * math.sqrt(1 / 20 - 1 / 50 + 1 / 10 - 1 / 50)
    assert ratio == pytest.approx(2.0)
    assert (low, high) == pytest.approx((2 * math.exp(-spread), 2 * math.exp(spread)))
    assert low > 1.0
    assert all(math.isnan(v) for v in ug.ratio_of_proportions(0, 50, 10, 50))
