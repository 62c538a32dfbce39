"""The D* curve shared by ``dims-per-feature`` and ``feature-dimensionality``: its table and its line."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from ... import metrics
from . import ExperimentResults

#: The sticky points marked on the plot: value → label.
STICKY = {1.0: "1", 0.5: "1/2"}


def d_star_table(results: ExperimentResults) -> pd.DataFrame:
    """D* and the number of represented features of every selected instance, densest first."""
    selected = results.selected()
    index = selected["instance"].to_numpy()
    d_star = metrics.dimensions_per_feature(results.W).numpy()[index]
    represented = metrics.features_represented(results.W).numpy()[index]
    return pd.DataFrame({
        "experiment": results.spec.name,
        "instance": index,
        "feature_probability": selected["feature_probability"].to_numpy(),
        "inverse_density": 1.0 / selected["feature_probability"].to_numpy(),
        "d_star": d_star,
        "features_represented": represented.astype(np.int64),
        "hidden": results.spec.hidden,
    })


def draw_d_star(ax: Axes, table: pd.DataFrame, label_experiments: bool, **style) -> None:
    """The D* curve(s) of ``d_star_table`` rows, one per experiment."""
    for name, rows in table.groupby("experiment", sort=False):
        ax.plot(rows["inverse_density"], rows["d_star"], label=name if label_experiments else r"$D^* = m/\|W\|_F^2$", **style)
