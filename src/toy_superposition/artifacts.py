"""Reading and writing artifacts safely, and loading each stage's outputs as the next one needs them.

Where the files live is :mod:`.paths`; what they hold is the README's artifact contract.
Writes are atomic (a temporary file in the same folder, then ``os.replace``), so an
interrupted run never leaves a half-written artifact behind, and reads of weights check
the file and name it in the error when it is corrupt.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torch import Tensor

from .config import ExperimentSpec, PipelineConfig, spec_hash
from .distributions import FeatureDistribution
from .models import parameter_shapes
from .paths import experiment_paths


class ArtifactError(RuntimeError):
    """An artifact is missing, corrupt or does not match what the config says it should be."""


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


def write_parquet(path: Path | str, table: pd.DataFrame, metadata: dict[str, str] | None = None) -> None:
    """Write ``table`` (no index), with ``metadata`` as the file's key-value metadata (beside pandas')."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    arrow = pa.Table.from_pandas(table, preserve_index=False)
    if metadata:
        arrow = arrow.replace_schema_metadata({**(arrow.schema.metadata or {}), **dict(sorted(metadata.items()))})
    with atomic_path(path) as temporary:
        pq.write_table(arrow, temporary, compression="zstd")


def parquet_metadata(path: Path | str) -> dict[str, str]:
    """The key-value metadata of a Parquet file, without pandas' own schema entry."""
    import pyarrow.parquet as pq

    raw = pq.read_schema(path).metadata or {}
    return {key.decode(): value.decode() for key, value in raw.items() if key != b"pandas"}


def read_parquet(path: Path | str) -> pd.DataFrame:
    path = Path(path)
    if not path.exists():
        raise ArtifactError(f"{path}: file does not exist (run the stage that makes it first)")
    try:
        return pd.read_parquet(path, engine="pyarrow")
    except Exception as error:
        raise ArtifactError(f"{path}: not a readable Parquet file ({error}); delete it and rerun its stage") from None


def write_json(path: Path | str, data: dict) -> None:
    """Write ``data`` as sorted, indented JSON (a stable byte form for git-tracked metrics)."""
    with atomic_path(path) as temporary:
        temporary.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")


# --------------------------------------------------------------------------- stage outputs

#: Key of one snapshot tensor in snapshots.safetensors: ``step_00001000/W``.
_SNAPSHOT_KEY = re.compile(r"^step_(\d{8})/(\w+)$")


def snapshot_key(step: int, name: str) -> str:
    return f"step_{step:08d}/{name}"


def plan_table(spec: ExperimentSpec) -> pd.DataFrame:
    """The data stage's plan: one row per instance (grid point × restart), its settings and seed."""
    plan = pd.DataFrame([vars(s) for s in spec.instances()])
    plan.insert(0, "experiment", spec.name)
    plan["seed"] = plan["seed"].astype("uint64")
    return plan


def load_plan(config: PipelineConfig, name: str) -> pd.DataFrame:
    """plan.parquet of experiment ``name``, refused with an :class:`ArtifactError` when it is
    not the plan the config describes (the config changed since the data stage ran)."""
    path = experiment_paths(config, name).plan
    plan = read_parquet(path)
    expected = plan_table(config.experiment(name))
    if list(plan.columns) != list(expected.columns) or len(plan) != len(expected):
        raise ArtifactError(
            f"{path}: has {len(plan)} rows and columns {list(plan.columns)}, the config plans {len(expected)} rows"
            f" of {list(expected.columns)}; rerun the data stage"
        )
    for column in expected.columns:
        if not plan[column].equals(expected[column]):
            row = int((plan[column] != expected[column]).to_numpy().nonzero()[0][0])
            raise ArtifactError(
                f"{path}: column {column!r} differs from the config at instance {row}"
                f" ({plan[column].iloc[row]!r}, config: {expected[column].iloc[row]!r}); rerun the data stage"
            )
    return plan


def load_distribution(config: PipelineConfig, name: str) -> FeatureDistribution:
    """distribution.safetensors of experiment ``name``: probabilities, importances and, from the
    file's metadata, the kind of distribution; refused when it was made for other settings."""
    spec = config.experiment(name)
    path = experiment_paths(config, name).distribution
    shape = (spec.n_instances, spec.features)
    tensors = load_tensors(path, {"probability": shape, "importance": shape})
    metadata = tensor_metadata(path)
    if metadata.get("spec_hash") != spec_hash(spec):
        raise ArtifactError(
            f"{path}: made for other settings of experiment {name} (spec hash {metadata.get('spec_hash')},"
            f" config {spec_hash(spec)}); rerun the data stage"
        )
    return FeatureDistribution(
        tensors["probability"], tensors["importance"], metadata["kind"], int(metadata["set_size"]),
        metadata["signed"] == "True",
    )


def load_model(config: PipelineConfig, name: str) -> dict[str, Tensor]:
    """model.safetensors of experiment ``name``, shapes checked against the config."""
    spec = config.experiment(name)
    shapes = parameter_shapes(spec.model, spec.n_instances, spec.features, spec.hidden)
    return load_tensors(experiment_paths(config, name).model, shapes)


def stack_snapshots(tensors: dict[str, Tensor]) -> tuple[np.ndarray, dict[str, Tensor]]:
    """``{"step_00000010/W": (I, n, m), ...}`` → (steps (T,), {"W": (T, I, n, m), ...}), steps ascending."""
    by_step: dict[int, dict[str, Tensor]] = {}
    for key, value in tensors.items():
        match = _SNAPSHOT_KEY.match(key)
        if match is None:
            raise ArtifactError(f"snapshot key {key!r} is not of the form step_XXXXXXXX/NAME")
        by_step.setdefault(int(match.group(1)), {})[match.group(2)] = value
    steps = sorted(by_step)
    if not steps:
        return np.zeros(0, dtype=np.int64), {}
    names = sorted(by_step[steps[0]])
    for step in steps:
        if sorted(by_step[step]) != names:
            raise ArtifactError(f"snapshot at step {step} has tensors {sorted(by_step[step])}, expected {names}")
    stacked = {name: torch.stack([by_step[step][name] for step in steps]) for name in names}
    return np.asarray(steps, dtype=np.int64), stacked


def load_snapshots(
    config: PipelineConfig, name: str, required: bool = True
) -> tuple[np.ndarray, dict[str, Tensor]]:
    """Experiment ``name``'s snapshots: (steps (T,), {"W": (T, I, n, m), "b": (T, I, n)}).

    Raises :class:`ArtifactError` when their shapes do not match the config, or, if
    ``required``, when the file has none (the experiment's ``training.snapshot_steps`` is empty).
    """
    spec = config.experiment(name)
    path = experiment_paths(config, name).snapshots
    steps, stacked = stack_snapshots(load_tensors(path))
    if len(steps) == 0 and not required:
        return steps, stacked
    if len(steps) == 0:
        raise ArtifactError(f"{path}: no snapshots; set training.snapshot_steps for experiment {spec.name}")
    shapes = parameter_shapes(spec.model, spec.n_instances, spec.features, spec.hidden)
    for key, shape in shapes.items():
        if key not in stacked or tuple(stacked[key].shape[1:]) != shape:
            got = tuple(stacked[key].shape[1:]) if key in stacked else None
            raise ArtifactError(f"{path}: snapshot tensor {key!r} has shape {got}, expected {shape}; rerun training")
    return steps, stacked
