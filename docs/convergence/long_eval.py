"""The `long` profile against `paper`, for the figures of `long` that have been made so far.

`toy-superposition claims --compare paper long` needs both profiles' whole claims tables; on 2
CPU cores the `long` profile takes longer than one working session, so this script compares
what exists: it evaluates the claims of every `long` figure whose table is on disk (the claim
registry's own code) and judges them against the paper profile's claims with the project's
convergence rules (`toy_superposition.pipeline.convergence`). Reads results only.

The paper side, in this order: `results/claims.parquet` when present (the whole paper
profile's claims, values and intervals); else the claims of the same figures evaluated from the
paper profile's figure tables on disk, when every one of them is there (values and intervals;
make them with `snakemake --cores all results/figures/<figure>.png ...`); else the committed
`results/claims.json` (values and verdicts, no intervals: a move is then judged against the
`long` interval alone). Final losses are each experiment's `final_loss_mean` in
its committed `summary.json` (the mean over all its models), under both profiles.

usage (from the repository root, after e.g.
  snakemake --cores all results/long/figures/dims-per-feature.png --config profile=long):
  python docs/convergence/long_eval.py [--markdown docs/convergence/paper-vs-long-partial.md]
"""
import argparse
import dataclasses
import json
import math
import os
import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "src"))
from toy_superposition.claims.registry import evaluate_claims
from toy_superposition.config import load_config
from toy_superposition.paths import experiment_paths, report_paths
from toy_superposition.pipeline import convergence as cv
from toy_superposition.pipeline.compare_claims import read_claims
from toy_superposition.provenance import code_commit


def paper_claims(paper, figures: list[str]) -> tuple[pd.DataFrame, str]:
    """The paper profile's claims and where they came from (module docstring)."""
    table = report_paths(paper)["claims_table"]
    if table.exists():
        return pd.read_parquet(table), "claims table"
    if all((paper.figures_dir / f"{name}.parquet").exists() for name in figures):
        made = {name: paper.figures[name] for name in figures}
        return evaluate_claims(dataclasses.replace(paper, figures=made)), "figure tables on disk, with intervals"
    claims = read_claims(report_paths(paper)["claims_json"]).assign(ci_low=math.nan, ci_high=math.nan)
    return claims, "committed claims.json, no intervals"


def final_loss_mean(config, name: str) -> float:
    path = experiment_paths(config, name).summary
    return json.loads(path.read_text())["final_loss_mean"] if path.exists() else math.nan


def rerun_check(paper, claims: pd.DataFrame) -> str:
    """How many rerun paper claims equal the committed claims.json (which rounds to 6 decimals)."""
    committed = read_claims(report_paths(paper)["claims_json"]).set_index("claim")
    ours = claims.set_index("claim")
    both = list(ours.index.intersection(committed.index))

    def same(claim: str) -> bool:
        a, b = round(float(ours.at[claim, "value"]), 6), float(committed.at[claim, "value"])
        return a == b or (math.isnan(a) and math.isnan(b))

    moved = [c for c in both if not same(c)]
    flipped = [c for c in both if bool(ours.at[c, "holds"]) != bool(committed.at[c, "holds"])]
    return (f"Paper side retrained from its config at this commit: of {len(both)} claims, {len(both) - len(moved)} "
            f"have the committed value (to its 6 decimals) and {len(both) - len(flipped)} the committed verdict"
            + (f"; moved: {', '.join(f'`{c}`' for c in moved)}." if moved else "."))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--markdown", type=Path, help="also write the tables here")
    args = parser.parse_args()
    paper, long = load_config(profile="paper"), load_config(profile="long")
    made = {name: spec for name, spec in long.figures.items() if (long.figures_dir / f"{name}.parquet").exists()}
    if not made:
        sys.exit(f"no figure table of the long profile under {long.figures_dir}; make one first")
    claims_long = evaluate_claims(dataclasses.replace(long, figures=made))
    claims_paper, paper_source = paper_claims(paper, list(made))
    claims_paper = claims_paper[claims_paper["claim"].isin(claims_long["claim"])]
    claims_paper = claims_paper.assign(figure=claims_paper["claim"].map(dict(zip(claims_long["claim"],
                                                                                claims_long["figure"]))), statement="")
    table = cv.claim_convergence(claims_paper, claims_long, "paper", "long")
    experiments = sorted({e for spec in made.values() for e in spec.experiments})
    losses = pd.DataFrame([{"experiment": e, "recipe_paper": cv._recipe(paper, e), "recipe_long": cv._recipe(long, e),
                            "loss_paper": final_loss_mean(paper, e), "loss_long": final_loss_mean(long, e)}
                           for e in experiments])
    losses["relative_change"] = (losses["loss_long"] - losses["loss_paper"]) / losses["loss_paper"]
    details = dict(zip(claims_long["claim"], claims_long["detail"]))
    columns = {"claim": "claim", "figure": "figure", "paper": "paper [95% CI]", "holds_a": "holds", "long": "long [95% CI]",
               "holds_b": "holds", "delta": "Δ", "converged": "converged", "status": "status"}
    shown = table.assign(
        paper=[cv._with_interval(v, lo, hi) for v, lo, hi in zip(table["value_a"], table["ci_low_a"], table["ci_high_a"])],
        long=[cv._with_interval(v, lo, hi) for v, lo, hi in zip(table["value_b"], table["ci_low_b"], table["ci_high_b"])])
    n_conv = int(table["converged"].fillna(False).sum())
    n_flip = int((table["status"] == cv.VERDICT_CHANGED).sum())
    text = "\n\n".join([
        "# Convergence: long against paper, the figures made so far",
        f"Generated by `python docs/convergence/long_eval.py`, code and config of {code_commit(('src', 'config'))[:7]}: the claims of the {len(made)} "
        f"`long` figures made ({', '.join(made)}) against the paper profile's "
        f"({paper_source}). "
        f"{n_conv} of {len(table)} claims converged, verdict changed for {n_flip}.",
        *([rerun_check(paper, claims_paper)] if paper_source.startswith("figure tables") else []),
        "## Claims", cv.markdown_table(shown, columns),
        "## Final loss (mean over all models of each experiment, summary.json)",
        cv.markdown_table(losses, {c: c for c in losses.columns}),
        "## Details under long",
        "\n".join(f"- `{claim}`: {details[claim]}" for claim in table["claim"] if details.get(claim)),
    ]) + "\n"
    print(text)
    if args.markdown:
        args.markdown.write_text(text)


if __name__ == "__main__":
    main()
