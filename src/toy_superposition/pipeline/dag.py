"""The pipeline's DAG as data: stages, their commands, inputs and outputs.

Both workflow engines are built from this one description, so they cannot drift apart:
the Snakemake rules (``workflow/rules/*.smk``) take their commands, code inputs and
targets from here, and ``dvc.yaml`` is generated from :func:`stages`
(``toy-superposition dvc-yaml``; a test checks the committed file is current).

Code dependencies are coarse, one entry per piece of the package a stage runs: a folder
(``analysis/``, ``training/``, ``claims/``, ``figures/common/``) is one dependency, which DVC
hashes as a whole and Snakemake expands into its files (:func:`expand_code`). A figure
depends on its own script ``figures/<id>.py`` (showyourwork-style traceability), the shared
drawing code and the analyses. This module imports nothing heavy: the Snakefile parses it
without torch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..config import CONFIG_FILE, ConfigError, ExperimentSpec, PipelineConfig, resolve_config
from ..paths import comparison_tables, experiment_paths, figure_paths, report_paths

CLI = "toy-superposition"
#: The experiment whose D* against sparsity the plots stage exports for `dvc plots`.
DIMS_PER_FEATURE_EXPERIMENT = "uniform-400-in-30"
#: torch threads of a training job. Fixed (not Snakemake's scaled-down {threads}) because
#: results are bit-identical only for the same thread count.
TRAIN_THREADS = 2

PACKAGE = "src/toy_superposition"
_DATA = [f"{PACKAGE}/config.py", f"{PACKAGE}/config.schema.json", f"{PACKAGE}/distributions.py"]
TRAINING_MODULES = ("__init__", "step", "compiled", "trainer")
CODE_DEPS = {
    "data": _DATA,
    # the training code it runs, not the benchmark that sits beside it
    "train": _DATA + [f"{PACKAGE}/models.py"] + [f"{PACKAGE}/training/{name}.py" for name in TRAINING_MODULES],
    "metrics": [f"{PACKAGE}/metrics.py", f"{PACKAGE}/pipeline/stages.py"],
    "figure": [f"{PACKAGE}/figures/registry.py", f"{PACKAGE}/figures/common/", f"{PACKAGE}/analysis/",
               f"{PACKAGE}/metrics.py"],
    "claims": [f"{PACKAGE}/claims/", f"{PACKAGE}/analysis/", f"{PACKAGE}/metrics.py"],
    "plots": [f"{PACKAGE}/pipeline/report.py"],
    "report": [f"{PACKAGE}/pipeline/report.py", f"{PACKAGE}/pipeline/convergence.py"],
}


@dataclass
class Stage:
    """One node of the DAG, in the shape dvc.yaml wants."""

    name: str
    cmd: str
    deps: list[str]
    outs: list[str]
    params: dict[str, list[str]] = field(default_factory=dict)  # params file -> keys
    metrics: list[str] = field(default_factory=list)


def pipeline_from_snakemake(config: dict, config_path: Path = CONFIG_FILE) -> PipelineConfig:
    """Resolve Snakemake's ``config`` dict; only ``profile`` may differ from the YAML file.

    The stage commands read config/config.yaml themselves, so any other ``--config``
    override would silently not reach them: refuse it instead.
    """
    import yaml

    on_disk = yaml.safe_load(Path(config_path).read_text())
    changed = sorted(key for key in set(config) | set(on_disk) if key != "profile" and config.get(key) != on_disk.get(key))
    if changed:
        raise ConfigError(
            f"{', '.join(changed)}: only `profile` can be set with --config; edit {config_path} for anything else"
        )
    return resolve_config(dict(config))


def command(pipeline: PipelineConfig, stage: str, name: str | None, config_path: Path | None = None) -> str:
    """The shell command of one stage (the same for Snakemake and DVC)."""
    parts = [CLI, stage] + ([name] if name else []) + ["--profile", pipeline.profile]
    if config_path is not None and not _is_default_config(config_path):
        parts += ["--config", str(config_path)]
    if stage == "train":
        parts += ["--threads", str(TRAIN_THREADS), "--no-progress"]
    return " ".join(parts)


def _is_default_config(path: Path | str) -> bool:
    return Path(path).as_posix() == CONFIG_FILE.as_posix() or Path(path).resolve() == CONFIG_FILE.resolve()


def figure_script(name: str) -> str:
    """The module that draws figure ``name`` (see :mod:`..figures.registry`)."""
    return f"{PACKAGE}/figures/{name.replace('-', '_')}.py"


def code_deps(stage: str, name: str | None = None) -> list[str]:
    """Library code a stage runs (folders end in ``/``); editing any of it reruns the stage."""
    if stage == "figure":
        return [figure_script(name)] + CODE_DEPS["figure"]
    return list(CODE_DEPS[stage])


def expand_code(deps: list[str], root: Path = Path(".")) -> list[str]:
    """``deps`` with every folder replaced by the source files in it (what Snakemake tracks)."""
    files: list[str] = []
    for dep in deps:
        if dep.endswith("/"):
            folder = root / dep
            files += sorted(p.relative_to(root).as_posix() for p in folder.rglob("*.py"))
        else:
            files.append(dep)
    return files


def train_gpus(spec: ExperimentSpec) -> int:
    return 1 if spec.training.device == "cuda" else 0


def figure_inputs(pipeline: PipelineConfig, figure: str) -> list[Path]:
    """What a figure reads: its experiments' distributions, weights, tables, snapshots and loss curves."""
    inputs: list[Path] = []
    for experiment in pipeline.figure(figure).experiments:
        paths = experiment_paths(pipeline, experiment)
        inputs += [paths.distribution, paths.model, paths.instances, paths.features, paths.snapshots,
                   paths.loss_curve]
    return inputs


def _unique(paths: list[Path]) -> list[str]:
    return list(dict.fromkeys(_relative(p) for p in paths))


def report_stages(pipeline: PipelineConfig) -> list[Stage]:
    """claims -> plots -> report: the stages after the figures (see :mod:`.report`)."""
    paths = {key: _relative(value) for key, value in report_paths(pipeline).items()}
    figure_data = _unique([p for figure in pipeline.figures for p in figure_inputs(pipeline, figure)])
    figure_tables = [_relative(figure_paths(pipeline, figure)[2]) for figure in pipeline.figures]
    figure_images = [_relative(figure_paths(pipeline, figure)[0]) for figure in pipeline.figures]
    curves = _unique([experiment_paths(pipeline, name).loss_curve for name in pipeline.experiments])
    instances = _unique([experiment_paths(pipeline, name).instances for name in pipeline.experiments])
    comparisons = [_relative(path) for path in comparison_tables(pipeline).values()]
    dims_per_feature = ([experiment_paths(pipeline, DIMS_PER_FEATURE_EXPERIMENT).features]
                        if DIMS_PER_FEATURE_EXPERIMENT in pipeline.experiments else [])
    return [
        Stage(
            name="claims",
            cmd=command(pipeline, "claims", None),
            deps=figure_data + figure_tables + code_deps("claims"),
            outs=[paths["claims_table"]],
            metrics=[paths["claims_json"]],
        ),
        Stage(
            name="plots",
            cmd=command(pipeline, "plots", None),
            # what run_plots reads: one experiment's features, every experiment's instances and loss curve
            deps=_unique([*dims_per_feature, *map(Path, instances), *map(Path, curves)]) + code_deps("plots"),
            outs=[paths["dims_per_feature_csv"], paths["loss_curves_csv"]],
        ),
        Stage(
            name="report",
            cmd=command(pipeline, "report", None),
            # and the comparisons it shows beside each claim (`claims --compare`, committed with the results)
            deps=[paths["claims_table"], *figure_images, *figure_data, *comparisons] + code_deps("report"),
            outs=[paths["report"]],
        ),
    ]


def all_targets(pipeline: PipelineConfig) -> list[Path]:
    targets: list[Path] = list(report_paths(pipeline).values())
    for figure in pipeline.figures:
        targets += figure_paths(pipeline, figure)
    for experiment in pipeline.experiments:
        targets.append(experiment_paths(pipeline, experiment).summary)
    return targets


def _relative(path: Path | str) -> str:
    return Path(path).as_posix()


def experiment_params(pipeline: PipelineConfig, name: str) -> list[str]:
    """The config keys experiment ``name``'s settings are resolved from (see ``config.resolve_config``):
    the shared ``seed`` and ``training``, the profile's own keys but only its override of this
    experiment, and the experiment itself. Only keys present in the file: DVC refuses missing ones.

    Listing ``profiles.<profile>`` whole would rerun every experiment when one override changes,
    and would copy the whole profile into every stage's entry of dvc.lock (most of its size).
    """
    raw, profile = pipeline.raw, pipeline.profile
    block = raw["profiles"][profile]
    keys = [key for key in ("seed", "training") if key in raw]
    keys += [f"profiles.{profile}.{key}" for key in block if key != "experiments"]
    if name in block.get("experiments", {}):
        keys.append(f"profiles.{profile}.experiments.{name}")
    return [*keys, f"experiments.{name}"]


def stages(pipeline: PipelineConfig, config_path: Path = CONFIG_FILE) -> list[Stage]:
    """Every stage of the DAG for one profile, in topological order."""
    config_file = CONFIG_FILE.as_posix() if _is_default_config(config_path) else _relative(config_path)
    result: list[Stage] = []
    for name in pipeline.experiments:
        paths = experiment_paths(pipeline, name)
        params = experiment_params(pipeline, name)
        result.append(
            Stage(
                name=f"data-{name}",
                cmd=command(pipeline, "data", name, config_path),
                deps=code_deps("data"),
                outs=[_relative(p) for p in paths.data_outputs],
                params={config_file: params},
            )
        )
        result.append(
            Stage(
                name=f"train-{name}",
                cmd=command(pipeline, "train", name, config_path),
                deps=[_relative(p) for p in paths.data_outputs] + code_deps("train"),
                outs=[_relative(p) for p in paths.train_outputs],
                params={config_file: params},
            )
        )
        result.append(
            Stage(
                name=f"metrics-{name}",
                cmd=command(pipeline, "metrics", name, config_path),
                deps=[_relative(p) for p in (paths.model, paths.instances, paths.distribution)] + code_deps("metrics"),
                outs=[_relative(paths.features)],
                metrics=[_relative(paths.summary)],
            )
        )
    for figure in pipeline.figures:
        png, svg, table = figure_paths(pipeline, figure)
        result.append(
            Stage(
                name=f"figure-{figure}",
                cmd=command(pipeline, "figure", figure, config_path),
                deps=[_relative(p) for p in figure_inputs(pipeline, figure)] + code_deps("figure", figure),
                outs=[_relative(png), _relative(svg), _relative(table)],
                params={config_file: [f"figures.{figure}"]},
            )
        )
    return result + report_stages(pipeline)
