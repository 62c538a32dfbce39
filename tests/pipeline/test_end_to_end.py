"""The whole `ci` pipeline runs end to end through Snakemake and DVC, reproducibly, and its
report renders in a real browser."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from toy_superposition.config import load_config
from toy_superposition.pipeline.dag import all_targets

from ..conftest import COMPARISON_PROPERTY
from .conftest import BIN, CI_DVC_YAML, clone_checkout, digests, run

# --- end to end -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def checkout(tmp_path_factory) -> Path:
    """A fresh clone of the repository (with its uncommitted changes), its DVC remote a local folder."""
    target = clone_checkout(tmp_path_factory.mktemp("checkout") / "repo")
    remote = target.parent / "dvc-remote"
    run([str(BIN / "dvc"), "remote", "modify", "--local", "storage", "url", str(remote)], cwd=target)
    return target


@pytest.fixture(scope="module")
def ci_run(checkout: Path) -> tuple[Path, dict[str, str]]:
    """The whole ci DAG run once by Snakemake in the clean checkout: (checkout, artifact digests)."""
    run([str(BIN / "snakemake"), "--cores", "2", "--config", "profile=ci"], cwd=checkout)
    return checkout, digests(checkout / "results" / "ci")


@pytest.mark.slow
def test_snakemake_makes_every_target_once(ci_run):
    checkout, first = ci_run
    for target in all_targets(load_config(profile="ci")):
        assert (checkout / target).is_file(), target
    assert any(name.endswith("features.parquet") for name in first)
    dry = run([str(BIN / "snakemake"), "-n", "--cores", "2", "--config", "profile=ci"], cwd=checkout)
    assert "Nothing to be done" in dry.stdout + dry.stderr


def one_figure_per_section(config) -> list[str]:
    """The first figure of every paper section in the config: every family's figure code."""
    chosen: dict[str, str] = {}
    for name, figure in config.figures.items():
        chosen.setdefault(figure.section, name)
    return list(chosen.values())


#: Experiments whose whole chain (data, train, metrics) DVC reruns: one of each sampling and model
#: path of the trainer (independent features and the ReLU output model; the absolute-value model's
#: two matrices; dropout's extra random stream; correlated features, drawn by torch's generator).
#: The other experiments' chains are the same commands with other names (`test_dag` checks that
#: DVC's stages name Snakemake's inputs and outputs), so rerunning them all would only add minutes.
CHAIN_EXPERIMENTS = ("intro-5-in-2", "absval-3-in-6", "dropout-2d-sparse", "correlated-pairs-m2")


@pytest.mark.slow
def test_dvc_repro_gives_the_same_bytes_and_round_trips_the_remote(ci_run):
    """DVC records Snakemake's outputs (``dvc commit``); deleting one figure per paper section, and the
    experiments of CHAIN_EXPERIMENTS, and reproducing them through DVC must give identical bytes, so
    both runners execute the same deterministic commands. Then the remote round-trips everything."""
    checkout, first = ci_run
    config = load_config(profile="ci")
    results = checkout / "results" / "ci"
    dvc = str(BIN / "dvc")
    run([dvc, "commit", "--force", CI_DVC_YAML], cwd=checkout)
    assert "up to date" in run([dvc, "status", CI_DVC_YAML], cwd=checkout).stdout.lower()

    sample = one_figure_per_section(config)
    assert len(sample) >= 6, sample  # every family of figures is represented
    assert set(CHAIN_EXPERIMENTS) <= set(config.experiments), CHAIN_EXPERIMENTS
    stages = []
    for experiment in CHAIN_EXPERIMENTS:
        shutil.rmtree(results / experiment)
        stages += [f"{kind}-{experiment}" for kind in ("data", "train", "metrics")]
    for figure in sample:
        for suffix in (".png", ".svg", ".parquet"):
            (results / "figures" / f"{figure}{suffix}").unlink()
        stages.append(f"figure-{figure}")
    # --force: the lock file is current and the outputs are in DVC's cache, so a plain repro
    # would only check them out; this test is about DVC running the commands itself.
    targets = [f"{CI_DVC_YAML}:{stage}" for stage in stages]
    rerun = run([dvc, "repro", "--force", "--single-item", *targets], cwd=checkout).stdout
    ran = re.findall(r"Running stage '(?:[^']*:)?([^':]+)'", rerun)
    assert sorted(ran) == sorted(set(stages)), rerun[-2000:]
    assert digests(results) == first, "reproducing through DVC changed an artifact"
    again = run([dvc, "repro", CI_DVC_YAML], cwd=checkout).stdout
    assert "didn't change" in again or "up to date" in again.lower()
    metrics = run([dvc, "metrics", "show", "--json"], cwd=checkout).stdout
    assert "dimensions_per_feature" in metrics and "claims" in metrics
    plots = json.loads(run([dvc, "plots", "show", "--json"], cwd=checkout).stdout)
    ours = [name for name in plots["data"] if name.startswith(f"{CI_DVC_YAML}::")]
    assert len(ours) == 2, plots["data"].keys()
    assert not [e for e in plots["errors"] if e["name"] in ours], plots["errors"]
    for name in ours:  # every plot of the ci pipeline draws rows of its CSV export
        assert plots["data"][name] and plots["data"][name][0]["content"]["data"]["values"], name

    run([dvc, "push", CI_DVC_YAML], cwd=checkout)
    # The metrics (JSON) are git-tracked, not in DVC's cache: keep them aside so that the checkout
    # the other tests read is whole again afterwards.
    metrics = {path: path.read_bytes() for path in results.rglob("*.json")}
    shutil.rmtree(results)
    run([dvc, "pull", CI_DVC_YAML], cwd=checkout)
    cached = {k: v for k, v in first.items() if not k.endswith(".json")}
    assert {k: v for k, v in digests(results).items() if k in cached} == cached
    for path, content in metrics.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    assert digests(results) == first


@pytest.mark.slow
def test_the_ci_results_match_the_committed_ones(ci_run, record_property):
    """The ci run against the committed ci dvc.lock and metrics: byte-identical on the machine that
    made them, otherwise within `compare-results`' tolerance with every claim's verdict the same."""
    checkout, _ = ci_run
    result = subprocess.run([str(BIN / "toy-superposition"), "compare-results", "--profile", "ci"], cwd=checkout,
                            capture_output=True, text=True)
    if result.returncode == 3:
        pytest.skip(result.stderr.strip())  # no ci dvc.lock committed yet
    record_property(COMPARISON_PROPERTY, result.stdout.strip())  # printed in the session's summary
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith(("byte-identical", )) or "within tolerance" in result.stdout


@pytest.mark.slow
def test_the_snakemake_report_holds_every_figure(ci_run, tmp_path):
    checkout, _ = ci_run
    report = tmp_path / "report.zip"
    run([str(BIN / "snakemake"), "--cores", "1", "--config", "profile=ci", "--report", str(report)], cwd=checkout)
    names = zipfile.ZipFile(report).namelist()
    for figure in load_config(profile="ci").figures:
        assert any(name.endswith(f"/{figure}.png") for name in names), (figure, names[:20])


@pytest.mark.slow
def test_report_lists_every_figure_and_claim(ci_run):
    checkout, _ = ci_run
    config = load_config(profile="ci")
    page = (checkout / "results" / "ci" / "report.html").read_text()
    claims = pd.read_parquet(checkout / "results" / "ci" / "claims.parquet")
    assert len(claims) > 0
    for figure in config.figures:
        assert f"id='{figure}'" in page
    for statement in claims["statement"]:
        assert html.escape(statement) in page
    for row in claims.itertuples():  # every claim with the sentence it tests and where its threshold comes from
        assert html.escape(row.quote) in page and html.escape(row.threshold_source) in page, row.claim
    assert "http://" not in page and "https://" not in page  # self-contained: nothing to fetch


def chromium_driver():
    """A headless Debian chromium through chromedriver, or None where they are not installed."""
    chromium, chromedriver = shutil.which("chromium"), shutil.which("chromedriver")
    if not (chromium and chromedriver):
        return None
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                 "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(chromedriver), options=options)


@pytest.mark.slow
def test_report_renders_in_a_headless_browser(ci_run):
    checkout, _ = ci_run
    driver = chromium_driver()
    if driver is None:
        if os.environ.get("CI"):
            pytest.fail("CI must test the report in a real browser: install Debian's chromium and chromium-driver")
        pytest.skip("Debian's chromium and chromium-driver are not installed")
    try:
        driver.get((checkout / "results" / "ci" / "report.html").as_uri())
        images = driver.execute_script(
            "return Array.from(document.images).map(i => [i.alt, i.complete, i.naturalWidth, i.naturalHeight]);"
        )
        errors = [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
    finally:
        driver.quit()
    assert errors == []
    assert sorted(alt for alt, *_ in images) == sorted(load_config(profile="ci").figures)
    for alt, complete, width, height in images:
        assert complete and width > 100 and height > 100, alt
