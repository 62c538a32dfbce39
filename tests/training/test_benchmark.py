"""The benchmark: its settings, its report, and its loss-curve phase in bounded memory (no timings checked)."""

from __future__ import annotations

import json
import os

import torch

from toy_superposition.training import benchmark
from toy_superposition.training.benchmark import Setting, benchmark_spec, window_mean_losses
from toy_superposition.training.trainer import keep_freed_memory

CPU = torch.device("cpu")


def resident_bytes() -> int:
    """This process's resident memory now (Linux: /proc/self/statm)."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def test_the_dropout_setting_is_the_configured_experiment() -> None:
    *_, dropout = benchmark.default_settings()
    spec = benchmark.load_config(profile="paper").experiment(benchmark.DROPOUT_EXPERIMENT)
    assert (dropout.features, dropout.hidden, dropout.n_instances) == (spec.features, spec.hidden, spec.n_instances)
    assert dropout.dropout == spec.grid["dropout"] and (dropout.probability,) == spec.grid["feature_probability"]
    bench_spec = benchmark_spec(dropout)
    assert bench_spec.model == spec.model == "relu_output_dropout"
    assert [s.dropout for s in bench_spec.instances()] == [s.dropout for s in spec.instances()]


def test_loss_curve_memory_stops_growing() -> None:
    """RSS after N and after 4N steps of the reference loop (the one whose kept losses grew the heap).

    Activations here are 4 MB (I=10, B=1024, n=100), so keeping a step-sized block per step, as
    the benchmark once did, would add ~300 MB over the 3N steps; the bound is 32 MB.
    """
    keep_freed_memory()  # as the benchmark (and train) run
    setting = Setting(100, 5, 0.05, 1)
    step = benchmark.reference_step(benchmark_spec(setting), CPU)
    n = 20
    resident: dict[int, int] = {}

    def probed(lr: float) -> torch.Tensor:
        loss = step(lr)
        resident[len(resident) + 1] = resident_bytes()
        return loss

    means = window_mean_losses(probed, 4, n, setting.n_instances)
    assert means.shape == (4, setting.n_instances) and bool(torch.isfinite(means).all())
    growth = resident[4 * n] - resident[n]
    assert growth < 32 * 2**20, f"resident memory grew by {growth / 2**20:.0f} MiB from step {n} to {4 * n}"


def test_window_means_are_the_windows_mean_losses() -> None:
    losses = iter(torch.arange(12, dtype=torch.float32).reshape(6, 2))
    means = window_mean_losses(lambda lr: next(losses), 2, 3, 2)
    assert torch.equal(means, torch.tensor([[2.0, 3.0], [8.0, 9.0]], dtype=torch.float64))


def test_benchmark_reports_the_machine_and_memory(tmp_path, capsys) -> None:
    """A tiny dropout setting through every method, throughput and loss curves, written as JSON."""
    tiny = Setting(5, 2, 0.2, 1, restarts=2, dropout=(0.0, 0.5))
    report = benchmark.run_benchmark(steps=2, device="cpu", output=tmp_path / "b.json", rounds=1, curve_steps=4,
                                     curve_window=2, settings=[tiny])
    assert json.loads((tmp_path / "b.json").read_text()) == json.loads(json.dumps(report))
    assert report["cpu_isa"]["aten"] == torch.backends.cpu.get_cpu_capability()
    assert report["threads"] == torch.get_num_threads() and report["cpu"]
    assert 0 < report["peak_rss_bytes"]["throughput"] <= report["peak_rss_bytes"]["end"]
    (result,) = report["throughput"]
    assert result["instances"] == 4 and set(result["instance_steps_per_s"]) == set(benchmark.methods())
    assert {"reference", "eager", "compiled"} <= set(benchmark.methods())
    (curve,) = report["loss_curves"]
    assert curve["instances"] == 4 and [w["steps"] for w in curve["windows"]] == [[1, 2], [3, 4]]
    printed = capsys.readouterr().out
    assert f"ATen {report['cpu_isa']['aten']}" in printed and "peak resident memory" in printed
