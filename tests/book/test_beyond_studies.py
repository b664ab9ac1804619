"""The study functions that chapter 8 shows and checks: timed solves that repeat only where a
median buys accuracy, the scaling study keeping its largest plan, and the solver status and
checks of every solve (sopev_lib.studies.feeders, sopev_lib.studies.multiday)."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from sopev_lib.core.inputs import PlanInputs, prepare_inputs
from sopev_lib.studies.feeders import check_solves, scaling_runs, solve_once, timed_solve
from sopev_lib.studies.multiday import (
    representative_days,
    sample_year,
    study_checks,
    study_table,
    value_of_planning,
)
from sopev_lib.system.params import Params, load_params


@pytest.fixture(scope="module")
def params() -> Params:
    return load_params(overrides={"ev.forecast_days": 5})


@pytest.fixture(scope="module")
def inputs(params: Params) -> PlanInputs:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return prepare_inputs(params)


def test_timed_solve_repeats_only_short_solves(inputs: PlanInputs) -> None:
    row, res = timed_solve(2, inputs, repeats=3)
    assert row["runs"] == 3 and row["status"] in ("optimal", "optimal_inaccurate")
    assert row["objective"] == pytest.approx(res.objective)
    assert row["overhead_ratio"] == pytest.approx(
        (row["build_s"] + row["compile_s"]) / row["solve_s"]
    )
    once, _ = timed_solve(2, inputs, repeats=3, repeat_below_s=0.0)  # every solve is "long"
    assert once["runs"] == 1
    with pytest.raises(ValueError, match="repeats"):
        timed_solve(2, inputs, repeats=0)


def test_scaling_runs_keep_the_largest_plan(params: Params) -> None:
    study = scaling_runs((1,), repeats=2, repeat_below_s=math.inf, base=params)
    table = study.table
    assert list(table["buses"]) == [33] and list(table["runs"]) == [2]
    assert {"status", "runs", "end_to_end_cpu_s", "objective"} <= set(table.columns)
    assert study.largest.inputs.feeder.n_bus == 33
    assert study.largest.objective == pytest.approx(table["objective"].iloc[-1])
    with pytest.raises(ValueError, match="at least one size"):
        scaling_runs((), base=params)


def test_check_solves_reports_status_and_checks(inputs: PlanInputs) -> None:
    res = solve_once(4, inputs)
    table, checks = check_solves({"Plan 4": res}, ac=False)
    assert list(table.columns) == [
        "solve",
        "status",
        "iterations",
        "gap_rel",
        "ac_error_pu",
        "verified",
        "messages",
    ]
    row = table.iloc[0]
    assert row["status"] == res.solution.info.status
    assert row["gap_rel"] == checks["Plan 4"].max_relaxation_gap_rel
    assert np.isnan(row["ac_error_pu"])  # no AC power flow asked for
    assert row["verified"] == checks["Plan 4"].passed


def test_study_checks_cover_both_k_day_solves(params: Params, inputs: PlanInputs) -> None:
    year = sample_year(params, n_days=12, seed=5)
    days = representative_days(year, 2, days_per_year=365.0)
    single = solve_once(4, inputs)
    study = value_of_planning(params, days, single=single)
    assert list(study.solves()) == [
        "single-day plan",
        "K-day plan",
        "single-day sizes on the K days",
    ]
    checks = study_checks([study])
    assert list(checks["K"]) == [2, 2]
    assert list(checks["solve"]) == ["K-day plan", "single-day sizes on the K days"]
    summary = study_table([study]).iloc[0]
    assert summary["multi_status"] == checks["status"].iloc[0]
    assert summary["single_on_days_status"] == checks["status"].iloc[1]
    assert summary["iterations"] == study.multi.solution.info.iterations
