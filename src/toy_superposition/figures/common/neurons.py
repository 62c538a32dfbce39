"""Drawing helpers for models with a privileged basis (neurons): the weight matrix as a
heatmap and the per-neuron stacked bar plot of the paper's "Superposition in a Privileged
Basis" and "Computation in Superposition" sections, plus loading the untied weights.

The classification drawn here (stored features, mono/polysemantic neurons, features in
superposition) is computed by :mod:`toy_superposition.neurons`; these helpers only draw.
"""

from __future__ import annotations

import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.collections import PolyCollection
from matplotlib.patches import Patch

from ...analysis import neurons
from ...artifacts import load_model
from ...config import PipelineConfig
from . import WEIGHT_CMAP

#: Segment colours of the stacked bars: a feature stored only in monosemantic neurons, and
#: one that shares a neuron with another feature (in superposition).
FEATURE_ALONE = "#2b2b2b"
FEATURE_SUPERPOSED = "#e6a817"
#: A weight too small (relative to the neuron's largest) for the neuron to store its feature.
WEIGHT_NOT_STORED = "#c9c9c9"
#: Faint neuron backgrounds by kind.
NEURON_BACKGROUND = {
    neurons.NONE: "#ffffff",
    neurons.MONOSEMANTIC: "#d6e6f5",
    neurons.POLYSEMANTIC: "#f7d2cf",
}
NEURON_LABEL_COLOUR = {neurons.NONE: "0.5", neurons.MONOSEMANTIC: "#1f5f9e", neurons.POLYSEMANTIC: "#b0302a"}


def load_weights(config: PipelineConfig, name: str) -> dict[str, torch.Tensor]:
    """The experiment's weights in float64 (``W`` and ``b``, or ``W1``, ``W2`` and ``b``)."""

    return {key: value.double() for key, value in load_model(config, name).items()}


def weight_heatmap(ax: Axes, W: np.ndarray, order: list[int], vmax: float, feature_labels: bool = True,
                   neuron_labels: bool = True):
    """Draw ``W`` (n, m) with features as rows (feature 0 on top) and neurons as columns in
    ``order``, on a diverging scale [−vmax, vmax]. Returns the image (for a colour bar)."""
    n, m = W.shape
    image = ax.imshow(W[:, order], cmap=WEIGHT_CMAP, vmin=-vmax, vmax=vmax, aspect="auto",
                      interpolation="nearest", extent=(-0.5, m - 0.5, n - 0.5, -0.5))
    ax.set_xticks(range(m))
    ax.set_xticklabels([str(k) for k in order] if neuron_labels else [], fontsize=6)
    ax.set_yticks(range(n) if n <= 20 else range(0, n, 10))
    if not feature_labels:
        ax.set_yticklabels([])
    ax.tick_params(length=0, pad=1, labelsize=6)
    for side in ("top", "right", "bottom", "left"):
        ax.spines[side].set_visible(False)
    return image


def stacked_neuron_bars(ax: Axes, weights: np.ndarray, order: list[int], superposed: np.ndarray,
                        kinds: np.ndarray, stored: np.ndarray | None = None, label_fraction: float = 0.12,
                        background_alpha: np.ndarray | None = None, min_fraction: float = 0.005) -> float:
    """The per-neuron stacked bar plot.

    ``weights`` (n, m): every neuron k (drawn at position p where ``order[p] = k``) is a stack
    of one rectangle per feature, positive weights upwards from 0 and negative ones
    downwards, most important feature (lowest index) nearest the axis. A rectangle is
    coloured by whether its feature is in superposition (``superposed`` (n,) bool); the
    weights of features the neuron does not store (``stored`` (n, m) false) are summed into
    one light grey block at the end of the stack. The
    neuron's background shows its kind (``kinds`` (m,), :mod:`neurons` codes), or the
    per-neuron ``background_alpha`` (m,) of the polysemantic colour if given. Rectangles of
    at least ``label_fraction`` of the axis height are labelled with the feature index;
    weights below ``min_fraction`` of the largest are not drawn. Returns the largest
    stack height.
    """
    n, m = weights.shape
    positive = np.clip(weights, 0, None)
    negative = np.clip(weights, None, 0)
    top = max(float(positive.sum(axis=0).max(initial=0.0)), 1e-9)
    bottom = float(negative.sum(axis=0).min(initial=0.0))
    span = top - bottom
    smallest = min_fraction * float(np.abs(weights).max(initial=0.0))
    xs, heights, bottoms, colours, labels = [], [], [], [], []
    for position, k in enumerate(order):
        if background_alpha is not None:
            if background_alpha[k] > 0:
                ax.axvspan(position - 0.5, position + 0.5, color=NEURON_BACKGROUND[neurons.POLYSEMANTIC],
                           alpha=float(background_alpha[k]), linewidth=0, zorder=0)
        else:
            ax.axvspan(position - 0.5, position + 0.5, color=NEURON_BACKGROUND[int(kinds[k])], linewidth=0, zorder=0)
        for sign in (1, -1):
            base = 0.0
            leftover = 0.0  # weights the neuron does not store: one grey block on top
            for i in range(n):
                value = weights[i, k]
                if sign * value <= 0 or abs(value) <= smallest:
                    continue
                if stored is not None and not bool(stored[i, k]):
                    leftover += value
                    continue
                colour = FEATURE_SUPERPOSED if superposed[i] else FEATURE_ALONE
                xs.append(position)
                heights.append(value)
                bottoms.append(base)
                colours.append(colour)
                if abs(value) >= label_fraction * span:
                    labels.append((position, base + value / 2, str(i),
                                   "white" if colour == FEATURE_ALONE else "black"))
                base += value
            if leftover != 0.0:
                xs.append(position)
                heights.append(leftover)
                bottoms.append(base)
                colours.append(WEIGHT_NOT_STORED)
    if xs:
        # One collection instead of a patch per rectangle: thousands of weights stay fast to draw.
        half = 0.36
        verts = [((x - half, y0), (x + half, y0), (x + half, y0 + h), (x - half, y0 + h))
                 for x, y0, h in zip(xs, bottoms, heights)]
        ax.add_collection(PolyCollection(verts, facecolors=colours, edgecolors="white", linewidths=0.35, zorder=2))
    for x, y, text, colour in labels:
        ax.text(x, y, text, ha="center", va="center", fontsize=5.5, color=colour, zorder=3)
    ax.axhline(0, color="0.3", linewidth=0.5, zorder=1)
    ax.set_xlim(-0.5, m - 0.5)
    ax.set_ylim(bottom - 0.04 * span if bottom < 0 else 0, top + 0.04 * span)
    ax.set_xticks(range(m))
    ax.set_xticklabels([str(k) for k in order], fontsize=6)
    ax.tick_params(axis="x", length=0, pad=1)
    return top


def stacked_legend(ax: Axes, polysemantic_background: bool = True, **kwargs) -> None:
    """Legend of the stacked bar colours."""
    handles = [Patch(color=FEATURE_ALONE, label="feature not in superposition"),
               Patch(color=FEATURE_SUPERPOSED, label="feature in superposition"),
               Patch(color=WEIGHT_NOT_STORED, label="weight the neuron does not store")]
    if polysemantic_background:
        handles += [Patch(color=NEURON_BACKGROUND[neurons.MONOSEMANTIC], label="monosemantic neuron"),
                    Patch(color=NEURON_BACKGROUND[neurons.POLYSEMANTIC], label="polysemantic neuron")]
    ax.legend(handles=handles, frameon=False, **kwargs)
