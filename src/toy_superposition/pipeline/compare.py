"""Compare a regenerated run with the committed results: byte-identical, or within tolerance.

``toy-superposition compare-results --profile ci`` (CI runs it on the ci profile after making it)
checks the files under the profile's results folder against what git holds at ``--rev`` (HEAD):

1. **byte-identical** — every output in the committed ``dvc.lock`` of the profile has the md5
   the lock records. This is what the same machine and thread count give (see README,
   Determinism).
2. **within tolerance** — otherwise: every git-tracked metrics file (each experiment's
   ``summary.json`` and ``claims.json``, which the committed lock's run wrote) agrees with the
   committed copy: every number within ``atol + rtol·|committed|`` (:data:`RTOL`, :data:`ATOL`),
   every integer, boolean and string equal — so every claim's verdict (``holds``) is the same.
   With ``--reference-dir`` (a folder holding the committed run's tables, e.g. from ``dvc pull``
   in another clone) every Parquet table that differs in bytes is compared column by column too.
   A failure names the file and the key or column.

The ``provenance`` entries (package version and code commit, :mod:`..provenance`) are not compared
in step 2: they say which code made a file, not what it holds.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import yaml

#: Relative and absolute tolerance of a number in step 2 (a choice: differences between CPUs'
#: float kernels after a few hundred training steps are expected far below 1%; a changed
#: restart selection or a flipped configuration is not, and fails).
RTOL = 0.01
ATOL = 1e-4

#: Keys never compared in step 2: which code made a file, not what it holds.
IGNORED_KEYS = frozenset({"provenance"})


class NothingCommitted(RuntimeError):
    """There is no committed lock to compare with."""


@dataclass
class Comparison:
    lock: str
    files: int = 0
    different: list[str] = field(default_factory=list)  # outputs whose md5 is not the lock's
    failures: list[str] = field(default_factory=list)  # tolerance failures, each naming file and key/column
    compared: list[str] = field(default_factory=list)  # files checked within tolerance

    @property
    def verdict(self) -> str:
        if not self.different:
            return "byte-identical"
        return "failed" if self.failures else "within tolerance"

    def report(self) -> str:
        if self.verdict == "byte-identical":
            return f"byte-identical: all {self.files} outputs have the md5 of the committed {self.lock}"
        lines = [f"{len(self.different)} of {self.files} outputs differ in bytes from the committed {self.lock}:"]
        lines += [f"  {path}" for path in self.different]
        if self.verdict == "within tolerance":
            lines.append(f"within tolerance: {len(self.compared)} metrics files and tables agree with the committed"
                         f" ones (numbers within {ATOL:g} + {RTOL:g}·|committed|; every claim's verdict the same)")
        else:
            lines.append(f"FAILED: {len(self.failures)} values outside the tolerance or changed:")
            lines += [f"  {failure}" for failure in self.failures]
        return "\n".join(lines)


def git_show(rev: str, path: str) -> str | None:
    """The text of ``path`` (relative to the working directory) at ``rev``, or None where git does not hold it."""
    result = subprocess.run(["git", "show", f"{rev}:./{path}"], capture_output=True, text=True)
    return result.stdout if result.returncode == 0 else None


def md5(path: Path) -> str:
    return hashlib.md5(Path(path).read_bytes()).hexdigest()


def lock_outputs(lock_text: str, dvc_yaml: Path) -> dict[str, str]:
    """``{output path relative to the project root: md5}`` of a dvc.lock beside ``dvc_yaml``."""
    lock = yaml.safe_load(lock_text) or {}
    stages = (yaml.safe_load(dvc_yaml.read_text()) or {}).get("stages", {}) if dvc_yaml.exists() else {}
    found: dict[str, str] = {}
    for name, entry in (lock.get("stages") or {}).items():
        wdir = dvc_yaml.parent / stages.get(name, {}).get("wdir", ".")
        for out in entry.get("outs", []):
            path = Path(_normalise(wdir / out["path"]))
            found[path.as_posix()] = out["md5"]
    return found


def metrics_files(dvc_yaml: Path) -> list[str]:
    """The metrics paths (relative to the project root) a dvc.yaml declares."""
    stages = (yaml.safe_load(dvc_yaml.read_text()) or {}).get("stages", {})
    found = []
    for entry in stages.values():
        wdir = dvc_yaml.parent / entry.get("wdir", ".")
        for metric in entry.get("metrics", []):
            path = next(iter(metric)) if isinstance(metric, dict) else metric
            found.append(Path(_normalise(wdir / path)).as_posix())
    return found


def _normalise(path: Path) -> str:
    return os.path.normpath(path.as_posix())


def close(value: float, reference: float, rtol: float = RTOL, atol: float = ATOL) -> bool:
    """|value − reference| ≤ atol + rtol·|reference|; NaN matches only NaN, ±inf only itself
    (a claim's value is inf where, e.g., no level breaks its pattern)."""
    if math.isnan(value) or math.isnan(reference):
        return math.isnan(value) and math.isnan(reference)
    if math.isinf(value) or math.isinf(reference):
        return value == reference
    return abs(value - reference) <= atol + rtol * abs(reference)


def compare_json(current, reference, where: str, rtol: float = RTOL, atol: float = ATOL) -> list[str]:
    """Differences between two JSON documents: floats within tolerance, everything else equal."""
    if isinstance(reference, dict) and isinstance(current, dict):
        failures = []
        for key in sorted(set(reference) | set(current), key=str):
            if key in IGNORED_KEYS:
                continue
            here = f"{where}.{key}" if where else str(key)
            if key not in current:
                failures.append(f"{here}: missing (committed: {reference[key]!r})")
            elif key not in reference:
                failures.append(f"{here}: new (not in the committed file): {current[key]!r}")
            else:
                failures += compare_json(current[key], reference[key], here, rtol, atol)
        return failures
    if isinstance(reference, list) and isinstance(current, list):
        if len(reference) != len(current):
            return [f"{where}: {len(current)} entries, committed {len(reference)}"]
        return [f for i, (a, b) in enumerate(zip(current, reference)) for f in compare_json(a, b, f"{where}[{i}]", rtol, atol)]
    if isinstance(reference, float) or isinstance(current, float):
        if isinstance(reference, bool) or isinstance(current, bool) or reference is None or current is None:
            return [] if current == reference else [f"{where}: {current!r}, committed {reference!r}"]
        if close(float(current), float(reference), rtol, atol):
            return []
        return [f"{where}: {current!r}, committed {reference!r} (tolerance {atol:g} + {rtol:g}·|committed|)"]
    if current != reference:
        verdict = " (a claim's verdict changed)" if where.endswith(".holds") else ""
        return [f"{where}: {current!r}, committed {reference!r}{verdict}"]
    return []


def compare_tables(current: Path, reference: Path, name: str, rtol: float = RTOL, atol: float = ATOL) -> list[str]:
    """Differences between two Parquet tables, naming the column: numbers within tolerance."""
    import numpy as np
    import pandas as pd

    a, b = pd.read_parquet(current), pd.read_parquet(reference)
    if list(a.columns) != list(b.columns):
        return [f"{name}: columns {list(a.columns)}, committed {list(b.columns)}"]
    if len(a) != len(b):
        return [f"{name}: {len(a)} rows, committed {len(b)}"]
    failures = []
    for column in b.columns:
        x, y = a[column], b[column]
        if pd.api.types.is_float_dtype(y) and pd.api.types.is_float_dtype(x):
            xs, ys = x.to_numpy(dtype=float), y.to_numpy(dtype=float)
            bad = ~(np.isclose(xs, ys, rtol=rtol, atol=atol, equal_nan=True))
        else:
            bad = ~(x.astype(object).to_numpy() == y.astype(object).to_numpy())
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            failures.append(f"{name}: column {column!r}: {int(bad.sum())} rows differ, first row {row}:"
                            f" {_plain(x.iloc[row])!r}, committed {_plain(y.iloc[row])!r}")
    return failures


def _plain(value):
    """A numpy scalar as the Python number it holds (for messages)."""
    return value.item() if hasattr(value, "item") else value


def compare_results(dvc_yaml: Path, rev: str = "HEAD", reference_dir: Path | None = None,
                    rtol: float = RTOL, atol: float = ATOL) -> Comparison:
    """Compare the outputs of ``dvc_yaml``'s stages on disk with the lock and metrics git holds at ``rev``."""
    dvc_yaml = Path(os.path.relpath(dvc_yaml))
    lock_path = dvc_yaml.with_suffix(".lock")
    lock_text = git_show(rev, lock_path.as_posix())
    if lock_text is None:
        raise NothingCommitted(f"{lock_path} is not committed at {rev}: nothing to compare with")
    outputs = lock_outputs(lock_text, dvc_yaml)
    comparison = Comparison(lock=f"{lock_path} ({rev})", files=len(outputs))
    for path, expected in sorted(outputs.items()):
        if not Path(path).exists():
            comparison.different.append(f"{path} (missing)")
            comparison.failures.append(f"{path}: missing")
        elif md5(Path(path)) != expected:
            comparison.different.append(path)
    if not comparison.different:
        return comparison
    for path in metrics_files(dvc_yaml):
        committed = git_show(rev, path)
        if committed is None:
            comparison.failures.append(f"{path}: not committed at {rev}")
        elif Path(path).exists():
            comparison.compared.append(path)
            found = compare_json(json.loads(Path(path).read_text()), json.loads(committed), "", rtol, atol)
            comparison.failures += [f"{path}: {failure}" for failure in found]
    if reference_dir is not None:
        for path in comparison.different:
            reference = Path(reference_dir) / path
            if path.endswith(".parquet") and Path(path).exists() and reference.exists():
                comparison.compared.append(path)
                comparison.failures += compare_tables(Path(path), reference, path, rtol, atol)
    return comparison
