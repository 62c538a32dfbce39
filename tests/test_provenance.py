"""code_commit: the last commit of a stage's own code, -dirty when it has uncommitted changes."""

from __future__ import annotations

import subprocess

import pytest

from toy_superposition import __version__, provenance


def git(*args, cwd) -> str:
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.org", "PATH": "/usr/bin:/bin"}
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture
def repo(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    provenance.code_commit.cache_clear()
    yield tmp_path
    provenance.code_commit.cache_clear()


def commit(repo, files: dict[str, str], message: str) -> str:
    for name, text in files.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text)
    git("add", "-A", cwd=repo)
    git("commit", "-qm", message, cwd=repo)
    provenance.code_commit.cache_clear()
    return git("rev-parse", "HEAD", cwd=repo)


def test_outside_git_the_commit_is_unknown(repo):
    assert provenance.code_commit(("src/",)) == "unknown"
    git("init", "-q", cwd=repo)  # a repository without commits knows no commit either
    assert provenance.code_commit(("src/",)) == "unknown"


def test_the_commit_is_the_last_one_that_changed_the_code(repo):
    git("init", "-q", cwd=repo)
    first = commit(repo, {"src/train/step.py": "a", "src/figures/f.py": "a", "README": "a"}, "code")
    assert provenance.code_commit(("src/train/",)) == first
    commit(repo, {"README": "b", "src/figures/f.py": "b", "results/summary.json": "{}"}, "other things")
    assert provenance.code_commit(("src/train/",)) == first  # results, docs, other code: unchanged
    third = commit(repo, {"src/train/step.py": "c"}, "the training code")
    assert provenance.code_commit(("src/train/",)) == third
    assert provenance.stamp(["src/train/"]) == {"toy_superposition_version": __version__, "code_commit": third}


def test_uncommitted_or_new_code_is_dirty(repo):
    git("init", "-q", cwd=repo)
    head = commit(repo, {"src/train/step.py": "a"}, "code")
    (repo / "src/train/new.py").write_text("new")
    assert provenance.code_commit(("src/train/",)) == f"{head}-dirty"
    (repo / "src/train/new.py").unlink()
    provenance.code_commit.cache_clear()
    (repo / "src/train/step.py").write_text("edited")
    assert provenance.code_commit(("src/train/",)) == f"{head}-dirty"
    assert provenance.code_commit(("src/other/", "src/train/step.py")) == f"{head}-dirty"
