"""Loss of each geometry against a varied parameter, and where two geometries' losses cross.

With many restarts per setting the optimiser lands in different configurations (the paper:
"visualizing the sub-optimal solutions ... allows us to see the loss curves for different
geometries"). For every setting x and geometry g the *envelope* is the lowest final loss of
the restarts that ended in g, ``L_g(x) = min{loss_k : x_k = x, geometry_k = g}`` (NaN where no
restart found g). A first-order phase change between geometries a and b is a sign change of
``L_a(x) − L_b(x)``: the crossing is placed by linear interpolation in ``log x`` between the
two neighbouring settings where both envelopes exist.

Shapes: tables with one row per restart (columns named by the caller).
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def envelopes(table: pd.DataFrame, x: str, loss: str, geometry: str) -> pd.DataFrame:
    """Wide table: index = sorted x values, one column per geometry with its lowest loss (NaN: not found)."""
    wide = table.groupby([x, geometry])[loss].min().unstack(geometry)
    return wide.sort_index()


def crossings(x: np.ndarray, first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """x values (log-interpolated) where ``first − second`` changes sign between adjacent points
    at which both are finite; exact zeros count once. Returns an array (possibly empty)."""
    x = np.asarray(x, dtype=np.float64)
    diff = np.asarray(first, dtype=np.float64) - np.asarray(second, dtype=np.float64)
    valid = np.flatnonzero(np.isfinite(diff))
    found = []
    for a, b in zip(valid[:-1], valid[1:]):
        if b != a + 1:
            continue  # a setting without both geometries in between: no bracket
        da, db = diff[a], diff[b]
        if da == 0.0:
            found.append(x[a])
        elif da * db < 0:
            t = da / (da - db)
            found.append(float(np.exp(np.log(x[a]) + t * (np.log(x[b]) - np.log(x[a])))))
    if len(valid) and diff[valid[-1]] == 0.0:
        found.append(x[valid[-1]])
    return np.asarray(found, dtype=np.float64)
