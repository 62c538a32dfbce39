"""The figure stage: one module (script) per figure, each reading only its experiments' artifacts.

=============================  =================================  ====================================================
figure id                      module                             shows
=============================  =================================  ====================================================
``intro-5-in-2``               :mod:`.intro_5_in_2`               the five W_i in 2-D, one panel per density
``basic-20-in-5``              :mod:`.basic_superposition`        WᵀW, b and ‖W_i‖ by interference, linear
``basic-80-in-20``             :mod:`.basic_superposition`        and ReLU output models, per density
``dims-per-feature``           :mod:`.dims_per_feature`           D* = m/‖W‖²_F against 1/(1−S)
``feature-dimensionality``     :mod:`.feature_dimensionality`     every D_i against 1/(1−S), with D*
``phase-2-in-1``               :mod:`.phase_change`               empirical vs theoretical phase diagram
``phase-3-in-2``               :mod:`.phase_change`               (extra feature's importance × density)
``pentagon-perturbation``      :mod:`.pentagon_perturbation`      pentagon → digon pair, loss by geometry
``correlated-m2``              :mod:`.correlated_geometry`        correlated / anticorrelated sets in 2-D,
``anticorrelated-m2``          :mod:`.correlated_geometry`        canonicalised, with set arrangements
``correlated-collapse``        :mod:`.correlated_collapse`        three correlated pairs collapsing (PCA)
``local-orthogonal-bases``     :mod:`.local_orthogonal_bases`     WᵀW of two correlated sets
``energy-levels``              :mod:`.energy_levels`              D_i of every feature through training, with the loss
``geometric-transformations``  :mod:`.geometric_transformations`  loss regimes and the 3-D configuration at each
``adversarial``                :mod:`.adversarial`                optimal L2 attack: vulnerability against 1/(1−S)
``l1-superposition``           :mod:`.l1_superposition`           superposition and loss against an L1 penalty
``privileged-relu-hidden``     :mod:`.privileged_relu_hidden`     ReLU hidden layer W and per-neuron stacks
``linear-vs-relu-hidden``      :mod:`.linear_vs_relu_hidden`      W of a linear and a ReLU hidden model
``absval-3-in-6``              :mod:`.absval_3_in_6`              W1, W2 of |x| with n=3, m=6 (side pairs)
``absval-100-in-40``           :mod:`.absval_100_in_40`           stacked |W1| per neuron, n=100, m=40
``asymmetric-motif``           :mod:`.asymmetric_motif`           asymmetric superposition motifs found
=============================  =================================  ====================================================

Superposition and Dropout (one module may draw several figures):

===============================  ====================================  =====================================
figure id                        module                                shows
===============================  ====================================  =====================================
``dropout-orientation-2d``       :mod:`.dropout_orientation`           orientation u of 2-D models, cos 4θ
``dropout-orientation-dense``    :mod:`.dropout_orientation`           the same, dense features vs sparse
``dropout-orientation-highdim``  :mod:`.dropout_orientation_highdim`   (u_0, u_1) and a_m(u) for m ≥ 3
``dropout-weights``              :mod:`.dropout_weights`               W per rate, feature alignment
``dropout-superposition-grid``   :mod:`.dropout_superposition_grid`    WᵀW by dropout rate × density
``dropout-dims-per-feature``     :mod:`.dropout_dims_per_feature`      D* against 1/(1−S) per rate
``dropout-kurtosis``             :mod:`.dropout_kurtosis`              kurtosis vs a rotated control
``dropout-importance``           :mod:`.dropout_importance`            ΔD* by density, I = 1 and 0.7^i
===============================  ====================================  =====================================

Every module has ``render(config, figure) -> (matplotlib Figure, data table, title)``;
:func:`render_figure` draws it in the package's fixed style and writes the PNG, the SVG
and the table (the numbers plotted, for re-plotting) byte-stably and atomically. The
module's name is written into the images' metadata. A figure's code dependencies are its
module, the shared helpers and every package module it imports, transitively (module-level
imports), where its analyses live.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from ..config import ConfigError, FigureSpec, PipelineConfig
from . import (
    absval_3_in_6,
    absval_100_in_40,
    adversarial,
    asymmetric_motif,
    basic_superposition,
    correlated_collapse,
    correlated_geometry,
    dims_per_feature,
    dropout_dims_per_feature,
    dropout_importance,
    dropout_kurtosis,
    dropout_orientation,
    dropout_orientation_highdim,
    dropout_superposition_grid,
    dropout_weights,
    energy_levels,
    feature_dimensionality,
    geometric_transformations,
    intro_5_in_2,
    l1_superposition,
    linear_vs_relu_hidden,
    local_orthogonal_bases,
    pentagon_perturbation,
    phase_change,
    privileged_relu_hidden,
)
from .common import figure_style, save_figure

#: torch threads while a figure renders. Analyses in the figure stage (matrix products)
#: give the same bits only for the same thread count, and Snakemake sets OMP_NUM_THREADS
#: to a rule's threads while DVC leaves it unset: pin it so both write the same bytes.
FIGURE_THREADS = 1

Renderer = Callable[[PipelineConfig, FigureSpec], tuple[Figure, pd.DataFrame, str]]

#: Figure id → the function (module) that draws it.
FIGURES: dict[str, Renderer] = {
    "intro-5-in-2": intro_5_in_2.render,
    "basic-20-in-5": basic_superposition.render,
    "basic-80-in-20": basic_superposition.render,
    "dims-per-feature": dims_per_feature.render,
    "feature-dimensionality": feature_dimensionality.render,
    "energy-levels": energy_levels.render,
    "geometric-transformations": geometric_transformations.render,
    "adversarial": adversarial.render,
    "l1-superposition": l1_superposition.render,
    "privileged-relu-hidden": privileged_relu_hidden.render,
    "linear-vs-relu-hidden": linear_vs_relu_hidden.render,
    "absval-3-in-6": absval_3_in_6.render,
    "absval-100-in-40": absval_100_in_40.render,
    "asymmetric-motif": asymmetric_motif.render,
    "dropout-orientation-2d": dropout_orientation.render,
    "dropout-orientation-dense": dropout_orientation.render,
    "dropout-orientation-highdim": dropout_orientation_highdim.render,
    "dropout-weights": dropout_weights.render,
    "dropout-superposition-grid": dropout_superposition_grid.render,
    "dropout-dims-per-feature": dropout_dims_per_feature.render,
    "dropout-kurtosis": dropout_kurtosis.render,
    "dropout-importance": dropout_importance.render,
    "phase-2-in-1": phase_change.render,
    "phase-3-in-2": phase_change.render,
    "pentagon-perturbation": pentagon_perturbation.render,
    "correlated-m2": correlated_geometry.render,
    "anticorrelated-m2": correlated_geometry.render,
    "correlated-collapse": correlated_collapse.render,
    "local-orthogonal-bases": local_orthogonal_bases.render,
}


def figure_scripts(name: str) -> list[Path]:
    """The source files that draw figure ``name``: its module, the shared helpers, and the
    package modules it imports from (other figure modules' helpers, analysis modules), so that
    editing any of them reruns the figure."""
    import importlib

    try:
        module = importlib.import_module(FIGURES[name].__module__)
    except KeyError:
        raise ConfigError(f"figures.{name}: no script draws this figure (known: {', '.join(FIGURES)})") from None
    here = Path(__file__).parent
    scripts = [Path(module.__file__), here / "common.py", here / "__init__.py"]
    return scripts + sorted(_imported_package_files(module) - set(scripts))


def _imported_package_files(module) -> set[Path]:
    """Files of the ``toy_superposition`` modules that ``module`` imports (as modules or names),
    directly or through each other (module-level imports only)."""
    import inspect

    package = __name__.rsplit(".", 1)[0]  # toy_superposition
    seen, pending = {module.__name__}, [module]
    while pending:
        current = pending.pop()
        for value in vars(current).values():
            owner = value if inspect.ismodule(value) else inspect.getmodule(value)
            if owner is None or owner.__name__ in seen or not owner.__name__.startswith(package + "."):
                continue
            if owner.__name__ == __name__ or not getattr(owner, "__file__", None):
                continue  # this package's __init__ is listed anyway
            seen.add(owner.__name__)
            pending.append(owner)
    seen.discard(module.__name__)
    return {Path(sys.modules[name].__file__) for name in seen}


def render_figure(config: PipelineConfig, figure: FigureSpec, paths: list[Path]) -> None:
    """Draw ``figure`` from its experiments' artifacts and write ``paths`` = [png, svg, parquet]."""
    try:
        render = FIGURES[figure.name]
    except KeyError:
        raise ConfigError(
            f"figures.{figure.name}: no script draws this figure (known: {', '.join(FIGURES)})"
        ) from None
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(FIGURE_THREADS)
    try:
        with figure_style():
            fig, table, title = render(config, figure)
            source = f"{render.__module__} (figure {figure.name}; experiments {', '.join(figure.experiments)})"
            save_figure(fig, paths, table, title=title, source=source)
    finally:
        torch.set_num_threads(threads)
