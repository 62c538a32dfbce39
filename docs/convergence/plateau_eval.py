"""D* and D_i clustering of uniform runs, per snapshot step. Reads results only.
usage (from the repository root): python docs/convergence/plateau_eval.py RESULTS_DIR EXPERIMENT
  e.g. python docs/convergence/plateau_eval.py results/research/plateau plateau-pi-30k"""
import json
import os
import sys

import numpy as np
import pandas as pd

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "src"))
from safetensors.torch import load_file

from toy_superposition import metrics
from toy_superposition.analysis.statistics import longest_run
from toy_superposition.analysis.uniform_geometry import polytope_share

d, exp = sys.argv[1], sys.argv[2]
inst = pd.read_parquet(f"{d}/{exp}/instances.parquet").sort_values("instance")
snaps = load_file(f"{d}/{exp}/snapshots.safetensors")
steps = sorted({int(k.split("/")[0][5:]) for k in snaps})
final = load_file(f"{d}/{exp}/model.safetensors")
out = []
for step in steps + ["final"]:
    W = (final["W"] if step == "final" else snaps[f"step_{step:08d}/W"]).double()
    dstar = metrics.dimensions_per_feature(W).numpy()
    dims = metrics.feature_dimensionality(W).numpy()
    norms = metrics.feature_norms(W).numpy()
    inv = 1 / inst.feature_probability.to_numpy()
    order = np.argsort(inv)
    start, length = longest_run(np.abs(dstar[order] - 0.5) <= 0.05)
    ratio = float(inv[order][start + length - 1] / inv[order][start]) if length else 1.0
    # clustering, pooled over the densities (features of every instance; 1 restart each)
    share = polytope_share(norms.ravel(), dims.ravel())
    per = [polytope_share(norms[k], dims[k]) for k in range(len(inst))]
    out.append({"step": step, "d_star": {f"{inv[k]:.3g}": round(float(dstar[k]), 4) for k in order},
                "half_plateau_ratio": round(ratio, 3), "half_plateau_levels": int(length),
                "share": round(share.share, 4), "share_ci": [round(share.share_low, 4), round(share.share_high, 4)],
                "over_chance": round(share.over_chance[0], 3), "over_chance_low": round(share.over_chance[1], 3),
                "in_range": share.in_range, "learned": share.learned,
                "per_density_in_range": {f"{inv[k]:.3g}": (per[k].in_range, per[k].near) for k in order}})
for row in out:
    print(json.dumps(row))
