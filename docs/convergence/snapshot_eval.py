"""A claim of a `long` figure evaluated on its experiments' training snapshots: does its value settle?

The `long` profile trains the same restarts as `paper` (the seeds derive from the experiment and
instance), so where it changes only the number of steps, its 10,000-step snapshot *is* the paper
model, and the snapshots between show the claim's value along one continued training run, with no
new random draws. For each snapshot step S this script copies the experiments' artifacts to a
scratch results folder with model.safetensors replaced by the snapshot at S, then runs the
pipeline's own metrics and figure stages and the claim registry there. The per-instance final
losses (instances.parquet) stay those of the last step. Reads results only (writes under --scratch).

usage (from the repository root, after the long figure was made):
  python docs/convergence/snapshot_eval.py dropout-orientation-dense --scratch /tmp/snapshots
"""
import argparse
import dataclasses
import os
import shutil
import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "src"))
from safetensors.torch import load_file, safe_open, save_file

from toy_superposition.claims.registry import evaluate_claims
from toy_superposition.config import load_config
from toy_superposition.paths import experiment_paths
from toy_superposition.pipeline import stages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("figure")
    parser.add_argument("--scratch", type=Path, required=True)
    args = parser.parse_args()
    long = load_config(profile="long")
    spec = long.figure(args.figure)
    snapshots = {name: load_file(experiment_paths(long, name).snapshots) for name in spec.experiments}
    steps = sorted({int(key.split("/")[0].removeprefix("step_")) for key in next(iter(snapshots.values()))})
    if not steps:
        sys.exit(f"the experiments of {args.figure} ({', '.join(spec.experiments)}) keep no training snapshots")
    rows = []
    for step in steps:
        config = dataclasses.replace(long, results_dir=str(args.scratch / f"step_{step:08d}"),
                                     figures={args.figure: spec})
        for name in spec.experiments:
            source, target = experiment_paths(long, name), experiment_paths(config, name)
            shutil.rmtree(target.model.parent, ignore_errors=True)
            shutil.copytree(source.model.parent, target.model.parent)
            with safe_open(str(source.model), "pt") as f:
                metadata = f.metadata()
            prefix = f"step_{step:08d}/"
            tensors = {k.removeprefix(prefix): v for k, v in snapshots[name].items() if k.startswith(prefix)}
            save_file(tensors, str(target.model), metadata=metadata)
            stages.run_metrics(config, name)
        stages.run_figure(config, args.figure)
        claims = evaluate_claims(config)
        rows += [{"step": step, "claim": c.claim, "value": c.value, "ci_low": c.ci_low, "ci_high": c.ci_high,
                  "holds": c.holds} for c in claims.itertuples()]
    table = pd.DataFrame(rows)
    print(table.to_string(index=False))


if __name__ == "__main__":
    main()
