"""Analyses: pure functions of weights and tables (no file I/O), one module per section of the
paper, named as in :mod:`toy_superposition.claims`:

* :mod:`.phase_change` — closed-form losses of the candidate configurations, phase diagrams
* :mod:`.nonuniform_geometry` — correlated / anticorrelated feature sets, where two geometries' losses cross
* :mod:`.learning_dynamics` — energy-level jumps, loss regimes, trajectories, the octahedron attractor
* :mod:`.adversarial` — the analytic L2 attack and vulnerability
* :mod:`.computation` — the absolute-value model: hidden-unit rescaling, side neurons, the asymmetric motif
* :mod:`.removing_superposition` — summaries of an L1-penalty sweep
* :mod:`.dropout_orientation`, :mod:`.dropout_superposition`, :mod:`.dropout_kurtosis` — the dropout study

and the shared ones: :mod:`.geometry` (naming a small W's configuration), :mod:`.alignment`
(orthogonal Procrustes), :mod:`.neurons` (neuron-level analyses of a privileged basis) and
:mod:`.statistics` (bootstrap, Wilson and Fisher-z intervals, the circular uniformity tests).
"""
