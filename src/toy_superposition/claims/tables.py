"""Reading the evidence: figure tables and experiment tables, as the claims need them.

Claims prefer the figure's own table (``results/.../figures/<figure>.parquet``): the claim is
then computed from exactly the numbers the figure plots. The claims stage depends on every
figure table and every figure's experiment data (``pipeline.dag.report_stages``).
"""

from __future__ import annotations

import pandas as pd

from ..artifacts import read_parquet
from ..config import PipelineConfig
from ..paths import experiment_paths, figure_paths


def figure_table(config: PipelineConfig, figure: str) -> pd.DataFrame:
    """The data table the figure stage wrote beside the figure's PNG."""
    return read_parquet(figure_paths(config, figure)[2])


def rows_of(table: pd.DataFrame, kind: str, column: str = "row") -> pd.DataFrame:
    """The rows of one kind of a long-format figure table (``row`` or ``quantity`` column)."""
    if column not in table:
        return table.iloc[0:0]
    return table[table[column] == kind].reset_index(drop=True)


def selected_features(config: PipelineConfig, experiment: str) -> pd.DataFrame:
    """features.parquet joined with instances.parquet, selected restarts only."""
    paths = experiment_paths(config, experiment)
    instances = read_parquet(paths.instances)
    features = read_parquet(paths.features).drop(columns=["feature_probability"], errors="ignore")
    chosen = instances[instances["selected"]][["instance", "feature_probability", "hidden", "features"]]
    return features.merge(chosen, on="instance")
