"""Band of the 2-in-1 phase diagram: trained models against the exact with-bias optimum. Reads results
only; writes RESULTS_DIR/band_eval[_S].parquet and caches the optimum next to RESULTS_DIR (optimum.parquet).
usage (from the repository root): python docs/convergence/band_eval.py RESULTS_DIR [--step S]
  e.g. python docs/convergence/band_eval.py results/research/band/v30k --step 10000"""
import json
import os
import sys

import numpy as np
import pandas as pd

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "src"))
from safetensors.numpy import load_file

from toy_superposition.analysis import phase_change


class pe:  # the package's exact 2-in-1 functions under the names this script used
    classify = staticmethod(phase_change.classify_2_in_1)
    expected_loss_with_bias = staticmethod(phase_change.expected_loss_with_bias)
    optimum_with_bias = staticmethod(phase_change.optimum_with_bias)

def load(d, step=None):
    exp = f"{d}/band-2-in-1"
    if step is None:
        p = load_file(f"{exp}/model.safetensors")
    else:
        s = load_file(f"{exp}/snapshots.safetensors")
        p = {k.split("/")[1]: v for k, v in s.items() if k.startswith(f"step_{step:08d}/")}
    inst = pd.read_parquet(f"{exp}/instances.parquet")
    W, b = p["W"][:, :, 0], p["b"]
    inst["w1"], inst["w2"], inst["b1"], inst["b2"] = W[inst.instance, 0], W[inst.instance, 1], b[inst.instance, 0], b[inst.instance, 1]
    inst["phase"] = [pe.classify(a, c) for a, c in zip(inst.w1, inst.w2)]
    inst["exact"] = pe.expected_loss_with_bias(inst.w1, inst.w2, inst.b1, inst.b2, inst.feature_probability, inst.extra_feature_importance)
    if step is not None:
        inst["final_loss"] = np.nan  # final_loss belongs to the last step only
    return inst

def optimum(P, R, cache=None):
    cache = cache or os.path.join(os.path.dirname(os.path.abspath(sys.argv[1])), "optimum.parquet")
    if os.path.exists(cache):
        return pd.read_parquet(cache)
    df = pe.optimum_with_bias(P, R)
    df.to_parquet(cache)
    return df

def majority(g, by):
    kept = g.sort_values(by).iloc[:-1]
    counts = kept.phase.value_counts()
    top = counts[counts == counts.max()].index
    return next(ph for ph in kept.phase if ph in top)

def evaluate(inst):
    P = sorted(inst.feature_probability.unique())
    R = sorted(inst.extra_feature_importance.unique())
    opt = optimum(P, R)
    rows = []
    for (p, r), g in inst.groupby(["feature_probability", "extra_feature_importance"]):
        o = opt[np.isclose(opt.p, p) & np.isclose(opt.r, r)].iloc[0]
        best_exact = g.sort_values("exact").iloc[0]
        row = {"p": p, "r": r, "optimum": o.phase, "opt_loss": o.loss,
               "success": (g.phase == o.phase).mean(),
               "majority_exact": majority(g, "exact") == o.phase,
               "best_exact": best_exact.phase == o.phase,
               "best_excess": best_exact.exact / o.loss - 1,
               "mean_excess": (g.exact / o.loss - 1).mean()}
        if g.final_loss.notna().all():
            row["majority_final"] = majority(g, "final_loss") == o.phase
            row["best_final"] = g.sort_values("final_loss").iloc[0].phase == o.phase
        rows.append(row)
    return pd.DataFrame(rows)

if __name__ == "__main__":
    d = sys.argv[1]
    step = int(sys.argv[3]) if len(sys.argv) > 3 and sys.argv[2] == "--step" else None
    inst = load(d, step)
    t = evaluate(inst)
    summary = {"dir": d, "step": step, "models": len(inst), "points": len(t), "optimum": t.optimum.value_counts().to_dict(),
               "success_rate": round(float(t.success.mean()), 4),
               "phases": inst.phase.value_counts().to_dict(),
               "majority_exact": round(float(t.majority_exact.mean()), 4), "best_exact": round(float(t.best_exact.mean()), 4),
               "best_excess_median": float(t.best_excess.median()), "mean_excess_median": float(t.mean_excess.median())}
    if "majority_final" in t:
        summary |= {"majority_final": round(float(t.majority_final.mean()), 4), "best_final": round(float(t.best_final.mean()), 4)}
    print(json.dumps(summary))
    code = {True: "+", False: "."}
    print("success rate by point (rows p, cols r):")
    for p in sorted(t.p.unique(), reverse=True):
        print(f"{p:7.4f} " + " ".join(f"{x:4.1f}" for x in t[t.p == p].sort_values("r").success))
    t.to_parquet(f"{d}/band_eval{'' if step is None else f'_{step}'}.parquet")
