"""The stages' outputs follow the artifact contract, and each stage reads only what the one before wrote."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
import torch

from toy_superposition import __version__, metrics
from toy_superposition.artifacts import (
    ArtifactError,
    load_distribution,
    load_model,
    load_snapshots,
    load_tensors,
    parquet_metadata,
    plan_table,
    read_parquet,
    save_tensors,
    tensor_metadata,
    write_parquet,
)
from toy_superposition.config import load_config, with_training
from toy_superposition.paths import experiment_paths
from toy_superposition.pipeline import stages
from toy_superposition.pipeline.dag import code_deps
from toy_superposition.provenance import stamp

from ..helpers import plan_seeds
from ..test_artifacts import snapshot_spec

EXPERIMENT = "intro-5-in-2"


def leftovers(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


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

    assert not torch.equal(params["W"], init_parameters(trained.experiment(EXPERIMENT), plan_seeds(trained.experiment(EXPERIMENT)))["W"])
    snapshots = load_tensors(paths.snapshots)
    assert set(snapshots) == {f"step_{s:08d}/{k}" for s in (0, 30) for k in ("W", "b")}
    assert torch.equal(snapshots["step_00000030/W"], params["W"])
    assert torch.equal(snapshots["step_00000000/W"], init_parameters(trained.experiment(EXPERIMENT), plan_seeds(trained.experiment(EXPERIMENT)))["W"])


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


def test_every_artifact_records_the_version_and_its_stages_code_commit(trained):
    paths = experiment_paths(trained, EXPERIMENT)
    made_by = {stage: stamp(code_deps(stage)) for stage in ("data", "train", "metrics")}
    assert made_by["train"]["toy_superposition_version"] == __version__
    assert made_by["train"]["code_commit"] != ""
    for stage, files in (("data", [paths.plan, paths.distribution]),
                         ("train", [paths.model, paths.snapshots, paths.instances, paths.loss_curve]),
                         ("metrics", [paths.features])):
        for path in files:
            metadata = tensor_metadata(path) if path.suffix == ".safetensors" else parquet_metadata(path)
            assert {key: metadata.get(key) for key in made_by[stage]} == made_by[stage], path
    assert json.loads(paths.summary.read_text())["provenance"] == made_by["metrics"]


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
    with pytest.raises(ArtifactError, match="plan.parquet"):
        stages.run_train(config, EXPERIMENT, progress=False)


def test_training_snapshots_round_trip(tmp_path):
    """The train stage's snapshots load back at the configured steps, the last equal to the final weights."""
    base = load_config(profile="ci")
    experiment = dataclasses.replace(snapshot_spec(), name="correlated-6-in-3")
    config = dataclasses.replace(base, results_dir=str(tmp_path), experiments={"correlated-6-in-3": experiment})
    stages.run_data(config, "correlated-6-in-3")
    stages.run_train(config, "correlated-6-in-3", progress=False)
    steps, stacked = load_snapshots(config, "correlated-6-in-3")
    assert steps.tolist() == [1, 3]
    final = load_model(config, "correlated-6-in-3")
    np.testing.assert_array_equal(stacked["W"][-1], final["W"])
    assert not torch.equal(stacked["W"][0], stacked["W"][-1])



# --------------------------------------------------------------------------- data stage -> train stage


def test_train_takes_its_settings_and_seeds_from_the_plan_and_refuses_a_stale_one(tmp_path):
    """The data stage's plan is the train stage's only source of per-instance settings: a plan
    that disagrees with the config (here: another seed) is refused, naming the column and instance."""
    config = tiny_config(tmp_path)
    stages.run_data(config, EXPERIMENT)
    path = experiment_paths(config, EXPERIMENT).plan
    plan = read_parquet(path)
    plan.loc[2, "seed"] = np.uint64(12345)
    write_parquet(path, plan)
    with pytest.raises(ArtifactError, match=r"plan.parquet: column 'seed' differs from the config at instance 2"):
        stages.run_train(config, EXPERIMENT, progress=False)
    assert not experiment_paths(config, EXPERIMENT).model.exists()  # nothing half-made


def test_a_plan_of_another_grid_is_refused(tmp_path):
    config = tiny_config(tmp_path)
    stages.run_data(config, EXPERIMENT)
    path = experiment_paths(config, EXPERIMENT).plan
    write_parquet(path, read_parquet(path).iloc[:-1])
    with pytest.raises(ArtifactError, match="rerun the data stage"):
        stages.run_train(config, EXPERIMENT, progress=False)


def test_a_distribution_made_for_other_settings_is_refused(tmp_path):
    config = tiny_config(tmp_path)
    stages.run_data(config, EXPERIMENT)
    changed = dataclasses.replace(config, experiments={
        **config.experiments, EXPERIMENT: with_training(config.experiment(EXPERIMENT), steps=31)})
    write_parquet(experiment_paths(config, EXPERIMENT).plan, plan_table(changed.experiment(EXPERIMENT)))
    with pytest.raises(ArtifactError, match="distribution.safetensors: made for other settings"):
        stages.run_train(changed, EXPERIMENT, progress=False)


def test_the_distribution_kind_is_read_from_the_file(tmp_path):
    """The train and metrics stages take the distribution's kind from the data stage's file, not the config."""
    config = tiny_config(tmp_path)
    stages.run_data(config, EXPERIMENT)
    path = experiment_paths(config, EXPERIMENT).distribution
    tensors = load_tensors(path)
    metadata = tensor_metadata(path) | {"kind": "anticorrelated", "set_size": "5"}
    save_tensors(path, tensors, metadata=metadata)
    dist = load_distribution(config, EXPERIMENT)
    assert (dist.kind, dist.set_size, dist.signed) == ("anticorrelated", 5, False)
    assert torch.equal(dist.probability, tensors["probability"])
