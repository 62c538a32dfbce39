"""The geometry classifier on hand-built weights of known configuration."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from toy_superposition.analysis.geometry import (
    CONFUSED,
    DEDICATED,
    INTERACTING_COS,
    LEARNED_NORM,
    NOT_LEARNED,
    SUPERPOSITION,
    classify,
    classify_all,
    configuration_name,
)


def polygon(k: int, radius: float = 1.0, start: float = 0.0) -> np.ndarray:
    angles = start + 2 * math.pi * np.arange(k) / k
    return radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)


def rotation(theta: float) -> np.ndarray:
    return np.array([[math.cos(theta), -math.sin(theta)], [math.sin(theta), math.cos(theta)]])


def test_nothing_learned():
    geometry = classify(np.zeros((3, 2)))
    assert geometry.name == NOT_LEARNED
    assert geometry.not_learned == (0, 1, 2)
    assert geometry.phase_of(1) == NOT_LEARNED


def test_orthogonal_features_are_dedicated():
    geometry = classify(np.eye(3)[:, :3])
    assert geometry.name == "3 dedicated"
    assert all(geometry.phase_of(i) == DEDICATED for i in range(3))
    assert classify(np.array([[1.0, 0.0], [0.0, 0.0]])).name == DEDICATED


@pytest.mark.parametrize("W,name,phase", [
    ([[1.0], [-1.0]], "antipodal pair", SUPERPOSITION),
    ([[0.7], [0.7]], "aligned pair", CONFUSED),  # the "confused feature" solution of n=2, m=1
    ([[1.0, 0.0], [0.5, 0.8]], "skewed pair", SUPERPOSITION),
])
def test_pairs(W, name, phase):
    geometry = classify(np.array(W))
    assert geometry.name == name
    assert geometry.phase_of(0) == geometry.phase_of(1) == phase


def test_two_in_one_candidates_and_the_confused_solution():
    assert classify(np.array([[1.0], [0.0]])).phase_of(1) == NOT_LEARNED
    assert classify(np.array([[0.0], [1.0]])).phase_of(1) == DEDICATED
    assert classify(np.array([[1.0], [-1.0]])).phase_of(1) == SUPERPOSITION
    # W₁ ≈ W₂ ≈ 1/√2 (the comment section's exact analysis): both learned, cos = +1, not antipodal
    confused = classify(np.array([[0.71], [0.70]]))
    assert confused.phase_of(0) == confused.phase_of(1) == CONFUSED and confused.aligned == ((0, 1),)
    # in 3-in-2: the extra feature on top of feature 0, feature 1 orthogonal to both
    three = classify(np.array([[1.0, 0.0], [0.0, 1.0], [0.9, 0.1]]))
    assert three.phase_of(2) == three.phase_of(0) == CONFUSED and three.phase_of(1) == DEDICATED


@pytest.mark.parametrize("k,name", [(3, "triangle"), (5, "pentagon"), (6, "hexagon")])
def test_regular_polygons(k, name):
    geometry = classify(polygon(k, radius=1.1, start=0.3))
    assert geometry.name == name
    (component,) = geometry.components
    assert component.regular and component.rank == 2
    assert all(geometry.phase_of(i) == SUPERPOSITION for i in range(k))


def test_stretched_pentagon_is_still_a_pentagon_but_not_regular():
    angles = np.radians([90, 90 + 100, 90 + 170, 90 + 210, 90 + 280])  # gaps 100, 70, 40, 70, 80
    W = np.stack([np.cos(angles), np.sin(angles)], axis=1)
    (component,) = classify(W).components
    assert classify(W).name == "pentagon"
    assert not component.regular


def test_digon_pair_with_the_fifth_feature_at_zero():
    W = np.array([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0], [0.0, -1.0], [0.02, 0.01]])
    geometry = classify(W)
    assert geometry.name == "digon pair"
    assert geometry.not_learned == (4,)
    assert [c.shape for c in geometry.components] == ["antipodal pair", "antipodal pair"]


def test_antipodal_pair_plus_dedicated():
    W = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, -1.0]])  # W ⊥ [0, 1, 1]
    geometry = classify(W)
    assert geometry.name == "antipodal pair + dedicated"
    assert geometry.phase_of(0) == DEDICATED and geometry.phase_of(2) == SUPERPOSITION
    assert geometry.component_of(2).features == (1, 2)


def test_tetrahedron_and_square_in_the_plane():
    s = 1 / math.sqrt(3)
    tetrahedron = np.array([[s, s, s], [s, -s, -s], [-s, s, -s], [-s, -s, s]])
    geometry = classify(tetrahedron)
    assert geometry.name == "tetrahedron" and geometry.components[0].regular
    square = polygon(4, start=math.pi / 4)  # two orthogonal antipodal pairs: not one component
    assert classify(square).name == "digon pair"
    quadrilateral = polygon(4) @ np.array([[1.0, 0.6], [0.0, 1.0]])  # skewed: the pairs interact
    assert classify(quadrilateral).name == "square"


def test_thresholds_are_the_stated_ones():
    just_below = np.array([[LEARNED_NORM * 0.98, 0.0], [0.0, 1.0]])
    just_above = np.array([[LEARNED_NORM * 1.02, 0.0], [0.0, 1.0]])
    assert classify(just_below).not_learned == (0,)
    assert classify(just_above).not_learned == ()
    # two unit features at |cos| just below / above INTERACTING_COS
    for cos, expected in ((INTERACTING_COS * 0.9, "2 dedicated"), (INTERACTING_COS * 1.1, "skewed pair")):
        W = np.array([[1.0, 0.0], [cos, math.sqrt(1 - cos**2)]])
        assert classify(W).name == expected


def test_configuration_names_combine_components():
    geometry = classify(np.array([[1, 0, 0], [-1, 0, 0], [0, 1, 0], [0, -1, 0], [0, 0, 1.0]]))
    assert geometry.name == "2 antipodal pairs + dedicated"
    assert configuration_name([]) == NOT_LEARNED
    collapsed_triples = np.array([[1.0, 0], [0.9, 0], [1.1, 0], [0, 1.0], [0, 0.8], [0, 1.2]])
    assert classify(collapsed_triples).name == "2× (3 aligned)"


def test_batched_classification():
    W = np.stack([polygon(5), np.vstack([polygon(4, start=0.1), [[0.0, 0.0]]])])
    assert [g.name for g in classify_all(W)] == ["pentagon", "digon pair"]
    with pytest.raises(ValueError, match="shape"):
        classify(np.zeros(3))


@settings(max_examples=60, deadline=None)
@given(theta=st.floats(0, 2 * math.pi), reflect=st.booleans(), k=st.sampled_from([3, 5, 6]),
       radius=st.floats(0.6, 2.0))
def test_name_is_invariant_to_rotation_and_reflection(theta, reflect, k, radius):
    Q = rotation(theta) @ (np.diag([1.0, -1.0]) if reflect else np.eye(2))
    W = polygon(k, radius=radius)
    assert classify(W @ Q).name == classify(W).name


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**31 - 1))
def test_every_learned_feature_has_one_phase(seed):
    W = np.random.default_rng(seed).normal(size=(6, 3))
    geometry = classify(W)
    covered = sorted(i for c in geometry.components for i in c.features)
    assert covered == list(geometry.learned)
    assert set(covered) | set(geometry.not_learned) == set(range(6))
    for i in range(6):
        assert geometry.phase_of(i) in (NOT_LEARNED, DEDICATED, SUPERPOSITION, CONFUSED)


def test_collapsed_pairs_are_named_by_their_directions():
    directions = polygon(3)
    W = np.repeat(directions, 2, axis=0) * np.array([[1.0], [0.9]] * 3)  # three aligned pairs at 120°
    geometry = classify(W)
    assert geometry.name == "triangle of aligned groups"
    assert all(geometry.phase_of(i) == CONFUSED for i in range(6))  # each shares its direction with its partner
    assert classify(np.array([[1.0, 0.0], [0.95, 0.05], [1.05, -0.05]])).name == "3 aligned"
