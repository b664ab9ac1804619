"""Solve, verify, retry (sopev_lib.verify.solve) and the exactness repair of the cone relaxation
(the linearised upper voltage limit of sopev_lib.core.model.distflow)."""

from __future__ import annotations

import dataclasses

import cvxpy as cp
import numpy as np
import pytest

from sopev_lib.core.economics import cost_breakdown
from sopev_lib.core.inputs import PlanInputs
from sopev_lib.core.model import InfeasiblePlanError
from sopev_lib.core.model.problem import RETRY_OPTIONS, SOLVER_OPTIONS
from sopev_lib.core.plans import solve_plan
from sopev_lib.core.results import PlanResult
from sopev_lib.verify.checks import DEFAULT_GAP_TOL, DEFAULT_VOLTAGE_TOL_PU, verify
from sopev_lib.verify.solve import (
    INEXACT_GAP,
    SolveSettings,
    attempt_ladder,
    solve_stage2_verified,
    solve_verified,
)


@pytest.fixture(scope="module")
def plan4(inputs: PlanInputs) -> PlanResult:
    return solve_plan(4, inputs)


def with_status(result: PlanResult, status: str) -> PlanResult:
    """``result`` as if its solve had ended with ``status``."""
    info = dataclasses.replace(result.solution.info, status=status)
    return dataclasses.replace(result, solution=dataclasses.replace(result.solution, info=info))


# ----- the solver settings --------------------------------------------------------------------
def test_first_solve_runs_without_refinement_and_retries_turn_it_on() -> None:
    assert SOLVER_OPTIONS["iterative_refinement_enable"] is False
    assert "iterative_refinement_enable" not in RETRY_OPTIONS[0][1]  # the cheapest retry first
    assert any(options.get("iterative_refinement_enable") for _, options in RETRY_OPTIONS)
    assert RETRY_OPTIONS[-1][1]["tol_gap_rel"] == 1e-8  # Clarabel's default tolerance last
    ladder = attempt_ladder()
    assert [s.name for s in ladder][1:] == [name for name, _ in RETRY_OPTIONS]
    assert {s.voltage_upper for s in attempt_ladder("linearised")} == {"linearised"}


def test_the_four_plans_verify_at_the_first_attempt(reproduction) -> None:
    for n, extra in reproduction.extra.items():
        solve = extra["solve"]
        assert solve["outcome"] == "verified", n
        assert solve["status"] == cp.OPTIMAL
        assert len(solve["attempts"]) == 1, solve["attempts"]
        assert reproduction.checks[n].passed


# ----- the ladder -----------------------------------------------------------------------------
def test_an_inaccurate_solve_is_retried_with_the_next_settings(plan4: PlanResult) -> None:
    seen: list[str] = []

    def solve(settings: SolveSettings) -> PlanResult:
        seen.append(settings.name)
        status = cp.OPTIMAL_INACCURATE if len(seen) == 1 else cp.OPTIMAL
        return with_status(plan4, status)

    solved = solve_verified(solve, ac=False)
    assert solved.ok and solved.outcome == "verified"
    assert seen == [s.name for s in attempt_ladder()[:2]]
    assert [a.status for a in solved.attempts] == [cp.OPTIMAL_INACCURATE, cp.OPTIMAL]
    assert not solved.attempts[0].passed and "status optimal_inaccurate" in solved.messages()[0]


def test_a_plan_that_never_verifies_is_reported_failed(plan4: PlanResult) -> None:
    solved = solve_verified(lambda s: with_status(plan4, cp.OPTIMAL_INACCURATE), ac=False)
    assert not solved.ok and solved.outcome == "failed"
    assert len(solved.attempts) == len(attempt_ladder())  # every exact rung, no repair
    assert not solved.check.passed
    assert "no attempt verified" in solved.check.messages[-1]
    assert np.isnan(solved.upper_bound) and np.isnan(solved.lower_bound)


def test_a_solver_error_is_retried_but_infeasibility_is_raised(plan4: PlanResult) -> None:
    calls = []

    def flaky(settings: SolveSettings) -> PlanResult:
        calls.append(settings)
        if len(calls) == 1:
            raise InfeasiblePlanError("Plan 4", "solver error (NumericalError)", "not diagnosed")
        return plan4

    solved = solve_verified(flaky, ac=False)
    assert solved.ok and len(solved.attempts) == 2
    assert solved.attempts[0].status.startswith("solver error")

    def infeasible(settings: SolveSettings) -> PlanResult:
        raise InfeasiblePlanError("Plan 4", cp.INFEASIBLE, "the lower voltage limit binds")

    with pytest.raises(InfeasiblePlanError, match="lower voltage limit"):
        solve_verified(infeasible, ac=False)


# ----- the exactness repair -------------------------------------------------------------------
def test_the_relaxed_band_plan_is_not_a_power_flow(plan1_band) -> None:
    first = plan1_band.attempts[0]
    assert first.status == cp.OPTIMAL and first.gap > INEXACT_GAP
    relaxed = verify(plan1_band.relaxed, ac=True)
    assert not relaxed.passed
    assert relaxed.ac_max_voltage_error_pu > DEFAULT_VOLTAGE_TOL_PU


def test_the_repaired_band_plan_passes_verify(plan1_band) -> None:
    assert plan1_band.outcome == "repaired" and plan1_band.repaired
    assert len(plan1_band.attempts) == 2  # no numeric retry for an inexact relaxation
    result = plan1_band.result
    assert result.solution.voltage_upper == "linearised"
    assert result.solution.info.status == cp.OPTIMAL
    check = verify(result, ac=True)
    assert check.passed, check.messages
    assert check.max_relaxation_gap_rel <= DEFAULT_GAP_TOL
    assert check.ac_max_voltage_error_pu <= DEFAULT_VOLTAGE_TOL_PU


def test_the_repaired_plan_costs_at_least_the_relaxed_bound(plan1_band) -> None:
    relaxed_cost = cost_breakdown(plan1_band.relaxed)["total"]
    repaired_cost = cost_breakdown(plan1_band.result)["total"]
    assert plan1_band.lower_bound == pytest.approx(relaxed_cost)
    assert plan1_band.upper_bound == pytest.approx(repaired_cost)
    assert repaired_cost >= relaxed_cost - 1e-6 * relaxed_cost
    assert repaired_cost - relaxed_cost < 1e-3 * relaxed_cost  # the conservatism is cheap here


def test_the_linearised_limit_is_conservative(plan1_band) -> None:
    net = plan1_band.result.solution.network
    v_max = plan1_band.result.inputs.params.network.v_max_pu
    assert np.all(net["v_lin_pu"][1:] <= v_max + 1e-7)
    assert np.all(net["v_pu"] <= net["v_lin_pu"] + 1e-7)  # losses only lower the voltage
    assert net["v_pu"][1:].max() <= v_max + 1e-7


def test_the_linearised_limit_changes_nothing_where_the_limit_is_slack(
    inputs: PlanInputs, plan4: PlanResult
) -> None:
    lin = solve_plan(4, inputs, voltage_upper="linearised")
    assert lin.solution.voltage_upper == "linearised"
    assert cost_breakdown(lin)["total"] >= cost_breakdown(plan4)["total"] - 1e-6
    v = lin.solution.network
    assert np.all(v["v_pu"] <= v["v_lin_pu"] + 1e-7)


def test_stage2_is_verified_through_the_ladder(reproduction) -> None:
    solved = solve_stage2_verified(reproduction.results[2], ac=False)
    assert solved.ok, solved.messages()
    assert solved.result.solution.info.status == cp.OPTIMAL
    assert solved.value.result is solved.result
