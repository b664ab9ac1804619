"""Flexibility indices (Eqs. 18-21), the second stage of Section 4.2 and their reporting."""

from __future__ import annotations

import json

import cvxpy as cp
import numpy as np
import pytest

from sopev_lib.cli import main
from sopev_lib.core.flexibility import (
    INDEX_KEYS,
    branch_loading,
    check_ampacity,
    check_epsilon,
    coverage,
    flexibility_indices,
    flexibility_supply,
    grid_flexibility,
    i_bf,
    i_f_printed,
    i_f_terms,
    net_load_kw,
    ramps_kw,
    storage_flexibility,
)
from sopev_lib.core.inputs import prepare_inputs
from sopev_lib.core.model import InfeasiblePlanError
from sopev_lib.core.plans import ModelCache, build_model, solve_plan
from sopev_lib.core.stage2 import COST_RTOL, Stage2Model, solve_stage2
from sopev_lib.reproduction.paper import load_paper_results, table6_comparison, write_results
from sopev_lib.system.params import load_params
from sopev_lib.verify.checks import verify

# ----- a three-hour case computed by hand -----------------------------------------------------
# One storage unit (eta_ch 0.9, eta_dis 0.8 -> k = max(0.9, 1/0.8) = 1.25), net range [-20, 30] kW,
# energy band [10, 100] kWh; grid limits [0, 250] kW; net load 100, 300, 200 kW (cyclic ramps
# +200, -100, -100).
P_CH = np.array([[10.0, 0.0, 0.0]])
P_DIS = np.array([[0.0, 0.0, 5.0]])
S = np.array([[50.0, 95.0, 12.0]])
P_GRID = np.array([100.0, 200.0, 50.0])
NET_LOAD = np.array([100.0, 300.0, 200.0])


def hand_supply() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    up, down = storage_flexibility(
        P_CH,
        P_DIS,
        S,
        n_min_kw=-20.0,
        n_max_kw=30.0,
        s_min_kwh=10.0,
        s_max_kwh=100.0,
        eta_ch=0.9,
        eta_dis=0.8,
    )
    g_up, g_down = grid_flexibility(P_GRID, 0.0, 250.0)
    return up[0], down[0], g_up, g_down


def test_storage_and_grid_flexibility_by_hand() -> None:
    up, down, g_up, g_down = hand_supply()
    # hour 0: net 10 -> up min(10 + 20, (50 - 10)/1.25 = 32) = 30, down min(30 - 10, 50/1.25) = 20
    # hour 1: net 0  -> up min(20, 85/1.25 = 68) = 20, down min(30, 5/1.25 = 4) = 4
    # hour 2: net -5 -> up min(15, 2/1.25 = 1.6) = 1.6, down min(35, 88/1.25 = 70.4) = 35
    np.testing.assert_allclose(up, [30.0, 20.0, 1.6])
    np.testing.assert_allclose(down, [20.0, 4.0, 35.0])
    np.testing.assert_allclose(g_up, [150.0, 50.0, 200.0])
    np.testing.assert_allclose(g_down, [100.0, 200.0, 50.0])


def test_indices_by_hand() -> None:
    up, down, g_up, g_down = hand_supply()
    f_up, f_down = up + g_up, down + g_down  # [180, 70, 201.6], [120, 204, 85]
    ramps = ramps_kw(NET_LOAD)
    np.testing.assert_allclose(ramps, [200.0, -100.0, -100.0])
    # Eq. (18): 60/(3*200) + (-134)/(3*-100) + 116.6/(3*-100) = 0.1 + 0.44667 - 0.38867
    np.testing.assert_allclose(i_f_terms(f_up, f_down, ramps, 1.0), [0.1, 134 / 300, -116.6 / 300])
    assert i_f_printed(f_up, f_down, ramps, 1.0) == pytest.approx(0.158)
    # coverage: min(180, 200) + min(204, 100) + min(85, 100) = 365 of 400
    assert coverage(f_up, f_down, ramps) == pytest.approx(365 / 400)
    # local only: min(30, 200) + min(4, 100) + min(35, 100) = 69 of 400
    assert coverage(up, down, ramps) == pytest.approx(69 / 400)
    # Eq. (20): currents / 200 A -> [[0.5, 1, 0], [0.25, 0.25, 0.25]], mean 2.25 / 6
    current = np.array([[100.0, 200.0, 0.0], [50.0, 50.0, 50.0]])
    assert i_bf(current, 200.0) == pytest.approx(0.375)
    assert i_bf(current, [200.0, 100.0]) == pytest.approx((1.5 + 1.5) / 6)
    assert coverage(up, down, np.zeros(3)) == 1.0  # a flat net load needs nothing


def test_guarded_eq18_never_divides_by_zero() -> None:
    rng = np.random.default_rng(7)
    ramps = rng.normal(0, 100, 500)
    ramps[::3] = 0.0
    ramps[1::7] = 1e-12
    f_up, f_down = rng.uniform(0, 1e4, 500), rng.uniform(0, 1e4, 500)
    with np.errstate(all="raise"):
        terms = i_f_terms(f_up, f_down, ramps, 1.0)
        value = i_f_printed(f_up, f_down, ramps, 1.0)
    assert np.all(np.isfinite(terms)) and np.isfinite(value)
    assert np.all(terms[np.abs(ramps) < 1.0] == 0.0)
    # a near-zero ramp just above the guard dominates: the defect the chapter shows
    assert i_f_printed([1e3], [0.0], [1.5], 1.0) > 100 * i_f_printed([1e3], [0.0], [500.0], 1.0)
    with pytest.raises(ValueError, match="ramp_tol_kw"):
        i_f_terms(f_up, f_down, ramps, 0.0)


def test_bad_ampacity_epsilon_and_guard_raise() -> None:
    for bad in (0.0, -400.0, np.nan, np.inf):
        with pytest.raises(ValueError, match=r"flexibility\.branch_ampacity_a .*\(0, inf\)"):
            check_ampacity(bad)
    with pytest.raises(ValueError, match="one per"):
        check_ampacity(np.full(5, 400.0), n_branch=32)
    with pytest.raises(ValueError, match="branch_ampacity_a"):
        branch_loading(np.ones((2, 3)), 0.0)
    for bad in (-0.1, 1.5, np.nan, "0.1"):
        with pytest.raises(ValueError, match=r"flexibility\.epsilon .*\[0, 1\]"):
            check_epsilon(bad)
    with pytest.raises(ValueError, match=r"flexibility\.branch_ampacity_a = 0 .*\(0, inf\)"):
        load_params(overrides={"flexibility.branch_ampacity_a": 0})
    with pytest.raises(ValueError, match=r"flexibility\.epsilon = 2 .*\[0, 1\]"):
        load_params(overrides={"flexibility.epsilon": 2})
    with pytest.raises(ValueError, match=r"flexibility\.ramp_tol_kw"):
        load_params(overrides={"flexibility.ramp_tol_kw": 0.0})


def test_ibf_zero_without_flow_and_rising_with_load(params, inputs) -> None:
    """Plan 1 on the study feeder with no EVs and no DG: I_BF is 0 without load, then grows."""
    assert i_bf(np.zeros((32, 24)), 400.0) == 0.0
    cache = ModelCache()
    values = []
    for scale in (0.0, 0.5, 1.0):
        p = params.replace(
            **{"profiles.load_scale": scale, "profiles.pv_scale": 0.0, "profiles.wind_scale": 0.0}
        )
        inp = prepare_inputs(p, feeder=inputs.feeder, envelopes=())
        values.append(flexibility_indices(solve_plan(1, inp, cache=cache)).I_BF)
    assert values[0] < 1e-5
    assert values[0] < values[1] < values[2]


def test_indices_of_the_four_plans(reproduction) -> None:
    ix = reproduction.flexibility
    assert set(ix) == {1, 2, 3, 4}
    for n, r in reproduction.results.items():
        sup = flexibility_supply(r)
        assert set(sup.up_kw) == {"grid"} | ({"stations"} if n == 4 else set()) | (
            {"ess"} if n == 3 else set()
        )
        assert np.all(sup.f_up >= 0) and np.all(sup.f_down >= 0)
        assert 0.0 <= ix[n].I_F_cov_local <= ix[n].I_F_cov <= 1.0
        assert ix[n].F == pytest.approx(ix[n].I_F - ix[n].I_BF)
        assert ix[n].I_BF == pytest.approx(i_bf(r.solution.network["i_a"], 400.0))
        assert set(INDEX_KEYS) <= set(reproduction.extra[n])
    # no local flexibility without storage; the stations of Plan 4 cover the most
    assert ix[1].I_F_cov_local == ix[2].I_F_cov_local == 0.0
    assert ix[4].I_F_cov_local > ix[3].I_F_cov_local > 0.0
    # the net load is the same for every plan
    np.testing.assert_array_equal(
        net_load_kw(reproduction.results[1].inputs), net_load_kw(reproduction.results[4].inputs)
    )
    # I_BF scales as 1 / ampacity
    r = reproduction.results[2]
    assert flexibility_indices(r, ampacity_a=200.0).I_BF == pytest.approx(2 * ix[2].I_BF)


def test_table6_comparison(reproduction) -> None:
    paper = load_paper_results()
    t6 = table6_comparison(reproduction.flexibility, paper)
    assert list(t6.index) == ["Plan 1", "Plan 2", "Plan 3", "Plan 4"]
    assert t6.loc["Plan 4", "I_F paper"] == paper["table6"]["plans"][4]["I_F"]
    assert t6.loc["Plan 1", "I_BF ours"] == pytest.approx(reproduction.flexibility[1].I_BF)


@pytest.mark.parametrize("plan", [3, 4])
def test_stage2_bounds_cost_and_never_lowers_f(reproduction, plan) -> None:
    stage1 = reproduction.results[plan]
    model = Stage2Model(stage1)
    # the concave expression of the objective equals the index computed after the solve
    for eps in (0.0, 0.01):
        s2 = model.solve(eps)
        # the bound of the model, to the solver's feasibility tolerance (1e-10)
        bound = (1.0 + eps + COST_RTOL) * s2.stage1_cost
        assert s2.cost <= bound * (1 + 1e-9)
        assert s2.indices.F_loc >= s2.indices_stage1.F_loc - 1e-9
        assert s2.result.sop_capacity_kva == pytest.approx(stage1.sop_capacity_kva, rel=1e-6)
        if not s2.fallback:
            assert float(model.coverage_local.value) == pytest.approx(
                s2.indices.I_F_cov_local, abs=1e-6
            )
        check = verify(s2.result, ac=False)
        assert check.passed, check.messages
    if plan == 4:  # a 1 % budget buys the stations more coverage of the ramps
        assert s2.indices.I_F_cov_local > s2.indices_stage1.I_F_cov_local + 0.01
    if plan == 3:  # the battery ratings stay at their stage-1 values
        np.testing.assert_allclose(
            s2.result.device("ess")["energy_rating_kwh"],
            stage1.device("ess")["energy_rating_kwh"],
            atol=1e-3,
        )
    with pytest.raises(ValueError, match=r"flexibility\.epsilon"):
        model.solve(1.5)


def test_stage2_arguments(reproduction) -> None:
    r = reproduction.results[1]
    with pytest.raises(ValueError, match="surrogate"):
        solve_stage2(r, surrogate="sqrt")
    with pytest.raises(ValueError, match="branch_ampacity_a"):
        Stage2Model(r, ampacity_a=-1.0)
    with pytest.raises(ValueError, match="stage2_cost_weight"):
        Stage2Model(r, cost_weight=2.0)


def test_solve_with_matches_solve_and_leaves_it_alone(inputs) -> None:
    model = build_model(1, inputs)
    base = model.solve()
    total = sum(model.cost_terms.values())
    again = model.solve_with(cp.Minimize(total))
    assert again.info.objective == pytest.approx(base.info.objective, rel=1e-7)
    dg = model.devices["dg"]
    capped = model.solve_with(cp.Minimize(total), [dg.p <= 0.5 * dg.avail])
    used = capped.devices["dg"]["p_kw"]
    assert np.all(used <= 0.5 * capped.devices["dg"]["available_kw"] + 1e-3)
    assert capped.info.objective > base.info.objective  # less DG, more purchase
    assert model.solve().info.objective == pytest.approx(base.info.objective, rel=1e-9)
    with pytest.raises(InfeasiblePlanError, match="solve_with"):
        model.solve_with(cp.Minimize(total), [model.devices["substation"].P <= -1.0])


def test_cli_prints_table6_and_writes_indices(tmp_path, capsys, reproduction) -> None:
    code = main(["reproduce", "--out", str(tmp_path), "--plans", "1", "--no-ac"])
    out = capsys.readouterr().out
    assert code == 0
    assert "Table 6" in out and "Stage 2" in out and "Plan 1 stage 2" in out
    plan1 = json.loads((tmp_path / "summary.json").read_text())["plans"]["plan1"]
    for key in ("I_F", "I_F_cov", "I_F_cov_local", "I_BF", "F"):
        assert isinstance(plan1[key], float)
    assert plan1["I_F"] == pytest.approx(reproduction.flexibility[1].I_F, rel=1e-6)
    stage2 = plan1["stage2"]
    assert stage2["cost"] <= stage2["cost_1"] * (1 + 0.01 + COST_RTOL) * (1 + 1e-9)
    assert stage2["checks"]["passed"]
    assert plan1["paper"]["table6"]["I_F"] == load_paper_results()["table6"]["plans"][1]["I_F"]
    # write_results without extra keeps working
    path = write_results({4: reproduction.results[4]}, tmp_path / "bare")
    assert "I_F" not in json.loads(path.read_text())["plans"]["plan4"]
