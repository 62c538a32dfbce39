"""Several training steps per compiled call at the benchmark's n=5, m=2 setting (10 instances).

The trainer calls its compiled step once per step; at this size a step is ~0.1 ms, and a share of it
is the cost of the call itself (Dynamo's guards, the AOT runtime wrapper, the Python around it). This
compiles K consecutive steps (`compiled.make_fused_step` K times in one graph, the K keys drawn at
once from torch's global generator, which gives the same stream as K single draws), checks that K
single steps and one K-step call give bitwise the same losses and parameters, and times both against
the reference loop, interleaved, 3 rounds. Measured, not adopted: see docs/benchmark.md.

    python docs/benchmark/steps_per_call.py 4,8
    ATEN_CPU_CAPABILITY=avx2 python docs/benchmark/steps_per_call.py 4,8
"""

from __future__ import annotations

import sys
import time

import torch

from toy_superposition.distributions import distribution_for
from toy_superposition.models import init_parameters
from toy_superposition.training import compiled
from toy_superposition.training.benchmark import Setting, _dropout, _seeds, benchmark_spec, cpu_isa, reference_step
from toy_superposition.training.step import AdamWState, adamw_scalars

DEVICE = torch.device("cpu")
SPEC = benchmark_spec(Setting(5, 2, 0.05, 10))
DIST = distribution_for(SPEC)
DROPOUT = _dropout(SPEC, DEVICE)


def fresh() -> tuple[dict, AdamWState]:
    params = {name: value.clone() for name, value in init_parameters(SPEC, _seeds(SPEC)).items()}
    return params, AdamWState.zeros_like(params)


def k_step(k: int, params: dict, state: AdamWState):
    """``fn(lr) -> losses (k, I)``: k AdamW steps in one compiled call."""
    one = compiled.make_fused_step(SPEC, DIST)

    def graph(params, exp_avg, exp_avg_sq, scalars, keys, probability, importance):
        return torch.stack([
            one(params, exp_avg, exp_avg_sq, (scalars[i, 0], scalars[i, 1], scalars[i, 2]), keys[i],
                probability, importance, DROPOUT, None, None)
            for i in range(k)
        ])  # fmt: skip

    graph = torch.compile(graph, fullgraph=True, dynamic=False)
    scalars = torch.zeros((k, 3), dtype=torch.float64)

    def fn(lr: float) -> torch.Tensor:
        rows = []
        for _ in range(k):
            state.step += 1
            rows.append((lr, *adamw_scalars(state.step, lr)))
        scalars.copy_(torch.tensor(rows, dtype=torch.float64))
        keys = torch.randint(compiled.KEY_HIGH, (k,), dtype=torch.int64)
        return graph(params, state.exp_avg, state.exp_avg_sq, scalars, keys, DIST.probability, DIST.importance)

    return fn


def per_step_us(fn, calls: int, steps_per_call: int = 1) -> float:
    started = time.perf_counter()
    for _ in range(calls):
        fn(1e-3)
    return (time.perf_counter() - started) / (calls * steps_per_call) * 1e6


def main(ks: list[int]) -> None:
    torch.set_num_threads(2)
    print("ISA:", cpu_isa(), "threads:", torch.get_num_threads())
    single_params, single_state = fresh()
    single = compiled.compiled_step(SPEC, single_params, single_state, DIST, DROPOUT, None)
    started = time.perf_counter()
    single(1e-3)
    print(f"compile K=1: {time.perf_counter() - started:.1f} s")
    multis = {}
    for k in ks:
        a_params, a_state = fresh()
        a = compiled.compiled_step(SPEC, a_params, a_state, DIST, DROPOUT, None)
        b_params, b_state = fresh()
        b = k_step(k, b_params, b_state)
        started = time.perf_counter()
        torch.manual_seed(5)
        b_losses = torch.cat([b(1e-3) for _ in range(50)])
        print(f"compile K={k}: {time.perf_counter() - started:.1f} s (with {50 * k} steps)")
        torch.manual_seed(5)
        a_losses = torch.stack([a(1e-3) for _ in range(50 * k)])
        same = torch.equal(a_losses, b_losses) and all(torch.equal(a_params[n], b_params[n]) for n in a_params)
        print(f"K={k}: {50 * k} steps, losses and parameters bitwise equal to single steps: {same}")
        multis[k] = b
    reference = reference_step(SPEC, DEVICE)
    times: dict[str, list[float]] = {}
    for _ in range(3):
        times.setdefault("reference", []).append(per_step_us(reference, 300))
        times.setdefault("compiled K=1", []).append(per_step_us(single, 3000))
        for k, fn in multis.items():
            times.setdefault(f"compiled K={k}", []).append(per_step_us(fn, 3000 // k, k))
    median = {name: sorted(values)[1] for name, values in times.items()}
    for name, values in times.items():
        print(f"{name:14s} {median[name]:8.1f} us/step (rounds {[round(v, 1) for v in values]}), "
              f"{median['reference'] / median[name]:5.2f}x the reference")


if __name__ == "__main__":
    main([int(k) for k in (sys.argv[1] if len(sys.argv) > 1 else "4,8").split(",")])
