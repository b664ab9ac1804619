"""sopev_lib.studies.year: representative days of SimBench's year, planning bases, fixed plans
on a day, the sweep point and the summaries."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from sopev_lib.core.economics import cost_breakdown
from sopev_lib.core.ev.envelopes import planning_envelopes
from sopev_lib.studies.sweep import execute_point, load_config, resolve_function
from sopev_lib.studies.year import (
    PlanSizes,
    RealYear,
    basis_inputs,
    basis_label,
    plan_basis,
    real_year,
    representative_real_days,
    solve_fixed,
    value_of_planning_year,
    year_study_config,
    year_summary,
)
from sopev_lib.system.grids import load_feeder
from sopev_lib.system.params import Params, load_params

OVERRIDES = {"ev.forecast_days": 5}


@pytest.fixture(scope="module")
def params() -> Params:
    return load_params(overrides=OVERRIDES)


@pytest.fixture(scope="module")
def year(params: Params) -> RealYear:
    return real_year(params)


def test_year_has_a_monte_carlo_day_per_day(year: RealYear, params: Params) -> None:
    assert year.n_days == 366
    assert year.envelopes.n_days == 366
    assert year.seed == params.ev.seed + 1
    assert year.features().shape == (366, 72)
    energy = year.daily_energy()
    assert energy["load_kwh"].max() > energy["load_kwh"].min() > 0
    assert len(year.day_envelopes(366)) == len(params.ev.station_buses)


def test_representative_days_are_weighted_medoids(year: RealYear) -> None:
    days = representative_real_days(year, 5, days_per_year=365.0)
    assert days.k == 5
    assert days.weights.sum() == pytest.approx(365.0)
    assert np.array_equal(np.bincount(days.labels), np.rint(days.weights * 366 / 365))
    for k, d in enumerate(days.days):
        assert days.labels[d - 1] == k  # each medoid belongs to its own cluster
    assert list(days.table(year).columns)[:4] == ["day", "date", "members", "weight_days"]


def test_kday_inputs_and_weights(year: RealYear, params: Params) -> None:
    feeder = load_feeder(params)
    env = planning_envelopes(params)
    inputs, days = basis_inputs("K3", params, year, feeder=feeder, envelopes=env)
    assert inputs.n_hours == 72 and inputs.n_days == 3
    assert inputs.hour_weights.sum() == pytest.approx(24 * 365.0)
    assert np.allclose(inputs.profiles.load_pu[24:48], year.profiles.load_pu[days.days[1] - 1])
    ours, none = basis_inputs("ours", params, year, feeder=feeder, envelopes=env)
    assert none is None and ours.n_hours == 24
    with pytest.raises(ValueError, match="allowed 'ours', 'mean' or 'K<k>'"):
        basis_inputs("median", params, year, feeder=feeder, envelopes=env)


def test_fixed_plans_reproduce_their_own_design(year: RealYear, params: Params) -> None:
    """Re-solving a plan's own planning day with its capacities fixed gives its objective
    again, and the capacities stay as built (Plan 3's batteries too)."""
    feeder = load_feeder(params)
    inputs, _ = basis_inputs(
        "mean", params, year, feeder=feeder, envelopes=planning_envelopes(params)
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        planned = plan_basis(inputs, plans=(2, 3))
    for n, res in planned.items():
        sizes = PlanSizes.of(res, "mean")
        again, feasible = solve_fixed(sizes, inputs)
        assert feasible
        assert again.sop_capacity_kva == pytest.approx(sizes.sop_kva, abs=1e-6)
        assert cost_breakdown(again)["total"] == pytest.approx(sizes.estimate["total"], rel=1e-6)
        if n == 3:
            kwh = [r["energy_kwh"] for r in again.ess_rating.values()]
            assert kwh == pytest.approx(list(sizes.ess_kwh), abs=1e-3)


def test_point_function_rows() -> None:
    name, _ = resolve_function("year_day_costs")
    assert name == "sopev_lib.studies.year:year_day_costs"
    options = {"bases": ["ours"], "plans": [1, 4]}
    rec = execute_point(name, {"day": 100, **OVERRIDES}, options)
    assert rec["status"] == "ok", rec.get("error")
    rows = pd.DataFrame(rec["rows"])
    assert list(rows["plan"]) == [1, 4]
    assert set(rows["basis"]) == {"ours"} and set(rows["day"]) == {100}
    assert np.allclose(rows["total"], rows["C_SI"] + rows["C_OMS"] + rows["operation"])
    assert rows["feasible"].all() and (rows["gap_rel"] < 1e-4).all()
    bad = execute_point(name, {"day": 400}, options)
    assert bad["status"] == "failed" and "1..366" in bad["error"]


def test_config_sizes_and_overrides() -> None:
    full = year_study_config()
    assert full.name == "year_simbench" and full.n_points == 366
    small = year_study_config(size="small")
    assert small.n_points == 4 and small.options["bases"] == ["ours", "mean", "K4"]
    mine = year_study_config(OVERRIDES, ["ours", "K2"], size="small")
    assert mine.name.startswith("year_simbench-") and mine.name.endswith("-small")
    assert mine.options["bases"] == ["ours", "K2"] and mine.base == OVERRIDES
    with pytest.raises(ValueError, match=r"basis .sometimes.: allowed"):
        load_config(
            {
                "name": "x",
                "function": "year_day_costs",
                "axes": {"day": [1]},
                "options": {"bases": ["sometimes"]},
            }
        )


def synthetic_table() -> pd.DataFrame:
    rows = []
    for day in (1, 2):
        for basis, build in (("mean", 10.0), ("K4", 12.0)):
            for plan, op in ((1, 100.0), (4, 80.0 - (1.0 if basis == "K4" else 0.0))):
                rows.append(
                    {
                        "day": day,
                        "basis": basis,
                        "plan": plan,
                        "C_SI": build * (plan > 1),
                        "C_OMS": 0.0,
                        "C_NLC": 1.0,
                        "operation": op + day,
                        "total": build * (plan > 1) + op + day,
                        "estimate": 95.0,
                        "estimate_nlc": 1.0,
                        "estimate_curtailed_kwh": 0.0,
                        "curtailed_kwh": 2.0,
                        "feasible": day == 1 or plan == 4,
                        "v_min_pu": 0.95,
                        "sop_kva": build,
                        "ess_kwh": 0.0,
                        "status": "ok",
                    }
                )
    return pd.DataFrame(rows)


def test_summary_and_value_of_planning() -> None:
    summary = year_summary(synthetic_table())
    row = summary.set_index(["basis", "plan"]).loc[("mean", 4)]
    assert row["true_cost"] == pytest.approx(10.0 + 81.5)
    assert row["error_pct"] == pytest.approx(100 * (95.0 - 91.5) / 91.5)
    assert summary.set_index(["basis", "plan"]).loc[("mean", 1), "infeasible"] == 1
    value = value_of_planning_year(summary)
    assert list(value["plan"]) == [4]
    assert value["saving"].iloc[0] == pytest.approx(91.5 - 92.5)
    assert basis_label("K4") == "K = 4 days" and basis_label("mean") == "mean day"
