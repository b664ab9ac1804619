"""SimBench (chapter 9): one MV grid planned end to end, and the out-of-sample year on Dask.

1. ``1-MV-rural--0-sw`` as a planning case (``simbench_case``: reading the grid, converting it,
   placing DG, stations and SOPs by sensitivity) and its Plan 4 solved once (``solve_once``:
   cvxpy build + compile + Clarabel); beside it **Clarabel alone** on the very same problem
   data (the conic data cvxpy hands the solver, solved by ``clarabel.DefaultSolver`` directly),
   so that the modelling layer's share of the time is visible. Medians of ``REPEATS``.
2. The year study of ``studies/year_simbench.yaml`` at full size (366 days, four planning
   bases, Plans 1-4: 366 points of 13 solves) on a LocalCluster of 2 workers, restarted in a
   temporary folder (nothing cached is reused).

Every figure has the machine's 1-minute load average beside it (``os.getloadavg``): the
machine is shared, and a load above its 2 cores stretches every wall time. Nothing is asserted.
"""

from __future__ import annotations

import statistics
import tempfile
import time
import warnings
from dataclasses import replace
from pathlib import Path

from floor import clarabel_alone, load

from sopev_lib.core.plans import build_model
from sopev_lib.studies.feeders import solve_once
from sopev_lib.studies.simbench_feeders import simbench_case
from sopev_lib.studies.sweep import run_sweep
from sopev_lib.studies.year import year_study_config
from sopev_lib.system.params import load_params

CODE = "1-MV-rural--0-sw"
REPEATS = 3
WORKERS = 2


def bench_plan(out: dict[str, float | str]) -> None:
    """Part 1: the SimBench case and its Plan 4, end to end and Clarabel alone."""
    out["case_load_average"] = load()
    start = time.perf_counter()
    case = simbench_case(CODE, load_params())
    out["case_s"] = round(time.perf_counter() - start, 3)
    inputs = case.inputs()
    out["buses"] = case.grid.feeder.n_bus
    walls, solves, alone, iters = [], [], [], []
    out["plan_load_average"] = load()
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        res = solve_once(4, inputs)
        walls.append(time.perf_counter() - t0)
        solves.append(res.solution.info.solve_time_s)
        floor = clarabel_alone(build_model(4, inputs).problem, repeats=1)
        alone.append(float(floor["wall_s"]))
        iters.append(int(floor["iterations"]))
    out["plan4_end_to_end_s"] = round(statistics.median(walls), 3)
    out["plan4_clarabel_in_cvxpy_s"] = round(statistics.median(solves), 3)
    out["plan4_clarabel_alone_s"] = round(statistics.median(alone), 3)
    out["plan4_iterations"] = iters[0]
    out["plan4_variables"] = res.solution.info.n_variables
    out["plan4_load_average_after"] = load()


def bench_year(out: dict[str, float | str]) -> None:
    """Part 2: the full year study on 2 Dask workers, from scratch."""
    config = year_study_config(size="full")
    with tempfile.TemporaryDirectory() as tmp:
        config = replace(config, output_dir=Path(tmp) / config.name)
        out["year_points"] = config.n_points
        out["year_load_average_before"] = load()
        start = time.perf_counter()
        res = run_sweep(config, workers=WORKERS, restart=True, progress=False)
        seconds = time.perf_counter() - start
        out["year_load_average_after"] = load()
    out["year_workers"] = WORKERS
    out["year_s"] = round(seconds, 1)
    out["year_solves"] = len(res.table)
    out["year_failed_points"] = res.n_failed
    out["year_days_per_s"] = round(config.n_points / seconds, 3)


def main() -> dict[str, float | str]:
    warnings.filterwarnings("ignore")
    out: dict[str, float | str] = {}
    bench_plan(out)
    bench_year(out)
    return out


if __name__ == "__main__":
    for key, value in main().items():
        print(f"{key}: {value}")
