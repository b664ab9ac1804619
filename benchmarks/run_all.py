"""Run every benchmark (``benchmarks/bench_*.py``) and print its figures.

Each module defines ``main() -> dict`` returning named figures (seconds, ratios, ...) and the
targets they are compared against; this runner prints them and writes ``_build/bench.json``.
Targets are reported, not asserted: performance is never a unit test.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    results = {}
    for path in sorted(HERE.glob("bench_*.py")):
        spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(spec)
        assert spec.loader is not None
        spec.loader.exec_module(module)
        print(f"== {path.stem}", flush=True)
        figures = module.main()
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
