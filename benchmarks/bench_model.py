"""Planning-model performance on the IEEE 33-bus feeder x 24 h (issue 4's targets).

- one plan end to end (build + compile + solve) against Clarabel's own solve time: target 1.5x;
- all four plans in one process (fresh models, no AC check): target under 2 s;
- a DPP re-solve (new tariff) against the solver time: target 1.2x.

Each figure is the median of several repetitions; nothing here is asserted.
"""

from __future__ import annotations

import statistics
import time
import warnings

from sopev_lib.core.inputs import prepare_inputs
from sopev_lib.core.plans import ModelCache, build_model

REPEATS = 5


def _median(values: list[float]) -> float:
    return float(statistics.median(values))


def main() -> dict[str, float | str]:
    warnings.filterwarnings("ignore")
    inputs = prepare_inputs()
    build_model(4, inputs).solve()  # warm up imports and caches of cvxpy / Clarabel

    out: dict[str, float | str] = {}
    for plan in (1, 4):
        wall, solver, compile_s, build = [], [], [], []
        for _ in range(REPEATS):
            start = time.perf_counter()
            model = build_model(plan, inputs)
            sol = model.solve()
            wall.append(time.perf_counter() - start)
            solver.append(sol.info.solve_time_s)
            compile_s.append(sol.info.compile_time_s)
            build.append(sol.info.build_time_s)
        out[f"plan{plan}_end_to_end_s"] = round(_median(wall), 4)
        out[f"plan{plan}_clarabel_s"] = round(_median(solver), 4)
        out[f"plan{plan}_build_s"] = round(_median(build), 4)
        out[f"plan{plan}_compile_s"] = round(_median(compile_s), 4)
        out[f"plan{plan}_ratio_end_to_end_over_clarabel"] = round(
            _median(wall) / _median(solver), 2
        )
    out["target_ratio_end_to_end"] = "<= 1.5"

    four = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        for plan in (1, 2, 3, 4):
            build_model(plan, inputs).solve()
        four.append(time.perf_counter() - start)
    out["four_plans_fresh_s"] = round(_median(four), 3)
    out["target_four_plans_s"] = "< 2"

    cache = ModelCache()
    model = cache.model(4, inputs)
    model.solve()  # first solve: plain compile
    model.solve()  # second solve: compiles the DPP program once
    tariff = inputs.profiles.tariff_rmb_per_kwh
    ratios, resolve_wall = [], []
    for k in range(REPEATS):
        model.devices["substation"].set_tariff(tariff * (1.0 + 0.05 * (k + 1)))
        start = time.perf_counter()
        sol = model.solve()
        wall = time.perf_counter() - start
        resolve_wall.append(wall)
        ratios.append(wall / sol.info.solve_time_s)
    out["dpp_resolve_s"] = round(_median(resolve_wall), 4)
    out["dpp_resolve_ratio_over_clarabel"] = round(_median(ratios), 2)
    out["target_dpp_ratio"] = "<= 1.2"
    return out


if __name__ == "__main__":
    for key, value in main().items():
        print(f"{key}: {value}")
