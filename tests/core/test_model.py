"""The DistFlow SOCP model: closed-form cases, DPP re-solves, errors, and the paper's Eqs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sopev_lib.core.inputs import prepare_inputs
from sopev_lib.core.model import (
    BusLoad,
    CurtailableDG,
    EnvelopeStorage,
    InfeasiblePlanError,
    PlanningModel,
    ProfileLoad,
    SizedStorage,
    SoftOpenPoints,
    Substation,
)
from sopev_lib.core.model.costs import (
    annuity_factor,
    ess_annual_cost_per_kwh,
    sop_annual_investment_per_kva,
)
from sopev_lib.core.plans import (
    PLANS,
    ModelCache,
    build_model,
    plan_devices,
    planning_model,
    solve_plan,
)
from sopev_lib.system.feeder import Feeder
from sopev_lib.system.params import load_params


def two_bus_feeder(r_ohm: float = 2.0, x_ohm: float = 1.5) -> Feeder:
    buses = pd.DataFrame({"bus": [1, 2], "p_kw": [0.0, 800.0], "q_kvar": [0.0, 300.0]})
    branches = pd.DataFrame(
        {"from_bus": [1], "to_bus": [2], "r_ohm": [r_ohm], "x_ohm": [x_ohm], "in_service": [1]}
    )
    return Feeder.from_tables(buses, branches, base_kv=12.66, base_kva=1000.0, name="two-bus")


def test_two_bus_matches_closed_form() -> None:
    """One branch feeding one load: the branch-flow equations have a closed-form solution."""
    feeder = two_bus_feeder()
    tariff = np.array([0.5, 0.3])
    loss_price = np.array([0.2, 0.1])
    mult = np.array([1.0, 0.5])
    model = PlanningModel(
        "two-bus",
        feeder,
        [
            Substation(tariff, p_min_kw=-1e4, p_max_kw=1e4, q_min_kvar=-1e4, q_max_kvar=1e4),
            ProfileLoad("load", feeder.p_load_kw, feeder.q_load_kvar, mult),
        ],
        n_hours=2,
        v_min_pu=0.8,
        v_max_pu=1.2,
        v_substation_pu=1.0,
        loss_price_rmb_per_kwh=loss_price,
        days_per_year=365.0,
    )
    sol = model.solve()
    r, x = feeder.r_pu[0], feeder.x_pu[0]
    p = 0.8 * mult
    q = 0.3 * mult
    # l = ((p + r l)^2 + (q + x l)^2) / 1: smaller root of the quadratic
    a = r**2 + x**2
    b = 2 * r * p + 2 * x * q - 1.0
    c = p**2 + q**2
    l_exact = (-b - np.sqrt(b**2 - 4 * a * c)) / (2 * a)
    p_sub = p + r * l_exact
    q_sub = q + x * l_exact
    v2 = 1.0 - 2 * (r * p_sub + x * q_sub) + a * l_exact
    np.testing.assert_allclose(sol.network["l_pu"][0], l_exact, rtol=1e-6)
    np.testing.assert_allclose(sol.network["v_sq_pu"][1], v2, rtol=1e-8)
    np.testing.assert_allclose(sol.devices["substation"]["p_kw"], p_sub * 1000, rtol=1e-7)
    np.testing.assert_allclose(sol.devices["substation"]["q_kvar"], q_sub * 1000, rtol=1e-6)
    expected_pc = 365 * np.sum(tariff * p_sub * 1000) / 1e4
    expected_nlc = 365 * np.sum(loss_price * r * l_exact * 1000) / 1e4
    assert sol.costs["C_PC"] == pytest.approx(expected_pc, rel=1e-7)
    assert sol.costs["C_NLC"] == pytest.approx(expected_nlc, rel=1e-5)
    assert sol.info.objective == pytest.approx(expected_pc + expected_nlc, rel=1e-7)


def test_annuity_factor() -> None:
    assert annuity_factor("straight_line", 0.08, 20) == pytest.approx(0.05)
    # textbook capital recovery factor at 8 % over 20 years
    assert annuity_factor("crf", 0.08, 20) == pytest.approx(0.1018522, rel=1e-6)
    with pytest.raises(ValueError, match="annualisation"):
        annuity_factor("linear", 0.08, 20)


def test_dpp_resolve_equals_fresh_build(inputs) -> None:
    """Changing Parameters and re-solving gives the fresh model's answer (Plan 4)."""
    cache = ModelCache()
    solve_plan(4, inputs, cache=cache)
    params = inputs.params.replace(
        **{"tariff.peak_rmb_per_kwh": 0.9, "profiles.load_scale": 0.9, "network.v_min_pu": 0.94}
    )
    changed = prepare_inputs(params, feeder=inputs.feeder, envelopes=inputs.envelopes)
    again = solve_plan(4, changed, cache=cache)
    assert len(cache.models) == 1, "the cached model was rebuilt instead of re-solved"
    fresh = solve_plan(4, changed)
    assert again.objective == pytest.approx(fresh.objective, rel=1e-7)
    np.testing.assert_allclose(
        again.solution.network["v_pu"], fresh.solution.network["v_pu"], atol=1e-6
    )
    assert again.solution.info.build_time_s == 0.0


def test_infeasible_limits_name_plan_status_and_cause(inputs) -> None:
    params = inputs.params.replace(
        **{"network.v_min_pu": 0.99, "network.v_max_pu": 1.01, "network.v_substation_pu": 1.0}
    )
    tight = prepare_inputs(params, feeder=inputs.feeder, envelopes=inputs.envelopes)
    with pytest.raises(InfeasiblePlanError) as err:
        solve_plan(1, tight)
    msg = str(err.value)
    assert "Plan 1" in msg
    assert "infeasible" in msg
    assert "lower voltage limit 0.990" in msg
    assert "bus" in msg and "hours" in msg


def test_unknown_tie_and_negative_price_raise() -> None:
    with pytest.raises(ValueError, match="sop_sites"):
        load_params(overrides={"network.sop_sites": ["1-2"]})
    with pytest.raises(ValueError, match=r"tariff.peak_rmb_per_kwh = -0.1"):
        load_params(overrides={"tariff.peak_rmb_per_kwh": -0.1})
    with pytest.raises(ValueError, match="unknown tie line"):
        two_bus_feeder().tie("12-22")


def test_sop_equations_hold_hourly(reproduction) -> None:
    """Eqs. (7)-(10) in the results of every SOP plan, hour by hour."""
    for n in (2, 3, 4):
        result = reproduction.results[n]
        a = result.inputs.params.sop.loss_coefficient
        sops = result.sops()
        cap = result.sop_capacity_kva
        # Eq. (7): P_a + P_b = P_loss (withdrawal convention)
        np.testing.assert_allclose(sops.p_a_kw + sops.p_b_kw, sops.loss_kw, atol=1e-6)
        # Eq. (8): P_loss = A (|P_a| + |P_b|), tight at the optimum
        np.testing.assert_allclose(
            sops.loss_kw, a * (sops.p_a_kw.abs() + sops.p_b_kw.abs()), atol=1e-3
        )
        # Eqs. (9)-(10): each converter within the SOP capacity
        s_cap = sops.tie.map(cap)
        assert np.all(np.hypot(sops.p_a_kw, sops.q_a_kvar) <= s_cap + 1e-3)
        assert np.all(np.hypot(sops.p_b_kw, sops.q_b_kvar) <= s_cap + 1e-3)
        assert sops.groupby("hour").size().eq(3).all()


def test_storage_dynamics_eq1(reproduction) -> None:
    """Eq. (1): S_t = S_{t-1} + dS_t + eta_ch p_ch - p_dis / eta_dis, cyclic, within bounds."""
    result = reproduction.results[4]
    dev = result.device("stations")
    for k, env in enumerate(result.inputs.envelopes):
        s = dev["energy_kwh"][k]
        rhs = (
            np.roll(s, 1)
            + env.delta_s_kwh
            + env.eta_ch * dev["p_ch_kw"][k]
            - dev["p_dis_kw"][k] / env.eta_dis
        )
        np.testing.assert_allclose(s, rhs, atol=1e-5)
        assert np.all(s >= env.s_min_kwh - 1e-5) and np.all(s <= env.s_max_kwh + 1e-5)
        assert np.all(dev["p_ch_kw"][k] <= env.p_ch_max_kw + 1e-5)
        assert np.all(dev["p_dis_kw"][k] <= env.p_dis_max_kw + 1e-5)


def test_network_balance_and_losses(reproduction) -> None:
    """Energy balance: purchase + DG = load + charging + SOP and branch losses, every hour."""
    for result in reproduction.results.values():
        withdrawal = result.bus_array("p_withdrawal_kw").sum(axis=0)
        sub = result.device("substation")["p_kw"]
        loss = result.solution.network["loss_kw"].sum(axis=0)
        np.testing.assert_allclose(sub, withdrawal + loss, atol=1e-5)


def test_plan_structure_and_bad_plan(inputs) -> None:
    devices = {n: set(build_model(n, inputs).devices) for n in (1, 2, 3, 4)}
    assert "sop" not in devices[1] and "sop" in devices[2]
    assert "ess" in devices[3] and "stations" in devices[4]
    assert "ev_uncontrolled" in devices[1] and "ev_uncontrolled" not in devices[4]
    with pytest.raises(ValueError, match="allowed plans"):
        build_model(5, inputs)


def test_fixed_sop_capacity(inputs) -> None:
    fixed = {"12-22": 100.0, "25-29": 0.0, "8-21": 250.0}
    result = solve_plan(2, inputs, fixed_sop_kva=fixed)
    for site, kva in fixed.items():
        assert result.sop_capacity_kva[site] == pytest.approx(kva, abs=1e-4)
    with pytest.raises(ValueError, match="not SOP sites"):
        solve_plan(2, inputs, fixed_sop_kva={"9-15": 10.0})


def test_violation_ranges_are_compact() -> None:
    from sopev_lib.system.text import listing, ranges

    assert ranges([12, 3, 4, 5, 9, 11]) == "3-5, 9, 11-12"
    assert ranges([7]) == "7"
    assert ranges([]) == "none"
    assert listing([2, 19, 23]) == "2, 19 and 23"
    assert listing(["a"]) == "a"
    assert listing([]) == "none"


def test_device_constructors_read_the_parameters(inputs) -> None:
    """Each device's one-line constructor takes its data from the parameters and profiles."""
    p, f, pr = inputs.params, inputs.feeder, inputs.profiles
    sub = Substation.from_params(p, pr)
    net = p.network
    assert sub.limits_kw == (
        net.substation_p_min_kw,
        net.substation_p_max_kw,
        net.substation_q_min_kvar,
        net.substation_q_max_kvar,
    )
    load = ProfileLoad.from_feeder(f, pr)
    np.testing.assert_array_equal(load.p_nominal_kw, f.p_load_kw)
    np.testing.assert_array_equal(load.q_nominal_kvar, f.q_load_kvar)
    dg = CurtailableDG.from_params(p, f, pr)
    np.testing.assert_array_equal(dg.available_kw, inputs.dg_available_kw)
    np.testing.assert_array_equal(dg.bus_index, inputs.dg_bus_index)
    assert dg.labels == inputs.dg_labels and dg.curtailable == p.dg.curtailable
    ev = BusLoad.uncontrolled_ev(f, inputs.envelopes)
    np.testing.assert_array_equal(ev.bus_index, f.indices_of(inputs.station_buses))
    ess = SizedStorage.at_buses(f, inputs.station_buses, p)
    assert ess.labels == [f"ESS {b}" for b in inputs.station_buses]
    assert ess.annual_cost_per_kwh == ess_annual_cost_per_kwh(p)
    assert ess.max_energy_kwh == p.ess.max_energy_kwh


def test_sops_at_ties(inputs) -> None:
    """SOPs at named tie lines: ends, Table 1 data, Eqs. (12)-(13) coefficients, fixed sizes."""
    p, f = inputs.params, inputs.feeder
    sops = SoftOpenPoints.at_ties(f, ["12-22", "8-21"], p)
    assert [t.name for t in sops.ties] == ["12-22", "8-21"]
    np.testing.assert_array_equal(sops.bus_a, f.indices_of([12, 8]))
    np.testing.assert_array_equal(sops.bus_b, f.indices_of([22, 21]))
    assert sops.loss_coefficient == p.sop.loss_coefficient
    assert sops.annual_investment_per_kva == pytest.approx(sop_annual_investment_per_kva(p))
    assert sops.fixed_capacity_kva is None
    fixed = SoftOpenPoints.at_ties(f, ["12-22", "8-21"], p, fixed_capacity_kva={"8-21": 50.0})
    np.testing.assert_array_equal(fixed.fixed_capacity_kva, [0.0, 50.0])
    with pytest.raises(ValueError, match="not SOP sites"):
        SoftOpenPoints.at_ties(f, ["12-22"], p, fixed_capacity_kva={"8-21": 50.0})
    with pytest.raises(ValueError, match="unknown tie line"):
        SoftOpenPoints.at_ties(f, ["1-2"], p)


def test_plan_built_by_hand_is_the_pipelines(inputs) -> None:
    """The chapter's Plan 4, assembled from the constructors, is the model of solve_plan."""
    p, f, pr = inputs.params, inputs.feeder, inputs.profiles
    devices = [
        Substation.from_params(p, pr),
        ProfileLoad.from_feeder(f, pr),
        CurtailableDG.from_params(p, f, pr),
        SoftOpenPoints.at_ties(f, p.network.sop_sites, p),
        EnvelopeStorage(inputs.envelopes),
    ]
    hand = planning_model("Plan 4", inputs, devices).solve()
    pipeline = solve_plan(4, inputs)
    assert hand.info.objective == pytest.approx(pipeline.objective, rel=1e-9)
    np.testing.assert_allclose(
        hand.devices["sop"]["capacity_kva"], pipeline.device("sop")["capacity_kva"], atol=1e-6
    )
    assert [d.name for d in plan_devices(PLANS[4], inputs)] == [d.name for d in devices]
