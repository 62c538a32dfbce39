"""Figure ``phase-2-in-1``: n=2 features in m=1 dimension: the extra feature not learned, in superposition or dedicated
against its importance and the density, empirically and from the closed-form candidate losses.

Drawn by :func:`.common.phase_diagrams.render`, which it shares with a figure of another size.
"""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

from ..config import FigureSpec, PipelineConfig
from .common import phase_diagrams
from .registry import figure


@figure("phase-2-in-1")
def render(config: PipelineConfig, figure: FigureSpec) -> tuple[Figure, pd.DataFrame, str]:
    return phase_diagrams.render(config, figure)
