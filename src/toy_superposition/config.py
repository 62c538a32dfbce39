"""Load, validate and resolve the pipeline configuration (``config/config.yaml``).

The YAML file is the one source of truth for every experiment. This module

1. validates the raw file against ``config.schema.json`` (shipped inside the package; its keys
   carry descriptions, and the ``default`` of every optional key, which this module reads, so
   each default is stated once),
2. applies the chosen profile (training sizes, per-experiment overrides),
3. expands sequences (``{geomspace: [start, stop, count]}``) and range-checks
   the values a schema cannot express (a feature probability above 1, say),
4. expands each experiment's grid × restarts into a per-instance *plan*.

Every error is a :class:`ConfigError` naming the offending key, e.g.
``experiments.intro-5-in-2.hidden: 0 is less than the minimum of 1``.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import itertools
import json
import math
from dataclasses import asdict, dataclass, field, fields, replace
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import numpy as np
import yaml

#: The configuration file, relative to the project's root (where Snakemake and DVC run the stages).
CONFIG_FILE = Path("config") / "config.yaml"
SCHEMA = json.loads(resources.files(__package__).joinpath("config.schema.json").read_text(encoding="utf-8"))


def _defaults(definition: str) -> dict[str, Any]:
    """The ``default`` of every key of one ``$defs`` entry of the schema."""
    properties = SCHEMA["$defs"][definition]["properties"]
    return {key: value["default"] for key, value in properties.items() if "default" in value}


TRAINING_DEFAULTS = _defaults("training")
EXPERIMENT_DEFAULTS = _defaults("experiment")

MODEL_KINDS = ("linear", "relu_output", "relu_output_dropout", "relu_hidden", "absolute_value",
               "relu_output_bias_free", "gelu_output", "silu_output", "tanh_output", "relu_hidden_bias")
#: Per-instance settings a grid can vary, in the order the grid is expanded. The "extra"
#: feature is the last one (the paper's phase diagrams and the perturbed pentagon vary it
#: alone); NaN means "like the others".
GRID_AXES = (
    "feature_probability",
    "extra_feature_probability",
    "importance_decay",
    "extra_feature_importance",
    "dropout",
    "l1_penalty",
    "adversarial_fraction",
)


class ConfigError(ValueError):
    """A malformed or out-of-range configuration value; the message names the key."""


@dataclass(frozen=True)
class TrainingConfig:
    """Optimisation settings; each key's meaning and default (the paper's reference code) are in
    the schema, ``$defs.training``."""

    steps: int = TRAINING_DEFAULTS["steps"]
    batch_size: int = TRAINING_DEFAULTS["batch_size"]
    learning_rate: float = TRAINING_DEFAULTS["learning_rate"]
    weight_decay: float = TRAINING_DEFAULTS["weight_decay"]
    optimizer: Literal["adamw", "sgd"] = TRAINING_DEFAULTS["optimizer"]
    lr_schedule: Literal["constant", "linear", "cosine"] = TRAINING_DEFAULTS["lr_schedule"]
    log_every: int = TRAINING_DEFAULTS["log_every"]
    eval_batches: int = TRAINING_DEFAULTS["eval_batches"]
    snapshot_steps: tuple[int, ...] = tuple(TRAINING_DEFAULTS["snapshot_steps"])
    device: Literal["auto", "cpu", "cuda"] = TRAINING_DEFAULTS["device"]
    compile: Literal["auto"] | bool = TRAINING_DEFAULTS["compile"]
    init: Literal["per_instance", "reference"] | float = TRAINING_DEFAULTS["init"]


@dataclass(frozen=True)
class InstanceSettings:
    """What distinguishes one trained instance from the others of its experiment."""

    instance: int
    setting: int  # index of the grid point; restarts share it
    restart: int
    seed: int
    feature_probability: float
    importance_decay: float
    dropout: float
    l1_penalty: float
    extra_feature_probability: float = float("nan")
    extra_feature_importance: float = float("nan")
    adversarial_fraction: float = 0.0  # adversarial training's attack norm / mean input norm (0: none)


@dataclass(frozen=True)
class ExperimentSpec:
    """One experiment: a model kind and shape, trained at every grid point × restart."""

    name: str
    model: str
    features: int
    hidden: int
    grid: dict[str, tuple[float, ...]]
    training: TrainingConfig
    importance_decay: float = EXPERIMENT_DEFAULTS["importance_decay"]
    distribution: Literal["independent", "correlated", "anticorrelated"] = EXPERIMENT_DEFAULTS["distribution"]
    set_size: int = EXPERIMENT_DEFAULTS["set_size"]
    restarts: int = EXPERIMENT_DEFAULTS["restarts"]
    l1_penalty: float = EXPERIMENT_DEFAULTS["l1_penalty"]
    description: str = EXPERIMENT_DEFAULTS["description"]
    seed: int = 0  # derived from the global seed and the experiment's name

    @property
    def tied(self) -> bool:
        return self.model != "absolute_value"

    def instances(self) -> list[InstanceSettings]:
        """The grid (in the axis order of GRID_AXES) × restarts, restarts innermost (a copy of
        the list expanded once per spec)."""
        return list(self._instances)

    @functools.cached_property
    def _instances(self) -> tuple[InstanceSettings, ...]:
        axes = [axis for axis in GRID_AXES if axis in self.grid]
        defaults = {
            "feature_probability": 1.0,
            "importance_decay": self.importance_decay,
            "dropout": 0.0,
            "l1_penalty": self.l1_penalty,
            "extra_feature_probability": float("nan"),
            "extra_feature_importance": float("nan"),
            "adversarial_fraction": 0.0,
        }
        plan = []
        points = itertools.product(*(self.grid[axis] for axis in axes))
        for setting, point in enumerate(points):
            values = defaults | dict(zip(axes, point))
            for restart in range(self.restarts):
                index = len(plan)
                plan.append(
                    InstanceSettings(
                        instance=index,
                        setting=setting,
                        restart=restart,
                        seed=derive_seed(self.seed, "instance", index),
                        **{k: float(v) for k, v in values.items()},
                    )
                )
        return tuple(plan)

    @property
    def n_instances(self) -> int:
        return math.prod(len(values) for values in self.grid.values()) * self.restarts

    def to_json(self) -> dict[str, Any]:
        return json.loads(json.dumps(asdict(self)))


@dataclass(frozen=True)
class FigureSpec:
    name: str
    experiments: tuple[str, ...]
    section: str = ""
    description: str = ""


@dataclass(frozen=True)
class PipelineConfig:
    """The resolved configuration for one profile."""

    profile: str
    results_dir: str
    seed: int
    experiments: dict[str, ExperimentSpec]
    figures: dict[str, FigureSpec]
    raw: dict[str, Any] = field(repr=False, compare=False, default_factory=dict)

    def experiment(self, name: str) -> ExperimentSpec:
        try:
            return self.experiments[name]
        except KeyError:
            raise ConfigError(f"experiments.{name}: no such experiment (known: {', '.join(self.experiments)})") from None

    def figure(self, name: str) -> FigureSpec:
        try:
            return self.figures[name]
        except KeyError:
            raise ConfigError(f"figures.{name}: no such figure (known: {', '.join(self.figures)})") from None

    def experiment_dir(self, name: str) -> Path:
        return Path(self.results_dir) / name

    @property
    def figures_dir(self) -> Path:
        return Path(self.results_dir) / "figures"


def spec_hash(spec: ExperimentSpec) -> str:
    """A short hash of everything that determines an experiment's results."""
    return hashlib.sha256(json.dumps(spec.to_json(), sort_keys=True).encode()).hexdigest()[:16]


def derive_seed(*parts: object) -> int:
    """A stable 63-bit seed from any parts (sha256 of their repr), independent of PYTHONHASHSEED."""
    digest = hashlib.sha256(repr(parts).encode()).digest()
    return int.from_bytes(digest[:8], "little") >> 1


def expand_sequence(value: Any, key: str) -> tuple[float, ...]:
    """A list stays a list; ``{geomspace: [start, stop, count]}`` becomes log-spaced values."""
    if isinstance(value, dict):
        start, stop, count = value["geomspace"]
        return tuple(float(v) for v in np.geomspace(start, stop, int(count)))
    if isinstance(value, (list, tuple)):
        return tuple(float(v) for v in value)
    if isinstance(value, (int, float)):
        return (float(value),)
    raise ConfigError(f"{key}: expected a list or {{geomspace: [start, stop, count]}}, got {value!r}")


def deep_merge(base: dict, override: dict) -> dict:
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict) and "geomspace" not in value:
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _schema_error_key(error) -> str:
    path = ".".join(str(p) for p in error.absolute_path)
    return path or "<config>"


def default_config_path() -> Path:
    """config/config.yaml in the working directory (the project's root, where the stages run)."""
    if not CONFIG_FILE.exists():
        raise ConfigError(
            f"{CONFIG_FILE}: not found in {Path.cwd()}; run from the project's root (a clone of the repository)"
            " or pass --config PATH"
        )
    return CONFIG_FILE


@functools.cache
def _validator():
    import jsonschema  # the Snakefile resolves the config once; the import is its biggest cost

    return jsonschema.Draft202012Validator(SCHEMA)


def validate_against_schema(raw: dict) -> None:
    validator = _validator()
    errors = sorted(validator.iter_errors(raw), key=lambda e: (len(list(e.absolute_path)), str(e.absolute_path)))
    if errors:
        # The deepest error of the first failing branch names the key most precisely.
        error = errors[0]
        leaves = list(error.context or [])
        if leaves:
            error = max(leaves, key=lambda e: len(list(e.absolute_path)))
        raise ConfigError(f"{_schema_error_key(error)}: {error.message}")


def _check_ranges(spec: ExperimentSpec) -> None:
    key = f"experiments.{spec.name}"
    for value in spec.grid.get("feature_probability", ()):
        if not 0.0 < value <= 1.0:
            raise ConfigError(f"{key}.grid.feature_probability: {value} is not in (0, 1]")
    for value in spec.grid.get("dropout", ()):
        if not 0.0 <= value < 1.0:
            raise ConfigError(f"{key}.grid.dropout: {value} is not in [0, 1)")
    for value in spec.grid.get("extra_feature_probability", ()):
        if not 0.0 < value <= 1.0:
            raise ConfigError(f"{key}.grid.extra_feature_probability: {value} is not in (0, 1]")
    for value in spec.grid.get("extra_feature_importance", ()):
        if value < 0.0:
            raise ConfigError(f"{key}.grid.extra_feature_importance: {value} must be non-negative")
    for value in spec.grid.get("importance_decay", ()):
        if value <= 0.0:
            raise ConfigError(f"{key}.grid.importance_decay: {value} must be positive")
    for value in spec.grid.get("l1_penalty", ()):
        if value < 0.0:
            raise ConfigError(f"{key}.grid.l1_penalty: {value} must be non-negative")
    for value in spec.grid.get("adversarial_fraction", ()):
        if value < 0.0:
            raise ConfigError(f"{key}.grid.adversarial_fraction: {value} must be non-negative")
    if "adversarial_fraction" in spec.grid and spec.model != "relu_output":
        raise ConfigError(f"{key}.grid.adversarial_fraction: adversarial training is implemented for the "
                          f"relu_output model only (model is {spec.model})")
    if "dropout" in spec.grid and spec.model != "relu_output_dropout":
        raise ConfigError(f"{key}.grid.dropout: only the relu_output_dropout model has dropout (model is {spec.model})")
    if spec.distribution != "independent" and spec.features % spec.set_size:
        raise ConfigError(f"{key}.set_size: {spec.set_size} does not divide features={spec.features}")
    if spec.model == "absolute_value" and spec.distribution != "independent":
        raise ConfigError(f"{key}.distribution: the absolute-value model takes independent signed features")
    if spec.training.optimizer != "adamw" and spec.training.compile is True:
        raise ConfigError(f"{key}.training.compile: the compiled step fuses AdamW; optimizer "
                          f"{spec.training.optimizer!r} trains eagerly (set compile: auto or false)")
    for step in spec.training.snapshot_steps:
        if not 0 <= step <= spec.training.steps:
            raise ConfigError(f"{key}.training.snapshot_steps: {step} is outside [0, {spec.training.steps}]")


def _training_from(mapping: dict, key: str) -> TrainingConfig:
    names = {f.name for f in fields(TrainingConfig)}
    unknown = set(mapping) - names
    if unknown:
        raise ConfigError(f"{key}: unknown training key(s) {sorted(unknown)}")
    values = dict(mapping)
    if "snapshot_steps" in values:
        values["snapshot_steps"] = tuple(
            sorted({int(round(v)) for v in expand_sequence(values["snapshot_steps"], f"{key}.snapshot_steps")})
        )
    if isinstance(values.get("init"), (int, float)):
        values["init"] = float(values["init"])  # a std given as a number; `1` and `1.0` are the same setting
    return TrainingConfig(**values)


def load_config(
    path: str | Path | None = None,
    profile: str | None = None,
    overrides: dict | None = None,
) -> PipelineConfig:
    """Read, validate and resolve the configuration for ``profile`` (default: the file's own).

    ``path`` defaults to ``config/config.yaml`` in the working directory (where Snakemake and
    DVC run the stages).
    """
    path = Path(path) if path is not None else default_config_path()
    try:
        raw = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise ConfigError(f"config file {path} does not exist") from None
    except yaml.YAMLError as error:
        raise ConfigError(f"{path}: not valid YAML: {error}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    return resolve_config(raw, profile=profile, overrides=overrides)


def resolve_config(raw: dict, profile: str | None = None, overrides: dict | None = None) -> PipelineConfig:
    """Validate a raw config mapping and resolve it for one profile."""
    raw = deep_merge(raw, overrides or {})
    if profile is not None:
        raw["profile"] = profile
    validate_against_schema(raw)
    profile = raw["profile"]
    if profile not in raw["profiles"]:
        raise ConfigError(f"profile: unknown profile {profile!r} (known: {', '.join(raw['profiles'])})")
    profile_block = raw["profiles"][profile]
    for name in profile_block.get("experiments", {}):
        if name not in raw["experiments"]:
            raise ConfigError(f"profiles.{profile}.experiments.{name}: no such experiment")
    chosen_figures, chosen_experiments = profile_selection(raw, profile)

    base_seed = int(raw.get("seed", SCHEMA["properties"]["seed"]["default"]))
    training_defaults = deep_merge(raw.get("training", {}), profile_block.get("training", {}))
    experiments: dict[str, ExperimentSpec] = {}
    for name, block in raw["experiments"].items():
        block = deep_merge(block, profile_block.get("experiments", {}).get(name, {}))
        # Re-validate the merged block so a profile override cannot smuggle in a bad value.
        # The base block passed above, so an error here is the override's: name its key.
        try:
            validate_against_schema(
                {"profile": profile, "profiles": {profile: {"results_dir": "x"}}, "experiments": {name: block}, "figures": {}}
            )
        except ConfigError as error:
            raise ConfigError(f"profiles.{profile}.{error}") from None
        key = f"experiments.{name}"
        training = _training_from(deep_merge(training_defaults, block.get("training", {})), f"{key}.training")
        grid = {axis: expand_sequence(values, f"{key}.grid.{axis}") for axis, values in block["grid"].items()}
        spec = ExperimentSpec(
            name=name,
            model=block["model"],
            features=int(block["features"]),
            hidden=int(block["hidden"]),
            grid=grid,
            training=training,
            **{key: type(default)(block.get(key, default)) for key, default in EXPERIMENT_DEFAULTS.items()},
            seed=derive_seed(base_seed, name),
        )
        _check_ranges(spec)
        experiments[name] = spec

    figures: dict[str, FigureSpec] = {}
    for name, block in raw["figures"].items():
        for experiment in block["experiments"]:
            if experiment not in experiments:
                raise ConfigError(f"figures.{name}.experiments: no such experiment {experiment!r}")
        figures[name] = FigureSpec(
            name=name,
            experiments=tuple(block["experiments"]),
            section=block.get("section", ""),
            description=block.get("description", ""),
        )
    return PipelineConfig(
        profile=profile,
        results_dir=profile_block["results_dir"],
        seed=base_seed,
        experiments={name: spec for name, spec in experiments.items() if name in chosen_experiments},
        figures={name: spec for name, spec in figures.items() if name in chosen_figures},
        raw=raw,
    )


def profile_selection(raw: dict, profile: str) -> tuple[set[str], set[str]]:
    """The figures a profile makes and the experiments they read (``profiles.<p>.figures``;
    default: every figure and every experiment).

    A profile that lists figures runs a sub-DAG: only these figures, their experiments and their
    claims. An unknown figure, or an experiment override the selection does not train (it would
    silently do nothing), is an error naming the key.
    """
    block = raw["profiles"][profile]
    if "figures" not in block:
        return set(raw["figures"]), set(raw["experiments"])
    figures = set()
    for name in block["figures"]:
        if name not in raw["figures"]:
            raise ConfigError(f"profiles.{profile}.figures: no such figure {name!r} (known: {', '.join(raw['figures'])})")
        figures.add(name)
    experiments = {experiment for name in figures for experiment in raw["figures"][name]["experiments"]}
    for name in block.get("experiments", {}):
        if name not in experiments:
            raise ConfigError(f"profiles.{profile}.experiments.{name}: not trained by this profile "
                              f"(none of profiles.{profile}.figures reads it)")
    return figures, experiments


def with_training(spec: ExperimentSpec, **changes: Any) -> ExperimentSpec:
    """A copy of ``spec`` with some training settings changed (benchmarks, tests)."""
    return replace(spec, training=replace(spec.training, **changes))
