"""Figure ``basic-20-in-5``: n=20 features (I_i = 0.7^i) in m=5 dimensions, linear and ReLU output models per density:
WᵀW with the bias b beside it, and ‖W_i‖ coloured by interference (the paper's first basic results).

Drawn by :func:`.common.basic.render`, which it shares with a figure of another size.
"""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

from ..config import FigureSpec, PipelineConfig
from .common import basic
from .registry import figure


@figure("basic-20-in-5")
def render(config: PipelineConfig, figure: FigureSpec) -> tuple[Figure, pd.DataFrame, str]:
    return basic.render(config, figure)
