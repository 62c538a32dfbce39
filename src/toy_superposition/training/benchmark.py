"""Training throughput: a plain reference loop against our eager and compiled steps.

    toy-superposition benchmark [--steps 200] [--curve-steps 1000] [--device auto] [--output benchmark.json]

Three settings of the ReLU-output model, batch 1024, AdamW (lr 1e-3, weight decay 0.01):

* ``n=400, m=30, p=0.01``, 10 instances — the uniform-superposition experiment's size, where
  the matmuls dominate (5 matmuls of ``2 I B n m`` FLOPs per step);
* ``n=5, m=2, p=0.05``, 10 instances — the intro experiment's size (its sparsest density),
  where per-op overhead dominates;
* the ``dropout-2d-sparse`` experiment as config/config.yaml gives it (3,500 models of
  n=5, m=2 with dropout on the hidden vector, 500 per dropout rate), the paper profile's
  longest job: many tiny instances in one step.

The *reference* is what one would write first: two ``torch.rand`` calls per batch
(``x = [r₁ < p] · r₂``), the einsum forward of ``models.forward``, autograd, and
``torch.optim.AdamW`` with one optimizer step per batch. *Ours* are the trainer's two step
functions: eager (``training.step``: feature-major layout, hand-written backward, one uniform
per input) and compiled (``compiled``: the whole step as one Inductor graph with a
counter-based generator). Throughput is in instance-steps per second (instances × steps/s),
the median over interleaved rounds after a warm-up; compile time is excluded and reported.
On CPU the process keeps freed memory for reuse (``trainer.keep_freed_memory``, as ``train``
does), which speeds up every loop, the reference included.

The *peer* (``jax``, when JAX is installed: ``pip install -e ".[jax]"``) is the same step as a
JAX user would write it (:mod:`.jax_peer`: ``jax.jit`` over a ``jax.vmap`` of one instance's
loss, ``jax.grad``, optax AdamW); the table gives our compiled step's ratio to it.

The loss-curve check trains the reference, our two steps and the peer from the same
initialisation with different random streams and compares the mean loss of each instance
over windows of steps: in expectation they must agree, so the per-instance differences should
average to zero within a few standard errors. It keeps only each window's running sum of the
losses (:func:`window_mean_losses`), so its memory does not grow with the number of steps.

Beside the figures the benchmark prints, and records in its JSON, the instruction set ATen and
Inductor ran with (``ATEN_CPU_CAPABILITY=avx2`` selects the AVX2 path on an AVX-512 machine),
the thread count, the CPU model and the process's peak resident memory.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import platform
import resource
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import Tensor

from ..config import ConfigError, ExperimentSpec, TrainingConfig, load_config
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
    """One benchmarked shape: ``restarts`` models per dropout rate (one group without dropout)."""

    features: int
    hidden: int
    probability: float
    step_scale: float  # timed and loss-curve steps = steps × this (small models need more for a stable clock)
    restarts: int = N_INSTANCES
    dropout: tuple[float, ...] = ()  # relu_output_dropout's rates; () is the plain ReLU-output model
    importance_decay: float = 1.0

    @classmethod
    def from_experiment(cls, spec: ExperimentSpec, step_scale: float) -> Setting:
        """The shape of a configured ReLU-output experiment with one feature density."""
        (probability,) = spec.grid["feature_probability"]
        return cls(spec.features, spec.hidden, probability, step_scale, spec.restarts,
                   tuple(spec.grid.get("dropout", ())), spec.importance_decay)

    @property
    def n_instances(self) -> int:
        return self.restarts * max(1, len(self.dropout))

    @property
    def model(self) -> str:
        return "relu_output_dropout" if self.dropout else "relu_output"

    @property
    def label(self) -> str:
        label = f"n={self.features}, m={self.hidden}, p={self.probability:g}"
        return label + (f", {len(self.dropout)} dropout rates" if self.dropout else "")

    def scaled(self, steps: int) -> int:
        return max(1, round(steps * self.step_scale))

    @property
    def matmul_flops_per_step(self) -> int:
        """Forward W x, W h; backward Wᵀ g, g hᵀ, x ∂hᵀ: five (n × m × B) products per instance."""
        return 5 * 2 * self.n_instances * BATCH_SIZE * self.features * self.hidden


SETTINGS = (Setting(400, 30, 0.01, 1), Setting(5, 2, 0.05, 10))
DROPOUT_EXPERIMENT = "dropout-2d-sparse"  # 3,500 tiny models, the paper profile's longest job
DROPOUT_STEP_SCALE = 0.1  # one of its steps costs as much as ~30 of the n=5 setting's


def default_settings(config: str | Path | None = None) -> tuple[Setting, ...]:
    """``SETTINGS`` and the shape of ``DROPOUT_EXPERIMENT`` in the paper profile of ``config``
    (default: config/config.yaml); without a config file, the first two only (with a note)."""
    try:
        spec = load_config(config, profile="paper").experiment(DROPOUT_EXPERIMENT)
    except ConfigError as error:
        print(f"note: {error}; benchmarking without the {DROPOUT_EXPERIMENT} setting")
        return SETTINGS
    return (*SETTINGS, Setting.from_experiment(spec, DROPOUT_STEP_SCALE))


def benchmark_spec(setting: Setting) -> ExperimentSpec:
    """``restarts`` restarts of one ReLU-output model per dropout rate (each restart has its own
    initialisation seed), trained with the benchmark's batch size and AdamW."""
    grid: dict[str, tuple[float, ...]] = {"feature_probability": (setting.probability,)}
    if setting.dropout:
        grid["dropout"] = setting.dropout
    return ExperimentSpec(
        name=f"benchmark-{setting.features}-in-{setting.hidden}" + ("-dropout" if setting.dropout else ""),
        model=setting.model,
        features=setting.features,
        hidden=setting.hidden,
        grid=grid,
        restarts=setting.restarts,
        importance_decay=setting.importance_decay,
        training=TrainingConfig(
            steps=10_000, batch_size=BATCH_SIZE, learning_rate=LEARNING_RATE, weight_decay=WEIGHT_DECAY
        ),
    )


StepFn = Callable[[float], Tensor]  # lr -> per-instance loss (I,)


def _seeds(spec: ExperimentSpec) -> list[int]:
    return [settings.seed for settings in spec.instances()]


def _dropout(spec: ExperimentSpec, device: torch.device) -> Tensor | None:
    """Each instance's dropout rate (I,), or None for a model without dropout."""
    if spec.model != "relu_output_dropout":
        return None
    return torch.tensor([settings.dropout for settings in spec.instances()], dtype=torch.float32, device=device)


def reference_step(spec: ExperimentSpec, device: torch.device) -> StepFn:
    """The plain loop: two torch.rand per batch, einsum forward, autograd, torch.optim.AdamW."""
    params = {name: torch.nn.Parameter(value.to(device)) for name, value in init_parameters(spec, _seeds(spec)).items()}
    dist = distribution_for(spec).to(device)
    optimizer = torch.optim.AdamW(params.values(), lr=LEARNING_RATE, weight_decay=WEIGHT_DECAY)
    p = dist.probability[:, None, :]  # (I, 1, n)
    shape = (dist.n_instances, BATCH_SIZE, dist.n_features)
    dropout = _dropout(spec, device)

    def step(lr: float) -> Tensor:
        x = torch.where(torch.rand(shape, device=device) < p, torch.rand(shape, device=device), 0.0)
        output, _ = forward(spec.model, params, x, dropout)
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
    dropout = _dropout(spec, device)

    def step(lr: float) -> Tensor:
        loss, grads = sample_loss_and_grads(spec.model, params, dist, BATCH_SIZE, dropout, None)
        adamw_update(params, grads, state, lr, WEIGHT_DECAY)
        return loss

    return step


def compiled_step_fn(spec: ExperimentSpec, device: torch.device) -> StepFn:
    """The trainer's compiled step (``compiled.compiled_step``); compiles on the first call."""
    params = {name: value.to(device) for name, value in init_parameters(spec, _seeds(spec)).items()}
    dist = distribution_for(spec).to(device)
    return compiled_step(spec, params, AdamWState.zeros_like(params), dist, _dropout(spec, device), None)


def jax_step_fn(spec: ExperimentSpec, device: torch.device) -> StepFn:
    """The JAX peer (:mod:`.jax_peer`) from the same initialisation; JAX picks its own device."""
    from .jax_peer import jax_step

    dist = distribution_for(spec)
    return jax_step(init_parameters(spec, _seeds(spec)), dist.probability, dist.importance, _dropout(spec, device),
                    BATCH_SIZE, LEARNING_RATE, WEIGHT_DECAY)


OURS: dict[str, Callable[[ExperimentSpec, torch.device], StepFn]] = {
    "reference": reference_step,
    "eager": eager_step,
    "compiled": compiled_step_fn,
}


def jax_version() -> str | None:
    """The JAX peer's versions, or None when JAX (the ``jax`` extra) is not installed."""
    try:
        from .jax_peer import version
    except ImportError:
        return None
    return version()


def methods(peers: bool = True) -> dict[str, Callable[[ExperimentSpec, torch.device], StepFn]]:
    """The reference and our two steps; the JAX peer too when ``peers`` and JAX is installed."""
    return {**OURS, "jax": jax_step_fn} if peers and jax_version() else dict(OURS)


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


def throughput(setting: Setting, steps: int, rounds: int, device: torch.device, peers: bool = True) -> dict:
    """Median instance-steps/s of every method over interleaved rounds, plus compile time."""
    spec = benchmark_spec(setting)
    torch.manual_seed(0)
    step_fns = {name: make(spec, device) for name, make in methods(peers).items()}
    first_call = {name: time_steps(step, 1, device) for name, step in step_fns.items()}
    warmup = max(5, steps // 10)
    for step in step_fns.values():
        time_steps(step, warmup, device)
    timed = setting.scaled(steps)
    n_instances = setting.n_instances
    rates: dict[str, list[float]] = {name: [] for name in step_fns}
    for _ in range(rounds):
        for name, step in step_fns.items():
            rates[name].append(n_instances * timed / time_steps(step, timed, device))
    median = {name: statistics.median(values) for name, values in rates.items()}
    seconds_per_step = 1 / (median["compiled"] / n_instances)
    return {
        "setting": setting.label,
        "features": setting.features,
        "hidden": setting.hidden,
        "feature_probability": setting.probability,
        "instances": n_instances,
        "dropout": list(setting.dropout),
        "timed_steps": timed,
        "rounds": rounds,
        "instance_steps_per_s": median,
        "all_rounds": rates,
        "speedup_eager": median["eager"] / median["reference"],
        "speedup_compiled": median["compiled"] / median["reference"],
        "speedup_jax": median["jax"] / median["reference"] if "jax" in median else None,
        "compiled_over_jax": median["compiled"] / median["jax"] if "jax" in median else None,
        "compile_seconds": max(first_call["compiled"] - seconds_per_step, 0.0),
        "jax_compile_seconds": max(first_call["jax"] - 1 / (median["jax"] / n_instances), 0.0) if "jax" in median
        else None,
        "matmul_flops_per_step": setting.matmul_flops_per_step,
        "matmul_flop_per_s": {name: rate / n_instances * setting.matmul_flops_per_step for name, rate in median.items()},
    }


def window_mean_losses(step: StepFn, n_windows: int, window: int, n_instances: int) -> Tensor:
    """Each instance's mean loss over ``n_windows`` consecutive windows of ``window`` steps: (windows, I).

    Only the windows' running sums are kept (float64, on the host), so memory does not grow
    with the steps. Keeping every step's returned loss tensor instead (to stack at the end)
    grew the process by about one activation per step (~16 MB at n=400, past 16 GB in the
    issue's run): glibc's malloc carves each small, still-referenced loss out of a just-freed
    activation-sized block, so the next step's activations no longer fit in it and take fresh
    memory; the heap fragments step after step, with or without ``keep_freed_memory``.
    """
    sums = torch.zeros(n_windows, n_instances, dtype=torch.float64)
    for index in range(n_windows * window):
        sums[index // window] += step(LEARNING_RATE).detach().to("cpu", torch.float64)  # freed at once
    return sums / window


def loss_curves(setting: Setting, steps: int, window: int, device: torch.device, peers: bool = True) -> dict:
    """Windowed losses of the reference, our two steps and the peer from the same init, different random streams.

    ``steps`` and ``window`` are scaled by the setting's ``step_scale`` (at least one step).
    For each window of steps and each method, the mean over instances of every instance's
    mean loss in the window; for the others, the paired differences to the reference (same
    instance, same initialisation) averaged over instances, with their standard error.
    """
    spec = benchmark_spec(setting)
    window = setting.scaled(window)
    n_windows = setting.scaled(steps) // window
    curves = {}
    for seed, (name, make) in enumerate(methods(peers).items()):
        step = make(spec, device)
        torch.manual_seed(1000 + seed)  # a different random stream for every method
        curves[name] = window_mean_losses(step, n_windows, window, setting.n_instances)  # (windows, I)
    windows = []
    for index in range(n_windows):
        start = index * window
        means = {name: curve[index] for name, curve in curves.items()}  # (I,) each
        row: dict = {"steps": [start + 1, start + window], "reference": means["reference"].mean().item()}
        for name in [name for name in curves if name != "reference"]:
            difference = means[name] - means["reference"]
            standard_error = difference.std().item() / math.sqrt(difference.numel())
            row[name] = {
                "loss": means[name].mean().item(),
                "difference": difference.mean().item(),
                "standard_error": standard_error,
                "z": difference.mean().item() / standard_error if standard_error > 0 else 0.0,
            }
        windows.append(row)
    return {"setting": setting.label, "instances": setting.n_instances, "steps": n_windows * window, "window": window,
            "windows": windows}


def cpu_isa() -> dict:
    """The instruction sets ATen and Inductor use here; ``ATEN_CPU_CAPABILITY`` (e.g. ``avx2``) lowers both."""
    from torch._inductor import cpu_vec_isa  # Inductor's own choice, imported only here

    isa = cpu_vec_isa.pick_vec_isa()
    return {
        "aten": torch.backends.cpu.get_cpu_capability(),
        "inductor": str(isa) if isa else "none (scalar)",
        "ATEN_CPU_CAPABILITY": os.environ.get("ATEN_CPU_CAPABILITY"),
    }


def cpu_model() -> str:
    """The CPU's model name (Linux: /proc/cpuinfo), else what ``platform`` knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def inductor_cache_dir() -> str:
    """The directory Inductor caches compiled kernels in (``TORCHINDUCTOR_CACHE_DIR``, default under /tmp)."""
    from torch._inductor.runtime.cache_dir_utils import cache_dir  # imported only here

    return cache_dir()


def peak_rss_bytes() -> int:
    """This process's peak resident memory so far (``ru_maxrss``; Linux counts it in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _print_machine(machine: dict) -> None:
    isa = machine["cpu_isa"]
    forced = f", ATEN_CPU_CAPABILITY={isa['ATEN_CPU_CAPABILITY']}" if isa["ATEN_CPU_CAPABILITY"] else ""
    print(f"{machine['cpu']}; ISA: ATen {isa['aten']}, Inductor {isa['inductor']}{forced}; "
          f"{machine['threads']} threads; torch {machine['torch']}" + (f"; peer {machine['peer']}" if machine["peer"] else ""))
    print(f"Inductor cache: {machine['inductor_cache']} (compile times are cold when it is empty, warm after)")


def _print_throughput(results: list[dict], peak: float, device: torch.device) -> None:
    print(f"\nTraining throughput, instance-steps/s (batch {BATCH_SIZE}, {device.type}, {torch.get_num_threads()} "
          f"threads; square fp32 matmul peak {peak / 1e9:.0f} GFLOP/s)")
    peer = "jax" in results[0]["instance_steps_per_s"]
    header = (f"{'setting':<36}{'instances':>10}{'reference':>11}{'eager':>10}{'compiled':>10}{'eager ×':>9}"
              f"{'compiled ×':>12}{'compile s':>11}" + (f"{'jax':>10}{'jax ×':>8}{'compiled / jax':>16}" if peer else ""))
    print(header)
    print("-" * len(header))
    for r in results:
        rate = r["instance_steps_per_s"]
        line = (f"{r['setting']:<36}{r['instances']:>10,}{rate['reference']:>11,.0f}{rate['eager']:>10,.0f}"
                f"{rate['compiled']:>10,.0f}{r['speedup_eager']:>9.1f}{r['speedup_compiled']:>12.1f}"
                f"{r['compile_seconds']:>11.1f}")
        if peer:
            line += f"{rate['jax']:>10,.0f}{r['speedup_jax']:>8.1f}{r['compiled_over_jax']:>16.2f}"
        print(line)
    big = results[0]
    flops = big["matmul_flop_per_s"]
    print(f"\nMatmul FLOP/s at {big['setting']} ({big['matmul_flops_per_step'] / 1e9:.2f} GFLOP per step): "
          + ", ".join(f"{name} {value / 1e9:.0f} GFLOP/s ({value / peak:.0%} of peak)" for name, value in flops.items()))


def _print_curves(curves: list[dict]) -> None:
    for c in curves:
        print(f"\nLoss from the same initialisation, different random streams ({c['setting']}): mean over "
              f"{c['instances']:,} instances of each instance's mean loss in the window; ours − reference ± standard "
              "error")
        names = [name for name in c["windows"][0] if name not in ("steps", "reference")] if c["windows"] else []
        print(f"{'steps':<13}{'reference':>12}" + "".join(f"{name:>12}{'difference ± s.e.':>23}" for name in names))
        for w in c["windows"]:
            line = f"{w['steps'][0]:>5}-{w['steps'][1]:<7}{w['reference']:>12.5f}"
            for name in names:
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
    settings: Sequence[Setting] | None = None,
    peers: bool = True,
) -> dict:
    """Measure throughput (and the loss-curve agreement), print tables, optionally write JSON.

    ``settings`` default to :func:`default_settings` (which reads config/config.yaml);
    ``curve_steps=0`` skips the loss curves; ``peers=False`` leaves the JAX peer out.
    """
    torch_device = resolve_device(device)
    if torch_device.type == "cpu":
        keep_freed_memory()  # as train() does; the reference loop benefits as much as ours
    settings = default_settings() if settings is None else tuple(settings)
    machine = {"cpu": cpu_model(), "cpu_isa": cpu_isa(), "threads": torch.get_num_threads(), "torch": torch.__version__,
               "peer": jax_version() if peers else None,
               "inductor_cache": inductor_cache_dir()}
    _print_machine(machine)
    if peers and not machine["peer"]:
        print('note: JAX is not installed (pip install -e ".[jax]"); benchmarking without the JAX peer')
    peak = matmul_peak_flops(torch_device)
    results = [throughput(setting, steps, rounds, torch_device, peers) for setting in settings]
    _print_throughput(results, peak, torch_device)
    peak_rss = {"throughput": peak_rss_bytes()}
    print(f"peak resident memory: {peak_rss['throughput'] / 2**20:,.0f} MiB")
    curves = ([loss_curves(setting, curve_steps, curve_window, torch_device, peers) for setting in settings]
              if curve_steps else [])
    _print_curves(curves)
    peak_rss["end"] = peak_rss_bytes()
    if curves:
        print(f"\npeak resident memory, loss curves included: {peak_rss['end'] / 2**20:,.0f} MiB")
    report = {
        "device": str(torch_device),
        **machine,
        "matmul_peak_flop_per_s": peak,
        "peak_rss_bytes": peak_rss,
        "settings": [dataclasses.asdict(setting) for setting in settings],
        "throughput": results,
        "loss_curves": curves,
    }
    if output is not None:
        output = Path(output)
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(json.dumps(report, indent=2) + "\n")
        print(f"\nwrote {output}")
    return report
