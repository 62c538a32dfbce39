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

from .registry import FIGURES, discover, figure, module_name, render_figure, renderer

__all__ = ["FIGURES", "discover", "figure", "module_name", "render_figure", "renderer"]
