"""Run every benchmark (``benchmarks/bench_*.py``) and print its figures.

Each module defines ``main() -> dict`` returning named figures (seconds, ratios, ...) and the
targets they are compared against; this runner prints them and writes ``_build/bench.json``.
Targets are reported, not asserted: performance is never a unit test.

The machine is shared and noisy: the 1-minute load average is recorded before and after every
benchmark, beside its figures, and a warning is printed when it is above ``LOAD_WARNING`` (the
figures were then taken under load and compare poorly with a quiet run). Compare figures side
by side within one benchmark (end to end against the solver alone on the same data), not across
runs.

    python benchmarks/run_all.py              # every benchmark
    python benchmarks/run_all.py model scale  # only bench_model.py and bench_scale.py
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
#: Above this 1-minute load average on the 2-core machine, figures are flagged as loaded.
LOAD_WARNING = 1.2


def load() -> float:
    """The 1-minute load average of the machine."""
    return round(os.getloadavg()[0], 2)


def main(argv: list[str] | None = None) -> int:
    only = set(sys.argv[1:] if argv is None else argv)
    results = {}
    for path in sorted(HERE.glob("bench_*.py")):
        if only and path.stem.removeprefix("bench_") not in only:
            continue
        spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(spec)
        assert spec.loader is not None
        spec.loader.exec_module(module)
        print(f"== {path.stem}", flush=True)
        before = load()
        figures = module.main()
        figures["load_before"], figures["load_after"] = before, load()
        if max(before, figures["load_after"]) > LOAD_WARNING:
            print(
                f"   WARNING: load average {max(before, figures['load_after'])} > {LOAD_WARNING}:"
                " these figures were taken on a busy machine",
                flush=True,
            )
        for key, value in figures.items():
            print(f"   {key}: {value}", flush=True)
        results[path.stem] = figures
    out = HERE.parent / "_build" / "bench.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2, default=str), encoding="utf-8")
    print(f"figures written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
