"""K-day planning on the IEEE 33 feeder (Plan 4): time and the value of planning, K = 1..52.

For each K the synthetic year (365 days, ``sopev_lib.studies.multiday.sample_year``) is clustered
into K
representative days; the K-day plan (one SOCP of 24 K hours, SOP capacity shared) is solved
``REPEATS`` times (medians; K = 52 once, it takes tens of seconds), and the single-day plan's SOP
sizes are dispatched on the same K days once for the value of planning under uncertainty.
Nothing is asserted; the machine's load average is reported with the times.
"""

from __future__ import annotations

import os
import statistics
import time
import warnings

from sopev_lib.core.inputs import prepare_inputs
from sopev_lib.core.plans import solve_plan
from sopev_lib.studies.multiday import (
    multiday_inputs,
    plan_multiday,
    representative_days,
    sample_year,
    value_of_planning,
)
from sopev_lib.system.params import load_params

K_VALUES = (1, 4, 12, 52)
REPEATS = 3


def main() -> dict[str, float | str]:
    warnings.filterwarnings("ignore")
    out: dict[str, float | str] = {"load_average_before": round(os.getloadavg()[0], 2)}
    params = load_params()
    start = time.perf_counter()
    year = sample_year(params)
    out["sample_year_s"] = round(time.perf_counter() - start, 3)
    single = solve_plan(4, prepare_inputs(params))
    out["single_day_cost"] = round(single.objective, 4)
    out["single_day_sop_kva"] = round(sum(single.sop_capacity_kva.values()), 2)
    for k in K_VALUES:
        start = time.perf_counter()
        days = representative_days(year, k, days_per_year=params.economics.days_per_year)
        cluster_s = time.perf_counter() - start
        study = value_of_planning(params, days, single=single)
        walls, solves, compiles, builds = [], [], [], []
        inputs = multiday_inputs(params, days)
        for _ in range(REPEATS if k < 52 else 1):
            t0 = time.perf_counter()
            res = plan_multiday(4, inputs)
            walls.append(time.perf_counter() - t0)
            info = res.solution.info
            solves.append(info.solve_time_s)
            compiles.append(info.compile_time_s)
            builds.append(info.build_time_s)
        s = study.summary()
        tag = f"K{k}"
        out[f"{tag}_hours"] = int(s["hours"])
        out[f"{tag}_variables"] = int(s["variables"])
        out[f"{tag}_cluster_s"] = round(cluster_s, 3)
        out[f"{tag}_build_s"] = round(statistics.median(builds), 4)
        out[f"{tag}_compile_s"] = round(statistics.median(compiles), 4)
        out[f"{tag}_solve_s"] = round(statistics.median(solves), 4)
        out[f"{tag}_end_to_end_s"] = round(statistics.median(walls), 4)
        out[f"{tag}_sop_multi_kva"] = round(s["sop_multi_kva"], 2)
        out[f"{tag}_cost_multi"] = round(s["cost_multi"], 4)
        out[f"{tag}_cost_single_on_days"] = round(s["cost_single_on_days"], 4)
        out[f"{tag}_value_of_planning"] = round(s["value_of_planning"], 4)
        out[f"{tag}_value_pct"] = round(s["value_pct"], 4)
    out["load_average_after"] = round(os.getloadavg()[0], 2)
    return out


if __name__ == "__main__":
    for key, value in main().items():
        print(f"{key}: {value}")
