"""Tests of the tests: a corrupted solution fails ``verify()`` on the check meant to catch it.

Each corruption is small enough that a loosened tolerance lets it through: set
``DEFAULT_VOLTAGE_TOL_PU`` or ``DEFAULT_GAP_TOL`` of ``sopev_lib.verify.checks`` to 1.0 and a
test here fails. An AC power flow that does not converge is a failed check, never an exception.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from sopev_lib.core.ev.envelopes import planning_envelopes, station_envelopes
from sopev_lib.core.ev.fleet import sample_fleet
from sopev_lib.core.results import PlanResult
from sopev_lib.reproduction.pipeline import Reproduction, run_reproduction
from sopev_lib.system.params import load_params
from sopev_lib.verify.checks import require_feasible_uncontrolled, verify


def corrupted(
    result: PlanResult,
    network: dict[str, np.ndarray] | None = None,
    devices: dict[str, dict[str, np.ndarray]] | None = None,
) -> PlanResult:
    """``result`` with some network arrays or device arrays replaced."""
    sol = result.solution
    new_devices = {k: dict(v) for k, v in sol.devices.items()}
    for name, arrays in (devices or {}).items():
        new_devices[name].update(arrays)
    solution = replace(sol, network={**sol.network, **(network or {})}, devices=new_devices)
    return PlanResult(spec=result.spec, inputs=result.inputs, solution=solution)


def ac_messages(check) -> list[str]:
    return [m for m in check.messages if "AC power flow" in m]


def gap_messages(check) -> list[str]:
    return [m for m in check.messages if "relaxation gap" in m]


@pytest.mark.parametrize("plan", [1, 2, 3, 4])
def test_the_solved_plans_pass(reproduction: Reproduction, plan: int) -> None:
    check = reproduction.checks[plan]
    assert check.passed, check.messages
    assert check.ac_converged and check.ac_max_voltage_error_pu < 1e-6


def test_voltages_shifted_by_a_thousandth_fail_the_ac_check(reproduction: Reproduction) -> None:
    plan = reproduction.results[2]
    shifted = plan.solution.network["v_pu"] + 1e-3  # v_sq_pu untouched: the cone stays exact
    check = verify(corrupted(plan, network={"v_pu": shifted}))
    assert not check.passed
    assert ac_messages(check), check.messages
    assert not gap_messages(check)
    assert check.ac_max_voltage_error_pu == pytest.approx(1e-3, rel=1e-3)


def test_sop_reactive_power_of_the_wrong_sign_fails_the_ac_check(
    reproduction: Reproduction,
) -> None:
    plan = reproduction.results[2]
    sop = plan.device("sop")
    assert np.abs(sop["q_a_kvar"]).max() > 100.0  # the SOPs do supply reactive power
    flipped = {"q_a_kvar": -sop["q_a_kvar"], "q_b_kvar": -sop["q_b_kvar"]}
    check = verify(corrupted(plan, devices={"sop": flipped}))
    assert not check.passed
    assert ac_messages(check), check.messages
    assert check.ac_max_voltage_error_pu > 1e-3


def test_a_non_converging_ac_power_flow_is_a_failed_check(reproduction: Reproduction) -> None:
    plan = reproduction.results[1]
    load = plan.device("load")
    huge = {"p_kw": load["p_kw"] * 200.0, "q_kvar": load["q_kvar"] * 200.0}
    check = verify(corrupted(plan, devices={"load": huge}))  # no exception
    assert not check.passed
    assert not check.ac_converged
    assert any("did not converge at hour(s)" in m for m in check.messages), check.messages


def test_a_solution_that_is_not_a_number_fails(reproduction: Reproduction) -> None:
    plan = reproduction.results[1]
    p = plan.solution.network["p_kw"].copy()
    p[3, 5] = np.nan
    check = verify(corrupted(plan, network={"p_kw": p}), ac=False)
    assert not check.passed
    assert any("not a number" in m for m in check.messages), check.messages


NARROW = {"network.v_min_pu": 0.95, "network.v_max_pu": 1.05}


@pytest.fixture(scope="module")
def narrow_band() -> Reproduction:
    """Plans 1 and 2 with the voltage band 0.95-1.05 p.u.: Plan 1's relaxation is inexact. The
    exactness repair (``sopev_lib.verify.solve``) is switched off to keep the failure."""
    import sopev_lib.verify.solve as solve

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(solve, "INEXACT_GAP", float("inf"))
        return run_reproduction(load_params(overrides=NARROW), plans=(1, 2), ac_check=True)


def test_the_narrow_band_is_verified_with_the_exactness_repair() -> None:
    rep = run_reproduction(load_params(overrides=NARROW), plans=(1, 2), ac_check=True)
    assert rep.verified == {1: True, 2: True}
    assert rep.extra[1]["solve"]["outcome"] == "repaired"
    assert rep.results[1].solution.voltage_upper == "linearised"
    assert rep.savings()["benefit"].notna().all()


def test_the_inexact_plan_1_of_the_narrow_band_fails_the_cone_gap(narrow_band) -> None:
    check = narrow_band.checks[1]
    assert not check.passed
    assert gap_messages(check), check.messages
    assert "branch 21-22 at hour 13" in gap_messages(check)[0]
    assert 0.5 < check.max_relaxation_gap_rel < 1.0
    assert narrow_band.checks[2].passed, narrow_band.checks[2].messages


def test_the_narrow_band_is_flagged_in_every_table(narrow_band) -> None:
    assert narrow_band.verified == {1: False, 2: True}
    assert not narrow_band.all_verified
    t4 = narrow_band.table4()
    assert t4["verified"].tolist() == [False, True]
    # the baseline is unverified: no saving is reported against it
    assert t4["benefit ours"].isna().all() and t4["benefit ours (%)"].isna().all()
    assert narrow_band.savings()[["benefit", "benefit_pct"]].isna().all().all()
    t5 = narrow_band.table5()
    assert not t5.loc[t5["plan"] == "Plan 1", "verified"].any()
    assert t5.loc[t5["plan"] == "Plan 2", "verified"].all()
    assert narrow_band.table6()["verified"].tolist() == [False, True]


def test_savings_are_reported_between_verified_plans(reproduction: Reproduction) -> None:
    sav = reproduction.savings()
    assert sav["verified"].all()
    assert sav.loc["Plan 4", "benefit"] > 0
    assert reproduction.table4()["benefit ours"].notna().all()


def test_uncontrolled_charging_beyond_the_station_limit_names_station_and_limit() -> None:
    params = load_params(overrides={"ev.forecast_days": 5})
    fine = station_envelopes(sample_fleet(params, 2))
    assert require_feasible_uncontrolled(fine) is fine
    crowded = station_envelopes(sample_fleet(params, 2, count_scale=50.0))
    with pytest.raises(ValueError, match=r"station \d \(bus \d+\).*ev\.station_power_limit_kw"):
        require_feasible_uncontrolled(crowded)
    with pytest.raises(ValueError, match=r"station 1 \(bus 2\): its uncontrolled charging"):
        require_feasible_uncontrolled(planning_envelopes(params, count_scale=50.0)[0])
