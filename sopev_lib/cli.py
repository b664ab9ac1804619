"""The ``sopev`` command line.

    sopev reproduce [--out DIR] [--plans 1 2 3 4] [--set KEY=VALUE ...] [--preset NAME]
                    [--no-ac] [--no-stage2]

solves the paper's plans, verifies every solution, computes the flexibility indices of
Eqs. (18)-(21) and the second stage of Section 4.2 (``sopev_lib.core.stage2``), writes the results
schema of DESIGN.md to DIR (default ``results/``) and prints Tables 4, 5 and 6 beside the paper's
values. The exit status is 1 when a plan fails its physical checks, 2 when a plan cannot be
solved. A stage-2 solution that fails its checks is reported but does not change the status.

    sopev sweep CONFIG.yaml [CONFIG.yaml ...] [--workers N | --scheduler ADDRESS] [--small]

runs (or resumes) parameter sweeps on Dask and writes one tidy table per sweep
(``sopev_lib.studies.sweep``).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

import pandas as pd
import yaml

from sopev_lib.core.model import InfeasiblePlanError
from sopev_lib.reproduction.paper import (
    table4_comparison,
    table5_comparison,
    table6_comparison,
    write_results,
)
from sopev_lib.reproduction.pipeline import run_reproduction
from sopev_lib.system.params import load_params

__all__ = ["main", "parse_overrides"]


def parse_overrides(items: Sequence[str]) -> dict[str, Any]:
    """``["network.v_min_pu=0.95", "ev.seed=7"]`` -> a dict of typed overrides (YAML values)."""
    out: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise ValueError(f"--set {item!r}: expected KEY=VALUE, e.g. network.v_min_pu=0.95")
        out[key.strip()] = yaml.safe_load(raw)
    return out


def _print_tables(rep) -> None:
    with pd.option_context(
        "display.width", 200, "display.max_columns", 30, "display.float_format", "{:,.1f}".format
    ):
        print("\nTable 4: SOP planning results (capacities kVA, costs 10^4 RMB/yr)")
        print(table4_comparison(rep.results).to_string())
        t5 = table5_comparison(rep.results)
        wide = t5.pivot(index="plan", columns="term", values=["ours", "paper"])
        print("\nTable 5: economy comparison (10^4 RMB/yr)")
        print(wide.to_string())
    if rep.flexibility:
        _print_flexibility(rep)


def _print_flexibility(rep) -> None:
    """Table 6 beside the paper's, and the second stage of Section 4.2 when it was solved."""
    with pd.option_context(
        "display.width", 200, "display.max_columns", 30, "display.float_format", "{:,.3f}".format
    ):
        print(
            "\nTable 6: flexibility comparison (Eq. 18 as printed, Eqs. 20-21; ours beside "
            "the paper's)\n        and our well-defined variant (ramp coverage, all / local "
            "resources)"
        )
        print(table6_comparison(rep.flexibility).to_string())
        if rep.stage2:
            cols = [
                "epsilon",
                "cost_increase",
                "I_F_cov_local_1",
                "I_F_cov_local",
                "I_BF_1",
                "I_BF",
                "F_1",
                "F",
                "repaired",
                "fallback",
            ]
            table = pd.DataFrame({f"Plan {n}": s2.as_dict() for n, s2 in rep.stage2.items()}).T[
                cols
            ]
            print(
                "\nStage 2 (Section 4.2): maximise flexibility, cost <= (1 + epsilon) x stage 1 "
                "(_1 = stage 1)"
            )
            print(table.to_string())


def _reproduce(args: argparse.Namespace) -> int:
    params = load_params(overrides=parse_overrides(args.set), preset=args.preset)
    try:
        rep = run_reproduction(
            params, plans=tuple(args.plans), ac_check=not args.no_ac, stage2=not args.no_stage2
        )
    except InfeasiblePlanError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    path = write_results(
        rep.results,
        args.out,
        rep.checks,
        extra=rep.extra,
        meta={
            "overrides": parse_overrides(args.set),
            "preset": args.preset,
            "seconds": rep.seconds,
        },
    )
    _print_tables(rep)
    print("\nVerification (relative cone gap, SOCP vs AC voltage in p.u.):")
    for n, c in rep.checks.items():
        status = "ok" if c.passed else "FAILED"
        solve_s = rep.results[n].solution.info.solve_time_s
        print(
            f"  Plan {n}: gap {c.max_relaxation_gap_rel:.1e}, AC error "
            f"{c.ac_max_voltage_error_pu:.1e}, solve {solve_s:.3f} s  [{status}]"
        )
    for n, c in rep.stage2_checks.items():
        status = "ok" if c.passed else "FAILED"
        print(
            f"  Plan {n} stage 2: gap {c.max_relaxation_gap_rel:.1e}, AC error "
            f"{c.ac_max_voltage_error_pu:.1e}  [{status}]"
        )
    print(
        f"\nResults written to {path.parent} (summary.json and per-plan CSVs); "
        f"total {rep.seconds['total']:.1f} s"
    )
    if not rep.all_verified:
        print("\n!!! VERIFICATION FAILED:\n  " + "\n  ".join(rep.failures()), file=sys.stderr)
        return 1
    if rep.stage2_failures():
        print(
            "\n!!! STAGE-2 VERIFICATION FAILED (stage-1 results are unaffected):\n  "
            + "\n  ".join(rep.stage2_failures()),
            file=sys.stderr,
        )
    return 0


def _add_sweep_parser(sub: argparse._SubParsersAction) -> None:
    sw = sub.add_parser("sweep", help="run or resume parameter sweeps (studies/*.yaml) on Dask")
    sw.add_argument("configs", nargs="+", metavar="CONFIG.yaml", help="sweep config file(s)")
    sw.add_argument(
        "--workers",
        type=int,
        default=None,
        help="LocalCluster worker processes (default: all cores; 0: no Dask)",
    )
    sw.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="use a running Dask scheduler, e.g. tcp://10.0.0.5:8786",
    )
    sw.add_argument("--small", action="store_true", help="run the configs' CI-sized variant")
    sw.add_argument("--out", default=None, help="output folder (one config only)")
    sw.add_argument("--format", choices=["csv", "parquet"], default=None, help="table format")
    sw.add_argument("--restart", action="store_true", help="discard earlier results, start over")
    sw.add_argument("--retry-failed", action="store_true", help="solve failed points again")
    sw.add_argument(
        "--rerun-stale",
        action="store_true",
        help="solve again points computed with other model code",
    )
    sw.add_argument("--no-progress", action="store_true", help="no progress bar")


def _sweep(args: argparse.Namespace) -> int:
    from sopev_lib.studies.sweep import run_cli

    return run_cli(
        args.configs,
        workers=args.workers,
        scheduler=args.scheduler,
        size="small" if args.small else "full",
        out=args.out,
        output_format=args.format,
        restart=args.restart,
        retry_failed=args.retry_failed,
        rerun_stale=args.rerun_stale,
        progress=not args.no_progress,
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="sopev", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    rep = sub.add_parser("reproduce", help="solve, verify and write the paper's plans")
    rep.add_argument("--out", default="results", help="output folder (default: results)")
    rep.add_argument("--plans", type=int, nargs="+", default=[1, 2, 3, 4], choices=[1, 2, 3, 4])
    rep.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a parameter of data/params.yaml, e.g. network.v_min_pu=0.95",
    )
    rep.add_argument(
        "--preset",
        default=None,
        metavar="NAME",
        help="apply a preset of data/presets/ first, e.g. paper-evidence (--set wins)",
    )
    rep.add_argument("--no-ac", action="store_true", help="skip the AC power flow check")
    rep.add_argument(
        "--no-stage2",
        action="store_true",
        help="skip the second stage of Section 4.2 (flexibility re-dispatch)",
    )
    _add_sweep_parser(sub)
    args = parser.parse_args(argv)
    try:
        if args.command == "reproduce":
            return _reproduce(args)
        if args.command == "sweep":
            return _sweep(args)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 2


if __name__ == "__main__":
    sys.exit(main())
