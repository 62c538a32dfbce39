"""The reproduction report: every figure beside the claims it tests, as one offline HTML page.

Three stages, run after the figures:

* **claims** — evaluates :mod:`.claims` → ``claims.parquet`` and ``claims.json`` (dvc metrics);
* **plots** — small CSV exports of curves for ``dvc plots`` (D* against sparsity, loss curves);
* **report** — ``report.html``: figures grouped by the paper's sections, each with its caption,
  the settings that made it (from the config), the claims it tests, and a provenance line
  (the package version and code commit recorded in the figure's PNG, the experiments' config
  hashes, the md5 — DVC's file hash — of its inputs).

Images are embedded as base64 PNG, so the page opens offline; it holds no timestamp and no
commit of the checkout (only the commits recorded in the artifacts it shows, see
:mod:`..provenance`), so the same results give the same bytes.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import math
from pathlib import Path

import pandas as pd

from ..artifacts import atomic_path, read_parquet, write_json, write_parquet
from ..claims import evaluate_claims
from ..config import PipelineConfig, spec_hash
from ..paths import experiment_paths, figure_paths, report_paths
from ..provenance import stamp
from .convergence import comparisons_for
from .dag import DIMS_PER_FEATURE_EXPERIMENT, code_deps, figure_inputs

#: The paper's section order (the dropout study last); unknown sections follow in config order.
SECTION_ORDER = (
    "Demonstrating Superposition",
    "Superposition as a Phase Change",
    "Geometry: Uniform Superposition",
    "Geometry: Non-Uniform Superposition",
    "Superposition and Learning Dynamics",
    "Relationship to Adversarial Robustness",
    "Superposition in a Privileged Basis",
    "Computation in Superposition",
    "Strategic Approaches: Removing Superposition",
    "Superposition and Dropout",
)


# --- claims -------------------------------------------------------------------------------


def run_claims(config: PipelineConfig) -> None:
    paths = report_paths(config)
    table = evaluate_claims(config)
    provenance = stamp(code_deps("claims"))
    write_parquet(paths["claims_table"], table, metadata=provenance)
    summary = {
        "provenance": provenance,
        "claims": int(len(table)),
        "hold": int(table["holds"].sum()) if len(table) else 0,
        "results": {
            row.claim: {"value": _json_number(row.value), "holds": bool(row.holds), "threshold": row.threshold,
                        "threshold_source": row.threshold_source, "threshold_reason": row.threshold_reason,
                        "source": row.source, "quote": row.quote}
            for row in table.itertuples()
        },
    }
    write_json(paths["claims_json"], summary)


def _json_number(value: float) -> float | None:
    return None if value != value else round(float(value), 6)  # NaN -> null


# --- dvc plots exports --------------------------------------------------------------------


def run_plots(config: PipelineConfig) -> None:
    """CSV exports for ``dvc plots``: D* against 1/(1−S), and mean loss curves per experiment."""
    paths = report_paths(config)
    if DIMS_PER_FEATURE_EXPERIMENT in config.experiments:
        features = read_parquet(experiment_paths(config, DIMS_PER_FEATURE_EXPERIMENT).features)
        instances = read_parquet(experiment_paths(config, DIMS_PER_FEATURE_EXPERIMENT).instances)
        chosen = instances[instances["selected"]]
        squared = (features["norm"] ** 2).groupby(features["instance"]).sum()
        frame = pd.DataFrame(
            {
                "inverse_density": 1 / chosen["feature_probability"].to_numpy(),
                "d_star": chosen["hidden"].to_numpy() / squared.loc[chosen["instance"]].to_numpy(),
            }
        ).sort_values("inverse_density")
        _write_csv(paths["dims_per_feature_csv"], frame)
    curves = []
    for name in config.experiments:
        curve = read_parquet(experiment_paths(config, name).loss_curve)
        instances = read_parquet(experiment_paths(config, name).instances)
        chosen = curve[curve["instance"].isin(instances.loc[instances["selected"], "instance"])]
        mean = chosen.groupby("step", as_index=False)["loss"].mean()
        mean.insert(0, "experiment", name)
        curves.append(mean)
    _write_csv(paths["loss_curves_csv"], pd.concat(curves, ignore_index=True))


def _write_csv(path: Path, frame: pd.DataFrame) -> None:
    with atomic_path(path) as temporary:
        frame.to_csv(temporary, index=False, float_format="%.8g")


# --- report -------------------------------------------------------------------------------


def png_provenance(path: Path) -> dict[str, str]:
    """The version and code commit a figure's PNG records (its text chunks), or {} for none."""
    from PIL import Image

    with Image.open(path) as image:
        text = dict(getattr(image, "text", {}))
    return {key: text[key] for key in ("toy_superposition_version", "code_commit") if key in text}


def md5(path: Path) -> str:
    return hashlib.md5(Path(path).read_bytes()).hexdigest()


def _settings_rows(config: PipelineConfig, experiments: tuple[str, ...]) -> str:
    if not experiments:
        return "<p class='none'>Computed from closed forms and exact quadrature; no experiment is trained.</p>"
    rows = []
    for name in experiments:
        spec = config.experiment(name)
        grid = "; ".join(
            f"{axis}: {len(values)} values, {min(values):.3g}–{max(values):.3g}" if len(values) > 3 else
            f"{axis}: {', '.join(f'{v:.3g}' for v in values)}"
            for axis, values in spec.grid.items()
        )
        training = spec.training
        rows.append(
            "<tr>"
            + "".join(
                f"<td>{html.escape(str(cell))}</td>"
                for cell in (
                    name, spec.model, spec.features, spec.hidden, f"{spec.importance_decay:g}^i",
                    spec.distribution, grid, spec.restarts,
                    f"{training.steps} steps × batch {training.batch_size}, lr {training.learning_rate:g} ({training.lr_schedule}), "
                    f"init {training.init}",
                )
            )
            + "</tr>"
        )
    header = "".join(
        f"<th>{h}</th>" for h in ("experiment", "model", "n", "m", "importance", "features", "grid", "restarts", "training")
    )
    return f"<table class='settings'><tr>{header}</tr>{''.join(rows)}</table>"


def _threshold_cell(row) -> str:
    """The threshold, where it comes from (text / convention / choice) and why."""
    source = getattr(row, "threshold_source", "") or ""
    reason = getattr(row, "threshold_reason", "") or ""
    text = html.escape(row.threshold)
    if source:
        text += f"<br><small class='threshold-source'>{html.escape(source)}" + (
            f": {html.escape(reason)}" if reason else "") + "</small>"
    return text


def _claim_cell(row) -> str:
    """The claim's statement, and the sentence it tests with its source and section."""
    text = html.escape(row.statement)
    quote = getattr(row, "quote", "") or ""
    if quote:
        text += (f"<blockquote class='quote'>“{html.escape(quote)}”<br><small>— {html.escape(row.source)}</small>"
                 "</blockquote>")
    return text


def _convergence_cell(claim: str, comparisons: dict[str, pd.DataFrame]) -> str:
    """One line per comparison table (``claims --compare A B``) that has this claim."""
    lines = []
    for other, table in comparisons.items():
        match = table[table["claim"] == claim]
        if match.empty:
            continue
        row = match.iloc[0]
        mark = {True: "converged", False: "not converged"}.get(row["converged"] if row["converged"] is not pd.NA
                                                               else None, "undecided")
        moved = "" if row["delta"] != row["delta"] else f"; Δ {row['delta']:+.3g}"
        scale = "" if row["half_width"] != row["half_width"] else f" (±{row['half_width']:.3g})"
        loss = row.get("loss_change", math.nan)
        loss = "" if loss != loss else f"; final loss {loss:+.2%}"
        lines.append(f"<b>{html.escape(other)}</b>: {mark}<br><small>{html.escape(row['status'])}{moved}{scale}"
                     f"{loss}</small>")
    return "<br>".join(lines) or "<small>—</small>"


def _claim_rows(claims: pd.DataFrame, comparisons: dict[str, pd.DataFrame] | None = None) -> str:
    if claims.empty:
        return "<p class='none'>No claim is checked against this figure yet.</p>"
    comparisons = comparisons or {}
    rows = []
    for row in claims.itertuples():
        interval = "" if row.ci_low != row.ci_low else f" [{row.ci_low:.3g}, {row.ci_high:.3g}]"
        verdict = "holds" if row.holds else "does not hold"
        convergence = f"<td>{_convergence_cell(row.claim, comparisons)}</td>" if comparisons else ""
        rows.append(
            f"<tr class='{'holds' if row.holds else 'fails'}' id='claim-{html.escape(row.claim)}'>"
            f"<td>{_claim_cell(row)}</td>"
            f"<td>{html.escape(row.quantity)}</td><td>{row.value:.4g}{interval}</td>"
            f"<td>{_threshold_cell(row)}</td><td><b>{verdict}</b><br><small>{html.escape(row.detail)}</small></td>"
            f"{convergence}</tr>"
        )
    header = ("<tr><th>claim (and the sentence it tests)</th><th>measured</th><th>value [95% CI]</th>"
              "<th>threshold (source)</th><th>result</th>"
              + ("<th>convergence (claims --compare)</th>" if comparisons else "") + "</tr>")
    return f"<table class='claims'>{header}{''.join(rows)}</table>"


STYLE = """
body { font-family: DejaVu Sans, Helvetica, Arial, sans-serif; max-width: 1200px; margin: 2em auto; padding: 0 1em; color: #222; }
h1 { font-size: 1.6em; } h2 { border-bottom: 1px solid #ccc; padding-bottom: .2em; margin-top: 2em; }
figure { margin: 1.5em 0; } figure img { max-width: 100%; border: 1px solid #eee; }
figcaption { font-size: .95em; margin: .4em 0; }
table { border-collapse: collapse; font-size: .85em; margin: .5em 0; width: 100%; }
th, td { border: 1px solid #ddd; padding: .3em .5em; text-align: left; vertical-align: top; }
tr.holds td:nth-child(5) { background: #e7f6e7; } tr.fails td:nth-child(5) { background: #fbe9e7; }
.provenance { font-family: monospace; font-size: .75em; color: #666; word-break: break-all; }
.none { color: #777; font-style: italic; }
blockquote.quote { margin: .3em 0 0 .8em; color: #555; font-size: .95em; }
.threshold-source { color: #666; }
"""


def render_report(config: PipelineConfig) -> str:
    paths = report_paths(config)
    claims = read_parquet(paths["claims_table"])
    provenance = stamp(code_deps("report"))
    comparisons = comparisons_for(config)  # written by `claims --compare A B`, shown when present
    held = int(claims["holds"].sum()) if len(claims) else 0
    sections: dict[str, list[str]] = {}
    for figure in config.figures.values():
        png = figure_paths(config, figure.name)[0]
        image = base64.b64encode(png.read_bytes()).decode("ascii")
        inputs = figure_inputs(config, figure.name)
        made_by = png_provenance(png)
        line = (
            f"toy-superposition {made_by.get('toy_superposition_version', '?')}"
            f" · code commit {made_by.get('code_commit', '?')} · config "
            + ", ".join(f"{name}={spec_hash(config.experiment(name))}" for name in figure.experiments)
            + " · inputs "
            + ", ".join(f"{Path(p).relative_to(config.results_dir)}:md5={md5(p)}" for p in inputs)
        )
        figure_claims = claims[claims["figure"] == figure.name] if len(claims) else claims
        block = (
            f"<figure id='{figure.name}'><h3>{html.escape(figure.name)}</h3>"
            f"<img alt='{html.escape(figure.name)}' src='data:image/png;base64,{image}'>"
            f"<figcaption>{html.escape(figure.description or figure.name)}</figcaption>"
            f"<h4>Claims tested</h4>{_claim_rows(figure_claims, comparisons)}"
            f"<h4>Settings</h4>{_settings_rows(config, figure.experiments)}"
            f"<p class='provenance'>{html.escape(line)}</p></figure>"
        )
        sections.setdefault(figure.section or "Other", []).append(block)
    ordered = [s for s in SECTION_ORDER if s in sections] + [s for s in sections if s not in SECTION_ORDER]
    body = "".join(f"<h2>{html.escape(section)}</h2>{''.join(sections[section])}" for section in ordered)
    summary_rows = _claim_rows(claims, comparisons)
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<meta name='generator' content='toy-superposition {html.escape(provenance['toy_superposition_version'])}'>"
        f"<meta name='code-commit' content='{html.escape(provenance['code_commit'])}'>"
        "<title>Toy Models of Superposition — reproduction report</title>"
        f"<style>{STYLE}</style></head><body>"
        "<h1>Toy Models of Superposition — reproduction report</h1>"
        f"<p>Profile <b>{html.escape(config.profile)}</b> · toy-superposition "
        f"{html.escape(provenance['toy_superposition_version'])} · report code commit "
        f"<code>{html.escape(provenance['code_commit'])}</code> · "
        f"{held} of {len(claims)} claims hold.</p>"
        f"<h2>Claims</h2>{summary_rows}{body}</body></html>\n"
    )


def run_report(config: PipelineConfig) -> None:
    path = report_paths(config)["report"]
    with atomic_path(path) as temporary:
        temporary.write_text(render_report(config), encoding="utf-8")


def claims_json_summary(config: PipelineConfig) -> dict:
    return json.loads(report_paths(config)["claims_json"].read_text())
