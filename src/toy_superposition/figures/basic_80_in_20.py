"""Figure ``basic-80-in-20``: The same visualisation for n=80 features (I_i = 0.9^i) in m=20 dimensions: a rescaled
version of the n=20, m=5 picture.

Drawn by :func:`.common.basic.render`, which it shares with a figure of another size.
"""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

from ..config import FigureSpec, PipelineConfig
from .common import basic
from .registry import figure


@figure("basic-80-in-20")
def render(config: PipelineConfig, figure: FigureSpec) -> tuple[Figure, pd.DataFrame, str]:
    return basic.render(config, figure)
