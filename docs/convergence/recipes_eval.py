"""Compare the claims and final losses of two research runs (recipes/<a> vs recipes/<b>) with the
project's own convergence rules. Reads results only.
usage (from the repository root): python docs/convergence/recipes_eval.py A B
  e.g. python docs/convergence/recipes_eval.py phase-b256 phase-b1024"""
import os
import sys

import pandas as pd
import yaml

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "src"))
from toy_superposition.pipeline import convergence as cv

pd.set_option("display.width", 250)
pd.set_option("display.max_colwidth", 60)
pd.set_option("display.max_columns", 20)
a, b = sys.argv[1], sys.argv[2]
root = "results/research/recipes"  # results of docs/convergence/recipes/<name>.yaml
ca, cb = pd.read_parquet(f"{root}/{a}/claims.parquet"), pd.read_parquet(f"{root}/{b}/claims.parquet")
t = cv.claim_convergence(ca, cb, a, b)
print(t[["claim", "value_a", "ci_low_a", "ci_high_a", "holds_a", "value_b", "ci_low_b", "ci_high_b", "holds_b", "converged", "status"]].round(4).to_string())
for e in yaml.safe_load(open(f"docs/convergence/recipes/{a}.yaml"))["experiments"]:
    ia, ib = pd.read_parquet(f"{root}/{a}/{e}/instances.parquet"), pd.read_parquet(f"{root}/{b}/{e}/instances.parquet")
    ch = cv.loss_change(ia, ib)
    print(f"{e}: loss {a} {ch['loss_a']:.5g} {b} {ch['loss_b']:.5g} relative change {ch['relative_change']:+.3%} largest decrease {ch['largest_decrease']:+.3%} ({ch['points_matched']} points)")
print("details:")
for r in ca.merge(cb, on="claim", suffixes=("_a", "_b")).itertuples():
    print(f"  {r.claim}: [{a}] {r.detail_a[:150]} | [{b}] {r.detail_b[:150]}")
