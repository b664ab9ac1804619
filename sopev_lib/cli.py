"""The ``sopev`` command line.

    sopev reproduce [--out DIR] [--plans 1 2 3 4] [--set KEY=VALUE ...] [--no-ac]

solves the paper's plans, verifies every solution, writes the results schema of DESIGN.md to
DIR (default ``results/``) and prints Tables 4 and 5 beside the paper's values. The exit status
is 1 when a plan fails its physical checks, 2 when a plan cannot be solved.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

import pandas as pd
import yaml

from sopev_lib.model import InfeasiblePlanError
from sopev_lib.params import load_params
from sopev_lib.report import table4_comparison, table5_comparison, write_results
from sopev_lib.reproduce import run_reproduction

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
    with pd.option_context("display.width", 200, "display.max_columns", 30,
                           "display.float_format", "{:,.1f}".format):
        print("\nTable 4: SOP planning results (capacities kVA, costs 10^4 RMB/yr)")
        print(table4_comparison(rep.results).to_string())
        t5 = table5_comparison(rep.results)
        wide = t5.pivot(index="plan", columns="term", values=["ours", "paper"])
        print("\nTable 5: economy comparison (10^4 RMB/yr)")
        print(wide.to_string())


def _reproduce(args: argparse.Namespace) -> int:
    params = load_params(overrides=parse_overrides(args.set))
    try:
        rep = run_reproduction(params, plans=tuple(args.plans), ac_check=not args.no_ac)
    except InfeasiblePlanError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    path = write_results(
        rep.results,
        args.out,
        rep.checks,
        meta={"overrides": parse_overrides(args.set), "seconds": rep.seconds},
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
    print(f"\nResults written to {path.parent} (summary.json and per-plan CSVs); "
          f"total {rep.seconds['total']:.1f} s")
    if not rep.all_verified:
        print("\n!!! VERIFICATION FAILED:\n  " + "\n  ".join(rep.failures()), file=sys.stderr)
        return 1
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="sopev", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    rep = sub.add_parser("reproduce", help="solve, verify and write the paper's plans")
    rep.add_argument("--out", default="results", help="output folder (default: results)")
    rep.add_argument("--plans", type=int, nargs="+", default=[1, 2, 3, 4], choices=[1, 2, 3, 4])
    rep.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                     help="override a parameter of data/params.yaml, e.g. network.v_min_pu=0.95")
    rep.add_argument("--no-ac", action="store_true", help="skip the AC power flow check")
    args = parser.parse_args(argv)
    try:
        if args.command == "reproduce":
            return _reproduce(args)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 2


if __name__ == "__main__":
    sys.exit(main())
