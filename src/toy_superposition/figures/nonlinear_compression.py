"""Figure ``nonlinear-compression`` (appendix "Nonlinear Compression"): two dense [0, 1) numbers
compressed into one by ``t = (⌊Zx⌋ + y)/Z`` with the floor's jumps replaced by linear ramps of
width ε, against linear compression (keep one number, or their average).

Computed from closed forms and exact quadrature (:mod:`toy_superposition.analysis.nonlinear_compression`);
it trains nothing. Three panels: the continuous staircase and the decoded x̂, ŷ along one line
(Z = 3, ε = 0.1); the mean squared error (mean over x and y) against Z, one line per ε, with ε
read as a fraction of one quantisation step (our reading, ``units = "bin"``); and the same with
ε read as a width in x and t (``units = "absolute"``). The linear schemes' error, 1/24, is the
dashed line; the ramp-free limit 1/(24 Z²) the dotted one.

Table: one row per (units, Z, ε): ``mse_x``, ``mse_y``, ``mse``, the linear baselines and
``wins`` (below both); rows ``row == "grid"``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ..analysis.nonlinear_compression import UNITS, compression_table, decode, encode, linear_mse
from ..config import FigureSpec, PipelineConfig
from .common import captions
from .registry import figure

#: The grid: quantisation levels and ramp widths (the paper's point is Z = 3, ε = 0.1).
Z_VALUES = (2, 3, 4, 5, 8, 10, 16)
EPSILONS = (0.001, 0.01, 0.05, 0.1, 0.2)
EXAMPLE = (3, 0.1)
UNIT_LABEL = {"bin": "ε as a fraction of one step (our reading)", "absolute": "ε as a width in x and t"}


def grid_table() -> pd.DataFrame:
    """The MSE of every (units, Z, ε) of the grid (guard off: the paper's scheme)."""
    table = pd.concat([compression_table(Z_VALUES, EPSILONS, units=units) for units in UNITS], ignore_index=True)
    table.insert(0, "row", "grid")
    return table


@figure("nonlinear-compression")
def render(config: PipelineConfig, figure: FigureSpec) -> tuple[Figure, pd.DataFrame, str]:
    table = grid_table()
    linear = min(linear_mse("keep_one").mse, linear_mse("average").mse)
    Z, eps = EXAMPLE
    example = table[(table["Z"] == Z) & np.isclose(table["eps"], eps)].set_index("units")["mse"]
    region = table[(table["Z"] >= Z) & (table["eps"] <= eps + 1e-12)]
    caption = ("Paper: \"even with epsilons as large as 0.1 and Z values as small as 3 the nonlinear compression "
               "outperforms linear compression such as picking one of the dimensions or using the average\".\n"
               f"Measured (dense x, y ~ U[0, 1), exact quadrature): at Z = {Z}, ε = {eps:g} the mean squared error is "
               f"{example['bin']:.4f} (ε per step) / {example['absolute']:.4f} (ε in x) against {linear:.4f} for "
               f"both linear schemes; nonlinear wins at {int(region['wins'].sum())} of {len(region)} points with "
               f"Z ≥ {Z}, ε ≤ {eps:g} and at {int(table['wins'].sum())} of {len(table)} points of the whole grid.")
    width, body = 10.0, 3.3
    header = captions.Header.of(width, "Nonlinear compression: t = (⌊Zx⌋ + y)/Z with ε-wide ramps, against linear "
                               "compression of two dense features", caption)
    fig = header.figure(body)
    height = fig.get_figheight()
    bottom, tall = 0.5 / height, 2.45 / height
    ax_scheme = fig.add_axes((0.06, bottom, 0.25, tall))
    axes = [fig.add_axes((0.40, bottom, 0.26, tall)), fig.add_axes((0.73, bottom, 0.26, tall))]

    # 1. the scheme along y = 0.3: x → t and back
    x = np.linspace(0.0, 1.0, 1201, endpoint=False)
    t = encode(x, 0.3, Z, eps)
    x_hat, y_hat = decode(t, Z, eps)
    ax_scheme.plot(x, t, color="C0", linewidth=1.1, label="t(x, y = 0.3)")
    ax_scheme.plot(x, x_hat, color="C1", linewidth=1.0, label="x̂(t)")
    ax_scheme.plot(x, y_hat, color="C2", linewidth=1.0, label="ŷ(t)")
    ax_scheme.set_xlabel("x")
    ax_scheme.set_xlim(0, 1)
    ax_scheme.set_ylim(-0.02, 1.02)
    ax_scheme.set_title(f"Z = {Z}, ε = {eps:g} of a step: encode, decode", fontsize=7.5)
    ax_scheme.legend(frameon=False, fontsize=6.5, loc="upper left")

    # 2, 3. MSE against Z per ε, both readings of ε
    colours = {e: f"C{k}" for k, e in enumerate(EPSILONS)}
    z_fine = np.linspace(min(Z_VALUES), max(Z_VALUES), 200)
    for ax, units in zip(axes, UNITS):
        rows = table[table["units"] == units]
        for e, group in rows.groupby("eps"):
            ax.plot(group["Z"], group["mse"], "o-", color=colours[e], markersize=2.8, linewidth=1.0, label=f"ε = {e:g}")
        ax.axhline(linear, color="black", linestyle="--", linewidth=0.9, label="linear (keep one / average): 1/24")
        ax.plot(z_fine, 1 / (24 * z_fine**2), ":", color="0.4", linewidth=0.9, label="no ramps: 1/(24 Z²)")
        ax.axvline(Z, color="0.75", linewidth=0.6, zorder=0)
        ax.set_xscale("log", base=2)
        ax.set_xticks(list(Z_VALUES))
        ax.set_xticklabels([str(z) for z in Z_VALUES])
        ax.set_yscale("log")
        ax.set_xlabel("Z (quantisation levels of x)")
        ax.set_ylabel("mean squared error (mean over x, y)")
        ax.set_title(UNIT_LABEL[units], fontsize=7.5)
    axes[0].legend(frameon=False, fontsize=6, loc="lower left")

    title = (f"Nonlinear compression (appendix): paper: beats linear compression even at ε = 0.1, Z = 3. Measured: "
             f"MSE {example['bin']:.4f} (ε per step) / {example['absolute']:.4f} (ε in x) vs {linear:.4f}; wins at "
             f"{int(region['wins'].sum())}/{len(region)} points with Z ≥ 3, ε ≤ 0.1")
    return fig, table, title
