"""K-day planning on the IEEE 33 feeder (Plan 4): time, checks and the value of planning,
K = 1..52, each time beside its floor.

For each K the synthetic year (365 days, ``sopev_lib.studies.multiday.sample_year``) is clustered
into K representative days and :func:`~sopev_lib.studies.multiday.value_of_planning` runs its
three solves: the single-day plan (shared), the K-day plan (the K-day SOCP for the capacities,
then the days one by one) and the single-day sizes on the K days (day by day). Reported per K:
the wall time of each, the K-day SOCP's size and solver time beside Clarabel alone on its data
(``floor.clarabel_alone``), the attempts, whether every solve verified, and the 1-minute load
average. Nothing is asserted.
"""

from __future__ import annotations

import time
import warnings

from floor import clarabel_alone, load

from sopev_lib.core.inputs import prepare_inputs
from sopev_lib.core.model.problem import RETRY_OPTIONS
from sopev_lib.core.plans import build_model
from sopev_lib.studies.feeders import solve_once
from sopev_lib.studies.multiday import (
    multiday_inputs,
    representative_days,
    sample_year,
    value_of_planning,
)
from sopev_lib.system.params import load_params

K_VALUES = (1, 4, 12, 52)


def main() -> dict[str, float | int | str]:
    warnings.filterwarnings("ignore")
    out: dict[str, float | int | str] = {"load_before": load()}
    params = load_params()
    start = time.perf_counter()
    year = sample_year(params)
    out["sample_year_s"] = round(time.perf_counter() - start, 3)
    single = solve_once(4, prepare_inputs(params))
    out["single_day_cost"] = round(single.objective, 4)
    # the K-day SOCP's first settings (multiday.capacity_solve)
    capacity_options = {**RETRY_OPTIONS[-1][1], "iterative_refinement_enable": False}
    for k in K_VALUES:
        tag = f"K{k}"
        out[f"{tag}_load"] = load()
        days = representative_days(year, k, days_per_year=params.economics.days_per_year)
        start = time.perf_counter()
        study = value_of_planning(params, days, single=single)
        out[f"{tag}_study_s"] = round(time.perf_counter() - start, 3)
        s = study.summary()
        out[f"{tag}_hours"] = int(s["hours"])
        out[f"{tag}_variables"] = int(s["variables"])
        out[f"{tag}_k_day_wall_s"] = round(study.seconds["multi"], 3)
        out[f"{tag}_single_on_days_wall_s"] = round(study.seconds["single_on_days"], 3)
        out[f"{tag}_socp_solve_s"] = round(float(s["solve_s"]), 4)
        out[f"{tag}_socp_iterations"] = int(s["iterations"])
        if k > 1:  # the K-day SOCP alone, with the settings it is solved with
            socp = build_model(4, multiday_inputs(params, days)).problem
            floor = clarabel_alone(socp, capacity_options, repeats=1)
            out[f"{tag}_socp_clarabel_alone_s"] = round(float(floor["wall_s"]), 4)
        out[f"{tag}_attempts"] = int(study.multi.checks.get("attempts", 1)) + int(
            study.single_on_days.checks.get("attempts", 1)
        )
        out[f"{tag}_outcome"] = str(s["outcome"])
        out[f"{tag}_sop_multi_kva"] = round(float(s["sop_multi_kva"]), 2)
        out[f"{tag}_cost_multi"] = round(float(s["cost_multi"]), 4)
        out[f"{tag}_value_of_planning"] = round(float(s["value_of_planning"]), 4)
    out["load_after"] = load()
    return out


if __name__ == "__main__":
    for key, value in main().items():
        print(f"{key}: {value}")
