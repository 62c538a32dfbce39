"""Describing correlated-set configurations and recognising the octahedron, on hand-made embeddings."""

from __future__ import annotations

import pytest
import torch

from toy_superposition.octahedron import cosines, set_geometry

E = torch.eye(3, dtype=torch.float64)


def rotation(seed: int) -> torch.Tensor:
    Q, _ = torch.linalg.qr(torch.randn(3, 3, generator=torch.Generator().manual_seed(seed), dtype=torch.float64))
    return Q


def test_the_cross_set_octahedron_is_recognised_in_any_orientation():
    W = torch.cat([E, -E[[2, 0, 1]]])  # set 2 antipodal to set 1, in another order
    geometry = set_geometry(W @ rotation(0), set_size=3)
    assert geometry.is_cross_polytope
    assert geometry.represented == 6
    assert geometry.antipodal_pairs == 3 and geometry.cross_set_antipodal_pairs == 3
    assert geometry.within_set_cosine == pytest.approx((0.0, 0.0), abs=1e-12)


def test_antipodes_within_a_set_are_not_the_attractor():
    W = torch.stack([E[0], -E[0], E[1], E[2], -E[1], -E[2]])  # sets {e1, −e1, e2}, {e3, −e2, −e3}
    geometry = set_geometry(W, set_size=3)
    assert geometry.antipodal_pairs == 3
    assert geometry.cross_set_antipodal_pairs == 1  # only (e2, −e2) joins the two sets
    assert not geometry.is_cross_polytope


def test_collapsed_sets_are_the_pca_solution():
    W = torch.cat([E[[0, 0, 0]], -E[[0, 0, 0]]]) * 0.6
    geometry = set_geometry(W, set_size=3)
    assert geometry.within_set_cosine == pytest.approx((1.0, 1.0))
    assert geometry.represented == 6
    assert not geometry.is_cross_polytope


def test_an_unlearned_feature_breaks_the_octahedron():
    W = torch.cat([E, -E])
    W[4] *= 0.3
    assert not set_geometry(W, set_size=3).is_cross_polytope


def test_a_tilted_pair_is_not_antipodal():
    W = torch.cat([E, -E])
    W[3] = torch.tensor([-1.0, 0.5, 0.0], dtype=torch.float64)  # cos with e1 ≈ −0.89
    geometry = set_geometry(W, set_size=3)
    assert geometry.antipodal_pairs == 2 and not geometry.is_cross_polytope


def test_cosines_of_zero_rows_are_zero():
    c = cosines(torch.tensor([[1.0, 0.0], [0.0, 0.0]], dtype=torch.float64))
    assert c.tolist() == [[1.0, 0.0], [0.0, 0.0]]


def test_set_size_must_divide_n():
    with pytest.raises(ValueError):
        set_geometry(torch.zeros(5, 3), set_size=3)
