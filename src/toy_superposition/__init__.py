"""Reference reproduction of "Toy Models of Superposition" (Elhage et al., 2022) and of the
follow-up study on dropout and privileged bases.

The tree reads like the DAG, from the shared core up (imports only go upward-to-downward:
shared → training / analysis → figures / claims → pipeline → cli; ``lint-imports`` checks it):

* shared core — :mod:`.config` (the one YAML file, schema-validated), :mod:`.distributions`,
  :mod:`.models`, :mod:`.metrics`, :mod:`.paths` (where artifacts live), :mod:`.artifacts`
  (safe reads and writes, and each stage's outputs as the next one loads them)
* :mod:`.training` — the step (hand-written backward, AdamW), the compiled step, the trainer,
  the benchmark
* :mod:`.analysis` — pure functions of weights and tables, one module per paper section
* :mod:`.figures` — one module per figure; :mod:`.claims` — the paper's claims, per section
* :mod:`.pipeline` — the stages, the DAG both Snakemake and DVC are built from, dvc.yaml, the report
* :mod:`.cli` — ``toy-superposition <stage> NAME``
"""

__version__ = "0.1.0"
