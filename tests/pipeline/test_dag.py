"""The DAG: dvc.yaml agrees with the config and with Snakemake; profiles and overrides."""

from __future__ import annotations

import subprocess
from pathlib import Path

import yaml

from toy_superposition.config import load_config
from toy_superposition.pipeline.dag import all_targets, expand_code
from toy_superposition.pipeline.dvc_yaml import dvc_yaml_path, render, write_dvc_yaml

from ..conftest import REPO_ROOT
from .conftest import BIN, CI_DVC_YAML, run


def test_dvc_yaml_is_generated_from_the_current_config():
    assert write_dvc_yaml(check=True) == 0, "run `toy-superposition dvc-yaml` and commit the result"


def snakemake_jobs(profile: str) -> list[dict]:
    """Jobs of a dry run: rule, inputs, outputs and shell command of each."""
    text = run([str(BIN / "snakemake"), "-n", "-p", "--forceall", "--cores", "1", "--config", f"profile={profile}"], cwd=REPO_ROOT)
    jobs, job = [], None
    for line in (text.stdout + text.stderr).splitlines():
        if line.startswith("rule "):
            job = {"rule": line[5:].rstrip(":"), "input": [], "output": [], "cmd": None}
            jobs.append(job)
        elif job is not None and line.startswith("    input: "):
            job["input"] = line.split(": ", 1)[1].split(", ")
        elif job is not None and line.startswith("    output: "):
            job["output"] = line.split(": ", 1)[1].split(", ")
        elif job is not None and line.startswith("Shell command: "):
            job["cmd"] = line.split(": ", 1)[1]
    return [j for j in jobs if j["rule"] != "all"]


def test_dvc_yaml_runs_the_same_jobs_as_snakemake():
    """Every Snakemake job is a DVC stage with the same command, outputs and inputs."""
    jobs = snakemake_jobs("ci")
    stages = yaml.safe_load((REPO_ROOT / CI_DVC_YAML).read_text())["stages"]
    assert len(jobs) == len(stages)
    by_command = {stage["cmd"]: stage for stage in stages.values()}
    for job in jobs:
        command = job["cmd"].split(" > ")[0]
        assert command in by_command, f"no DVC stage runs {command!r}"
        stage = by_command[command]
        outs = list(stage["outs"]) + [next(iter(m)) for m in stage.get("metrics", [])]
        assert sorted(outs) == sorted(job["output"]), command
        deps = expand_code([dep + "/" if (REPO_ROOT / dep).is_dir() else dep for dep in stage["deps"]], REPO_ROOT)
        assert sorted(deps) == sorted(job["input"]), command


def test_profiles_write_to_separate_results_folders():
    paper, ci = load_config(profile="paper"), load_config(profile="ci")
    assert paper.results_dir != ci.results_dir
    paper_targets = {str(p) for p in all_targets(paper)}
    assert not paper_targets & {str(p) for p in all_targets(ci)}
    assert dvc_yaml_path("paper", "paper") == Path("dvc.yaml")
    assert "--profile ci" in render(REPO_ROOT / "config" / "config.yaml", "ci", "paper")


def test_every_profile_writes_to_its_own_results_folder():
    configs = {name: load_config(profile=name) for name in ("paper", "ci", "long", "reference-init")}
    targets = {name: {str(p) for p in all_targets(config)} for name, config in configs.items()}
    for first in targets:
        for second in targets:
            if first < second:
                assert not targets[first] & targets[second], (first, second)


def test_a_profile_with_figures_builds_the_sub_dag_of_those_figures():
    from toy_superposition.pipeline.dag import stages

    long, paper = load_config(profile="long"), load_config(profile="paper")
    names = {stage.name for stage in stages(long)}
    assert {f"figure-{figure}" for figure in long.figures} <= names
    assert {f"train-{name}" for name in long.experiments} <= names
    assert "train-intro-5-in-2" not in names and "figure-intro-5-in-2" not in names
    assert len(names) == 3 * len(long.experiments) + len(long.figures) + 3  # + claims, plots, report
    assert len(long.experiments) < len(paper.experiments)
    claims_stage = next(stage for stage in stages(long) if stage.name == "claims")
    assert all(dep.startswith(("results/long/", "src/")) for dep in claims_stage.deps)
    text = render(REPO_ROOT / "config" / "config.yaml", "long", "paper")
    assert "--profile long" in text and "train-intro-5-in-2" not in text


def test_snakemake_refuses_overrides_the_stages_would_not_see():
    result = subprocess.run(
        [str(BIN / "snakemake"), "-n", "--cores", "1", "--config", "seed=3"],
        cwd=REPO_ROOT, capture_output=True, text=True,
    )
    assert result.returncode != 0
    assert "seed" in result.stdout + result.stderr


def test_snakemake_names_a_bad_profile():
    result = subprocess.run(
        [str(BIN / "snakemake"), "-n", "--cores", "1", "--config", "profile=nope"],
        cwd=REPO_ROOT, capture_output=True, text=True,
    )
    assert result.returncode != 0
    assert "profile" in result.stdout + result.stderr and "nope" in result.stdout + result.stderr


def test_a_figure_without_experiments_is_a_stage_of_code_only():
    """nonlinear-compression trains nothing: its stage depends on its code alone, and the claims and
    report stages take its table and image but no experiment data of it."""
    from toy_superposition.pipeline.dag import code_deps, figure_inputs, report_stages, stages

    for profile in ("ci", "paper"):
        pipeline = load_config(profile=profile)
        assert pipeline.figure("nonlinear-compression").experiments == ()
        assert figure_inputs(pipeline, "nonlinear-compression") == []
        stage = next(s for s in stages(pipeline) if s.name == "figure-nonlinear-compression")
        assert stage.deps == code_deps("figure", "nonlinear-compression")
        assert stage.outs[0].endswith("figures/nonlinear-compression.png")
        claims_stage = next(s for s in report_stages(pipeline) if s.name == "claims")
        assert stage.outs[2] in claims_stage.deps


def test_the_report_says_a_figure_trains_nothing():
    from toy_superposition.pipeline.report import _settings_rows

    assert "no experiment is trained" in _settings_rows(load_config(profile="ci"), ())
    assert "<table" in _settings_rows(load_config(profile="ci"), ("intro-5-in-2",))
