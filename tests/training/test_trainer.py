"""The training loop's bookkeeping: the loss curve's steps, the snapshots, and the heap it keeps."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from tests.helpers import train_spec
from tests.training.test_step import make_spec, with_training
from toy_superposition.training import trainer
from toy_superposition.training.trainer import keep_freed_memory, release_free_pages

MIB = 2**20


def resident_bytes() -> int:
    return int(Path("/proc/self/statm").read_text().split()[1]) * 4096


def test_loss_curve_has_one_row_per_instance_and_logged_step() -> None:
    spec = with_training(make_spec("relu_output", steps=25), log_every=10, snapshot_steps=(0, 20))
    result = train_spec(spec)
    assert result.loss_curve["step"].unique().tolist() == [10, 20, 25]
    assert len(result.loss_curve) == 3 * spec.n_instances
    assert torch.isfinite(torch.as_tensor(result.loss_curve["loss"].to_numpy())).all()
    # each snapshot holds the weights of its own step, not the last one
    assert not torch.equal(result.snapshots[0]["W"], result.snapshots[20]["W"])
    assert not torch.equal(result.snapshots[20]["W"], result.params["W"])


@pytest.mark.parametrize("kept", [True, False])
def test_free_pages_go_back_once_per_logged_window_when_the_heap_is_kept(monkeypatch, kept) -> None:
    calls = []
    monkeypatch.setattr(trainer, "keep_freed_memory", lambda: kept)
    monkeypatch.setattr(trainer, "release_free_pages", lambda: calls.append(1))
    train_spec(with_training(make_spec("relu_output", steps=25), log_every=10))
    assert len(calls) == (3 if kept else 0)


def test_release_free_pages_gives_a_freed_temporary_back_to_the_kernel() -> None:
    if not keep_freed_memory():  # what train() sets on the CPU: the heap keeps freed blocks
        pytest.skip("needs glibc's malloc")
    big = torch.ones(256 * MIB // 4)  # on the heap (under the kept heap's 1 GiB mmap threshold), touched
    with_big = resident_bytes()
    del big
    kept = resident_bytes()
    release_free_pages()
    released = resident_bytes()
    assert kept > with_big - 64 * MIB  # freed, but still resident
    assert released < kept - 192 * MIB
