"""Research configs: shipped experiments/figures, reduced grids, one training recipe per variant.
usage (from the repository root): python docs/convergence/make_recipes.py  -> docs/convergence/recipes/<name>.yaml"""
import copy

import numpy as np
import yaml

shipped = yaml.safe_load(open("config/config.yaml"))
def every(values, k):
    v = values if isinstance(values, list) else [float(x) for x in np.geomspace(*values["geomspace"][:2], values["geomspace"][2])]
    return v[::k]
def write(name, figures, edits, training):
    exps = {}
    for f in figures:
        for e in shipped["figures"][f]["experiments"]:
            block = copy.deepcopy(shipped["experiments"][e])
            block.update(copy.deepcopy(edits.get(e, {})))
            t = dict(block.get("training", {}))
            t.update(training)
            block["training"] = t
            exps[e] = block
    cfg = {"profile": "research", "profiles": {"research": {"results_dir": f"results/research/recipes/{name}"}},
           "experiments": exps, "figures": {f: shipped["figures"][f] for f in figures}}
    yaml.safe_dump(cfg, open(f"docs/convergence/recipes/{name}.yaml", "w"), sort_keys=False)
    print(name, {e: (b.get("restarts", 1), b["training"]) for e, b in exps.items()})

# ReLU hidden layer: 100 restarts per density (paper 1000), the paper recipe vs the default
hidden = {"privileged-10-in-5-relu-hidden": {"restarts": 100}, "privileged-10-in-5-relu-output": {"restarts": 10}}
# (the 2,000-step cosine recipe at lr 3e-3 was the shipped one then; written out since 9eb1ee5 made
# the default recipe the shipped one)
write("hidden-cosine2k", ["privileged-relu-hidden", "linear-vs-relu-hidden"], hidden,
      {"steps": 2000, "learning_rate": 3.0e-3, "lr_schedule": "cosine"})
write("hidden-default10k", ["privileged-relu-hidden", "linear-vs-relu-hidden"], hidden,
      {"steps": 10000, "learning_rate": 1.0e-3, "lr_schedule": "constant"})
# m = 2 non-uniform geometry: batch 256 (paper profile) vs 1024 (default)
pent = {"pentagon-perturbation": {"grid": {"feature_probability": [0.05],
        "extra_feature_probability": every(shipped["experiments"]["pentagon-perturbation"]["grid"]["extra_feature_probability"], 2)}}}
m2 = ["pentagon-perturbation", "correlated-m2", "anticorrelated-m2", "correlated-collapse"]
write("m2-b256", m2, pent, {})
write("m2-b1024", m2, pent, {"batch_size": 1024})
# phase diagrams on a 5 x 5 sub-grid (every 6th of the 25 x 25)
sub = {"feature_probability": every({"geomspace": [1.0, 0.01, 25]}, 6), "extra_feature_importance": every({"geomspace": [0.1, 10.0, 25]}, 6)}
ph = {"phase-2-in-1": {"grid": sub}, "phase-3-in-2": {"grid": sub}}
write("phase-b256", ["phase-2-in-1", "phase-3-in-2"], ph, {})
write("phase-b1024", ["phase-2-in-1", "phase-3-in-2"], ph, {"batch_size": 1024})

# correlated collapse: 30 restarts (the long profile's) at the paper profile's 10,000 steps, batch 256 vs 1024
coll = {"correlated-collapse": {"restarts": 30}}
write("collapse-r30-b256", ["correlated-collapse"], coll, {})
write("collapse-r30-b1024", ["correlated-collapse"], coll, {"batch_size": 1024})
