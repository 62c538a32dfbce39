"""Shared helpers of the claims tests: a ci config writing into a temporary folder, and
hand-built figure tables."""

from __future__ import annotations

import dataclasses

import pandas as pd

from toy_superposition import claims
from toy_superposition.artifacts import write_parquet
from toy_superposition.config import load_config
from toy_superposition.paths import figure_paths


def temporary_config(tmp_path):
    return dataclasses.replace(load_config(profile="ci"), results_dir=str(tmp_path))


def write_figure(config, figure: str, rows: list[dict] | pd.DataFrame) -> None:
    write_parquet(figure_paths(config, figure)[2], pd.DataFrame(rows))


def evaluate(config, claim_id: str) -> claims.ClaimResult:
    return claims.CLAIMS[claim_id].evaluate(config)
