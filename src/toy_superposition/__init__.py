"""Reference reproduction of "Toy Models of Superposition" (Elhage et al., 2022).

Modules, one idea each:

* :mod:`.config` — the experiment configuration (one YAML file, JSON-schema validated)
* :mod:`.distributions` — synthetic sparse / signed / correlated / anticorrelated features
* :mod:`.models` — the batched toy models and their loss
* :mod:`.train_step` — hand-written backward pass and AdamW for one step
* :mod:`.trainer` — batched training of every instance of an experiment
* :mod:`.metrics` — ‖W_i‖, interference, D*, D_i, features represented
* :mod:`.artifacts` — the file layout and safe reads/writes
* :mod:`.stages` — the pipeline stages (data, train, metrics, figure)
* :mod:`.figures` — one module per figure
"""

__version__ = "0.1.0"
