"""Artifact I/O (round trips, corrupt files, atomic writes) and the stage outputs' contract."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest
import torch

from toy_superposition.artifacts import (
    ArtifactError,
    atomic_path,
    load_snapshots,
    load_tensors,
    read_parquet,
    save_tensors,
    stack_snapshots,
    tensor_metadata,
    write_json,
    write_parquet,
)
from toy_superposition.config import ExperimentSpec, TrainingConfig, load_config
from toy_superposition.paths import experiment_paths, figure_paths

EXPERIMENT = "intro-5-in-2"


def sample_tensors() -> dict[str, torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    return {
        "W": torch.randn(3, 5, 2, generator=generator),
        "b": torch.zeros(3, 5),
        "counts": torch.arange(6, dtype=torch.int64).view(2, 3),
    }


def leftovers(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


# --------------------------------------------------------------------------- tensors


def test_save_and_load_round_trip(tmp_path):
    tensors = sample_tensors()
    path = tmp_path / "sub" / "model.safetensors"  # parent folders are created
    save_tensors(path, tensors, metadata={"experiment": "x", "spec_hash": "abc"})
    loaded = load_tensors(path, {"W": (3, 5, 2), "b": (3, 5)})
    assert set(loaded) == set(tensors)
    for name, tensor in tensors.items():
        assert loaded[name].dtype == tensor.dtype
        assert torch.equal(loaded[name], tensor)
    assert tensor_metadata(path) == {"experiment": "x", "spec_hash": "abc"}
    assert leftovers(path.parent) == []


def test_save_is_byte_deterministic_with_metadata(tmp_path):
    """Same tensors and metadata → same bytes (safetensors itself writes metadata in hash order)."""
    metadata = {"experiment": "x", "model": "relu_output", "profile": "ci", "spec_hash": "0123456789abcdef"}
    contents = set()
    for attempt in range(8):
        path = tmp_path / f"m{attempt}.safetensors"
        save_tensors(path, sample_tensors(), metadata=dict(reversed(metadata.items())) if attempt % 2 else metadata)
        contents.add(path.read_bytes())
    assert len(contents) == 1
    header_length = int.from_bytes(next(iter(contents))[:8], "little")
    assert header_length % 8 == 0  # tensor data stays 8-byte aligned
    assert tensor_metadata(tmp_path / "m0.safetensors") == metadata
    loaded = load_tensors(tmp_path / "m0.safetensors")
    assert all(torch.equal(loaded[k], v) for k, v in sample_tensors().items())


def test_save_accepts_non_contiguous_tensors(tmp_path):
    W = torch.arange(12.0).view(3, 4).T  # a transposed view
    save_tensors(tmp_path / "t.safetensors", {"W": W})
    assert torch.equal(load_tensors(tmp_path / "t.safetensors")["W"], W)


def test_missing_file_names_the_path(tmp_path):
    path = tmp_path / "nothing.safetensors"
    with pytest.raises(ArtifactError, match="does not exist") as info:
        load_tensors(path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize("cut", [0.5, 0.9, 8, 3])
def test_truncated_file_names_the_path(tmp_path, cut):
    path = tmp_path / "model.safetensors"
    save_tensors(path, sample_tensors())
    data = path.read_bytes()
    keep = int(len(data) * cut) if isinstance(cut, float) else cut
    path.write_bytes(data[:keep])
    with pytest.raises(ArtifactError, match="not a readable safetensors file") as info:
        load_tensors(path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize("content", [b"", b"garbage" * 100, b"\xff" * 64, json.dumps({"W": 1}).encode()])
def test_garbage_file_names_the_path(tmp_path, content):
    path = tmp_path / "model.safetensors"
    path.write_bytes(content)
    with pytest.raises(ArtifactError) as info:
        load_tensors(path)
    assert str(path) in str(info.value)


def test_wrong_shape_names_tensor_and_shapes(tmp_path):
    path = tmp_path / "model.safetensors"
    save_tensors(path, sample_tensors())
    with pytest.raises(ArtifactError) as info:
        load_tensors(path, {"W": (3, 5, 3)})
    message = str(info.value)
    assert str(path) in message and "'W'" in message and "(3, 5, 2)" in message and "(3, 5, 3)" in message


def test_missing_tensor(tmp_path):
    path = tmp_path / "model.safetensors"
    save_tensors(path, sample_tensors())
    with pytest.raises(ArtifactError, match="'W1' is missing") as info:
        load_tensors(path, {"W1": (3, 5, 2)})
    assert str(path) in str(info.value)


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), float("-inf")])
def test_non_finite_values(tmp_path, bad):
    tensors = sample_tensors()
    tensors["b"][1, 2] = bad
    path = tmp_path / "model.safetensors"
    save_tensors(path, tensors)
    with pytest.raises(ArtifactError, match="'b' contains NaN or inf") as info:
        load_tensors(path)
    assert str(path) in str(info.value)


# --------------------------------------------------------------------------- atomic writes


def test_atomic_path_moves_into_place_on_success(tmp_path):
    path = tmp_path / "out.txt"
    with atomic_path(path) as temporary:
        assert temporary.parent == path.parent and temporary != path
        temporary.write_text("new")
        assert not path.exists()  # nothing visible until the block succeeds
    assert path.read_text() == "new"
    assert leftovers(tmp_path) == []


def test_atomic_path_leaves_previous_file_untouched_on_error(tmp_path):
    path = tmp_path / "out.txt"
    path.write_text("old")
    with pytest.raises(RuntimeError, match="boom"):
        with atomic_path(path) as temporary:
            temporary.write_text("half-written")
            raise RuntimeError("boom")
    assert path.read_text() == "old"
    assert leftovers(tmp_path) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]


def test_failed_save_tensors_keeps_previous_file(tmp_path):
    path = tmp_path / "model.safetensors"
    save_tensors(path, sample_tensors())
    before = path.read_bytes()
    with pytest.raises(Exception):
        save_tensors(path, {"W": torch.ones(2), "oops": "not a tensor"})  # fails inside the block
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.safetensors"]


def test_failed_write_parquet_keeps_previous_file(tmp_path):
    path = tmp_path / "table.parquet"
    table = pd.DataFrame({"a": [1, 2]})
    write_parquet(path, table)
    before = path.read_bytes()
    with pytest.raises(Exception):
        write_parquet(path, pd.DataFrame({"a": [object(), object()]}))  # pyarrow cannot store it
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["table.parquet"]


# --------------------------------------------------------------------------- tables


def test_write_parquet_round_trip(tmp_path):
    table = pd.DataFrame(
        {
            "instance": np.arange(4, dtype=np.int64),
            "seed": np.array([0, 1, 2**63 - 1, 5], dtype=np.uint64),
            "loss": [0.5, 0.25, np.nan, 1e-12],
            "selected": [True, False, True, False],
            "experiment": ["a", "b", "c", "d"],
        }
    )
    path = tmp_path / "t.parquet"
    write_parquet(path, table)
    pd.testing.assert_frame_equal(read_parquet(path), table)
    assert leftovers(tmp_path) == []


def test_read_parquet_errors_name_the_path(tmp_path):
    with pytest.raises(ArtifactError, match="does not exist"):
        read_parquet(tmp_path / "none.parquet")
    path = tmp_path / "bad.parquet"
    path.write_bytes(b"not parquet at all")
    with pytest.raises(ArtifactError, match="not a readable Parquet file") as info:
        read_parquet(path)
    assert str(path) in str(info.value)


def test_write_json(tmp_path):
    path = tmp_path / "s.json"
    write_json(path, {"b": 1, "a": [1.5]})
    assert json.loads(path.read_text()) == {"a": [1.5], "b": 1}
    assert path.read_text().endswith("\n")


def test_paths_follow_the_layout(tmp_path):
    config = dataclasses.replace(load_config(profile="ci"), results_dir=str(tmp_path))
    paths = experiment_paths(config, EXPERIMENT)
    root = tmp_path / EXPERIMENT
    assert paths.root == root
    assert paths.model == root / "model.safetensors"
    assert paths.instances == root / "instances.parquet"
    assert paths.features == root / "features.parquet"
    assert paths.data_outputs == [root / "plan.parquet", root / "distribution.safetensors"]
    assert paths.metrics_outputs == [root / "features.parquet", root / "summary.json"]
    assert figure_paths(config, "f") == [tmp_path / "figures" / f"f.{ext}" for ext in ("png", "svg", "parquet")]


# --------------------------------------------------------------------------- snapshots


def snapshot_spec() -> ExperimentSpec:
    return ExperimentSpec(name="t", model="relu_output", features=4, hidden=2, grid={"feature_probability": (0.5, 1.0)},
                          training=TrainingConfig(steps=3, batch_size=8, snapshot_steps=(1, 3), compile=False,
                                                  device="cpu", eval_batches=1))


def test_stack_orders_steps_and_groups_parameters():
    tensors = {"step_00000010/W": torch.full((2, 3), 10.0), "step_00000002/W": torch.full((2, 3), 2.0),
               "step_00000010/b": torch.ones(2), "step_00000002/b": torch.zeros(2)}
    steps, stacked = stack_snapshots(tensors)
    assert steps.tolist() == [2, 10]
    assert stacked["W"].shape == (2, 2, 3) and stacked["W"][:, 0, 0].tolist() == [2.0, 10.0]
    assert stacked["b"][:, 0].tolist() == [0.0, 1.0]



@pytest.mark.parametrize("tensors, message", [
    ({"W": torch.zeros(1)}, "not of the form"),
    ({"step_00000001/W": torch.zeros(1), "step_00000002/b": torch.zeros(1)}, "expected"),
])
def test_stack_rejects_malformed_keys(tensors, message):
    with pytest.raises(ArtifactError, match=message):
        stack_snapshots(tensors)



def test_loading_snapshots_checks_shapes_and_presence(tmp_path):
    config = dataclasses.replace(load_config(profile="ci"), results_dir=str(tmp_path),
                                 experiments={"t": snapshot_spec()})
    path = experiment_paths(config, "t").snapshots
    save_tensors(path, {})
    with pytest.raises(ArtifactError, match="no snapshots"):
        load_snapshots(config, "t")
    assert load_snapshots(config, "t", required=False)[0].size == 0
    save_tensors(path, {"step_00000001/W": torch.zeros(2, 4, 3), "step_00000001/b": torch.zeros(2, 4)})
    with pytest.raises(ArtifactError, match="shape"):
        load_snapshots(config, "t")

