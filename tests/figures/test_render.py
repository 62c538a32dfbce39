"""The figure stage: every figure renders from real (tiny) stage outputs, byte-stably,
with a data table that holds the plotted numbers."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
import torch
from matplotlib.image import imread

from toy_superposition import metrics
from toy_superposition.artifacts import ArtifactError, load_model
from toy_superposition.config import ConfigError, FigureSpec
from toy_superposition.figures import FIGURES, discover, render_figure, renderer
from toy_superposition.figures.common import DPI, captions, figure_style
from toy_superposition.paths import experiment_paths, figure_paths


def test_every_configured_figure_has_a_script(config):
    assert set(config.figures) <= set(FIGURES)


@pytest.mark.parametrize("figure", sorted(discover()))
def test_figure_renders_byte_stably(config, figure):
    png, svg, table_path = figure_paths(config, figure)
    render_figure(config, config.figure(figure), [png, svg, table_path])
    for path in (png, svg, table_path):
        assert path.exists() and path.stat().st_size > 0, path
    first = {path: path.read_bytes() for path in (png, svg, table_path)}

    image = imread(png)
    assert image.ndim == 3 and image.shape[2] in (3, 4)
    assert image.shape[0] > 100 and image.shape[1] > 100
    assert svg.read_text().lstrip().startswith("<?xml")
    assert b"Software" not in first[png]  # no matplotlib version stamp
    assert b"<dc:date>" not in first[svg]  # no timestamp
    table = pd.read_parquet(table_path)
    assert len(table) > 0

    render_figure(config, config.figure(figure), [png, svg, table_path])
    for path, data in first.items():
        assert path.read_bytes() == data, f"{path.name} differs between two renders"
    assert not list(png.parent.glob("*.tmp")), "temporary files left behind"


@pytest.mark.parametrize("figure", sorted(discover()))
def test_header_lies_inside_the_figure_clear_of_every_panel(config, figure):
    """Every figure has a header (captions.Header); its title, caption and claim list lie inside the
    figure and overlap no axes, counting the axes' titles, labels, tick labels and legends."""
    with figure_style():
        fig, _, _ = renderer(figure)(config, config.figure(figure))
        fig.canvas.draw()
        drawn = fig.canvas.get_renderer()
        header = [text for text in fig.texts if text.get_gid() in captions.GIDS]
        assert [text.get_gid() for text in header][:1] == ["header-title"]
        for text in header:
            extent = text.get_window_extent(drawn)
            assert fig.bbox.x0 - 1 <= extent.x0 and extent.x1 <= fig.bbox.x1 + 1, f"{text.get_gid()} leaves the figure"
            assert fig.bbox.y0 - 1 <= extent.y0 and extent.y1 <= fig.bbox.y1 + 1, f"{text.get_gid()} leaves the figure"
            for ax in fig.axes:
                box = ax.get_tightbbox(drawn)
                assert box is None or not extent.overlaps(box), f"{text.get_gid()} overlaps the axes {ax.get_title()!r}"


def test_png_size_follows_figure_size(config):
    """The PNG is the figure size at the fixed dpi (decoded, not just present)."""
    from toy_superposition.figures import dims_per_feature
    from toy_superposition.figures.common import figure_style

    paths = figure_paths(config, "dims-per-feature")
    render_figure(config, config.figure("dims-per-feature"), paths)
    with figure_style():
        fig, _, _ = dims_per_feature.render(config, config.figure("dims-per-feature"))
    width, height = fig.get_size_inches()
    image = imread(paths[0])
    assert image.shape[:2] == (round(height * DPI), round(width * DPI))


def _selected(config, name):
    instances = pd.read_parquet(experiment_paths(config, name).instances)
    return instances[instances["selected"]]


def test_dims_per_feature_table_equals_metrics(config):
    name = "uniform-400-in-30"
    render_figure(config, config.figure("dims-per-feature"), figure_paths(config, "dims-per-feature"))
    table = pd.read_parquet(figure_paths(config, "dims-per-feature")[2])
    W = metrics.embedding_of(load_model(config, name)).double()
    expected = metrics.dimensions_per_feature(W).numpy()
    selected = _selected(config, name)
    assert sorted(table["instance"]) == sorted(selected["instance"])
    np.testing.assert_allclose(table["d_star"], expected[table["instance"].to_numpy()], rtol=1e-12)
    np.testing.assert_allclose(table["inverse_density"], 1.0 / table["feature_probability"])
    assert table["inverse_density"].is_monotonic_increasing


def test_feature_dimensionality_table_equals_metrics(config):
    name = "uniform-400-in-30"
    paths = figure_paths(config, "feature-dimensionality")
    render_figure(config, config.figure("feature-dimensionality"), paths)
    table = pd.read_parquet(paths[2])
    W = metrics.embedding_of(load_model(config, name)).double()
    D = metrics.feature_dimensionality(W).numpy()
    spec = config.experiment(name)
    assert len(table) == len(_selected(config, name)) * spec.features
    np.testing.assert_allclose(table["dimensionality"], D[table["instance"], table["feature"]], rtol=1e-6)
    d_star = metrics.dimensions_per_feature(W).numpy()
    np.testing.assert_allclose(table["d_star"], d_star[table["instance"]], rtol=1e-12)


@pytest.mark.parametrize("figure", ["basic-20-in-5", "basic-80-in-20"])
def test_basic_table_holds_gram_bias_norms_and_interference(config, figure):
    paths = figure_paths(config, figure)
    render_figure(config, config.figure(figure), paths)
    table = pd.read_parquet(paths[2])
    for name in config.figure(figure).experiments:
        spec = config.experiment(name)
        params = load_model(config, name)
        W = metrics.embedding_of(params).double()
        for instance in _selected(config, name)["instance"]:
            rows = table[(table["experiment"] == name) & (table["instance"] == instance)]
            gram = rows[rows["quantity"] == "WtW"].sort_values(["i", "j"])["value"].to_numpy()
            np.testing.assert_allclose(gram.reshape(spec.features, spec.features),
                                       (W[instance] @ W[instance].T).numpy(), rtol=1e-12, atol=1e-15)
            for quantity, expected in (
                ("bias", params["b"][instance].double()),
                ("norm", metrics.feature_norms(W)[instance]),
                ("interference", metrics.interference(W)[instance]),
            ):
                values = rows[rows["quantity"] == quantity].sort_values("i")["value"].to_numpy()
                np.testing.assert_allclose(values, expected.numpy(), rtol=1e-6, atol=1e-9, err_msg=quantity)
    # one model per density per experiment, and only selected (lowest-loss) restarts
    assert set(table["instance"].unique()) <= {
        i for name in config.figure(figure).experiments for i in _selected(config, name)["instance"]
    }


def test_intro_table_holds_the_two_dimensional_embeddings(config):
    name = "intro-5-in-2"
    paths = figure_paths(config, "intro-5-in-2")
    render_figure(config, config.figure("intro-5-in-2"), paths)
    table = pd.read_parquet(paths[2])
    W = load_model(config, name)["W"]
    selected = _selected(config, name)
    assert len(table) == len(selected) * 5
    assert table["instance"].nunique() == len(selected) == len(config.experiment(name).grid["feature_probability"])
    coordinates = W[torch.tensor(table["instance"].to_numpy()), torch.tensor(table["feature"].to_numpy())]
    np.testing.assert_allclose(table[["w_x", "w_y"]].to_numpy(), coordinates.double().numpy(), rtol=1e-6)


def test_unknown_figure_is_a_config_error(config, tmp_path):
    with pytest.raises(ConfigError, match="no script draws"):
        render_figure(config, FigureSpec(name="nope", experiments=()), [tmp_path / "a.png", tmp_path / "a.svg",
                                                                        tmp_path / "a.parquet"])


def test_missing_artifacts_are_named(config, tmp_path):
    empty = dataclasses.replace(config, results_dir=str(tmp_path))
    with pytest.raises(ArtifactError, match="model.safetensors"):
        render_figure(empty, empty.figure("dims-per-feature"), figure_paths(empty, "dims-per-feature"))
    assert not (tmp_path / "figures" / "dims-per-feature.png").exists()
