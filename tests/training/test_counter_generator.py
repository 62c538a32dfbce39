"""The compiled step's counter-based generator (``step.counter_uniform``, pcg3d on 32-bit words).

Bit-exact against a pure-Python uint32 pcg3d (Jarzynski & Olano 2020), eagerly and compiled
(odd sizes, so the vector kernels' scalar tails run too); then statistical checks of the floats:
mean, variance, a χ² uniformity test, every bit balanced, and independence of neighbouring
counters, of neighbouring keys (consecutive steps' keys are independent draws; neighbouring keys
are the hardest case) and of the streams of one step. Each statistic is standardised to a z score
under the hypothesis of independent U[0, 1) numbers and must stay below 5 (a 5σ bound, the usual
convention for a test that must not fail by chance; the keys are fixed, so no test is flaky).
"""

from __future__ import annotations

import math

import pytest
import torch

from toy_superposition.training.step import counter_uniform

MASK = 0xFFFFFFFF
N = 1 << 21
Z_BOUND = 5.0


def pcg3d_reference(x: int, y: int, z: int) -> int:
    """pcg3d's third output word, in Python integers reduced to uint32 after every operation."""
    x, y, z = (x * 1664525 + 1013904223) & MASK, (y * 1664525 + 1013904223) & MASK, (z * 1664525 + 1013904223) & MASK
    x = (x + y * z) & MASK
    y = (y + z * x) & MASK
    z = (z + x * y) & MASK
    x, y, z = x ^ (x >> 16), y ^ (y >> 16), z ^ (z >> 16)
    x = (x + y * z) & MASK
    y = (y + z * x) & MASK
    return (z + x * y) & MASK


def reference_uniform(key: int, counters: range, stream: int = 0) -> torch.Tensor:
    low, high = key & MASK, (key >> 32) ^ (stream << 30)
    return torch.tensor([(pcg3d_reference(c & MASK, low, high) >> 8) * 2.0**-24 for c in counters], dtype=torch.float32)


KEYS = [0, 1, 0x8000_0000, 2**61 + 17, 2**62 - 1]


@pytest.mark.parametrize("key", KEYS)
@pytest.mark.parametrize("stream", [0, 1, 2])
def test_counter_uniform_is_pcg3d_bit_for_bit(key: int, stream: int) -> None:
    for offset in (0, 2**31 - 5, 2**32 - 9):  # the int32 counters wrap through the sign bit
        got = counter_uniform(torch.tensor(key), (9,), stream, offset)
        assert torch.equal(got, reference_uniform(key, range(offset, offset + 9), stream)), (key, stream, offset)


def test_compiled_generator_equals_the_eager_one() -> None:
    def draw(key: torch.Tensor) -> torch.Tensor:
        return counter_uniform(key, (3, 1003), stream=1, offset=2**31 - 1500)

    compiled = torch.compile(draw, fullgraph=True, dynamic=False)
    for key in KEYS:
        assert torch.equal(compiled(torch.tensor(key)), draw(torch.tensor(key))), key


def test_a_group_of_counters_draws_what_the_whole_batch_would_give_it() -> None:
    key = torch.tensor(2**61 + 17)
    whole = counter_uniform(key, (200,))
    assert torch.equal(counter_uniform(key, (10, 20))[3], whole[60:80])
    assert torch.equal(counter_uniform(key, (20,), offset=60), whole[60:80])


def test_a_step_cannot_draw_more_numbers_than_the_counter_has() -> None:
    with pytest.raises(ValueError, match="2\\*\\*32 counters per stream"):
        counter_uniform(torch.tensor(1), (10,), offset=2**32 - 5)
    with pytest.raises(ValueError, match="2\\*\\*31 - 1 per call"):  # checked before anything is allocated
        counter_uniform(torch.tensor(1), (2, 2**30))


def z_chi_square(counts: torch.Tensor) -> float:
    """χ² of ``counts`` against equal cells, as a z score (normal approximation, dof = cells − 1)."""
    counts = counts.double()
    expected = counts.sum() / counts.numel()
    chi_square = ((counts - expected) ** 2 / expected).sum().item()
    dof = counts.numel() - 1
    return (chi_square - dof) / math.sqrt(2 * dof)


def z_pairs(first: torch.Tensor, second: torch.Tensor, cells: int = 64) -> float:
    """χ² z of the joint histogram of two equally long samples on a cells × cells grid."""
    index = (first * cells).long() * cells + (second * cells).long()
    return z_chi_square(torch.bincount(index, minlength=cells * cells))


def z_correlation(first: torch.Tensor, second: torch.Tensor) -> float:
    r = torch.corrcoef(torch.stack([first.double(), second.double()]))[0, 1].item()
    return r * math.sqrt(first.numel())


@pytest.fixture(scope="module")
def draws() -> dict[str, torch.Tensor]:
    key = 0x2545_F491_4F6C_DD1D & (2**62 - 1)
    return {
        "u": counter_uniform(torch.tensor(key), (N,)),
        "next key": counter_uniform(torch.tensor(key + 1), (N,)),
        "next high word": counter_uniform(torch.tensor(key ^ (1 << 32)), (N,)),
        "stream 1": counter_uniform(torch.tensor(key), (N,), stream=1),
        "stream 2": counter_uniform(torch.tensor(key), (N,), stream=2),
        "small key": counter_uniform(torch.tensor(0), (N,)),
    }


@pytest.mark.parametrize("name", ["u", "next key", "stream 1", "small key"])
def test_moments_uniformity_and_bits(draws: dict[str, torch.Tensor], name: str) -> None:
    u = draws[name].double()
    assert u.min() >= 0 and u.max() < 1
    assert abs((u.mean().item() - 0.5) / math.sqrt(1 / 12 / N)) < Z_BOUND
    assert abs((u.var().item() - 1 / 12) / math.sqrt(1 / 180 / N)) < Z_BOUND  # Var of the sample variance: 1/(180 N)
    assert abs(z_chi_square(torch.histc(u, bins=4096, min=0, max=1))) < Z_BOUND
    bits = ((u * 2**24).long()[:, None] >> torch.arange(24)) & 1
    assert ((bits.double().mean(dim=0) - 0.5) / math.sqrt(0.25 / N)).abs().max() < Z_BOUND


@pytest.mark.parametrize("name", ["u", "small key"])
def test_neighbouring_counters_are_independent(draws: dict[str, torch.Tensor], name: str) -> None:
    u = draws[name]
    assert abs(z_correlation(u[:-1], u[1:])) < Z_BOUND
    assert abs(z_pairs(u[0::2], u[1::2])) < Z_BOUND
    assert abs(z_pairs(u[:-1024], u[1024:])) < Z_BOUND  # one batch apart: the next feature of a sample


@pytest.mark.parametrize("other", ["next key", "next high word", "stream 1", "stream 2"])
def test_neighbouring_keys_and_streams_are_independent(draws: dict[str, torch.Tensor], other: str) -> None:
    u, v = draws["u"], draws[other]
    assert abs(z_correlation(u, v)) < Z_BOUND
    assert abs(z_pairs(u, v)) < Z_BOUND
    assert abs(z_pairs(u[:-1], v[1:])) < Z_BOUND
    assert (u == v).double().mean() < 1e-4  # no shared stretch of numbers (equal floats: ~1 in 2**24 by chance)


def test_the_streams_keys_differ_from_every_other_keys_stream() -> None:
    """The stream enters the high key word above the key's own bits, so no (key, stream) pair repeats another."""
    key = 2**62 - 1
    draws = {(k, s): counter_uniform(torch.tensor(k), (64,), s) for k in (key, key ^ (1 << 60)) for s in range(3)}
    values = list(draws.values())
    for i in range(len(values)):
        for j in range(i + 1, len(values)):
            assert not torch.equal(values[i], values[j])
