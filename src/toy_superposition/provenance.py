"""What made an artifact: the package version and the commit of the code that made it.

Every artifact records :func:`stamp` in its metadata (safetensors ``__metadata__``, Parquet
key-value metadata, PNG text chunks and SVG ``<metadata>``, a ``provenance`` key in the JSON
metrics, report.html). Its two entries:

* ``toy_superposition_version`` — :data:`toy_superposition.__version__`, the one version string
  (pyproject.toml reads it too);
* ``code_commit`` — ``git describe --always --dirty``-style, but of the code the stage runs, not of
  the whole checkout: the last commit that changed any of the stage's code dependencies (the same
  files and folders dvc.yaml lists for it, :func:`..pipeline.dag.code_deps`), with ``-dirty``
  when those paths differ from that commit (edited or new, not yet committed files), and
  ``unknown`` outside a git checkout (or one without commits).

Why not the checkout's own ``git describe --dirty``: an artifact is meant to be byte-identical
whenever the config and the code that makes it are (the same config gives the same bytes), and
DVC's lock records exactly that code. Committing anything else — results, a lock, the README, a
test, another stage's code — changes the checkout's commit but not this one, so it changes no
artifact's bytes, and a rerun after such a commit still matches the committed ``dvc.lock``. An
edit to the stage's own code changes it, and DVC reruns the stage anyway. (In a shallow clone the
last commit of a path is not known; CI fetches the full history.)
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterable
from functools import cache

from . import __version__

UNKNOWN = "unknown"


def _git(*args: str) -> str | None:
    try:
        result = subprocess.run(["git", *args], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return result.stdout.strip() if result.returncode == 0 else None


@cache
def code_commit(paths: tuple[str, ...]) -> str:
    """``<commit>[-dirty]`` of the last commit touching ``paths`` (relative to the working directory)."""
    commit = _git("log", "-1", "--format=%H", "--", *paths)
    if not commit:
        return UNKNOWN
    changed = _git("status", "--porcelain", "--untracked-files=normal", "--", *paths)
    if changed is None:
        return UNKNOWN
    return f"{commit}-dirty" if changed else commit


def stamp(code: Iterable[str]) -> dict[str, str]:
    """The provenance entries of an artifact made by the code at ``code`` (files and folders)."""
    return {"toy_superposition_version": __version__, "code_commit": code_commit(tuple(sorted(code)))}
