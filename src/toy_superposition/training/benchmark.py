"""Training throughput: a plain reference loop against our eager and compiled steps.

    toy-superposition benchmark [--steps 200] [--device auto] [--output benchmark.json]

Two settings of the ReLU-output model, 10 instances each, batch 1024, AdamW (lr 1e-3,
weight decay 0.01):

* ``n=400, m=30, p=0.01`` — the uniform-superposition experiment's size, where the matmuls
  dominate (5 matmuls of ``2 I B n m`` FLOPs per step);
* ``n=5, m=2, p=0.05`` — the intro experiment's size (its sparsest density), where per-op
  overhead dominates.

The *reference* is what one would write first: two ``torch.rand`` calls per batch
(``x = [r₁ < p] · r₂``), the einsum forward of ``models.forward``, autograd, and
``torch.optim.AdamW`` with one optimizer step per batch. *Ours* are the trainer's two step
functions: eager (``training.step``: feature-major layout, hand-written backward, one uniform
per input) and compiled (``compiled``: the whole step as one Inductor graph with a
counter-based generator). Throughput is in instance-steps per second (10 instances × steps/s),
the median over interleaved rounds after a warm-up; compile time is excluded and reported.
On CPU the process keeps freed memory for reuse (``trainer.keep_freed_memory``, as ``train``
does), which speeds up every loop, the reference included.

The loss-curve check trains the reference and our compiled step from the same
initialisation with different random streams and compares the mean loss of each instance
over windows of steps: in expectation they must agree, so the per-instance differences should
average to zero within a few standard errors.
"""

from __future__ import annotations

import json
import math
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import Tensor

from ..config import ExperimentSpec, TrainingConfig
from ..distributions import distribution_for
from ..models import forward, init_parameters, loss_per_instance
from .compiled import compiled_step
from .step import AdamWState, adamw_update, sample_loss_and_grads
from .trainer import keep_freed_memory, resolve_device

N_INSTANCES = 10
BATCH_SIZE = 1024
LEARNING_RATE = 1e-3
WEIGHT_DECAY = 0.01


@dataclass(frozen=True)
class Setting:
    features: int
    hidden: int
    probability: float
    step_multiplier: int  # timed steps = steps × this (small models need more for a stable clock)

    @property
    def label(self) -> str:
        return f"n={self.features}, m={self.hidden}, p={self.probability:g}"

    @property
    def matmul_flops_per_step(self) -> int:
        """Forward W x, W h; backward Wᵀ g, g hᵀ, x ∂hᵀ: five (n × m × B) products per instance."""
        return 5 * 2 * N_INSTANCES * BATCH_SIZE * self.features * self.hidden


SETTINGS = (Setting(400, 30, 0.01, 1), Setting(5, 2, 0.05, 10))


def benchmark_spec(setting: Setting) -> ExperimentSpec:
    """10 restarts of one ReLU-output model (each restart has its own initialisation seed)."""
    return ExperimentSpec(
        name=f"benchmark-{setting.features}-in-{setting.hidden}",
        model="relu_output",
        features=setting.features,
        hidden=setting.hidden,
        grid={"feature_probability": (setting.probability,)},
        restarts=N_INSTANCES,
        training=TrainingConfig(
            steps=10_000, batch_size=BATCH_SIZE, learning_rate=LEARNING_RATE, weight_decay=WEIGHT_DECAY
        ),
    )


StepFn = Callable[[float], Tensor]  # lr -> per-instance loss (I,)


def _seeds(spec: ExperimentSpec) -> list[int]:
    return [settings.seed for settings in spec.instances()]


def reference_step(spec: ExperimentSpec, device: torch.device) -> StepFn:
    """The plain loop: two torch.rand per batch, einsum forward, autograd, torch.optim.AdamW."""
    params = {name: torch.nn.Parameter(value.to(device)) for name, value in init_parameters(spec, _seeds(spec)).items()}
    dist = distribution_for(spec).to(device)
    optimizer = torch.optim.AdamW(params.values(), lr=LEARNING_RATE, weight_decay=WEIGHT_DECAY)
    p = dist.probability[:, None, :]  # (I, 1, n)
    shape = (dist.n_instances, BATCH_SIZE, dist.n_features)

    def step(lr: float) -> Tensor:
        x = torch.where(torch.rand(shape, device=device) < p, torch.rand(shape, device=device), 0.0)
        output, _ = forward(spec.model, params, x)
        loss = loss_per_instance(output, x, dist.importance)
        optimizer.zero_grad(set_to_none=True)
        loss.sum().backward()
        optimizer.step()
        return loss.detach()

    return step


def eager_step(spec: ExperimentSpec, device: torch.device) -> StepFn:
    """The trainer's eager step (``training.step``)."""
    params = {name: value.to(device) for name, value in init_parameters(spec, _seeds(spec)).items()}
    state = AdamWState.zeros_like(params)
    dist = distribution_for(spec).to(device)

    def step(lr: float) -> Tensor:
        loss, grads = sample_loss_and_grads(spec.model, params, dist, BATCH_SIZE, None, None)
        adamw_update(params, grads, state, lr, WEIGHT_DECAY)
        return loss

    return step


def compiled_step_fn(spec: ExperimentSpec, device: torch.device) -> StepFn:
    """The trainer's compiled step (``compiled.compiled_step``); compiles on the first call."""
    params = {name: value.to(device) for name, value in init_parameters(spec, _seeds(spec)).items()}
    return compiled_step(spec, params, AdamWState.zeros_like(params), distribution_for(spec).to(device), None, None)


METHODS: dict[str, Callable[[ExperimentSpec, torch.device], StepFn]] = {
    "reference": reference_step,
    "eager": eager_step,
    "compiled": compiled_step_fn,
}


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def time_steps(step: StepFn, steps: int, device: torch.device) -> float:
    """Seconds for ``steps`` steps (device work included)."""
    _sync(device)
    started = time.perf_counter()
    for _ in range(steps):
        step(LEARNING_RATE)
    _sync(device)
    return time.perf_counter() - started


def matmul_peak_flops(device: torch.device, size: int = 2048, repeats: int = 5) -> float:
    """FLOP/s of a square fp32 matmul, the practical peak the n=400 step is compared with."""
    a, b = torch.randn(size, size, device=device), torch.randn(size, size, device=device)
    a @ b
    seconds = min(time_steps(lambda _: a @ b, 1, device) for _ in range(repeats))
    return 2 * size**3 / seconds


def throughput(setting: Setting, steps: int, rounds: int, device: torch.device) -> dict:
    """Median instance-steps/s of every method over interleaved rounds, plus compile time."""
    spec = benchmark_spec(setting)
    torch.manual_seed(0)
    step_fns = {name: make(spec, device) for name, make in METHODS.items()}
    first_call = {name: time_steps(step, 1, device) for name, step in step_fns.items()}
    warmup = max(5, steps // 10)
    for step in step_fns.values():
        time_steps(step, warmup, device)
    timed = steps * setting.step_multiplier
    rates: dict[str, list[float]] = {name: [] for name in step_fns}
    for _ in range(rounds):
        for name, step in step_fns.items():
            rates[name].append(N_INSTANCES * timed / time_steps(step, timed, device))
    median = {name: statistics.median(values) for name, values in rates.items()}
    seconds_per_step = 1 / (median["compiled"] / N_INSTANCES)
    return {
        "setting": setting.label,
        "features": setting.features,
        "hidden": setting.hidden,
        "feature_probability": setting.probability,
        "timed_steps": timed,
        "rounds": rounds,
        "instance_steps_per_s": median,
        "all_rounds": rates,
        "speedup_eager": median["eager"] / median["reference"],
        "speedup_compiled": median["compiled"] / median["reference"],
        "compile_seconds": max(first_call["compiled"] - seconds_per_step, 0.0),
        "matmul_flops_per_step": setting.matmul_flops_per_step,
        "matmul_flop_per_s": {name: rate / N_INSTANCES * setting.matmul_flops_per_step for name, rate in median.items()},
    }


def loss_curves(setting: Setting, steps: int, window: int, device: torch.device) -> dict:
    """Per-step losses of the reference and our two steps from the same init, different random streams.

    For each window of steps and each method, the mean over instances of every instance's
    mean loss in the window; for ours, the paired differences to the reference (same
    instance, same initialisation) averaged over instances, with their standard error.
    """
    spec = benchmark_spec(setting)
    curves = {}
    for seed, (name, make) in enumerate(METHODS.items()):
        step = make(spec, device)
        torch.manual_seed(1000 + seed)  # a different random stream for every method
        curves[name] = torch.stack([step(LEARNING_RATE) for _ in range(steps)]).double().cpu()  # (steps, I)
    windows = []
    for start in range(0, steps - window + 1, window):
        means = {name: curve[start : start + window].mean(0) for name, curve in curves.items()}  # (I,) each
        row: dict = {"steps": [start + 1, start + window], "reference": means["reference"].mean().item()}
        for name in ("eager", "compiled"):
            difference = means[name] - means["reference"]
            standard_error = difference.std().item() / math.sqrt(difference.numel())
            row[name] = {
                "loss": means[name].mean().item(),
                "difference": difference.mean().item(),
                "standard_error": standard_error,
                "z": difference.mean().item() / standard_error if standard_error > 0 else 0.0,
            }
        windows.append(row)
    return {"setting": setting.label, "steps": steps, "window": window, "windows": windows}


def _print_throughput(results: list[dict], peak: float, device: torch.device) -> None:
    print(f"\nTraining throughput, instance-steps/s ({N_INSTANCES} instances, batch {BATCH_SIZE}, "
          f"{device.type}, {torch.get_num_threads()} threads; square fp32 matmul peak {peak / 1e9:.0f} GFLOP/s)")
    header = f"{'setting':<22}{'reference':>11}{'eager':>10}{'compiled':>10}{'eager ×':>9}{'compiled ×':>12}{'compile s':>11}"
    print(header)
    print("-" * len(header))
    for r in results:
        rate = r["instance_steps_per_s"]
        print(f"{r['setting']:<22}{rate['reference']:>11,.0f}{rate['eager']:>10,.0f}{rate['compiled']:>10,.0f}"
              f"{r['speedup_eager']:>9.1f}{r['speedup_compiled']:>12.1f}{r['compile_seconds']:>11.1f}")
    big = results[0]
    flops = big["matmul_flop_per_s"]
    print(f"\nMatmul FLOP/s at {big['setting']} ({big['matmul_flops_per_step'] / 1e9:.2f} GFLOP per step): "
          + ", ".join(f"{name} {value / 1e9:.0f} GFLOP/s ({value / peak:.0%} of peak)" for name, value in flops.items()))


def _print_curves(curves: list[dict]) -> None:
    for c in curves:
        print(f"\nLoss from the same initialisation, different random streams ({c['setting']}): mean over "
              f"{N_INSTANCES} instances of each instance's mean loss in the window; ours − reference ± standard error")
        print(f"{'steps':<13}{'reference':>12}" + "".join(f"{name:>12}{'difference ± s.e.':>23}" for name in ("eager", "compiled")))
        for w in c["windows"]:
            line = f"{w['steps'][0]:>5}-{w['steps'][1]:<7}{w['reference']:>12.5f}"
            for name in ("eager", "compiled"):
                r = w[name]
                line += f"{r['loss']:>12.5f}{r['difference']:>+13.1e} ± {r['standard_error']:.1e}"
            print(line)


def run_benchmark(
    steps: int = 200,
    device: str = "auto",
    output: Path | None = None,
    rounds: int = 3,
    curve_steps: int = 1000,
    curve_window: int = 200,
) -> dict:
    """Measure throughput (and the loss-curve agreement), print tables, optionally write JSON."""
    torch_device = resolve_device(device)
    if torch_device.type == "cpu":
        keep_freed_memory()  # as train() does; the reference loop benefits as much as ours
    peak = matmul_peak_flops(torch_device)
    results = [throughput(setting, steps, rounds, torch_device) for setting in SETTINGS]
    _print_throughput(results, peak, torch_device)
    curves = [loss_curves(setting, curve_steps, curve_window, torch_device) for setting in SETTINGS] if curve_steps else []
    _print_curves(curves)
    report = {
        "device": str(torch_device),
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "matmul_peak_flop_per_s": peak,
        "throughput": results,
        "loss_curves": curves,
    }
    if output is not None:
        output = Path(output)
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(json.dumps(report, indent=2) + "\n")
        print(f"\nwrote {output}")
    return report
