"""Figure ``dropout-orientation-2d``: The orientation u of 2-D ReLU output models with dropout (sparse features), mean cos 4θ per
rate with bootstrap intervals, uniformity tests at r = 0, and cos 4θ through training.

Drawn by :func:`.common.dropout.render`, which it shares with a figure of another size.
"""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

from ..config import FigureSpec, PipelineConfig
from .common import dropout
from .registry import figure

#: The kinds of this figure's claim rows → the registered claims that read them.
CLAIM_IDS = {"uniform": "dropout-none-orientation-uniform", "low": "dropout-low-avoids-axes",
    "high": "dropout-high-aligns-axes", "transition": "dropout-transition-about-half"}


@figure("dropout-orientation-2d")
def render(config: PipelineConfig, figure: FigureSpec) -> tuple[Figure, pd.DataFrame, str]:
    return dropout.render(config, figure, CLAIM_IDS)
