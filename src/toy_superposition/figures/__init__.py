"""The figure stage: one module per figure, each reading only its experiments' artifacts.

``figures/<id>.py`` (``-`` written ``_``) draws figure ``<id>`` of ``config/config.yaml`` and
registers itself with ``@figure("<id>")`` (:mod:`.registry`); its ``render(config, figure)``
returns ``(matplotlib Figure, data table, title)``, and :func:`.registry.render_figure` draws it
in the package's fixed style and writes the PNG, the SVG and the table (the numbers plotted)
byte-stably and atomically, with the module's name in the images' metadata.

Drawing code shared by several figures lives in :mod:`.common` (style, loading, captions,
neuron plots, and the panels that two figures of different sizes share); the analyses the
figures run are in :mod:`toy_superposition.analysis`. The paper's sections and the figures
that reproduce them are listed in the README.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..config import FigureSpec, PipelineConfig
    from .registry import FIGURES, discover, figure, module_name, renderer

__all__ = ["FIGURES", "discover", "figure", "module_name", "render_figure", "renderer"]

#: Names served from :mod:`.registry` on first use (PEP 562): the pipeline imports this package
#: in every stage, and only the figure stage needs matplotlib (half a second per job otherwise).
_FROM_REGISTRY = frozenset(__all__) - {"render_figure"}


def render_figure(
    config: PipelineConfig, figure: FigureSpec, paths: list[Path], provenance: dict[str, str] | None = None
) -> None:
    """:func:`.registry.render_figure`, the registry (and matplotlib) imported on the first call."""
    from .registry import render_figure as render

    render(config, figure, paths, provenance=provenance)


def __getattr__(name: str):
    if name in _FROM_REGISTRY:
        return getattr(importlib.import_module(".registry", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
