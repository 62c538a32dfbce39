# Shared helpers: the resolved configuration and the artifact paths, both from the library.
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(workflow.basedir) / "src"))  # works before `pip install -e .` too

from snakemake.exceptions import WorkflowError
from toy_superposition.config import ConfigError, spec_hash
from toy_superposition.paths import TRAIN_BENCHMARK
from toy_superposition.pipeline import dag

try:
    PIPELINE = dag.pipeline_from_snakemake(config, Path(workflow.basedir) / "config" / "config.yaml")
except ConfigError as error:
    raise WorkflowError(f"invalid configuration: {error}")

RESULTS = PIPELINE.results_dir
PROFILE = PIPELINE.profile
CLI = dag.CLI


wildcard_constraints:
    experiment="|".join(map(re.escape, PIPELINE.experiments)) if PIPELINE.experiments else "[^/]+",
    figure="|".join(map(re.escape, PIPELINE.figures)) if PIPELINE.figures else "[^/]+",


def all_targets():
    return [str(p) for p in dag.all_targets(PIPELINE)]


def stage_command(stage, name):
    return dag.command(PIPELINE, stage, name)


def code(stage, name=None):
    """The library files a stage runs (dvc.yaml lists their folders; Snakemake tracks files)."""
    return dag.expand_code(dag.code_deps(stage, name))
