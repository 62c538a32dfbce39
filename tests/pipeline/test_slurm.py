"""The SLURM profile against a real single-node cluster (slurmctld + slurmd on 127.0.0.1, started
and stopped here): a slice of the ci DAG goes through the controller and gives a local run's bytes;
a failing job is retried with more memory and its log shown. Needs root and Debian's slurm-wlm and
munge (skipped where absent, required in CI)."""

from __future__ import annotations

import os
import re
import subprocess

import pytest
import yaml

from ..conftest import REPO_ROOT
from ..servers import slurm
from .conftest import BIN, SLICE_TARGET, clone_checkout, digests, tool_env

PROFILE = REPO_ROOT / "workflow" / "profiles" / "slurm"
#: Status checks every few seconds instead of the profile's 40 s: the cluster is idle and local.
FAST = ["--slurm-init-seconds-before-status-checks", "2", "--latency-wait", "5"]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    reason = slurm.missing()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the SLURM tests: {reason}")
        pytest.skip(reason)
    started = slurm.start_cluster(tmp_path_factory.mktemp("slurm"))
    yield started
    started.stop()


def snakemake_on(cluster, args: list[str], cwd) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "snakemake"), "--workflow-profile", str(PROFILE), *FAST, *args], cwd=cwd,
                          env=cluster.env(tool_env()), capture_output=True, text=True, timeout=900)


def submitted(output: str) -> list[int]:
    return [int(job) for job in re.findall(r"submitted with SLURM jobid (\d+)", output)]


def test_the_profile_names_no_partition_and_asks_no_gpu():
    profile = yaml.safe_load((PROFILE / "config.yaml").read_text())
    text = yaml.safe_dump(profile)
    assert "slurm_partition" not in text and "slurm_account" not in text
    assert "gpu" not in text and "gres" not in text  # the train rule asks for a GPU itself, from the config
    assert profile["slurm-status-command"] == "squeue"
    assert "attempt" in str(profile["default-resources"]["mem_mb"])
    assert profile["retries"] >= 1 and profile["show-failed-logs"] is True


def test_a_ci_slice_runs_through_the_controller_with_a_local_runs_bytes(cluster, slice_run, tmp_path):
    _, local = slice_run
    checkout = clone_checkout(tmp_path / "repo")
    before = set(cluster.submitted_job_ids())
    result = snakemake_on(cluster, [SLICE_TARGET, "--config", "profile=ci"], checkout)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    jobs = submitted(output)
    assert len(jobs) == 4, output[-4000:]  # data, train, metrics, figure: each its own SLURM job
    assert set(jobs) <= set(cluster.submitted_job_ids()) - before  # the controller allocated them
    assert set(jobs) <= set(cluster.completed_job_ids())
    train = re.search(r"rule train:.*?submitted with SLURM jobid (\d+)", output, re.S).group(1)
    details = cluster.run("scontrol", "show", "job", train).stdout
    assert "NumCPUs=2" in details and "MinMemoryNode=4000M" in details, details  # the rule's threads and memory
    assert "gres/gpu" not in details and "TresPerNode" not in details  # no GPU asked: the config trains on CPU
    assert digests(checkout / "results" / "ci") == local


def test_a_failing_job_is_retried_with_more_memory_and_its_log_shown(cluster, tmp_path):
    (tmp_path / "Snakefile").write_text(
        'rule fail:\n    output: "fail.txt"\n'
        '    shell: "echo this job fails on purpose, with {resources.mem_mb} MB >&2; exit 3"\n'
    )
    # one retry instead of the profile's two: enough to see the memory grow, a minute sooner
    result = snakemake_on(cluster, ["fail.txt", "--retries", "1"], tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    jobs = submitted(output)
    assert len(jobs) == 2, output[-4000:]
    memory = [re.search(r"MinMemoryNode=(\S+)", cluster.run("scontrol", "show", "job", str(job)).stdout).group(1)
              for job in jobs]
    assert memory == ["2000M", "4000M"]  # the profile's default-resources: mem_mb 2000 * attempt
    assert "this job fails on purpose, with 4000 MB" in output  # the SLURM log, shown by show-failed-logs
