"""The figure registry: every figure module registers its renderer with ``@figure(id)``.

A figure with id ``phase-2-in-1`` is drawn by the module ``figures/phase_2_in_1.py``, whose
``render(config, figure) -> (matplotlib Figure, data table, title)`` carries
``@figure("phase-2-in-1")``. The name is the contract: the DAG (``pipeline.dag``) lists a
figure's script as its code dependency without importing it, and :func:`renderer` imports
just the one module a figure job needs. Shared drawing code lives in :mod:`.common`, never in
another figure's module, so a figure's inputs are its script, ``common/`` and ``analysis/``.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import torch
from matplotlib.figure import Figure

from ..config import ConfigError, FigureSpec, PipelineConfig
from .common import figure_style, save_figure

Renderer = Callable[[PipelineConfig, FigureSpec], tuple[Figure, pd.DataFrame, str]]

#: Figure id → the function that draws it; filled as figure modules are imported.
FIGURES: dict[str, Renderer] = {}

#: Modules of this package that draw no figure.
_NOT_FIGURES = {"common", "registry"}

#: torch threads while a figure renders. Analyses in the figure stage (matrix products)
#: give the same bits only for the same thread count, and Snakemake sets OMP_NUM_THREADS
#: to a rule's threads while DVC leaves it unset: pin it so both write the same bytes.
FIGURE_THREADS = 1


def module_name(figure_id: str) -> str:
    """The module that draws ``figure_id``: ``toy_superposition.figures.<id with _ for ->``."""
    return f"{__package__}.{figure_id.replace('-', '_')}"


def figure(figure_id: str) -> Callable[[Renderer], Renderer]:
    """Register the decorated ``render`` as the drawing of ``figure_id`` (in its own module)."""

    def register(render: Renderer) -> Renderer:
        if render.__module__ != module_name(figure_id):
            raise ValueError(f"figure {figure_id!r} must be drawn by {module_name(figure_id)}, not {render.__module__}")
        if FIGURES.get(figure_id, render) is not render:
            raise ValueError(f"figure {figure_id!r} registered twice")
        FIGURES[figure_id] = render
        return render

    return register


def renderer(figure_id: str) -> Renderer:
    """The registered renderer of ``figure_id``, importing its module."""
    name = module_name(figure_id)
    try:
        importlib.import_module(name)
    except ModuleNotFoundError as error:
        if error.name != name:
            raise
        raise ConfigError(f"figures.{figure_id}: no script draws this figure (expected {name})") from None
    if figure_id not in FIGURES:
        raise ConfigError(f"figures.{figure_id}: module {name} registers no @figure({figure_id!r})")
    return FIGURES[figure_id]


def discover() -> dict[str, Renderer]:
    """Import every figure module of the package; returns the whole registry."""
    for module in pkgutil.iter_modules([str(Path(__file__).parent)]):
        if module.name not in _NOT_FIGURES:
            importlib.import_module(f"{__package__}.{module.name}")
    return dict(FIGURES)


def render_figure(
    config: PipelineConfig, figure: FigureSpec, paths: list[Path], provenance: dict[str, str] | None = None
) -> None:
    """Draw ``figure`` from its experiments' artifacts and write ``paths`` = [png, svg, parquet];
    ``provenance`` (:func:`toy_superposition.provenance.stamp`) goes into all three files' metadata."""
    render = renderer(figure.name)
    threads = torch.get_num_threads()
    torch.set_num_threads(FIGURE_THREADS)
    try:
        with figure_style():
            fig, table, title = render(config, figure)
            source = f"{render.__module__} (figure {figure.name}; experiments {', '.join(figure.experiments)})"
            save_figure(fig, paths, table, title=title, source=source, provenance=provenance)
    finally:
        torch.set_num_threads(threads)
