"""Figure ``dropout-orientation-dense``: The same with dense features (1−S = 1), beside the sparse curve.

Drawn by :func:`.common.dropout.render`, which it shares with a figure of another size.
"""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

from ..config import FigureSpec, PipelineConfig
from .common import dropout
from .registry import figure

#: The kinds of this figure's claim rows → the registered claims that read them.
CLAIM_IDS = {"weaker": "dropout-dense-effect-weaker"}


@figure("dropout-orientation-dense")
def render(config: PipelineConfig, figure: FigureSpec) -> tuple[Figure, pd.DataFrame, str]:
    return dropout.render(config, figure, CLAIM_IDS)
