"""The pipeline's stages, each a function of (config, name) that reads and writes artifacts.

Snakemake rules and DVC stages run these through the command line
(``toy-superposition data|train|metrics|figure NAME``); they hold no logic themselves. Each
stage reads only what the stage before it wrote: training takes its per-instance settings,
seeds and feature distribution from the data stage's files (refusing them when the config
has changed since), the metrics read the weights, the figures read everything of their
experiments.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import torch

from .. import metrics
from ..artifacts import (
    ArtifactError,
    load_distribution,
    load_model,
    load_plan,
    plan_table,
    read_parquet,
    save_tensors,
    snapshot_key,
    write_json,
    write_parquet,
)
from ..config import ExperimentSpec, PipelineConfig, spec_hash
from ..distributions import FeatureDistribution, distribution_for
from ..figures import render_figure
from ..paths import experiment_paths, figure_paths
from ..provenance import stamp
from ..training.trainer import train
from .dag import code_deps

log = logging.getLogger(__name__)


def run_data(config: PipelineConfig, name: str) -> None:
    """Data stage: the per-instance plan (settings, seeds) and feature distributions."""
    spec = config.experiment(name)
    paths = experiment_paths(config, name)
    provenance = stamp(code_deps("data"))
    write_parquet(paths.plan, plan_table(spec), metadata=provenance)
    dist = distribution_for(spec)
    save_tensors(
        paths.distribution,
        {"probability": dist.probability, "importance": dist.importance},
        metadata={"experiment": name, "kind": dist.kind, "set_size": str(dist.set_size),
                  "signed": str(dist.signed), "spec_hash": spec_hash(spec), **provenance},
    )


def run_train(config: PipelineConfig, name: str, progress: bool = True) -> None:
    """Train stage: weights, snapshots, per-instance table and loss curve."""
    spec = config.experiment(name)
    paths = experiment_paths(config, name)
    result = train(spec, load_plan(config, name), load_distribution(config, name), progress=progress)
    provenance = stamp(code_deps("train"))
    metadata = {"experiment": name, "model": spec.model, "profile": config.profile, "spec_hash": spec_hash(spec),
                **provenance}
    snapshot_tensors = {
        snapshot_key(step, key): value for step, tensors in result.snapshots.items() for key, value in tensors.items()
    }
    # Write the weights last: Snakemake and DVC treat the stage as done only when all exist.
    write_parquet(paths.loss_curve, result.loss_curve, metadata=provenance)
    write_parquet(paths.instances, result.instances, metadata=provenance)
    save_tensors(paths.snapshots, snapshot_tensors, metadata=metadata)
    save_tensors(paths.model, result.params, metadata=metadata)
    steps_per_second = spec.training.steps / max(result.seconds, 1e-9)
    log.info(
        "%s: %d instances × %d steps in %.1f s on %s (%.0f instance-steps/s)",
        name, spec.n_instances, spec.training.steps, result.seconds, result.device,
        steps_per_second * spec.n_instances,
    )


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
    dist = load_distribution(config, name)
    instances = read_parquet(paths.instances)
    if len(instances) != spec.n_instances:
        raise ArtifactError(f"{paths.instances}: has {len(instances)} rows, the config plans {spec.n_instances}")
    features = feature_table(spec, params, dist)
    provenance = stamp(code_deps("metrics"))
    write_parquet(paths.features, features, metadata=provenance)

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
        "provenance": provenance,
    }
    write_json(paths.summary, summary)


def run_figure(config: PipelineConfig, name: str) -> None:
    """Figure stage: render one figure (PNG + SVG) and its data table."""
    render_figure(config, config.figure(name), figure_paths(config, name), provenance=stamp(code_deps("figure", name)))
