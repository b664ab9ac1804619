"""Benchmark of the Monte Carlo fleet and its aggregation into generalised storage (Section 2).

Figures: sampling and aggregating 2000 EVs over 1000 days (target < 1 s on the 2-core build
machine), the planning envelopes the model calls (params.ev.forecast_days days), and one
disaggregation LP of the largest station. Best of ``REPEATS`` runs; reported, never asserted.
"""

from __future__ import annotations

import time

from sopev_lib.core.ev.envelopes import planning_envelopes, station_envelopes
from sopev_lib.core.ev.fleet import sample_fleet
from sopev_lib.system.params import load_params
from sopev_lib.verify.disaggregate import disaggregate

REPEATS = 3
N_DAYS = 1000


def _best(fn, repeats: int = REPEATS) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def main() -> dict:
    params = load_params()
    station_envelopes(sample_fleet(params, 2))  # warm-up (imports, allocator)

    t_sample, fleet = _best(lambda: sample_fleet(params, N_DAYS))
    t_agg, _ = _best(lambda: station_envelopes(fleet))
    t_both, _ = _best(lambda: station_envelopes(sample_fleet(params, N_DAYS)))
    t_plan, _ = _best(lambda: planning_envelopes(params))

    one = sample_fleet(params, 1)
    env = station_envelopes(one)
    largest = int(env.n_vehicles[0].argmax())
    t_lp, res = _best(
        lambda: disaggregate(one, env.uncontrolled_kw[0, largest], station=largest), repeats=1
    )
    return {
        "vehicles_sampled": fleet.n_vehicles,
        "days": N_DAYS,
        "sample_s": round(t_sample, 3),
        "aggregate_s": round(t_agg, 3),
        "sample_and_aggregate_s": round(t_both, 3),
        "sample_and_aggregate_target_s": 1.0,
        "million_vehicle_days_per_s": round(fleet.n_vehicles / t_both / 1e6, 2),
        "planning_envelopes_s": round(t_plan, 3),
        "planning_envelopes_days": params.ev.forecast_days,
        "disaggregation_lp_s (largest station, V2G allowed)": round(t_lp, 2),
        "disaggregation_vehicles": int(one.counts[0, largest].sum()),
        "disaggregation_mismatch_kwh": round(res.mismatch_kwh, 6),
    }


if __name__ == "__main__":
    for key, value in main().items():
        print(f"{key}: {value}")
