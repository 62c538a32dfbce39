"""Comparing two claims tables: flips, replaced ids, added and removed claims, and the command line."""

from __future__ import annotations

import json
import math

import pandas as pd

from toy_superposition.artifacts import write_parquet
from toy_superposition.cli import main
from toy_superposition.pipeline.compare_claims import compare, format_comparison, read_claims


def table(rows: list[tuple[str, float, bool]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["claim", "value", "holds"])


BEFORE = table([("a", 0.9, True), ("b", 0.2, False), ("c", 1.0, True), ("old-x", 0.4, False), ("gone", 3.0, True)])
AFTER = table([("a", 0.6, False), ("b", 0.7, True), ("c", 1.0, True), ("new-x", 0.8, True), ("fresh", math.nan, False)])


def test_compare_pairs_claims_and_replaced_ids():
    result = compare(BEFORE, AFTER, replaced={"old-x": "new-x"}).set_index("claim")
    assert result.loc["a", "change"] == "flipped: holds → fails"
    assert result.loc["b", "change"] == "flipped: fails → holds"
    assert result.loc["c", "change"] == "same"
    assert result.loc["new-x", "old_claim"] == "old-x" and result.loc["new-x", "change"] == "flipped: fails → holds"
    assert result.loc["new-x", "value_before"] == 0.4 and result.loc["new-x", "value_after"] == 0.8
    assert result.loc["fresh", "change"] == "added" and result.loc["gone", "change"] == "removed"
    assert "old-x" not in result.index  # paired, not listed as removed


def test_two_old_ids_replaced_by_one_are_both_compared():
    before = table([("p", 1.0, True), ("q", 0.0, False)])
    result = compare(before, table([("pq", 0.5, True)]), replaced={"p": "pq", "q": "pq"})
    assert sorted(result["old_claim"]) == ["p", "q"]
    assert sorted(result["change"]) == ["flipped: fails → holds", "same"]


def test_format_lists_flips_first_and_counts():
    text = format_comparison(compare(BEFORE, AFTER, replaced={"old-x": "new-x"}))
    lines = text.splitlines()
    assert lines[1].startswith("a ") and "0.9 (holds)" in lines[1] and "0.6 (fails)" in lines[1]
    assert "new-x (was old-x)" in text and "NaN (fails)" in text
    assert lines[-1] == "3 flipped, 1 added, 1 removed, 1 same"


def test_json_and_parquet_tables_read_the_same(tmp_path):
    write_parquet(tmp_path / "claims.parquet", BEFORE.assign(detail=""))
    (tmp_path / "claims.json").write_text(json.dumps({"claims": 5, "hold": 3, "results": {
        row.claim: {"value": row.value, "holds": row.holds, "threshold": ""} for row in BEFORE.itertuples()}}))
    pd.testing.assert_frame_equal(read_claims(tmp_path / "claims.parquet"), read_claims(tmp_path / "claims.json"))


def test_command_line_compares_two_stored_tables(tmp_path, capsys):
    write_parquet(tmp_path / "old.parquet", BEFORE)
    write_parquet(tmp_path / "new.parquet", AFTER)
    assert main(["claims", "--compare", str(tmp_path / "old.parquet"), "--against", str(tmp_path / "new.parquet")]) == 0
    out = capsys.readouterr().out
    assert "flipped: holds → fails" in out and "gone" in out and "removed" in out
    assert main(["claims", "--against", str(tmp_path / "new.parquet")]) == 2  # --against alone is refused
