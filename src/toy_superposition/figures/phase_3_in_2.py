"""Figure ``phase-3-in-2``: n=3 features in m=2 dimensions: the same phase diagram of the extra (third) feature, against
the four candidate configurations.

Drawn by :func:`.common.phase_diagrams.render`, which it shares with a figure of another size.
"""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

from ..config import FigureSpec, PipelineConfig
from .common import phase_diagrams
from .registry import figure


@figure("phase-3-in-2")
def render(config: PipelineConfig, figure: FigureSpec) -> tuple[Figure, pd.DataFrame, str]:
    return phase_diagrams.render(config, figure)
