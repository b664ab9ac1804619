"""The ``sopev`` command line.

    sopev reproduce [--out DIR] [--plans 1 2 3 4] [--set KEY=VALUE ...] [--preset NAME]
                    [--no-ac] [--no-stage2]

solves the paper's plans, verifies every solution, computes the flexibility indices of
Eqs. (18)-(21) and the second stage of Section 4.2 (``sopev_lib.core.stage2``), writes the results
schema of the README to DIR (default ``results/``) and prints Tables 4, 5 and 6 beside the
paper's values, every plan that failed its checks marked. DIR is checked before solving and
replaced as a whole when the run is complete (``sopev_lib.system.io.StagedFolder``). A stage-2
solution that fails its checks is reported but does not change the status.

    sopev sweep CONFIG.yaml [CONFIG.yaml ...] [--workers N | --scheduler ADDRESS] [--small]

runs (or resumes) parameter sweeps on Dask and writes one tidy table per sweep
(``sopev_lib.studies.sweep``).

Exit status (:data:`EXIT_CODES`): 0 verified, 1 a plan failed its physical checks, 2 bad input
or an infeasible plan, 3 an environment or I/O failure, 4 an internal error, 130 interrupted.
No traceback is printed unless ``--debug`` is given.
"""

from __future__ import annotations

import argparse
import sys
import textwrap
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from sopev_lib.core.model import InfeasiblePlanError
from sopev_lib.reproduction.paper import is_results_folder, write_results
from sopev_lib.reproduction.pipeline import Reproduction, run_reproduction
from sopev_lib.system.io import StagedFolder
from sopev_lib.system.params import load_params

__all__ = [
    "EXIT_CODES",
    "EXIT_ENVIRONMENT",
    "EXIT_INPUT",
    "EXIT_INTERNAL",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_UNVERIFIED",
    "main",
    "parse_overrides",
]

EXIT_OK = 0
EXIT_UNVERIFIED = 1
EXIT_INPUT = 2
EXIT_ENVIRONMENT = 3
EXIT_INTERNAL = 4
EXIT_INTERRUPTED = 130

#: The exit statuses of ``sopev``, as listed by ``sopev --help`` and the README.
EXIT_CODES = {
    EXIT_OK: "success; for reproduce: every plan solved and passed its physical checks",
    EXIT_UNVERIFIED: "a plan failed its physical checks (cone gap, AC power flow, wasted "
    "energy); its results are written and marked unverified",
    EXIT_INPUT: "bad input (a parameter, a --set override, an output folder, a sweep config) "
    "or a plan that cannot be solved (infeasible)",
    EXIT_ENVIRONMENT: "environment or I/O failure: a missing file, an output folder that "
    "cannot be written (checked before solving), an unreachable Dask scheduler",
    EXIT_INTERNAL: "an unexpected internal error (a bug: run again with --debug and report "
    "the traceback)",
    EXIT_INTERRUPTED: "interrupted (Ctrl-C); an earlier result is left as it was",
}


def _epilog() -> str:
    """The exit statuses for ``--help`` (plain text: no reST markup)."""
    lines = ["exit status:"]
    lines += [
        textwrap.fill(text, 79, initial_indent=f"  {code:<4} ", subsequent_indent=" " * 7)
        for code, text in EXIT_CODES.items()
    ]
    lines.append("No traceback is printed unless --debug is given.")
    return "\n".join(lines)


def parse_overrides(items: Sequence[str]) -> dict[str, Any]:
    """``["network.v_min_pu=0.95", "ev.seed=7"]`` -> a dict of typed overrides (YAML values).

    Raises ``ValueError`` naming the item for a missing ``=`` or a value that is not YAML."""
    out: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"--set {item!r}: expected KEY=VALUE, e.g. network.v_min_pu=0.95")
        try:
            out[key.strip()] = yaml.safe_load(raw)
        except yaml.YAMLError as exc:
            problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            raise ValueError(f"--set {item!r}: the value is not valid YAML ({problem})") from None
    return out


def _mark(table: pd.DataFrame, verified: dict[str, bool]) -> pd.DataFrame:
    """``table`` (indexed by plan name) with every unverified plan's label marked."""
    return table.rename(index=lambda n: n if verified.get(n, True) else f"{n} [FAILED]")


def _print_tables(rep: Reproduction) -> None:
    """Tables 4 and 5 (and 6), each unverified plan marked ``[FAILED]`` and its benefit, or
    every benefit when the baseline failed, withheld (shown as NaN)."""
    ok = rep.verified_by_name()
    with pd.option_context(
        "display.width", 200, "display.max_columns", 30, "display.float_format", "{:,.1f}".format
    ):
        print("\nTable 4: SOP planning results (capacities kVA, costs 10^4 RMB/yr)")
        print(_mark(rep.table4(), ok).to_string())
        t5 = rep.table5()
        wide = t5.pivot(index="plan", columns="term", values=["ours", "paper"])
        print("\nTable 5: economy comparison (10^4 RMB/yr)")
        print(_mark(wide, ok).to_string())
        if not rep.all_verified:
            print(
                "[FAILED]: the plan failed its physical checks (see Verification below); "
                "benefits involving it are withheld (NaN)"
            )
    if rep.flexibility:
        _print_flexibility(rep)


def _print_flexibility(rep: Reproduction) -> None:
    """Table 6 beside the paper's, and the second stage of Section 4.2 when it was solved."""
    with pd.option_context(
        "display.width", 200, "display.max_columns", 30, "display.float_format", "{:,.3f}".format
    ):
        print(
            "\nTable 6: flexibility comparison (Eq. 18 as printed, Eqs. 20-21; ours beside "
            "the paper's)\n        and our well-defined variant (ramp coverage, all / local "
            "resources)"
        )
        print(_mark(rep.table6(), {f"Plan {n}": v for n, v in rep.verified.items()}).to_string())
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
            stage2_ok = {f"Plan {n}": c.passed for n, c in rep.stage2_checks.items()}
            print(_mark(table, stage2_ok).to_string())


def _reproduce(args: argparse.Namespace) -> int:
    """``sopev reproduce``: check the inputs and the output folder, solve, write, report."""
    overrides = parse_overrides(args.set)
    params = load_params(overrides=overrides, preset=args.preset)
    stage = StagedFolder(args.out, allow_replace=is_results_folder)  # before the solve
    try:
        rep = run_reproduction(
            params, plans=tuple(args.plans), ac_check=not args.no_ac, stage2=not args.no_stage2
        )
        path = write_results(
            rep.results,
            args.out,
            rep.checks,
            extra=rep.extra,
            meta={"overrides": overrides, "preset": args.preset, "seconds": rep.seconds},
            staged=stage,
        )
    except BaseException:
        stage.discard()
        target = stage.target
        kept = "left unchanged" if target.exists() else "not written"
        print(f"sopev reproduce: no new result; {target} {kept}", file=sys.stderr)
        raise
    _report(rep, path)
    return EXIT_OK if rep.all_verified else EXIT_UNVERIFIED


def _report(rep: Reproduction, path: Path) -> None:
    """Print the tables, the verification of every plan and where the results went."""
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
    state = "verified" if rep.all_verified else "NOT verified (summary.json: verified = false)"
    print(
        f"\nResults written to {path.parent} (summary.json and per-plan CSVs), {state}; "
        f"total {rep.seconds['total']:.1f} s"
    )
    if not rep.all_verified:
        print("\n!!! VERIFICATION FAILED:\n  " + "\n  ".join(rep.failures()), file=sys.stderr)
    if rep.stage2_failures():
        print(
            "\n!!! STAGE-2 VERIFICATION FAILED (stage-1 results are unaffected):\n  "
            + "\n  ".join(rep.stage2_failures()),
            file=sys.stderr,
        )


def _add_sweep_parser(sub: argparse._SubParsersAction) -> None:
    sw = sub.add_parser(
        "sweep",
        help="run or resume parameter sweeps (studies/*.yaml) on Dask",
        epilog=_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sw.add_argument("configs", nargs="+", metavar="CONFIG.yaml", help="sweep config file(s)")
    sw.add_argument(
        "--workers",
        type=_whole_number,
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
    _add_debug(sw)


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


def _add_debug(parser: argparse.ArgumentParser) -> None:
    """``--debug`` after the subcommand too (SUPPRESS: not given, it keeps the top-level one)."""
    parser.add_argument(
        "--debug",
        action="store_true",
        default=argparse.SUPPRESS,
        help="print the traceback of an error (for bug reports)",
    )


def _whole_number(text: str) -> int:
    """argparse type of ``--workers``: a whole number >= 0."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(
            f"{value} workers: expected 0 (no Dask) or more; leave it out for all cores"
        )
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sopev",
        description="Reproduce 'EV and SOP co-planning' (Fang, Li, Chen, Energies 2025).",
        epilog=_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--debug", action="store_true", help="print the traceback of an error (for bug reports)"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    rep = sub.add_parser(
        "reproduce",
        help="solve, verify and write the paper's plans",
        description=textwrap.fill(
            "Solve the paper's plans, verify every solution, write the results to --out "
            "(checked before solving, replaced as a whole when complete) and print Tables 4-6 "
            "beside the paper's values.",
            79,
        ),
        epilog=_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    rep.add_argument(
        "--out",
        default="results",
        help="output folder: new, empty or an earlier result of this command, which is "
        "replaced (default: results)",
    )
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
    _add_debug(rep)
    _add_sweep_parser(sub)
    return parser


#: Exceptions -> exit status and the prefix of their one-line message (first match wins).
_ERRORS: tuple[tuple[type[BaseException], int, str], ...] = (
    (InfeasiblePlanError, EXIT_INPUT, "infeasible plan"),
    (ValueError, EXIT_INPUT, "error"),
    (OSError, EXIT_ENVIRONMENT, "environment error"),
)


def _run(command: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    """Run ``command``; turn every exception into its exit status and a one-line message
    (with the traceback only under ``--debug``)."""
    try:
        return command(args)
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:
        code, prefix = next(
            ((c, p) for kind, c, p in _ERRORS if isinstance(exc, kind)),
            (EXIT_INTERNAL, "internal error"),
        )
        if args.debug:
            traceback.print_exc()
        text = str(exc) or type(exc).__name__
        if code == EXIT_INTERNAL:
            text = f"{type(exc).__name__}: {text} (run again with --debug for the traceback)"
        print(f"{prefix}: {text}", file=sys.stderr)
        return code


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``sopev`` with ``argv`` (default ``sys.argv[1:]``); returns the exit status."""
    args = _parser().parse_args(argv)
    command = _reproduce if args.command == "reproduce" else _sweep
    return _run(command, args)


if __name__ == "__main__":
    sys.exit(main())
