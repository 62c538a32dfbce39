"""Artifact I/O (round trips, corrupt files, atomic writes) and the stage outputs' contract."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest
import torch

from toy_superposition import metrics, stages
from toy_superposition.artifacts import (
    ArtifactError,
    atomic_path,
    experiment_paths,
    figure_paths,
    load_tensors,
    read_parquet,
    save_tensors,
    tensor_metadata,
    write_json,
    write_parquet,
)
from toy_superposition.config import load_config, with_training

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


# --------------------------------------------------------------------------- stages


def tiny_config(results_dir) -> object:
    """The ci profile with intro-5-in-2 cut to a few hundred instance-steps, results in ``results_dir``."""
    config = load_config(profile="ci")
    spec = with_training(
        config.experiment(EXPERIMENT), steps=30, batch_size=64, eval_batches=2, log_every=10,
        device="cpu", compile=False, snapshot_steps=(0, 30),
    )
    spec = dataclasses.replace(spec, restarts=3, grid={"feature_probability": (1.0, 0.3, 0.05)})
    return dataclasses.replace(config, results_dir=str(results_dir), experiments={**config.experiments, EXPERIMENT: spec})


def run_all(config) -> None:
    stages.run_data(config, EXPERIMENT)
    stages.run_train(config, EXPERIMENT, progress=False)
    stages.run_metrics(config, EXPERIMENT)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    config = tiny_config(tmp_path_factory.mktemp("results"))
    run_all(config)
    return config


def test_stage_outputs_exist_and_leave_no_temporary_files(trained):
    paths = experiment_paths(trained, EXPERIMENT)
    for path in paths.data_outputs + paths.train_outputs + paths.metrics_outputs:
        assert path.is_file(), path
    assert leftovers(paths.root) == []


def test_plan_and_distribution(trained):
    spec = trained.experiment(EXPERIMENT)
    paths = experiment_paths(trained, EXPERIMENT)
    plan = read_parquet(paths.plan)
    assert len(plan) == 9
    assert plan["instance"].tolist() == list(range(9))
    assert plan["seed"].tolist() == [s.seed for s in spec.instances()]
    assert (plan["experiment"] == EXPERIMENT).all()
    dist = load_tensors(paths.distribution, {"probability": (9, 5), "importance": (9, 5)})
    torch.testing.assert_close(dist["probability"][:, 0], torch.tensor([1.0] * 3 + [0.3] * 3 + [0.05] * 3))
    torch.testing.assert_close(dist["importance"][4], 0.9 ** torch.arange(5.0))
    assert tensor_metadata(paths.distribution)["spec_hash"] == stages.spec_hash(spec)


def test_model_file_follows_the_contract(trained):
    paths = experiment_paths(trained, EXPERIMENT)
    params = load_tensors(paths.model)
    assert set(params) == {"W", "b"}
    assert params["W"].shape == (9, 5, 2) and params["b"].shape == (9, 5)
    assert params["W"].dtype == params["b"].dtype == torch.float32
    metadata = tensor_metadata(paths.model)
    assert metadata["experiment"] == EXPERIMENT and metadata["model"] == "relu_output" and metadata["profile"] == "ci"
    # the weights moved away from their initialisation
    from toy_superposition.models import init_parameters

    assert not torch.equal(params["W"], init_parameters(trained.experiment(EXPERIMENT))["W"])
    snapshots = load_tensors(paths.snapshots)
    assert set(snapshots) == {f"step_{s:08d}/{k}" for s in (0, 30) for k in ("W", "b")}
    assert torch.equal(snapshots["step_00000030/W"], params["W"])
    assert torch.equal(snapshots["step_00000000/W"], init_parameters(trained.experiment(EXPERIMENT))["W"])


def test_instances_table_follows_the_contract(trained):
    spec = trained.experiment(EXPERIMENT)
    table = read_parquet(experiment_paths(trained, EXPERIMENT).instances)
    assert len(table) == spec.n_instances == 9
    assert table["instance"].tolist() == list(range(9))
    for column in ["experiment", "instance", "setting", "restart", "seed", "feature_probability",
                   "importance_decay", "dropout", "l1_penalty", "final_loss", "selected"]:
        assert column in table.columns, column
    for row, settings in zip(table.itertuples(), spec.instances()):
        assert (row.setting, row.restart, row.seed) == (settings.setting, settings.restart, settings.seed)
        assert row.feature_probability == settings.feature_probability
    assert table["selected"].dtype == bool
    assert np.isfinite(table["final_loss"]).all() and (table["final_loss"] > 0).all()
    # exactly one selected restart per setting, the one with the lowest final loss
    for setting, group in table.groupby("setting"):
        assert group["selected"].sum() == 1, setting
        assert group.loc[group["selected"], "final_loss"].iloc[0] == group["final_loss"].min()


def test_loss_curve(trained):
    curve = read_parquet(experiment_paths(trained, EXPERIMENT).loss_curve)
    assert list(curve.columns) == ["step", "instance", "loss"]
    assert sorted(curve["step"].unique().tolist()) == [10, 20, 30]
    assert len(curve) == 3 * 9
    assert np.isfinite(curve["loss"]).all()


def test_features_table_equals_metrics_of_saved_weights(trained):
    paths = experiment_paths(trained, EXPERIMENT)
    W = load_tensors(paths.model)["W"].double()
    table = read_parquet(paths.features)
    assert len(table) == 9 * 5
    for column in ["instance", "feature", "norm", "interference", "dimensionality"]:
        assert column in table.columns
    assert table["instance"].tolist() == [k for k in range(9) for _ in range(5)]
    assert table["feature"].tolist() == list(range(5)) * 9
    W_by_row = W[torch.tensor(table["instance"].to_numpy()), torch.tensor(table["feature"].to_numpy())]  # (rows, m)
    np.testing.assert_allclose(table["norm"], W_by_row.norm(dim=-1).numpy(), rtol=1e-12)
    for column, metric in [("norm", metrics.feature_norms), ("interference", metrics.interference),
                           ("dimensionality", metrics.feature_dimensionality)]:
        expected = metric(W).numpy()[table["instance"], table["feature"]]
        np.testing.assert_allclose(table[column].to_numpy(), expected, rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(table["represented"], table["norm"] > metrics.REPRESENTED_NORM)


def test_summary(trained):
    paths = experiment_paths(trained, EXPERIMENT)
    summary = json.loads(paths.summary.read_text())
    instances = read_parquet(paths.instances)
    selected = instances[instances["selected"]]
    assert summary["experiment"] == EXPERIMENT
    assert summary["instances"] == 9 and summary["settings"] == 3
    assert summary["final_loss_mean"] == pytest.approx(selected["final_loss"].mean())
    W = load_tensors(paths.model)["W"].double()
    d_star = metrics.dimensions_per_feature(W)
    assert set(summary["dimensions_per_feature"]) == {"p=1", "p=0.3", "p=0.05"}
    for row in selected.itertuples():
        assert summary["dimensions_per_feature"][f"p={row.feature_probability:.4g}"] == pytest.approx(float(d_star[row.instance]))


def test_training_twice_gives_identical_bytes(trained, tmp_path):
    again = tiny_config(tmp_path)
    run_all(again)
    first, second = experiment_paths(trained, EXPERIMENT), experiment_paths(again, EXPERIMENT)
    for attribute in ["plan", "distribution", "model", "snapshots", "instances", "loss_curve", "features"]:
        assert getattr(first, attribute).read_bytes() == getattr(second, attribute).read_bytes(), attribute


def test_metrics_refuses_a_model_that_does_not_match_the_config(trained, tmp_path):
    config = tiny_config(tmp_path)
    run_all(config)
    spec = config.experiment(EXPERIMENT)
    bigger = dataclasses.replace(config, experiments={**config.experiments, EXPERIMENT: dataclasses.replace(spec, hidden=3)})
    with pytest.raises(ArtifactError, match="shape"):
        stages.run_metrics(bigger, EXPERIMENT)


def test_train_without_data_stage_fails_naming_the_file(tmp_path):
    config = tiny_config(tmp_path)
    with pytest.raises(ArtifactError, match="distribution.safetensors"):
        stages.run_train(config, EXPERIMENT, progress=False)
