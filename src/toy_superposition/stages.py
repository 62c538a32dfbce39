"""The pipeline's stages, each a function of (config, name) that reads and writes artifacts.

Snakemake rules and DVC stages run these through the command line
(``toy-superposition data|train|metrics|figure NAME``); they hold no logic themselves.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import torch

from . import metrics
from .artifacts import (
    ArtifactError,
    experiment_paths,
    figure_paths,
    load_tensors,
    read_parquet,
    save_tensors,
    write_json,
    write_parquet,
)
from .config import ExperimentSpec, PipelineConfig
from .distributions import FeatureDistribution, distribution_for
from .models import parameter_shapes
from .workflow_spec import spec_hash

log = logging.getLogger(__name__)


def run_data(config: PipelineConfig, name: str) -> None:
    """Data stage: the per-instance plan (settings, seeds) and feature distributions."""
    spec = config.experiment(name)
    paths = experiment_paths(config, name)
    plan = pd.DataFrame([vars(s) for s in spec.instances()])
    plan.insert(0, "experiment", name)
    plan["seed"] = plan["seed"].astype("uint64")
    write_parquet(paths.plan, plan)
    dist = distribution_for(spec)
    save_tensors(
        paths.distribution,
        {"probability": dist.probability, "importance": dist.importance},
        metadata={"experiment": name, "kind": dist.kind, "set_size": str(dist.set_size),
                  "signed": str(dist.signed), "spec_hash": spec_hash(spec)},
    )


def load_distribution(config: PipelineConfig, spec: ExperimentSpec) -> FeatureDistribution:
    paths = experiment_paths(config, spec.name)
    shape = (spec.n_instances, spec.features)
    tensors = load_tensors(paths.distribution, {"probability": shape, "importance": shape})
    reference = distribution_for(spec)
    return FeatureDistribution(tensors["probability"], tensors["importance"], reference.kind,
                               reference.set_size, reference.signed)


def run_train(config: PipelineConfig, name: str, progress: bool = True) -> None:
    """Train stage: weights, snapshots, per-instance table and loss curve."""
    from .trainer import train

    spec = config.experiment(name)
    paths = experiment_paths(config, name)
    dist = load_distribution(config, spec)
    result = train(spec, progress=progress, distribution=dist)
    metadata = {"experiment": name, "model": spec.model, "profile": config.profile, "spec_hash": spec_hash(spec)}
    snapshot_tensors = {
        f"step_{step:08d}/{key}": value for step, tensors in result.snapshots.items() for key, value in tensors.items()
    }
    # Write the weights last: Snakemake and DVC treat the stage as done only when all exist.
    write_parquet(paths.loss_curve, result.loss_curve)
    write_parquet(paths.instances, result.instances)
    save_tensors(paths.snapshots, snapshot_tensors, metadata=metadata)
    save_tensors(paths.model, result.params, metadata=metadata)
    steps_per_second = spec.training.steps / max(result.seconds, 1e-9)
    log.info(
        "%s: %d instances × %d steps in %.1f s on %s (%.0f instance-steps/s)",
        name, spec.n_instances, spec.training.steps, result.seconds, result.device,
        steps_per_second * spec.n_instances,
    )


def load_model(config: PipelineConfig, name: str) -> dict[str, torch.Tensor]:
    spec = config.experiment(name)
    shapes = parameter_shapes(spec.model, spec.n_instances, spec.features, spec.hidden)
    return load_tensors(experiment_paths(config, name).model, shapes)


def feature_table(spec: ExperimentSpec, params: dict[str, torch.Tensor], dist: FeatureDistribution) -> pd.DataFrame:
    """One row per (instance, feature) with every per-feature metric."""
    W = metrics.embedding_of(params).double()
    n_instances, n_features = W.shape[:2]
    return pd.DataFrame(
        {
            "instance": np.repeat(np.arange(n_instances, dtype=np.int64), n_features),
            "feature": np.tile(np.arange(n_features, dtype=np.int64), n_instances),
            "importance": dist.importance.double().flatten().numpy(),
            "feature_probability": dist.probability.double().flatten().numpy(),
            "norm": metrics.feature_norms(W).flatten().numpy(),
            "interference": metrics.interference(W).flatten().numpy(),
            "dimensionality": metrics.feature_dimensionality(W).flatten().numpy(),
            "bias": params["b"].double().flatten().numpy(),
            "represented": (metrics.feature_norms(W) > metrics.REPRESENTED_NORM).flatten().numpy(),
        }
    )


def run_metrics(config: PipelineConfig, name: str) -> None:
    """Metrics stage: the per-feature table and a small JSON summary."""
    spec = config.experiment(name)
    paths = experiment_paths(config, name)
    params = load_model(config, name)
    dist = load_distribution(config, spec)
    instances = read_parquet(paths.instances)
    if len(instances) != spec.n_instances:
        raise ArtifactError(f"{paths.instances}: has {len(instances)} rows, the config plans {spec.n_instances}")
    features = feature_table(spec, params, dist)
    write_parquet(paths.features, features)

    W = metrics.embedding_of(params).double()
    selected = instances[instances["selected"]].sort_values("instance")
    d_star = metrics.dimensions_per_feature(W)
    represented = metrics.features_represented(W)
    summary = {
        "experiment": name,
        "instances": int(spec.n_instances),
        "settings": int(len(selected)),
        "final_loss_mean": float(selected["final_loss"].mean()),
        "dimensions_per_feature": {
            f"p={row.feature_probability:.4g}": float(d_star[row.instance]) for row in selected.itertuples()
        },
        "features_represented": {
            f"p={row.feature_probability:.4g}": int(represented[row.instance]) for row in selected.itertuples()
        },
    }
    write_json(paths.summary, summary)


def run_figure(config: PipelineConfig, name: str) -> None:
    """Figure stage: render one figure (PNG + SVG) and its data table."""
    from .figures import render_figure

    render_figure(config, config.figure(name), figure_paths(config, name))
