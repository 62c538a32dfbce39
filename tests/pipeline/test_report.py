"""The claims stage writes each claim's quote and the source of its threshold, and the report shows them."""

from __future__ import annotations

import dataclasses
import html
import json

import pandas as pd
import pytest

from toy_superposition.claims import CLAIMS, ClaimResult
from toy_superposition.config import load_config
from toy_superposition.paths import report_paths
from toy_superposition.pipeline import report

COLUMNS = ("claim", "figure", "source", "statement", "quantity", "value", "ci_low", "ci_high", "threshold", "holds",
           "detail", "quote", "threshold_source", "threshold_reason")


@pytest.fixture
def config(tmp_path):
    base = load_config(profile="ci")
    return dataclasses.replace(base, results_dir=str(tmp_path), figures={"intro-5-in-2": base.figure("intro-5-in-2")})


def test_claims_table_and_json_carry_quote_and_threshold_source(config, monkeypatch):
    item = CLAIMS["intro-sparsity-adds-features"]
    monkeypatch.setitem(CLAIMS, item.id, dataclasses.replace(item, evaluate=lambda c: ClaimResult(5.0, holds=True)))
    report.run_claims(config)
    paths = report_paths(config)
    table = pd.read_parquet(paths["claims_table"])
    assert tuple(table.columns) == COLUMNS
    row = table.set_index("claim").loc[item.id]
    assert (row["quote"], row["threshold_source"], row["threshold_reason"]) == (
        item.quote, item.threshold_source, item.threshold_reason)
    entry = json.loads(paths["claims_json"].read_text())["results"][item.id]
    assert entry["quote"] == item.quote and entry["threshold_source"] == item.threshold_source
    assert entry["source"] == item.source and entry["threshold_reason"] == item.threshold_reason


def test_report_claims_table_shows_the_quote_its_source_and_where_the_threshold_comes_from():
    rows = pd.DataFrame([{
        "claim": "a", "figure": "f", "source": "Paper › Section", "statement": "It holds.", "quantity": "q",
        "value": 0.8, "ci_low": 0.7, "ci_high": 0.9, "threshold": "≥ 0.75", "holds": True, "detail": "d",
        "quote": 'The model "packs" features & more.', "threshold_source": "choice",
        "threshold_reason": "no number in the text <so> three quarters",
    }, {
        "claim": "b", "figure": "f", "source": "Post", "statement": "Not.", "quantity": "q", "value": 0.1,
        "ci_low": float("nan"), "ci_high": float("nan"), "threshold": "> 3", "holds": False, "detail": "",
        "quote": "increasing by >3x", "threshold_source": "text", "threshold_reason": "",
    }])
    page = report._claim_rows(rows)
    assert html.escape('The model "packs" features & more.') in page and "— Paper › Section" in page
    assert "choice: no number in the text &lt;so&gt; three quarters" in page
    assert "increasing by &gt;3x" in page and ">text</small>" in page
    assert page.count("<blockquote") == 2 and "threshold (source)" in page

