"""Convergence of every claim between two profiles: is a verdict a finding or an artefact of the recipe?

``toy-superposition claims --compare A B`` reads the claims tables of profiles A (the baseline,
e.g. ``paper``) and B (the changed recipe: ``long``, ``reference-init``) and the final losses of
their experiments, and writes to A's results folder::

    convergence/A-vs-B.parquet         one row per claim (the union of both profiles' claims)
    convergence/A-vs-B-losses.parquet  one row per experiment: final loss of the selected models
    convergence/A-vs-B.md              both tables, readable

A claim has **converged** when its verdict is the same under both profiles *and* its value moved
less than its interval's half-width, ``|v_B − v_A| < h`` with ``h = max(h_A, h_B)`` and
``h_X = (ci_high_X − ci_low_X) / 2`` (the larger one: a move within either measurement's own
uncertainty is not evidence of a change). The cases a number cannot decide, and what they give
(``converged`` is a nullable boolean; ``status`` says which case applies):

==============================================  ==========  ==============================
case                                            converged   status
==============================================  ==========  ==============================
claim evaluated under one profile only          <NA>        ``only under A`` / ``only under B``
verdicts differ (whatever the values)           False       ``verdict changed``
value NaN under both (insufficient data)        <NA>        ``no value under either``
value NaN under one only                        False       ``value under one profile only``
an interval under at least one profile          |Δ| < h     ``converged`` / ``value moved``
  (and Δ = 0 under zero-width intervals)        True        ``converged``
no interval under either, |Δ| = 0               True        ``converged``
no interval under either, |Δ| > 0               <NA>        ``no interval: moved by Δ``
==============================================  ==========  ==============================

A claim without an interval (a ratio read off one curve, say) has no scale that tells a real
move from noise, so only an unchanged value counts as converged; its ``delta`` is still shown.
An unchanged value converges under zero-width intervals too (a share of 0 [0, 0] under both: no
move at all is within any uncertainty), where ``|Δ| < h`` alone would read 0 < 0 as a move.

The report shows, beside each claim, every comparison whose claims table is in A's results
folder (:func:`comparison_tables`); the DAG lists those tables as the report's inputs, so a
comparison committed with the results (git tracks ``results/convergence/*.parquet``) redraws the
report, on every machine the same.

Final losses: for every experiment both profiles train, the selected (lowest final loss) model of
every grid point the two share (matched on the grid's values), the mean of their final losses
under each and the relative change ``(L_B − L_A) / L_A``; ``largest_decrease`` is the most negative
per-point relative change, so an experiment under-trained at a few points shows. Both profiles
measure the final loss on the same evaluation batches (their seed derives from the experiment's
name), so the comparison is paired; the estimate itself scatters by a few percent around the
expected loss (16 batches), so changes of that size are noise. Each claim row carries the
``loss_change`` of its figure's experiments (the most negative of their relative changes).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from ..artifacts import ArtifactError, atomic_path, read_parquet, write_parquet
from ..config import GRID_AXES, PipelineConfig
from ..paths import comparison_tables, convergence_paths, experiment_paths, report_paths

CONVERGED = "converged"
MOVED = "value moved"
VERDICT_CHANGED = "verdict changed"
NO_VALUE = "no value under either"
ONE_VALUE = "value under one profile only"

CLAIM_COLUMNS = ("value", "ci_low", "ci_high", "holds")


def half_width(low: float, high: float) -> float:
    """Half the width of an interval; NaN when it has no interval."""
    return (high - low) / 2 if np.isfinite(low) and np.isfinite(high) else math.nan


def judge(a: dict, b: dict) -> tuple[object, str, float, float]:
    """(converged: True / False / pd.NA, status, delta, half-width) of one claim from its two rows
    (``value``, ``ci_low``, ``ci_high``, ``holds``); the rules of the module docstring."""
    value_a, value_b = float(a["value"]), float(b["value"])
    delta = value_b - value_a
    h = np.nanmax([half_width(a["ci_low"], a["ci_high"]), half_width(b["ci_low"], b["ci_high"]), -np.inf])
    h = float(h) if np.isfinite(h) else math.nan
    if bool(a["holds"]) != bool(b["holds"]):
        return False, VERDICT_CHANGED, delta, h
    finite_a, finite_b = np.isfinite(value_a), np.isfinite(value_b)
    if not finite_a and not finite_b:
        return pd.NA, NO_VALUE, math.nan, h
    if finite_a != finite_b:
        return False, ONE_VALUE, math.nan, h
    if np.isfinite(h):
        return (True, CONVERGED, delta, h) if abs(delta) < h or delta == 0 else (False, MOVED, delta, h)
    if delta == 0:
        return True, CONVERGED, delta, h
    return pd.NA, f"no interval: moved by {delta:+.3g}", delta, h


def claim_convergence(claims_a: pd.DataFrame, claims_b: pd.DataFrame, profile_a: str = "A",
                      profile_b: str = "B") -> pd.DataFrame:
    """One row per claim of either table (claims tables as the claims stage writes them):
    the value, interval and verdict under each (suffixes ``_a`` / ``_b``), ``delta``,
    ``half_width``, ``converged`` (nullable boolean) and ``status``."""
    keep = ["claim", "figure", "statement", *CLAIM_COLUMNS]
    merged = claims_a[keep].merge(claims_b[keep], on="claim", how="outer", suffixes=("_a", "_b"), indicator=True,
                                  sort=False)
    order: dict[str, int] = {}
    for claim in list(claims_a["claim"]) + list(claims_b["claim"]):  # A's order, then B's extra claims
        order.setdefault(claim, len(order))
    merged = merged.assign(_order=merged["claim"].map(order)).sort_values("_order", kind="stable")
    rows = []
    for row in merged.to_dict("records"):
        side = {"a": {k: row[f"{k}_a"] for k in CLAIM_COLUMNS}, "b": {k: row[f"{k}_b"] for k in CLAIM_COLUMNS}}
        if row["_merge"] == "both":
            converged, status, delta, h = judge(side["a"], side["b"])
        else:
            only = profile_a if row["_merge"] == "left_only" else profile_b
            converged, status, delta, h = pd.NA, f"only under {only}", math.nan, math.nan
        rows.append({
            "claim": row["claim"],
            "figure": row["figure_a"] if isinstance(row["figure_a"], str) else row["figure_b"],
            "statement": row["statement_a"] if isinstance(row["statement_a"], str) else row["statement_b"],
            **{f"{k}_a": side["a"][k] for k in CLAIM_COLUMNS},
            **{f"{k}_b": side["b"][k] for k in CLAIM_COLUMNS},
            "delta": delta, "half_width": h, "converged": converged, "status": status,
        })
    table = pd.DataFrame(rows)
    for column in ("holds_a", "holds_b", "converged"):
        table[column] = table[column].astype("boolean")
    for column in ("value_a", "ci_low_a", "ci_high_a", "value_b", "ci_low_b", "ci_high_b", "delta", "half_width"):
        table[column] = table[column].astype("float64")
    table.insert(0, "profile_b", profile_b)
    table.insert(0, "profile_a", profile_a)
    return table.reset_index(drop=True)


def _selected_by_point(instances: pd.DataFrame) -> pd.DataFrame:
    """The selected model's final loss per grid point, keyed by the grid values (NaN → −1)."""
    axes = [axis for axis in GRID_AXES if axis in instances]
    chosen = instances[instances["selected"]]
    keys = chosen[axes].astype("float64").fillna(-1.0).round(12)
    return keys.assign(final_loss=chosen["final_loss"].to_numpy()).reset_index(drop=True)


def loss_change(instances_a: pd.DataFrame, instances_b: pd.DataFrame) -> dict[str, float]:
    """Final loss of the selected models at the grid points both tables share (instances.parquet)."""
    a, b = _selected_by_point(instances_a), _selected_by_point(instances_b)
    axes = [c for c in a.columns if c != "final_loss" and c in b.columns]
    matched = a.merge(b, on=axes, suffixes=("_a", "_b"))
    if matched.empty:
        return {"points_a": len(a), "points_b": len(b), "points_matched": 0, "loss_a": math.nan,
                "loss_b": math.nan, "relative_change": math.nan, "largest_decrease": math.nan}
    loss_a, loss_b = float(matched["final_loss_a"].mean()), float(matched["final_loss_b"].mean())
    with np.errstate(divide="ignore", invalid="ignore"):
        per_point = (matched["final_loss_b"] - matched["final_loss_a"]) / matched["final_loss_a"]
    finite = per_point[np.isfinite(per_point)]
    return {
        "points_a": len(a), "points_b": len(b), "points_matched": len(matched), "loss_a": loss_a, "loss_b": loss_b,
        "relative_change": (loss_b - loss_a) / loss_a if loss_a > 0 else math.nan,
        "largest_decrease": float(finite.min()) if len(finite) else math.nan,
    }


def _recipe(config: PipelineConfig, name: str) -> str:
    spec = config.experiment(name)
    t = spec.training
    return (f"{t.steps} steps × {t.batch_size}, lr {t.learning_rate:g} {t.lr_schedule}, init {t.init}, "
            f"{spec.restarts} restarts")


def loss_convergence(config_a: PipelineConfig, config_b: PipelineConfig) -> pd.DataFrame:
    """One row per experiment of either profile: its recipe and final loss under each, and the change."""
    rows = []
    for name in list(config_a.experiments) + [n for n in config_b.experiments if n not in config_a.experiments]:
        row: dict[str, object] = {"experiment": name}
        present = [name in config_a.experiments, name in config_b.experiments]
        row["recipe_a"] = _recipe(config_a, name) if present[0] else ""
        row["recipe_b"] = _recipe(config_b, name) if present[1] else ""
        if all(present):
            row |= loss_change(read_parquet(experiment_paths(config_a, name).instances),
                               read_parquet(experiment_paths(config_b, name).instances))
        else:
            row |= {"points_a": 0, "points_b": 0, "points_matched": 0, "loss_a": math.nan, "loss_b": math.nan,
                    "relative_change": math.nan, "largest_decrease": math.nan}
        rows.append(row)
    return pd.DataFrame(rows)


def attach_losses(claims: pd.DataFrame, losses: pd.DataFrame, figures: dict[str, tuple[str, ...]]) -> pd.DataFrame:
    """Each claim's figure's experiments and the most negative relative loss change among them."""
    change = dict(zip(losses["experiment"], losses["relative_change"]))
    experiments = [figures.get(figure, ()) for figure in claims["figure"]]
    claims = claims.copy()
    claims["experiments"] = [", ".join(names) for names in experiments]
    claims["loss_change"] = [
        float(np.nanmin([change.get(n, math.nan) for n in names])) if any(np.isfinite(change.get(n, math.nan))
                                                                         for n in names) else math.nan
        for names in experiments
    ]
    return claims


def _claims_of(config: PipelineConfig) -> pd.DataFrame:
    path = report_paths(config)["claims_table"]
    if not path.exists():
        raise ArtifactError(f"{path}: no claims table for profile {config.profile!r}; run its pipeline first "
                            f"(snakemake --cores all --config profile={config.profile})")
    return read_parquet(path)


def compare_profiles(config_a: PipelineConfig, config_b: PipelineConfig) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(claims table, losses table) of B against A, from both profiles' results on disk."""
    claims = claim_convergence(_claims_of(config_a), _claims_of(config_b), config_a.profile, config_b.profile)
    losses = loss_convergence(config_a, config_b)
    figures = {name: spec.experiments for name, spec in (config_b.figures | config_a.figures).items()}
    return attach_losses(claims, losses, figures), losses


def _cell(value: object) -> str:
    if value is pd.NA or value is None:
        return "—"
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (float, np.floating)):
        return "—" if not np.isfinite(value) else f"{value:.4g}"
    return str(value).replace("|", "\\|")


def markdown_table(frame: pd.DataFrame, columns: dict[str, str]) -> str:
    """A GitHub markdown table of ``frame``'s ``columns`` (name → header)."""
    lines = ["| " + " | ".join(columns.values()) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(_cell(row[c]) for c in columns) + " |" for row in frame.to_dict("records")]
    return "\n".join(lines)


def _with_interval(value: float, low: float, high: float) -> str:
    text = _cell(value)
    return text if not (np.isfinite(low) and np.isfinite(high)) else f"{text} [{low:.3g}, {high:.3g}]"


def render_markdown(claims: pd.DataFrame, losses: pd.DataFrame, profile_a: str, profile_b: str) -> str:
    shown = claims.assign(
        under_a=[_with_interval(r.value_a, r.ci_low_a, r.ci_high_a) for r in claims.itertuples()],
        under_b=[_with_interval(r.value_b, r.ci_low_b, r.ci_high_b) for r in claims.itertuples()],
    )
    counts = shown["converged"].value_counts(dropna=False)
    summary = (f"{int(counts.get(True, 0))} of {len(shown)} claims converged, {int(counts.get(False, 0))} did not, "
               f"{int(shown['converged'].isna().sum())} undecided; verdict changed for "
               f"{int((shown['status'] == VERDICT_CHANGED).sum())}.")
    return (
        f"# Convergence: {profile_b} against {profile_a}\n\n"
        "Generated by `toy-superposition claims --compare "
        f"{profile_a} {profile_b}`; the rules are in `toy_superposition.pipeline.convergence`.\n\n"
        f"{summary}\n\n## Claims\n\n"
        + markdown_table(shown, {"claim": "claim", "under_a": f"{profile_a} [95% CI]", "holds_a": "holds",
                                 "under_b": f"{profile_b} [95% CI]", "holds_b": "holds", "delta": "Δ",
                                 "half_width": "half-width", "converged": "converged", "status": "status",
                                 "loss_change": "loss change"})
        + "\n\n## Final loss of the selected models\n\n"
        + markdown_table(losses, {"experiment": "experiment", "recipe_a": profile_a, "recipe_b": profile_b,
                                  "points_matched": "points", "loss_a": f"loss {profile_a}",
                                  "loss_b": f"loss {profile_b}", "relative_change": "relative change",
                                  "largest_decrease": "largest decrease at a point"})
        + "\n"
    )


def run_compare(config_a: PipelineConfig, config_b: PipelineConfig) -> dict[str, Path]:
    """Write the comparison of B against A (see the module docstring); returns the paths."""
    claims, losses = compare_profiles(config_a, config_b)
    paths = convergence_paths(config_a, config_b.profile)
    write_parquet(paths["claims"], claims)
    write_parquet(paths["losses"], losses)
    with atomic_path(paths["markdown"]) as temporary:
        temporary.write_text(render_markdown(claims, losses, config_a.profile, config_b.profile), encoding="utf-8")
    return paths


def comparisons_for(config: PipelineConfig) -> dict[str, pd.DataFrame]:
    """Every comparison table written with this profile as A, by the other profile's name."""
    return {other: read_parquet(path) for other, path in comparison_tables(config).items()}
