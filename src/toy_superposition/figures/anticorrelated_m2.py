"""Figure ``anticorrelated-m2``: Anticorrelated feature sets in m=2, canonicalised, each set labelled (antipodal, ...) against
the paper's prediction.

Drawn by :func:`.common.correlated.render`, which it shares with a figure of another size.
"""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

from ..config import FigureSpec, PipelineConfig
from .common import correlated
from .registry import figure


@figure("anticorrelated-m2")
def render(config: PipelineConfig, figure: FigureSpec) -> tuple[Figure, pd.DataFrame, str]:
    return correlated.render(config, figure)
