"""Where every artifact lives, and reading/writing them safely.

The file layout (the README's *artifact contract*) is defined here once; the Snakemake
rules, the dvc.yaml generator and the command line all ask this module for paths.

Writes are atomic (a temporary file in the same folder, then ``os.replace``), so an
interrupted run never leaves a half-written artifact behind, and reads of weights check
the file and name it in the error when it is corrupt.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import torch
from torch import Tensor

from .config import PipelineConfig


class ArtifactError(RuntimeError):
    """An artifact is missing, corrupt or does not match what the config says it should be."""


@dataclass(frozen=True)
class ExperimentPaths:
    root: Path
    plan: Path  # data stage: one row per instance, its settings and seed
    distribution: Path  # data stage: per-instance feature probability and importance
    model: Path  # train stage: final weights
    snapshots: Path  # train stage: weights at chosen steps
    instances: Path  # train stage: plan + final loss + selected restart
    loss_curve: Path  # train stage: loss per logged step and instance
    features: Path  # metrics stage: one row per (instance, feature)
    summary: Path  # metrics stage: small JSON summary (dvc metrics)

    @property
    def data_outputs(self) -> list[Path]:
        return [self.plan, self.distribution]

    @property
    def train_outputs(self) -> list[Path]:
        return [self.model, self.snapshots, self.instances, self.loss_curve]

    @property
    def metrics_outputs(self) -> list[Path]:
        return [self.features, self.summary]


def experiment_paths(config: PipelineConfig, experiment: str) -> ExperimentPaths:
    root = Path(config.results_dir) / experiment
    return ExperimentPaths(
        root=root,
        plan=root / "plan.parquet",
        distribution=root / "distribution.safetensors",
        model=root / "model.safetensors",
        snapshots=root / "snapshots.safetensors",
        instances=root / "instances.parquet",
        loss_curve=root / "loss_curve.parquet",
        features=root / "features.parquet",
        summary=root / "summary.json",
    )


def figure_paths(config: PipelineConfig, figure: str) -> list[Path]:
    """PNG, its vector copy (SVG) and the figure's data table."""
    root = Path(config.results_dir) / "figures"
    return [root / f"{figure}.png", root / f"{figure}.svg", root / f"{figure}.parquet"]


@contextmanager
def atomic_path(path: Path | str) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; move it into place only if the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(handle)
    temporary = Path(temporary)
    # mkstemp creates the file 0600; give it the permissions a plain open() would (0666 & ~umask).
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(temporary, 0o666 & ~umask)
    try:
        yield temporary
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def save_tensors(path: Path | str, tensors: dict[str, Tensor], metadata: dict[str, str] | None = None) -> None:
    from safetensors.torch import save

    with atomic_path(path) as temporary:
        data = save({k: v.detach().cpu().contiguous() for k, v in tensors.items()}, metadata=metadata)
        temporary.write_bytes(_sorted_metadata(data))


def _sorted_metadata(data: bytes) -> bytes:
    """safetensors writes ``__metadata__`` in hash-map order, which changes from run to run;
    sort it so the same tensors and metadata always give the same bytes."""
    length = int.from_bytes(data[:8], "little")
    header = json.loads(data[8 : 8 + length])
    if "__metadata__" not in header:
        return data
    header["__metadata__"] = dict(sorted(header["__metadata__"].items()))
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)  # the data stays 8-byte aligned, as safetensors writes it
    return len(text).to_bytes(8, "little") + text + data[8 + length :]


def load_tensors(path: Path | str, expected: dict[str, tuple[int, ...]] | None = None) -> dict[str, Tensor]:
    """Load a safetensors file, with a clear error naming the file if it is missing or corrupt.

    ``expected`` maps tensor names to shapes; a missing tensor, a wrong shape or a
    non-finite value is reported as an :class:`ArtifactError`.
    """
    from safetensors.torch import load_file

    path = Path(path)
    if not path.exists():
        raise ArtifactError(f"{path}: file does not exist (run the stage that makes it first)")
    try:
        tensors = load_file(str(path))
    except Exception as error:  # safetensors raises several types for a damaged header or body
        raise ArtifactError(f"{path}: not a readable safetensors file ({error}); delete it and rerun its stage") from None
    for name, shape in (expected or {}).items():
        if name not in tensors:
            raise ArtifactError(f"{path}: tensor {name!r} is missing (has {sorted(tensors)})")
        if tuple(tensors[name].shape) != tuple(shape):
            raise ArtifactError(
                f"{path}: tensor {name!r} has shape {tuple(tensors[name].shape)}, expected {tuple(shape)};"
                " the config changed since it was made, rerun its stage"
            )
    for name, tensor in tensors.items():
        if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all()):
            raise ArtifactError(f"{path}: tensor {name!r} contains NaN or inf")
    return tensors


def tensor_metadata(path: Path | str) -> dict[str, str]:
    from safetensors import safe_open

    with safe_open(str(path), framework="pt") as handle:
        return dict(handle.metadata() or {})


def write_parquet(path: Path | str, table: pd.DataFrame) -> None:
    with atomic_path(path) as temporary:
        table.to_parquet(temporary, index=False, engine="pyarrow", compression="zstd")


def read_parquet(path: Path | str) -> pd.DataFrame:
    path = Path(path)
    if not path.exists():
        raise ArtifactError(f"{path}: file does not exist (run the stage that makes it first)")
    try:
        return pd.read_parquet(path, engine="pyarrow")
    except Exception as error:
        raise ArtifactError(f"{path}: not a readable Parquet file ({error}); delete it and rerun its stage") from None


def write_json(path: Path | str, data: dict) -> None:
    with atomic_path(path) as temporary:
        temporary.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
