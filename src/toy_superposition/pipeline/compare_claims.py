"""Two claims tables side by side: each claim's value and verdict before and after, and which flipped.

``toy-superposition claims --compare OLD`` evaluates the claims of the profile (the claims stage)
and compares them with ``OLD``; ``--against NEW`` compares two stored tables without evaluating.
A table is a ``claims.parquet`` or a ``claims.json`` (the dvc metrics file, e.g. from an older
commit: ``git show <commit>:results/claims.json``).

A claim whose id was replaced (its meaning changed, docs/claims-changelog.md) is paired with
its successor through :data:`..claims.registry.REPLACED`; claims only in one table are listed
as added or removed.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd

from ..artifacts import read_parquet
from ..claims.registry import REPLACED

COLUMNS = ["claim", "old_claim", "value_before", "holds_before", "value_after", "holds_after", "change"]


def read_claims(path: Path) -> pd.DataFrame:
    """``claim``, ``value``, ``holds`` of a claims.parquet or claims.json."""
    path = Path(path)
    if path.suffix == ".json":
        results = json.loads(path.read_text())["results"]
        return pd.DataFrame([{"claim": claim, "value": math.nan if entry["value"] is None else entry["value"],
                              "holds": bool(entry["holds"])} for claim, entry in results.items()],
                            columns=["claim", "value", "holds"])
    return read_parquet(path)[["claim", "value", "holds"]]


def compare(before: pd.DataFrame, after: pd.DataFrame, replaced: dict[str, str] = REPLACED) -> pd.DataFrame:
    """One row per claim of either table (``COLUMNS``); ``change`` is "flipped: holds → fails",
    "flipped: fails → holds", "same", "added" or "removed". Old ids replaced by a new one are
    compared with it (``old_claim`` names them)."""
    old = before.set_index("claim")
    new = after.set_index("claim")
    successors: dict[str, list[str]] = {}
    for old_id, new_id in replaced.items():
        successors.setdefault(new_id, []).append(old_id)
    rows, seen = [], set()
    for claim in new.index:
        olds = [claim] if claim in old.index else [c for c in successors.get(claim, []) if c in old.index]
        seen.update(olds)
        if not olds:
            rows.append({"claim": claim, "old_claim": "", "value_after": new.at[claim, "value"],
                         "holds_after": bool(new.at[claim, "holds"]), "change": "added"})
            continue
        for previous in olds:
            held, holds = bool(old.at[previous, "holds"]), bool(new.at[claim, "holds"])
            change = "same" if held == holds else f"flipped: {'holds → fails' if held else 'fails → holds'}"
            rows.append({"claim": claim, "old_claim": "" if previous == claim else previous,
                         "value_before": old.at[previous, "value"], "holds_before": held,
                         "value_after": new.at[claim, "value"], "holds_after": holds, "change": change})
    for claim in old.index:
        if claim not in seen:
            rows.append({"claim": claim, "old_claim": "", "value_before": old.at[claim, "value"],
                         "holds_before": bool(old.at[claim, "holds"]), "change": "removed"})
    return pd.DataFrame(rows, columns=COLUMNS)


def _cell(value, holds) -> str:
    if holds is None or (isinstance(holds, float) and math.isnan(holds)):
        return "—"
    number = "NaN" if value is None or value != value else f"{value:.4g}"
    return f"{number} ({'holds' if holds else 'fails'})"


def format_comparison(table: pd.DataFrame) -> str:
    """A plain-text table, flips first, and a count line."""
    order = {"flipped: holds → fails": 0, "flipped: fails → holds": 1, "added": 2, "removed": 3, "same": 4}
    table = table.assign(_order=table["change"].map(order)).sort_values(["_order", "claim"], kind="stable")
    width = max([len("claim"), *(len(c) + (len(o) + 4 if o else 0) for c, o in zip(table["claim"], table["old_claim"]))])
    lines = [f"{'claim':<{width}}  {'before':<22}  {'after':<22}  change"]
    for row in table.itertuples():
        name = row.claim + (f" (was {row.old_claim})" if row.old_claim else "")
        lines.append(f"{name:<{width}}  {_cell(row.value_before, row.holds_before):<22}  "
                     f"{_cell(row.value_after, row.holds_after):<22}  {row.change}")
    flips = int(table["change"].str.startswith("flipped").sum())
    lines.append(f"{flips} flipped, {int((table['change'] == 'added').sum())} added, "
                 f"{int((table['change'] == 'removed').sum())} removed, {int((table['change'] == 'same').sum())} same")
    return "\n".join(lines)
