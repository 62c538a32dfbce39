"""The shipped configuration, grid expansion, seeds, and errors that name the bad key."""

from __future__ import annotations

import copy
import dataclasses
import subprocess
import sys

import numpy as np
import pytest
import yaml

from toy_superposition import config as cfg
from toy_superposition.config import ConfigError, load_config, resolve_config

INTRO = "intro-5-in-2"


@pytest.fixture(scope="module")
def shipped() -> dict:
    return yaml.safe_load(cfg.CONFIG_FILE.read_text())


@pytest.fixture
def raw(shipped) -> dict:
    return copy.deepcopy(shipped)


def instance_steps(config: cfg.PipelineConfig) -> int:
    return sum(spec.n_instances * spec.training.steps for spec in config.experiments.values())


# --------------------------------------------------------------------------- shipped config


def test_default_profile_is_paper(shipped):
    config = load_config()
    assert config.profile == shipped["profile"] == "paper"
    assert config.results_dir == "results"


PROFILES = ["paper", "ci", "long", "reference-init"]


@pytest.mark.parametrize("profile", PROFILES)
def test_shipped_config_validates_for_every_profile(shipped, profile):
    assert set(shipped["profiles"]) == set(PROFILES)
    config = load_config(profile=profile)
    assert config.profile == profile
    assert config.results_dir == shipped["profiles"][profile]["results_dir"]
    chosen = shipped["profiles"][profile].get("figures", list(shipped["figures"]))
    needed = {name for figure in chosen for name in shipped["figures"][figure]["experiments"]}
    assert list(config.figures) == [name for name in shipped["figures"] if name in chosen]
    assert list(config.experiments) == [name for name in shipped["experiments"] if name in needed]
    for name, figure in config.figures.items():
        assert figure.experiments == tuple(shipped["figures"][name]["experiments"])
    for spec in config.experiments.values():
        assert spec.model in cfg.MODEL_KINDS
        assert spec.n_instances == len(spec.instances()) >= 1


def test_ci_profile_is_small_and_kept_apart(shipped):
    paper, ci = load_config(profile="paper"), load_config(profile="ci")
    ci_training = shipped["profiles"]["ci"]["training"]
    assert ci.results_dir != paper.results_dir
    assert instance_steps(ci) * 20 < instance_steps(paper)
    samples = lambda c: sum(s.n_instances * s.training.steps * s.training.batch_size for s in c.experiments.values())  # noqa: E731
    assert samples(ci) * 100 < samples(paper)
    for name, spec in ci.experiments.items():
        assert spec.features <= paper.experiments[name].features
        assert spec.training.steps <= ci_training["steps"] and spec.training.steps < paper.experiments[name].training.steps
        assert spec.training.batch_size == ci_training["batch_size"]


def test_profile_overrides_are_applied(shipped):
    paper, ci = load_config(profile="paper"), load_config(profile="ci")
    override = shipped["profiles"]["ci"]["experiments"]["uniform-400-in-30"]
    uniform_ci, uniform_paper = ci.experiment("uniform-400-in-30"), paper.experiment("uniform-400-in-30")
    assert (uniform_ci.features, uniform_ci.hidden) == (override["features"], override["hidden"])
    assert (uniform_paper.features, uniform_paper.hidden) == (400, 30)
    assert len(uniform_ci.grid["feature_probability"]) == override["grid"]["feature_probability"]["geomspace"][2]
    assert ci.experiment("basic-80-in-20-relu").grid["feature_probability"] == tuple(
        shipped["profiles"]["ci"]["experiments"]["basic-80-in-20-relu"]["grid"]["feature_probability"]
    )
    # keys the override does not mention keep their base values
    assert uniform_ci.model == uniform_paper.model == "relu_output"
    assert ci.experiment("basic-80-in-20-relu").importance_decay == 0.9
    # training: profile values over the schema's defaults, which fill the rest
    assert paper.experiment(INTRO).training == cfg.TrainingConfig(
        steps=10000, batch_size=1024, learning_rate=1e-3, weight_decay=1e-2, lr_schedule="constant",
        log_every=50, eval_batches=16, device="auto", compile="auto",
    )
    assert ci.experiment(INTRO).training.learning_rate == cfg.TRAINING_DEFAULTS["learning_rate"]
    assert ci.experiment(INTRO).training.log_every == shipped["profiles"]["ci"]["training"]["log_every"]


def test_long_profile_trains_the_headline_experiments_three_times_longer_at_the_papers_batch():
    paper, long = load_config(profile="paper"), load_config(profile="long")
    assert long.results_dir == "results/long" and len(long.experiments) < len(paper.experiments)
    for figure in ("dims-per-feature", "feature-dimensionality", "pressure", "energy-levels", "phase-2-in-1",
                   "phase-3-in-2", "pentagon-perturbation", "correlated-m2", "anticorrelated-m2",
                   "dropout-orientation-2d", "dropout-orientation-highdim", "privileged-relu-hidden"):
        assert figure in long.figures
    for name, spec in long.experiments.items():
        base = paper.experiment(name)
        assert spec.training.steps >= 3 * base.training.steps, name
        assert spec.training.batch_size == cfg.TRAINING_DEFAULTS["batch_size"] == 1024, name
        assert spec.restarts >= base.restarts and spec.grid == base.grid, name
        assert spec.training.init == base.training.init == "per_instance"
    # the m = 2 non-uniform experiments, which the paper found hard to optimise, get more restarts
    assert long.experiment("pentagon-perturbation").restarts > paper.experiment("pentagon-perturbation").restarts
    assert long.experiment("correlated-pairs-m2").restarts > paper.experiment("correlated-pairs-m2").restarts


def test_reference_init_profile_differs_from_paper_only_in_init():
    paper, reference = load_config(profile="paper"), load_config(profile="reference-init")
    assert reference.results_dir != paper.results_dir
    assert list(reference.experiments) == list(paper.experiments) and reference.figures == paper.figures
    for name, spec in reference.experiments.items():
        assert spec.training.init == "reference"
        as_paper = dataclasses.replace(spec, training=dataclasses.replace(spec.training, init="per_instance"))
        assert as_paper == paper.experiment(name), name


def test_a_profile_with_figures_runs_their_experiments_only(raw):
    raw["profiles"]["sub"] = {"results_dir": "results/sub", "figures": ["phase-2-in-1", "dims-per-feature"],
                              "experiments": {"phase-2-in-1": {"restarts": 3}}}
    sub = resolve_config(raw, profile="sub")
    assert list(sub.figures) == ["dims-per-feature", "phase-2-in-1"]  # the config's order
    assert list(sub.experiments) == ["uniform-400-in-30", "phase-2-in-1"]
    assert sub.experiment("phase-2-in-1").restarts == 3
    with pytest.raises(ConfigError, match="experiments.intro-5-in-2: no such experiment"):
        sub.experiment(INTRO)
    # the same experiment as the paper profile's, so a profile comparison compares like with like
    assert sub.experiment("uniform-400-in-30") == load_config(profile="paper").experiment("uniform-400-in-30")


def test_init_setting_is_parsed(raw):
    raw["experiments"][INTRO]["training"] = {"init": 1}
    assert resolve_config(raw).experiment(INTRO).training.init == 1.0
    raw["experiments"][INTRO]["training"] = {"init": "reference"}
    assert resolve_config(raw).experiment(INTRO).training.init == "reference"
    assert resolve_config(raw).experiment("uniform-400-in-30").training.init == "per_instance"


def test_paper_experiment_sizes_match_the_paper():
    config = load_config(profile="paper")
    intro = config.experiment(INTRO)
    assert (intro.model, intro.features, intro.hidden, intro.importance_decay, intro.restarts) == ("relu_output", 5, 2, 0.9, 4)
    assert intro.n_instances == 40
    uniform = config.experiment("uniform-400-in-30")
    assert (uniform.features, uniform.hidden, uniform.n_instances) == (400, 30, 30)


# --------------------------------------------------------------------------- expansion


def test_geomspace_includes_both_ends_and_is_log_spaced():
    probabilities = np.array(load_config().experiment(INTRO).grid["feature_probability"])
    assert len(probabilities) == 10
    assert probabilities[0] == 1.0
    assert probabilities[-1] == pytest.approx(0.05, rel=1e-12)
    ratios = probabilities[1:] / probabilities[:-1]
    np.testing.assert_allclose(ratios, ratios[0], rtol=1e-12)
    np.testing.assert_allclose(probabilities, 20.0 ** -np.linspace(0, 1, 10), rtol=1e-12)  # the comment's formula


def test_expand_sequence_forms():
    assert cfg.expand_sequence([1, 0.5], "k") == (1.0, 0.5)
    assert cfg.expand_sequence(0.25, "k") == (0.25,)
    assert cfg.expand_sequence({"geomspace": [1, 100, 3]}, "k") == pytest.approx((1.0, 10.0, 100.0))
    with pytest.raises(ConfigError, match="^some.key:"):
        cfg.expand_sequence("nope", "some.key")


def test_grid_expansion_order_and_restarts_innermost(raw):
    raw["experiments"]["order"] = {
        "model": "relu_output_dropout",
        "features": 3,
        "hidden": 2,
        "importance_decay": 0.8,
        "restarts": 2,
        # written in a different order from GRID_AXES on purpose
        "grid": {"dropout": [0.0, 0.5], "feature_probability": [1.0, 0.1]},
    }
    spec = resolve_config(raw).experiment("order")
    plan = spec.instances()
    assert [s.instance for s in plan] == list(range(8))
    got = [(s.feature_probability, s.dropout, s.setting, s.restart) for s in plan]
    assert got == [
        (1.0, 0.0, 0, 0), (1.0, 0.0, 0, 1),
        (1.0, 0.5, 1, 0), (1.0, 0.5, 1, 1),
        (0.1, 0.0, 2, 0), (0.1, 0.0, 2, 1),
        (0.1, 0.5, 3, 0), (0.1, 0.5, 3, 1),
    ]
    # axes not in the grid take the experiment's values
    assert all(s.importance_decay == 0.8 and s.l1_penalty == 0.0 for s in plan)
    assert spec.n_instances == 8


def test_grid_defaults_without_feature_probability(raw):
    raw["experiments"]["decays"] = {
        "model": "linear", "features": 4, "hidden": 2, "l1_penalty": 0.01,
        "grid": {"importance_decay": [1.0, 0.5, 0.25]},
    }
    plan = resolve_config(raw).experiment("decays").instances()
    assert [s.importance_decay for s in plan] == [1.0, 0.5, 0.25]
    assert all(s.feature_probability == 1.0 and s.dropout == 0.0 and s.l1_penalty == 0.01 for s in plan)
    assert [s.setting for s in plan] == [0, 1, 2] and all(s.restart == 0 for s in plan)


def test_snapshot_steps_are_expanded_rounded_and_sorted(raw):
    raw["experiments"][INTRO]["training"] = {"snapshot_steps": {"geomspace": [1, 100, 5]}}
    spec = resolve_config(raw).experiment(INTRO)
    assert spec.training.snapshot_steps == (1, 3, 10, 32, 100)
    raw["experiments"][INTRO]["training"] = {"snapshot_steps": [50, 0, 50, 10]}
    assert resolve_config(raw).experiment(INTRO).training.snapshot_steps == (0, 10, 50)


def test_overrides_argument_is_deep_merged(shipped):
    config = load_config(overrides={"experiments": {INTRO: {"hidden": 3}}})
    assert config.experiment(INTRO).hidden == 3
    assert config.experiment(INTRO).features == 5
    assert shipped["experiments"][INTRO]["hidden"] == 2  # the input is not mutated


def test_resolve_does_not_mutate_its_input(raw, shipped):
    resolve_config(raw, profile="ci")
    assert raw == shipped


# --------------------------------------------------------------------------- seeds


def seeds(config):
    return {name: [s.seed for s in spec.instances()] for name, spec in config.experiments.items()}


def test_seeds_are_stable_across_loads():
    a, b = load_config(), load_config()
    assert seeds(a) == seeds(b)
    assert {n: s.seed for n, s in a.experiments.items()} == {n: s.seed for n, s in b.experiments.items()}


def test_seeds_differ_across_experiments_and_instances():
    config = load_config()
    experiment_seeds = [spec.seed for spec in config.experiments.values()]
    assert len(set(experiment_seeds)) == len(experiment_seeds)
    all_instance_seeds = [seed for values in seeds(config).values() for seed in values]
    assert len(set(all_instance_seeds)) == len(all_instance_seeds)
    assert all(0 <= seed < 2**63 for seed in all_instance_seeds)


def test_global_seed_changes_every_seed(raw):
    before = seeds(resolve_config(raw))
    raw["seed"] = 1
    after = seeds(resolve_config(raw))
    for name in before:
        assert set(before[name]).isdisjoint(after[name])


def test_derive_seed_is_a_pure_function():
    assert cfg.derive_seed(0, "a", 1) == cfg.derive_seed(0, "a", 1)
    assert cfg.derive_seed(0, "a", 1) != cfg.derive_seed(0, "a", 2)
    assert cfg.derive_seed(0, "a") != cfg.derive_seed(1, "a")


def test_a_restart_keeps_its_seed_when_the_grid_grows(raw):
    before = resolve_config(raw).experiment(INTRO).instances()
    raw["experiments"][INTRO]["grid"]["feature_probability"] = {"geomspace": [1.0, 0.05, 12]}
    after = resolve_config(raw).experiment(INTRO).instances()
    assert [s.seed for s in after[: len(before)]] == [s.seed for s in before]


# --------------------------------------------------------------------------- errors


def _set(*path_and_value):
    *path, key, value = path_and_value

    def mutate(raw):
        node = raw
        for part in path:
            node = node.setdefault(part, {})
        node[key] = value

    return mutate


def _delete(*path):
    def mutate(raw):
        node = raw
        for part in path[:-1]:
            node = node[part]
        del node[path[-1]]

    return mutate


E = ("experiments", INTRO)
BAD = {
    "negative-probability": (_set(*E, "grid", "feature_probability", [0.5, -0.1]), None,
                             ["experiments.intro-5-in-2.grid.feature_probability", "-0.1"]),
    "probability-above-one": (_set(*E, "grid", "feature_probability", [1.5]), None,
                              ["experiments.intro-5-in-2.grid.feature_probability", "1.5"]),
    "probability-zero": (_set(*E, "grid", "feature_probability", [0.0]), None,
                         ["experiments.intro-5-in-2.grid.feature_probability"]),
    "geomspace-from-zero": (_set(*E, "grid", "feature_probability", {"geomspace": [0, 1, 3]}), None,
                            ["experiments.intro-5-in-2.grid.feature_probability"]),
    "empty-grid-axis": (_set(*E, "grid", "feature_probability", []), None,
                        ["experiments.intro-5-in-2.grid.feature_probability"]),
    "hidden-zero": (_set(*E, "hidden", 0), None, ["experiments.intro-5-in-2.hidden"]),
    "features-zero": (_set(*E, "features", 0), None, ["experiments.intro-5-in-2.features"]),
    "features-not-integer": (_set(*E, "features", 2.5), None, ["experiments.intro-5-in-2.features"]),
    "missing-hidden": (_delete(*E, "hidden"), None, ["experiments.intro-5-in-2", "hidden"]),
    "unknown-model": (_set(*E, "model", "relu_outptu"), None, ["experiments.intro-5-in-2.model", "relu_outptu"]),
    "unknown-experiment-key": (_set(*E, "hiden", 2), None, ["experiments.intro-5-in-2", "hiden"]),
    "unknown-top-level-key": (_set("bogus_key", 1), None, ["bogus_key"]),
    "unknown-training-key": (_set("training", {"stepz": 10}), None, ["training", "stepz"]),
    "zero-learning-rate": (_set("training", {"learning_rate": 0}), None, ["training.learning_rate"]),
    "negative-importance-decay": (_set(*E, "importance_decay", -0.5), None, ["experiments.intro-5-in-2.importance_decay"]),
    "zero-importance-decay-in-grid": (_set(*E, "grid", "importance_decay", [1.0, 0.0]), None,
                                      ["experiments.intro-5-in-2.grid.importance_decay"]),
    "unknown-profile": (lambda raw: None, "nope", ["profile", "nope"]),
    "unknown-default-profile": (_set("profile", "nope"), None, ["profile", "nope"]),
    "dropout-on-relu-output": (_set(*E, "grid", "dropout", [0.1]), None, ["experiments.intro-5-in-2.grid.dropout"]),
    "dropout-rate-one": (
        lambda raw: raw["experiments"][INTRO].update(model="relu_output_dropout", grid={"dropout": [0.0, 1.0]}),
        None, ["experiments.intro-5-in-2.grid.dropout", "1.0"],
    ),
    "set-size-not-dividing": (
        lambda raw: raw["experiments"][INTRO].update(distribution="correlated", set_size=3), None,
        ["experiments.intro-5-in-2.set_size"],
    ),
    "signed-correlated": (
        lambda raw: raw["experiments"][INTRO].update(model="absolute_value", distribution="correlated", set_size=5),
        None, ["experiments.intro-5-in-2.distribution"],
    ),
    "snapshot-after-last-step": (_set(*E, "training", "snapshot_steps", [0, 20000]), None,
                                 ["experiments.intro-5-in-2.training.snapshot_steps", "20000"]),
    "figure-unknown-experiment": (_set("figures", "intro-5-in-2", "experiments", ["intro-5-in-3"]), None,
                                  ["figures.intro-5-in-2.experiments", "intro-5-in-3"]),
    "profile-override-bad-hidden": (_set("profiles", "ci", "experiments", INTRO, {"hidden": 0}), "ci",
                                    ["profiles.ci.experiments.intro-5-in-2.hidden"]),
    "profile-override-unknown-key": (_set("profiles", "ci", "experiments", INTRO, {"hiden": 3}), "ci",
                                     ["profiles.ci.experiments.intro-5-in-2", "hiden"]),
    "profile-override-bad-steps": (_set("profiles", "ci", "experiments", INTRO, {"training": {"steps": 0}}), "ci",
                                   ["profiles.ci.experiments.intro-5-in-2.training.steps"]),
    "profile-override-bad-probability": (
        _set("profiles", "ci", "experiments", INTRO, {"grid": {"feature_probability": [1.5]}}), "ci",
        ["experiments.intro-5-in-2.grid.feature_probability", "1.5"],
    ),
    "profile-override-unknown-experiment": (_set("profiles", "ci", "experiments", "nope", {"hidden": 3}), "ci",
                                            ["profiles.ci.experiments.nope"]),
    "profile-training-bad-steps": (_set("profiles", "ci", "training", "steps", 0), "ci", ["profiles.ci.training.steps"]),
    "profile-without-results-dir": (_delete("profiles", "ci", "results_dir"), None, ["profiles.ci", "results_dir"]),
    "negative-seed": (_set("seed", -1), None, ["seed"]),
    "unknown-optimizer": (_set("training", {"optimizer": "adam"}), None, ["training.optimizer", "adam"]),
    "unknown-init": (_set("training", {"init": "xavier"}), None, ["training.init", "xavier"]),
    "negative-init-std": (_set(*E, "training", {"init": -0.1}), None, ["experiments.intro-5-in-2.training.init"]),
    "profile-unknown-figure": (_set("profiles", "ci", "figures", ["dims-per-feature", "nope"]), "ci",
                               ["profiles.ci.figures", "nope"]),
    "profile-override-not-trained": (_set("profiles", "ci", "figures", ["dims-per-feature"]), "ci",
                                     ["profiles.ci.experiments.", "not trained by this profile"]),
    "sgd-compiled": (_set(*E, "training", {"optimizer": "sgd", "compile": True}), None,
                     ["experiments.intro-5-in-2.training.compile", "sgd"]),
    "negative-adversarial-fraction": (_set(*E, "grid", "adversarial_fraction", [0.0, -0.2]), None,
                                      ["experiments.intro-5-in-2.grid.adversarial_fraction", "-0.2"]),
    "adversarial-training-on-gelu": (
        lambda raw: raw["experiments"][INTRO].update(model="gelu_output", grid={"adversarial_fraction": [0.1]}),
        None, ["experiments.intro-5-in-2.grid.adversarial_fraction", "gelu_output"],
    ),
}


def test_adversarial_fraction_is_a_grid_axis_defaulting_to_zero(raw):
    raw["experiments"][INTRO]["grid"] = {"feature_probability": [0.1], "adversarial_fraction": [0.0, 0.5]}
    spec = resolve_config(raw).experiment(INTRO)
    assert [s.adversarial_fraction for s in spec.instances()][::4] == [0.0, 0.5]
    assert all(s.adversarial_fraction == 0.0 for s in load_config().experiment(INTRO).instances())


def test_a_figure_may_read_no_experiment(raw):
    raw["figures"]["closed-form"] = {"section": "Appendix", "experiments": []}
    assert resolve_config(raw).figure("closed-form").experiments == ()


@pytest.mark.parametrize("case", list(BAD))
def test_bad_config_fails_naming_the_key(raw, case):
    mutate, profile, expected = BAD[case]
    mutate(raw)
    with pytest.raises(ConfigError) as info:
        resolve_config(raw, profile=profile)
    message = str(info.value)
    for fragment in expected:
        assert fragment in message, message
    if case not in {"unknown-top-level-key", "profile-override-bad-probability"}:
        assert message.startswith(expected[0]), message  # the message leads with the key


def test_profile_override_error_does_not_blame_the_base_block(raw):
    _set("profiles", "ci", "experiments", INTRO, {"hidden": 0})(raw)
    with pytest.raises(ConfigError) as info:
        resolve_config(raw, profile="ci")
    assert str(info.value).startswith("profiles.ci.experiments.intro-5-in-2.hidden:")


def test_load_config_errors(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "missing.yaml")
    bad_yaml = tmp_path / "bad.yaml"
    bad_yaml.write_text("profile: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(bad_yaml)
    scalar = tmp_path / "scalar.yaml"
    scalar.write_text("3\n")
    with pytest.raises(ConfigError, match="mapping"):
        load_config(scalar)


def test_lookups_of_unknown_names_fail_with_config_error():
    config = load_config()
    with pytest.raises(ConfigError, match="experiments.nope"):
        config.experiment("nope")
    with pytest.raises(ConfigError, match="figures.nope"):
        config.figure("nope")


def test_with_training_changes_only_training():
    spec = load_config().experiment(INTRO)
    changed = cfg.with_training(spec, steps=7, batch_size=3)
    assert (changed.training.steps, changed.training.batch_size) == (7, 3)
    assert changed.training.learning_rate == spec.training.learning_rate
    assert changed.grid == spec.grid and changed.seed == spec.seed
    assert spec.training.steps == 10000


# --------------------------------------------------------------------------- command line


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "toy_superposition", *args], capture_output=True, text=True, timeout=120)


def test_cli_validate_bad_config_exits_2_naming_the_key(raw, tmp_path):
    raw["experiments"][INTRO]["hidden"] = 0
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(raw))
    result = cli("validate", "--config", str(path))
    assert result.returncode == 2, result.stderr
    assert "experiments.intro-5-in-2.hidden" in result.stderr
    assert "Traceback" not in result.stderr


def test_cli_validate_good_config(tmp_path):
    result = cli("validate", "--config", str(cfg.CONFIG_FILE), "--profile", "ci")
    assert result.returncode == 0, result.stderr
    assert "profile ci" in result.stdout
    spec = load_config(profile="ci").experiment("uniform-400-in-30")
    line = f"experiment uniform-400-in-30: relu_output, n={spec.features}, m={spec.hidden}, "
    assert line + f"{spec.n_instances} instances × {spec.training.steps} steps" in result.stdout
    bad_profile = cli("validate", "--config", str(cfg.CONFIG_FILE), "--profile", "nope")
    assert bad_profile.returncode == 2
    assert "unknown profile 'nope'" in bad_profile.stderr


# --------------------------------------------------------------------------- schema and defaults


def _properties(node, path=""):
    """Every (path, definition) of a key the schema declares under ``properties``."""
    if isinstance(node, dict):
        for key, value in node.get("properties", {}).items():
            yield f"{path}.{key}".lstrip("."), value
            yield from _properties(value, f"{path}.{key}")
        for key, value in node.get("$defs", {}).items():
            yield from _properties(value, f"$defs.{key}")


def test_every_schema_key_is_documented():
    keys = list(_properties(cfg.SCHEMA))
    assert len(keys) > 30
    undocumented = [path for path, definition in keys if not definition.get("description")]
    assert undocumented == []


def test_training_defaults_are_read_from_the_schema():
    training = cfg.SCHEMA["$defs"]["training"]["properties"]
    assert set(cfg.TRAINING_DEFAULTS) == set(training) == {f.name for f in dataclasses.fields(cfg.TrainingConfig)}
    defaults = cfg.TrainingConfig()
    for key, value in cfg.TRAINING_DEFAULTS.items():
        assert getattr(defaults, key) == (tuple(value) if isinstance(value, list) else value), key


def test_the_config_file_restates_no_training_default(shipped):
    """Training settings are listed where they differ from the schema's defaults, nowhere else."""
    blocks = [("training", shipped.get("training", {}))]
    blocks += [(f"profiles.{name}.training", profile.get("training", {})) for name, profile in shipped["profiles"].items()]
    blocks += [(f"experiments.{name}.training", block.get("training", {})) for name, block in shipped["experiments"].items()]
    assert any(block for _, block in blocks)
    restated = [f"{where}.{key}" for where, block in blocks for key, value in block.items()
                if value == cfg.TRAINING_DEFAULTS.get(key) and where.startswith(("training", "profiles"))]
    assert restated == []


def test_the_schema_ships_inside_the_package():
    from importlib import resources

    assert resources.files("toy_superposition").joinpath("config.schema.json").is_file()


def test_the_config_is_found_in_the_working_directory_only(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match="config/config.yaml: not found"):
        load_config()
