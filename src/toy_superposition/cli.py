"""Command line: ``toy-superposition <stage> NAME`` runs one pipeline stage.

Snakemake rules and DVC stages call exactly these commands, so a stage can also be run
(or debugged) by hand:

    toy-superposition validate --profile ci
    toy-superposition data intro-5-in-2 --profile ci
    toy-superposition train intro-5-in-2 --profile ci --threads 2
    toy-superposition metrics intro-5-in-2 --profile ci
    toy-superposition figure intro-5-in-2 --profile ci
    toy-superposition claims --compare paper long                 # does each claim converge?
    toy-superposition benchmark
    toy-superposition budget --profile paper                      # the training's FLOPs and their floor here
    toy-superposition dvc-yaml [--check]
    toy-superposition compare-results --profile ci
    toy-superposition claims --profile ci --compare OLD.parquet   # which verdicts flipped
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

import torch

from .artifacts import ArtifactError
from .config import ConfigError, default_config_path, load_config
from .models import init_stds
from .paths import report_paths
from .pipeline import compare, stages
from .pipeline.dvc_yaml import dvc_yaml_path, write_dvc_yaml
from .training.benchmark import run_benchmark
from .training.budget import run_budget


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, default=None, help="configuration YAML (default: config/config.yaml)")
    parser.add_argument("--profile", default=None, help="profile to use (default: the config file's `profile`)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="toy-superposition", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)

    validate = commands.add_parser("validate", help="validate the config and list experiments and figures")
    _add_common(validate)

    for stage in ("claims", "plots", "report"):
        sub = commands.add_parser(stage, help=f"run the {stage} stage of the reproduction report")
        _add_common(sub)
        if stage == "claims":
            sub.add_argument("--compare", nargs="+", default=None, metavar="OLD | A B",
                             help="OLD (claims.parquet or claims.json): evaluate, then list each claim's value and "
                             "verdict in OLD and now, flips first. A B (two profile names, both already run): "
                             "instead, does each claim converge? B's claims and final losses against A's -> "
                             "A's results/convergence/A-vs-B.{parquet,md}")
            sub.add_argument("--against", type=Path, default=None, metavar="NEW",
                             help="with --compare OLD: compare OLD with this stored table instead of evaluating")

    for stage in ("data", "train", "metrics", "figure"):
        sub = commands.add_parser(stage, help=f"run the {stage} stage for one experiment or figure")
        sub.add_argument("name", help="experiment name (figure id for `figure`)")
        _add_common(sub)
        sub.add_argument("--threads", type=int, default=None, help="torch CPU threads (Snakemake passes {threads})")
        if stage == "train":
            sub.add_argument("--no-progress", action="store_true", help="hide the progress bar")

    bench = commands.add_parser("benchmark", help="instance-steps/s of the trainer against a plain reference loop")
    bench.add_argument("--steps", type=int, default=200, help="timed steps per run (default: %(default)s)")
    bench.add_argument("--curve-steps", type=int, default=1000,
                       help="steps of the loss-curve check, in 5 windows (0: skip it; default: %(default)s)")
    bench.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    bench.add_argument("--output", type=Path, default=None, help="also write the results as JSON here")
    bench.add_argument("--no-peers", action="store_true",
                       help="leave out the JAX peer (timed by default when the `jax` extra is installed)")

    budget = commands.add_parser(
        "budget", help="a profile's training FLOPs, their floor at this machine's matmul peak, the measured train times")
    _add_common(budget)
    budget.add_argument("--peak-gflops", type=float, default=None,
                        help="the matmul peak to divide by, GFLOP/s (default: measure a square fp32 matmul here)")
    budget.add_argument("--output", type=Path, default=None, help="also write the table as JSON here")

    dvc = commands.add_parser("dvc-yaml", help="write dvc.yaml (paper profile) and profiles' dvc.yaml from the config")
    dvc.add_argument("--config", type=Path, default=None)
    dvc.add_argument("--check", action="store_true", help="exit 1 if a dvc.yaml on disk differs from the config")

    check = commands.add_parser(
        "compare-results",
        help="compare the results on disk with the committed dvc.lock (bytes) and metrics (tolerance)",
    )
    _add_common(check)
    check.add_argument("--rev", default="HEAD", help="the commit holding the reference lock and metrics (default: HEAD)")
    check.add_argument("--reference-dir", type=Path, default=None,
                       help="a checkout holding the committed run's tables (e.g. after `dvc pull`): compare them too")
    check.add_argument("--rtol", type=float, default=compare.RTOL, help="relative tolerance (default: %(default)s)")
    check.add_argument("--atol", type=float, default=compare.ATOL, help="absolute tolerance (default: %(default)s)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        return _run(args)
    except (ConfigError, ArtifactError) as error:
        print(f"toy-superposition: error: {error}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace) -> int:
    if args.command == "benchmark":
        run_benchmark(steps=args.steps, device=args.device, output=args.output, curve_steps=args.curve_steps,
                      curve_window=max(1, args.curve_steps // 5), peers=not args.no_peers)
        return 0
    if args.command == "dvc-yaml":
        return write_dvc_yaml(args.config or default_config_path(), check=args.check)

    if args.command in ("claims", "plots", "report"):
        return _run_reporting(args)
    config = load_config(args.config, profile=args.profile)
    if args.command == "compare-results":
        return _compare_results(args, config.profile)
    if args.command == "budget":
        run_budget(config, peak=args.peak_gflops * 1e9 if args.peak_gflops else None, output=args.output)
        return 0
    if args.command == "validate":
        print(f"profile {config.profile}: results in {config.results_dir}/")
        for spec in config.experiments.values():
            stds = ", ".join(f"{name} {std:.4g}" for name, std in init_stds(spec).items())
            print(f"  experiment {spec.name}: {spec.model}, n={spec.features}, m={spec.hidden}, "
                  f"{spec.n_instances} instances × {spec.training.steps} steps, init {spec.training.init} (std {stds})")
        for figure in config.figures.values():
            print(f"  figure {figure.name}: from {', '.join(figure.experiments) or 'closed forms (trains nothing)'}")
        return 0

    if getattr(args, "threads", None):
        torch.set_num_threads(args.threads)
    if args.command == "data":
        stages.run_data(config, args.name)
    elif args.command == "train":
        stages.run_train(config, args.name, progress=not args.no_progress)
    elif args.command == "metrics":
        stages.run_metrics(config, args.name)
    elif args.command == "figure":
        stages.run_figure(config, args.name)
    return 0


def _run_reporting(args: argparse.Namespace) -> int:
    """claims (and its --compare forms), plots, report. Their modules import the claim registry,
    which no data, train, metrics or figure job needs, so they load here only."""
    from .pipeline import compare_claims, convergence, report

    old = None  # claims --compare OLD: the stored claims table to list flips against
    if args.command == "claims" and args.compare is not None:
        if len(args.compare) == 2:  # two profiles: the convergence table
            if args.against is not None:
                raise ConfigError("--against goes with --compare OLD (one claims table), not with two profiles")
            first, second = (load_config(args.config, profile=name) for name in args.compare)
            for path in convergence.run_compare(first, second).values():
                print(f"wrote {path}")
            return 0
        if len(args.compare) != 1:
            raise ConfigError(f"--compare takes one claims table (OLD) or two profile names (A B), got {args.compare}")
        old = compare_claims.read_claims(Path(args.compare[0]))
    if args.command == "claims" and args.against is not None:
        if old is None:
            raise ConfigError("--against needs --compare OLD")
        print(compare_claims.format_comparison(compare_claims.compare(old, compare_claims.read_claims(args.against))))
        return 0
    config = load_config(args.config, profile=args.profile)
    {"claims": report.run_claims, "plots": report.run_plots, "report": report.run_report}[args.command](config)
    if old is not None:
        after = compare_claims.read_claims(report_paths(config)["claims_table"])
        print(compare_claims.format_comparison(compare_claims.compare(old, after)))
    return 0


def _compare_results(args: argparse.Namespace, profile: str) -> int:
    """Exit 0 when byte-identical or within tolerance, 1 when not, 3 when nothing is committed."""
    import yaml

    default_profile = yaml.safe_load((args.config or default_config_path()).read_text())["profile"]
    try:
        result = compare.compare_results(dvc_yaml_path(profile, default_profile), args.rev, args.reference_dir,
                                         args.rtol, args.atol)
    except compare.NothingCommitted as error:
        print(f"toy-superposition: {error}", file=sys.stderr)
        return 3
    print(result.report())
    return 1 if result.verdict == "failed" else 0


if __name__ == "__main__":
    raise SystemExit(main())
