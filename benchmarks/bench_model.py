"""Planning-model performance on the IEEE 33-bus feeder x 24 h, each figure beside its floor.

- Plans 1 and 4 end to end (build + compile + solve + reading the solution back, a fresh model
  each time) against Clarabel alone on the same compiled data (``floor.clarabel_alone``: setup
  + solve): target <= 2x for Plan 4;
- all four plans in one process (fresh models, no AC check): target < 0.5 s;
- a DPP re-solve: the model of ``ModelCache`` solved once (plain compile), a second time with a
  new tariff through the DPP path (its compile timed: ``dpp_compile_s``), then re-solved with
  new tariffs: wall time against Clarabel's own ``solve_time``: target <= 1.1x.

Medians of ``REPEATS``; the 1-minute load average beside every group. Nothing is asserted.
"""

from __future__ import annotations

import statistics
import time
import warnings

from floor import clarabel_alone, interleaved, load, median_time

from sopev_lib.core.inputs import PlanInputs, prepare_inputs
from sopev_lib.core.plans import ModelCache, build_model

REPEATS = 15


def _end_to_end(plan: int, inputs: PlanInputs) -> dict[str, float | int | str]:
    """Median end to end of ``plan`` and, turn about, Clarabel alone on its data."""
    out: dict[str, float | int | str] = {f"plan{plan}_load_before": load()}
    wall, alone, sol, floor = interleaved(
        lambda: build_model(plan, inputs).solve(), build_model(plan, inputs).problem, REPEATS
    )
    out[f"plan{plan}_end_to_end_s"] = round(wall, 4)
    out[f"plan{plan}_clarabel_alone_s"] = round(alone, 4)
    out[f"plan{plan}_clarabel_solve_time_s"] = round(float(floor["solve_time_s"]), 4)
    out[f"plan{plan}_ratio_end_to_end_over_clarabel"] = round(wall / alone, 2)
    out[f"plan{plan}_build_s"] = round(sol.info.build_time_s, 4)
    out[f"plan{plan}_compile_s"] = round(sol.info.compile_time_s, 4)
    out[f"plan{plan}_iterations"] = sol.info.iterations
    out[f"plan{plan}_status"] = sol.info.status
    out[f"plan{plan}_load_after"] = load()
    return out


def _dpp_resolve(inputs: PlanInputs) -> dict[str, float | int | str]:
    """The DPP path of ``ModelCache``: its compile, and re-solves against the solver time."""
    out: dict[str, float | int | str] = {"dpp_load_before": load()}
    model = ModelCache().model(4, inputs)
    tariff = inputs.profiles.tariff_rmb_per_kwh
    first = model.solve()  # plain compile (ignore_dpp on a model's first solve)
    model.devices["substation"].set_tariff(tariff * 1.05)
    start = time.perf_counter()
    second = model.solve()  # new parameter values: compiles the DPP program once
    out["dpp_first_solve_compile_s"] = round(first.info.compile_time_s, 4)
    out["dpp_compile_s"] = round(second.info.compile_time_s, 4)
    out["dpp_second_solve_wall_s"] = round(time.perf_counter() - start, 4)
    walls, solver = [], []
    for k in range(REPEATS):
        model.devices["substation"].set_tariff(tariff * (1.1 + 0.05 * k))
        start = time.perf_counter()
        sol = model.solve()
        walls.append(time.perf_counter() - start)
        solver.append(sol.info.solve_time_s)
    out["dpp_resolve_s"] = round(statistics.median(walls), 4)
    out["dpp_resolve_clarabel_s"] = round(statistics.median(solver), 4)
    out["dpp_resolve_ratio_over_clarabel"] = round(
        statistics.median(w / s for w, s in zip(walls, solver, strict=True)), 2
    )
    out["dpp_resolve_compile_s"] = round(sol.info.compile_time_s, 4)
    out["dpp_load_after"] = load()
    return out


def main() -> dict[str, float | int | str]:
    warnings.filterwarnings("ignore")
    inputs = prepare_inputs()
    build_model(4, inputs).solve()  # warm up imports and caches of cvxpy / Clarabel

    out: dict[str, float | int | str] = {}
    for plan in (1, 4):
        out.update(_end_to_end(plan, inputs))
    out["target_plan4_ratio_end_to_end"] = "<= 2"

    out["four_plans_load_before"] = load()
    four, _ = median_time(lambda: [build_model(n, inputs).solve() for n in (1, 2, 3, 4)], REPEATS)
    floors = [clarabel_alone(build_model(n, inputs).problem) for n in (1, 2, 3, 4)]
    out["four_plans_fresh_s"] = round(four, 3)
    out["four_plans_clarabel_alone_s"] = round(sum(float(f["wall_s"]) for f in floors), 3)
    out["four_plans_load_after"] = load()
    out["target_four_plans_s"] = "< 0.5"

    out.update(_dpp_resolve(inputs))
    out["target_dpp_ratio"] = "<= 1.1"
    return out


if __name__ == "__main__":
    for key, value in main().items():
        print(f"{key}: {value}")
