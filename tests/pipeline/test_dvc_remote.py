"""Results for someone else: a run's dvc.lock and metrics committed, its data pushed to a real remote
on 127.0.0.1 (a WebDAV server and an SSH server, started and stopped here), then a fresh clone pulls
it: `dvc status` is clean, `snakemake -n` has nothing to do, the figure's bytes are the run's, and
nothing was trained in the clone."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from ..servers import dvc_remotes
from .conftest import BIN, CI_DVC_YAML, SLICE_FIGURE, SLICE_TARGET, digests, run

TARGET = f"{CI_DVC_YAML}:figure-{SLICE_FIGURE}"
SERVERS = {
    "webdav": (dvc_remotes.webdav_missing, lambda root: dvc_remotes.start_webdav(root / "dav")),
    "ssh": (dvc_remotes.sshd_missing, lambda root: dvc_remotes.start_sshd(root / "sshd", store=root / "store")),
}


@pytest.fixture(scope="module")
def published(slice_run) -> Path:
    """The slice's clone with its results committed as a maintainer would: `dvc commit` of the
    Snakemake run writes the lock, git takes the lock and the metrics (summary.json)."""
    origin, _ = slice_run
    dvc = str(BIN / "dvc")
    # Start from a commit without ci results (main commits them), so this publication is the one
    # that adds the lock and the metrics, and `dvc metrics diff HEAD~1` has nothing to compare with.
    committed = [path for path in (CI_DVC_YAML[:-4] + "lock", f"results/ci/{SLICE_FIGURE}/summary.json")
                 if run(["git", "ls-files", path], cwd=origin).stdout.strip()]
    if committed:
        run(["git", "rm", "-q", "--cached", *committed], cwd=origin)
        run(["git", "commit", "-qm", "without the committed ci results"], cwd=origin)
        (origin / (CI_DVC_YAML[:-4] + "lock")).unlink(missing_ok=True)
    run([dvc, "commit", "--force", "--with-deps", TARGET], cwd=origin)
    status = run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=origin).stdout
    # git sees exactly the lock and the metrics; weights, tables and figures stay DVC's
    assert sorted(line[3:] for line in status.splitlines()) == sorted(
        [f"{CI_DVC_YAML[:-4]}lock", f"results/ci/{SLICE_FIGURE}/summary.json"]), status
    run(["git", "add", "-A"], cwd=origin)
    run(["git", "commit", "-qm", "ci results of the slice"], cwd=origin)
    return origin


def use_remote(checkout: Path, server) -> None:
    """Point the committed default remote (`storage`) at the test's server, in the git-ignored config.local."""
    dvc = str(BIN / "dvc")
    (checkout / ".dvc" / "config.local").unlink(missing_ok=True)  # another server's options (an SSH keyfile)
    run([dvc, "remote", "modify", "--local", "storage", "url", server.dvc_url], cwd=checkout)
    for key, value in server.dvc_options.items():
        run([dvc, "remote", "modify", "--local", "storage", key, value], cwd=checkout)


@pytest.mark.parametrize("kind", sorted(SERVERS))
def test_a_fresh_clone_pulls_the_results_and_has_nothing_to_do(kind, published, slice_run, tmp_path):
    missing, start = SERVERS[kind]
    reason = missing()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"CI must test the {kind} remote: {reason}")
        pytest.skip(reason)
    _, made = slice_run
    dvc, snakemake = str(BIN / "dvc"), str(BIN / "snakemake")
    with start(tmp_path) as server:
        use_remote(published, server)
        run([dvc, "push", "--with-deps", TARGET], cwd=published)

        clone = tmp_path / "clone"
        run(["git", "clone", "-q", str(published), str(clone)], cwd=tmp_path)
        assert not (clone / "results/ci/figures").exists()
        use_remote(clone, server)
        run([dvc, "pull", "--with-deps", TARGET], cwd=clone)
    status = run([dvc, "status", "--with-deps", TARGET], cwd=clone).stdout
    assert "Data and pipelines are up to date" in status, status
    assert digests(clone / "results/ci") == made

    # DVC checks files out in its own order and does not keep their mtimes; Snakemake judges by
    # mtime. Make the order plainly wrong (weights older than the plan they were trained from):
    results = clone / "results/ci" / SLICE_FIGURE
    os.utime(results / "model.safetensors", (946684800, 946684800))
    dry = subprocess.run([snakemake, "-n", "--cores", "1", SLICE_TARGET, "--config", "profile=ci"], cwd=clone,
                         capture_output=True, text=True)
    assert "Nothing to be done" not in dry.stdout + dry.stderr  # what a plain pull can leave behind
    # The README's recipe: after a clean `dvc status`, `snakemake --touch` marks the pulled files current.
    run([snakemake, "--touch", "--cores", "1", SLICE_TARGET, "--config", "profile=ci"], cwd=clone)
    dry = run([snakemake, "-n", "--cores", "1", SLICE_TARGET, "--config", "profile=ci"], cwd=clone)
    assert "Nothing to be done" in dry.stdout + dry.stderr, dry.stdout + dry.stderr
    assert "Data and pipelines are up to date" in run([dvc, "status", "--with-deps", TARGET], cwd=clone).stdout
    assert digests(clone / "results/ci") == made  # touching changed no byte
    # nothing ran in the clone: no stage wrote to its log (`--touch` creates them empty) or a training benchmark
    written = [log for log in (clone / "results/ci/logs").rglob("*.log") if log.stat().st_size]
    assert not written and not (clone / "results/ci/benchmarks").exists(), written

    metrics = json.loads(run([dvc, "metrics", "diff", "HEAD~1", "--json"], cwd=clone).stdout)
    summary = metrics[f"results/ci/{SLICE_FIGURE}/summary.json"]
    assert summary["final_loss_mean"]["new"] > 0 and summary["final_loss_mean"]["old"] is None
