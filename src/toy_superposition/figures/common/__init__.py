"""Helpers shared by the figure scripts: loading an experiment's results, style, colours,
heatmaps and a byte-stable, atomic save.

Byte stability: every figure is drawn on a bare :class:`matplotlib.figure.Figure` with an
Agg canvas (no pyplot state, whatever the session's backend), inside a fixed style
(``figure_style``: matplotlib's defaults plus ours, so a user's ``matplotlibrc`` changes
nothing), saved at a fixed dpi with the date/software metadata stripped and a fixed SVG
hash salt, so rerunning a figure on the same inputs rewrites identical bytes.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import torch
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import Colormap, Normalize
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from ... import metrics
from ...artifacts import ArtifactError, atomic_path, load_distribution, load_model, read_parquet, write_parquet
from ...config import ExperimentSpec, PipelineConfig
from ...distributions import FeatureDistribution
from ...paths import experiment_paths

#: Raster resolution of every PNG.
DPI = 150

#: Colour map of WᵀW and b: diverging, white at 0, fixed range [-1, 1] (negative blue, positive red).
WEIGHT_CMAP = "RdBu_r"
WEIGHT_NORM = Normalize(vmin=-1.0, vmax=1.0)
#: Colour map of the interference Σ_{j≠i}(Ŵ_i·W_j)²: dark blue = orthogonal to all others,
#: yellow = other features project onto W_i as strongly as feature i itself (superposition).
INTERFERENCE_CMAP = "viridis"
INTERFERENCE_NORM = Normalize(vmin=0.0, vmax=1.0)
#: Colour map of feature importance (bright = most important).
IMPORTANCE_CMAP = "viridis"

_STYLE = {
    "svg.hashsalt": "toy-superposition",  # fixed ids in the SVG instead of random ones
    "svg.fonttype": "path",  # glyphs as paths: no dependence on the viewer's fonts
    "font.family": "DejaVu Sans",  # ships with matplotlib
    "font.size": 8,
    "axes.titlesize": 8,
    "axes.labelsize": 8,
    "xtick.labelsize": 7,
    "ytick.labelsize": 7,
    "legend.fontsize": 7,
    "figure.titlesize": 10,
    "figure.dpi": DPI,
    "savefig.dpi": DPI,
    "image.interpolation": "nearest",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "path.simplify": False,  # keep every plotted point, independent of rcParams defaults
}


@contextmanager
def figure_style() -> Iterator[None]:
    """matplotlib's default style plus this package's settings, for the duration of a render."""
    with matplotlib.rc_context():
        matplotlib.rcdefaults()
        matplotlib.rcParams.update(_STYLE)
        yield


def new_figure(width: float, height: float) -> Figure:
    """A bare figure on an Agg canvas (inches), independent of pyplot and its backend."""
    figure = Figure(figsize=(width, height), dpi=DPI)
    FigureCanvasAgg(figure)
    return figure


def save_figure(
    figure: Figure, paths: list[Path], table: pd.DataFrame, title: str, source: str,
    provenance: dict[str, str] | None = None,
) -> None:
    """Write the data table, the SVG and the PNG (``paths`` = [png, svg, parquet]), each atomically.

    ``title`` and ``source`` (the module that drew the figure) go into the image metadata
    so a file can be traced back to its script, and ``provenance`` (package version, code
    commit: :mod:`toy_superposition.provenance`) into all three files; nothing time-dependent does.
    """
    png, svg, parquet = (Path(p) for p in paths)
    title = title.replace("$", "")  # mathtext markup → plain text, e.g. I_i = 0.9^i
    provenance = dict(provenance or {})
    write_parquet(parquet, table.reset_index(drop=True), metadata=provenance)
    # SVG metadata takes Dublin Core keys only: the version as Creator, the code commit as Identifier.
    creator = f"toy-superposition {provenance['toy_superposition_version']}" if provenance else None
    with atomic_path(svg) as temporary:
        figure.savefig(
            temporary, format="svg", dpi=DPI,
            metadata={"Date": None, "Creator": creator, "Title": title, "Description": source,
                      "Identifier": provenance.get("code_commit")},
        )
    with atomic_path(png) as temporary:
        figure.savefig(
            temporary, format="png", dpi=DPI,
            metadata={"Software": creator, "Title": title, "Source": source, **provenance},
            pil_kwargs={"optimize": False},
        )


# --------------------------------------------------------------------------- loading


@dataclass(frozen=True)
class ExperimentResults:
    """One experiment's trained weights and tables, as a figure reads them."""

    spec: ExperimentSpec
    W: torch.Tensor  # (I, n, m) float64 feature embedding
    b: torch.Tensor  # (I, n) float64 bias
    instances: pd.DataFrame  # one row per instance
    features: pd.DataFrame  # one row per (instance, feature)
    distribution: FeatureDistribution  # the data stage's, (I, n) probabilities and importances

    def selected(self) -> pd.DataFrame:
        """The lowest-loss restart of every setting, densest (1−S = 1) first."""
        chosen = self.instances[self.instances["selected"]]
        return chosen.sort_values(["feature_probability", "setting"], ascending=[False, True]).reset_index(drop=True)

    def features_of(self, instance: int) -> pd.DataFrame:
        """The per-feature rows of one instance, in feature order."""
        rows = self.features[self.features["instance"] == instance]
        return rows.sort_values("feature").reset_index(drop=True)


def load_results(config: PipelineConfig, name: str) -> ExperimentResults:
    """Read an experiment's model, distribution, instances and features tables, checking they agree."""

    spec = config.experiment(name)
    paths = experiment_paths(config, name)
    params = load_model(config, name)
    instances = read_parquet(paths.instances)
    features = read_parquet(paths.features)
    if len(instances) != spec.n_instances:
        raise ArtifactError(f"{paths.instances}: has {len(instances)} rows, the config plans {spec.n_instances}")
    if len(features) != spec.n_instances * spec.features:
        raise ArtifactError(
            f"{paths.features}: has {len(features)} rows, expected {spec.n_instances} instances × {spec.features}"
            " features; rerun the metrics stage"
        )
    return ExperimentResults(
        spec=spec,
        W=metrics.embedding_of(params).double(),
        b=params["b"].double(),
        instances=instances,
        features=features,
        distribution=load_distribution(config, name),
    )


# --------------------------------------------------------------------------- drawing


def model_label(spec: ExperimentSpec) -> str:
    return {
        "linear": "Linear",
        "relu_output": "ReLU output",
        "relu_output_dropout": "ReLU output + dropout",
        "relu_hidden": "ReLU hidden",
        "absolute_value": "Absolute value",
    }.get(spec.model, spec.model)


def density_label(probability: float) -> str:
    """The paper's panel title for a feature density, 1−S."""
    return f"1−S = {probability:.3g}"


def importance_label(spec: ExperimentSpec) -> str:
    """The importance profile as mathtext, e.g. ``$I_i = 0.9^i$``."""
    decay = spec.importance_decay
    return "$I = 1$" if decay == 1.0 else f"$I_i = {decay:g}^i$"


def inverse_density_axis(ax: Axes) -> None:
    """A log x axis of 1/(1−S) with plain tick labels (1, 10, 100, ...)."""

    ax.set_xscale("log")
    ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    ax.set_xlabel("1/(1−S)  (inverse feature density)")


def matrix_with_bias(ax: Axes, gram: np.ndarray, bias: np.ndarray, cmap: str | Colormap = WEIGHT_CMAP,
                     norm: Normalize = WEIGHT_NORM):
    """Draw the (n, n) matrix WᵀW and, right of it, the bias b as a column, in one axes.

    Both share the colour scale; feature 0 is the top row. Returns the matrix image
    (for a colourbar).
    """
    n = gram.shape[0]
    gap, width = max(0.5, n / 40), max(1.0, n / 16)
    image = ax.imshow(gram, cmap=cmap, norm=norm, extent=(0, n, n, 0), interpolation="nearest")
    ax.imshow(bias[:, None], cmap=cmap, norm=norm, extent=(n + gap, n + gap + width, n, 0),
              interpolation="nearest")
    ax.set_xlim(0, n + gap + width)
    ax.set_ylim(n, 0)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    for side in ("top", "right", "bottom", "left"):
        ax.spines[side].set_visible(False)
    return image


def norm_bars(ax: Axes, norms: np.ndarray, interference: np.ndarray, xmax: float,
              cmap: str | Colormap = INTERFERENCE_CMAP, norm: Normalize = INTERFERENCE_NORM) -> None:
    """Horizontal bars of ‖W_i‖ (feature 0 on top), coloured by interference."""
    colours = matplotlib.colormaps[cmap](norm(interference)) if isinstance(cmap, str) else cmap(norm(interference))
    rows = np.arange(len(norms))
    ax.barh(rows, norms, height=0.8, color=colours, linewidth=0)
    ax.set_ylim(len(norms) - 0.5, -0.5)
    ax.set_xlim(0, xmax)
    ax.set_yticks([])
    ax.spines["left"].set_visible(False)
