"""The K-day plan solved day by day at fixed SOP capacities (sopev_lib.studies.multiday):
the same optimum as one K-day SOCP, each day's cone as tight as a single-day plan's."""

from __future__ import annotations

import numpy as np
import pytest

from sopev_lib.core.economics import cost_breakdown
from sopev_lib.core.inputs import PlanInputs
from sopev_lib.studies.feeders import is_verified, solve_once
from sopev_lib.studies.multiday import (
    day_inputs,
    multiday_inputs,
    plan_by_day,
    plan_multiday,
    representative_days,
    sample_year,
)
from sopev_lib.system.params import Params


@pytest.fixture(scope="module")
def three_days(params: Params) -> PlanInputs:
    year = sample_year(params, n_days=12, seed=5)
    days = representative_days(year, 3, days_per_year=params.economics.days_per_year)
    return multiday_inputs(params, days)


@pytest.fixture(scope="module")
def sop_kva(inputs: PlanInputs) -> dict[str, float]:
    return solve_once(4, inputs).sop_capacity_kva


def test_day_inputs_are_the_days_hours(three_days: PlanInputs) -> None:
    day = day_inputs(three_days, 1)
    assert day.n_hours == 24 and day.n_days == 1
    hours = slice(24, 48)
    np.testing.assert_array_equal(day.profiles.load_pu, three_days.profiles.load_pu[hours])
    np.testing.assert_array_equal(day.profiles.pv_pu, three_days.profiles.pv_pu[hours])
    for one, all_days in zip(day.envelopes, three_days.envelopes, strict=True):
        np.testing.assert_array_equal(one.s_max_kwh, all_days.s_max_kwh[hours])
    with pytest.raises(ValueError, match="allowed range"):
        day_inputs(three_days, 3)


def test_by_day_is_the_k_day_optimum(three_days: PlanInputs, sop_kva) -> None:
    by_day = plan_by_day(4, three_days, sop_kva)
    one = solve_once(4, three_days, fixed_sop_kva=sop_kva)  # one SOCP of 72 hours
    assert by_day.n_hours == 72
    assert by_day.device("stations")["p_ch_kw"].shape == (4, 72)
    assert by_day.solution.network["v_pu"].shape == (three_days.feeder.n_bus, 72)
    assert by_day.sop_capacity_kva == pytest.approx(sop_kva)
    assert by_day.objective == pytest.approx(one.objective, rel=1e-7)
    assert by_day.objective == pytest.approx(cost_breakdown(by_day)["total"], rel=1e-9)
    assert by_day.checks["outcome"] == "verified" and by_day.checks["by_day"]
    assert by_day.solution.info.status == "optimal"


def test_k_day_plan_keeps_the_k_day_socp_info(three_days: PlanInputs) -> None:
    result = plan_multiday(4, three_days)
    assert is_verified(result)
    info = result.solution.info
    assert info.status == "optimal"
    assert info.objective == pytest.approx(cost_breakdown(result)["total"], rel=1e-9)
    assert info.n_variables > result.checks["by_day_info"]["n_variables"] / 3  # one SOCP


def test_plan3_does_not_separate(three_days: PlanInputs) -> None:
    with pytest.raises(ValueError, match="not separable"):
        plan_by_day(3, three_days, {})
