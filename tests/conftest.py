"""Shared by every test: the project's root is the working directory, as for the pipeline's stages
(they read config/config.yaml from it)."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
os.chdir(REPO_ROOT)

#: The user property under which the end-to-end test records its comparison with the committed results.
COMPARISON_PROPERTY = "ci_results_comparison"


def pytest_terminal_summary(terminalreporter):
    """Say which of the two held when the ci run was compared with the committed results. The test
    records it as a property of its report, which reaches this process from pytest-xdist's workers
    too; the hook sits here because only this conftest is loaded where the workers report."""
    for report in terminalreporter.stats.get("passed", []):
        for name, text in getattr(report, "user_properties", []):
            if name == COMPARISON_PROPERTY:
                terminalreporter.section("ci results against the committed dvc.lock and metrics")
                terminalreporter.write_line(text)
