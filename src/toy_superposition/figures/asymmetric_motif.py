"""Figure ``asymmetric-motif`` (Computation in Superposition: The Asymmetric Superposition Motif).

Searches every trained instance (all densities and restarts) of the figure's
absolute-value experiments for the asymmetric superposition motif with the detector of
:mod:`toy_superposition.asymmetric_motif`: a neuron k storing features a and b with input
weights differing by at least 2× and output weights reversed by at least 2× (a
interferes strongly with b, b barely with a), paired with a neuron k' driven by x_a with
the same sign that inhibits output b by at least half that interference.

Panels: (left) one motif drawn as a circuit, inputs → neurons → outputs, weights rescaled
per hidden unit (largest input weight magnitude 1), red positive, blue negative; (middle)
motifs found per density, in the selected (lowest-loss) models and in all restarts;
(right) the list of motifs found.

The paper's claim: models computing |x| in superposition use this motif (it found two
instances by hand in one model). Measured: how many motifs the detector finds, in how
many models.

Table: one row per (instance, neuron) searched, with the detector's tests
(``Candidate`` fields: the stored features a and b, weights, ratios, interference,
partner neuron and inhibition, ``asymmetric`` and ``motif``) and the instance's
experiment, density, restart and whether it is the selected model; ``motif`` rows are
the instances found, ``drawn`` marks the one drawn.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Circle

from ..analysis import computation
from ..config import FigureSpec, PipelineConfig
from .common import captions, load_results
from .common import neurons as neuron_plots
from .registry import figure

POSITIVE, NEGATIVE = "#c0392b", "#2c6fb0"


def search(config: PipelineConfig, names: tuple[str, ...]) -> tuple[pd.DataFrame, dict]:
    """The detector's table over every instance of the experiments, and their weights."""
    tables, weights = [], {}
    for name in names:
        results = load_results(config, name)
        params = neuron_plots.load_weights(config, name)
        weights[name] = params
        candidates = computation.candidate_table(params["W1"], params["W2"])
        info = results.instances[["instance", "setting", "restart", "feature_probability", "selected", "final_loss"]]
        candidates = candidates.merge(info, on="instance", how="left")
        candidates.insert(0, "experiment", name)
        candidates.insert(1, "features", results.spec.features)
        candidates.insert(2, "hidden", results.spec.hidden)
        tables.append(candidates)
    table = pd.concat(tables, ignore_index=True)
    return table, weights


def pick(motifs: pd.DataFrame) -> pd.Series | None:
    """The motif to draw: from a selected model if any, the most asymmetric (largest
    min(input ratio, output ratio)), ties broken by experiment, instance and neuron."""
    if motifs.empty:
        return None
    ranked = motifs.assign(asymmetry=np.minimum(motifs["input_ratio"], motifs["output_ratio"]))
    ranked = ranked.sort_values(["selected", "asymmetry", "experiment", "instance", "neuron"],
                                ascending=[False, False, True, True, True], kind="mergesort")
    return ranked.iloc[0]


def draw_motif(ax: Axes, W1: np.ndarray, W2: np.ndarray, motif: pd.Series) -> None:
    """The circuit of one motif: x_a, x_b → neurons k, k' → y_a, y_b, rescaled weights."""

    s1, s2 = computation.rescale_hidden_units(torch.as_tensor(W1)[None], torch.as_tensor(W2)[None])
    s1, s2 = s1[0].numpy(), s2[0].numpy()
    a, b, k, kp = int(motif.feature_a), int(motif.feature_b), int(motif.neuron), int(motif.partner)
    inputs = {a: (0.0, 0.75), b: (0.0, 0.25)}
    hidden = {k: (0.5, 0.75), kp: (0.5, 0.25)}
    outputs = {a: (1.0, 0.75), b: (1.0, 0.25)}
    largest = max(np.abs(s1[[a, b]][:, [k, kp]]).max(), np.abs(s2[[k, kp]][:, [a, b]]).max())
    for sources, targets, matrix in ((inputs, hidden, s1), (hidden, outputs, s2)):
        # Edges below 3% of the layer's largest shown weight are left out.
        threshold = 0.03 * np.abs(matrix[np.ix_(list(sources), list(targets))]).max()
        for source, (x0, y0) in sources.items():
            for target, (x1, y1) in targets.items():
                value = matrix[source, target]
                if abs(value) < threshold:
                    continue
                colour = POSITIVE if value > 0 else NEGATIVE
                ax.annotate("", xy=(x1 - 0.065, y1), xytext=(x0 + 0.065, y0),
                            arrowprops=dict(arrowstyle="-|>", color=colour, lw=0.6 + 2.4 * abs(value) / largest,
                                            shrinkA=0, shrinkB=0, mutation_scale=7))
                # Straight edges: label at the middle, above; crossing edges: near their source.
                t = 0.5 if y0 == y1 else 0.3
                x, y = x0 + t * (x1 - x0), y0 + t * (y1 - y0) + (0.045 if y0 == y1 else 0.0)
                ax.text(x, y, f"{value:.2f}".replace("-", "−"), color=colour, fontsize=6.5, ha="center",
                        va="center", bbox=dict(boxstyle="round,pad=0.1", facecolor="white", edgecolor="none"),
                        zorder=5)
    for label, nodes in (("input", inputs), ("neuron", hidden), ("output", outputs)):
        for index, (x, y) in nodes.items():
            text = {"input": f"$x_{{{index}}}$", "output": f"$y_{{{index}}}$", "neuron": f"h{index}"}[label]
            ax.add_patch(Circle((x, y), 0.06, facecolor="white", edgecolor="0.2", lw=0.8, zorder=3))
            ax.text(x, y, text, ha="center", va="center", fontsize=7, zorder=4)
    ax.text(0.5, 0.85, "asymmetric superposition", ha="center", va="bottom", fontsize=6.5, color="0.3")
    ax.text(0.5, 0.15, "inhibition", ha="center", va="top", fontsize=6.5, color="0.3")
    ax.text(0.0, 0.93, "input", ha="center", fontsize=6.5, color="0.3")
    ax.text(1.0, 0.93, "output", ha="center", fontsize=6.5, color="0.3")
    ax.set_xlim(-0.12, 1.12)
    ax.set_ylim(-0.02, 1.08)
    ax.set_aspect("equal")
    ax.axis("off")


@figure("asymmetric-motif")
def render(config: PipelineConfig, figure: FigureSpec) -> tuple[Figure, pd.DataFrame, str]:
    table, weights = search(config, figure.experiments)
    motifs = table[table["motif"]]
    chosen = pick(motifs)
    table["drawn"] = False
    if chosen is not None:
        table.loc[chosen.name, "drawn"] = True

    searched = table.groupby(["experiment", "instance"]).ngroups
    with_motif = motifs.groupby(["experiment", "instance"]).ngroups
    selected_found = int(motifs["selected"].sum())
    heading = "Asymmetric superposition + inhibition motif, found automatically"
    caption = ("Paper: absolute-value models computing in superposition use it (two instances in one model).\n"
               f"Measured: {len(motifs)} motifs in {with_motif} of {searched} trained models "
               f"({selected_found} in the selected lowest-loss models)")
    title = f"{heading}. " + caption.replace("\n", " ")
    header = captions.Header.of(11.0, heading, caption)
    fig = header.figure(3.3)
    circuit = fig.add_axes(header.rect(fig, (0.05, 0.047, 0.27, 0.78)))
    if chosen is not None:
        params = weights[chosen.experiment]
        i = int(chosen.instance)
        draw_motif(circuit, params["W1"][i].numpy(), params["W2"][i].numpy(), chosen)
        circuit.set_title(
            f"{chosen.experiment}, 1−S = {chosen.feature_probability:g}, restart {int(chosen.restart)}"
            f"{' (selected)' if chosen.selected else ''}\nh{int(chosen.neuron)}: input ratio "
            f"{chosen.input_ratio:.1f}, output ratio {chosen.output_ratio:.1f}\nh{int(chosen.partner)} inhibits "
            f"{chosen.inhibition / chosen.interference_ab:.0%} of the interference x{int(chosen.feature_a)} → "
            f"y{int(chosen.feature_b)}\n(weights rescaled per hidden unit: largest |W1| = 1)", fontsize=7, pad=2)
    else:
        circuit.axis("off")
        circuit.text(0.5, 0.5, "no asymmetric superposition motif found", ha="center", va="center", fontsize=8)

    counts = fig.add_axes(header.rect(fig, (0.4, 0.189, 0.22, 0.709)))
    main = table[table["experiment"] == figure.experiments[0]]
    probabilities = sorted(main["feature_probability"].unique(), reverse=True)
    positions = np.arange(len(probabilities))
    in_selected = [int(((main["feature_probability"] == p) & main["motif"] & main["selected"]).sum())
                   for p in probabilities]
    in_all = [int(((main["feature_probability"] == p) & main["motif"]).sum()) for p in probabilities]
    models = main.groupby("feature_probability")["instance"].nunique()
    counts.bar(positions - 0.2, in_selected, width=0.4, color="#e6a817", label="selected model")
    counts.bar(positions + 0.2, in_all, width=0.4, color="0.45",
               label=f"all restarts ({int(models.iloc[0])} per density)")
    counts.set_xticks(positions)
    counts.set_xticklabels([f"{p:g}" for p in probabilities], rotation=45, fontsize=6)
    counts.set_xlabel("1−S")
    counts.set_ylabel("motifs found")
    counts.set_title(f"{figure.experiments[0]}", fontsize=7)
    counts.legend(frameon=False, fontsize=6)
    counts.yaxis.get_major_locator().set_params(integer=True)
    counts.set_ylim(0, max([1, *in_all]) * 1.15)

    listing = fig.add_axes(header.rect(fig, (0.66, 0.189, 0.33, 0.756)))
    listing.axis("off")
    lines = ["model      1−S    rst  h    a→b     in   out   k'  inh"]
    for r in motifs.itertuples():
        model = r.experiment.removeprefix("absval-")
        lines.append(f"{model:<10} {r.feature_probability:<6g}{int(r.restart):>3} {int(r.neuron):>3} "
                     f"{int(r.feature_a):>2}→{int(r.feature_b):<3} {r.input_ratio:>4.1f} {r.output_ratio:>5.1f} "
                     f"{int(r.partner):>3} {r.inhibition / r.interference_ab:>4.0%}")
    shown = lines[:22]
    if len(lines) > 22:
        shown.append(f"... and {len(lines) - 22} more (see the table)")
    if len(lines) == 1:
        shown.append("(none)")
    listing.text(0.0, 1.0, "\n".join(shown), family="monospace", fontsize=5.6, va="top", ha="left",
                 transform=listing.transAxes)
    listing.text(0.0, -0.02, "h: neuron storing a (large input weight) and b\nin / out: input and (reversed) output "
                 "weight ratios\nk': inhibiting neuron; inh: its inhibition / the interference a → b",
                 fontsize=5.6, va="top", ha="left", transform=listing.transAxes)

    return fig, table, title
