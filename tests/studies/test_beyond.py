"""Chapter 8: any radial pandapower feeder, the synthetic family, K-day planning."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pandapower as pp
import pandapower.networks as pn
import pytest

from sopev_lib.core.plans import solve_plan
from sopev_lib.studies.feeders import (
    IEEE33_DG_SHARE,
    choose_sop_sites,
    cigre_mv_case,
    copy_bus,
    distributed_load_kw,
    fit_exponent,
    ieee33_copies,
    ieee33_copies_case,
    solve_once,
    station_sites,
)
from sopev_lib.studies.multiday import (
    expected_day,
    kmeans,
    multiday_inputs,
    plan_multiday,
    representative_days,
    sample_year,
    value_of_planning,
)
from sopev_lib.system.grids import from_pandapower, load_feeder
from sopev_lib.system.params import load_params
from sopev_lib.system.powerflow import run_ac_power_flow
from sopev_lib.verify.checks import verify


def _chain(n_bus: int) -> pp.pandapowerNet:
    """n_bus buses at 10 kV, bus 0 the external grid, lines 0-1, 1-2, ..., a load per bus."""
    net = pp.create_empty_network()
    buses = [pp.create_bus(net, vn_kv=10.0) for _ in range(n_bus)]
    pp.create_ext_grid(net, buses[0])
    for a, b in itertools.pairwise(buses):
        pp.create_line_from_parameters(net, a, b, 1.0, 0.2, 0.1, 0.0, 0.4)
    for b in buses[1:]:
        pp.create_load(net, b, p_mw=0.1, q_mvar=0.05)
    return net


# ----- any radial feeder --------------------------------------------------------------------
def test_meshed_network_names_the_loop() -> None:
    net = _chain(5)  # buses 1..5 (1-based)
    pp.create_line_from_parameters(net, 4, 1, 1.0, 0.2, 0.1, 0.0, 0.4)  # closes 2-3-4-5
    with pytest.raises(ValueError, match="not radial") as err:
        from_pandapower(net)
    loop = str(err.value).split("through buses")[1]
    assert {int(x) for x in loop.strip(" []").split(",")} == {2, 3, 4, 5}


def test_islanded_buses_are_named() -> None:
    net = _chain(4)
    island = [pp.create_bus(net, vn_kv=10.0) for _ in range(2)]  # buses 5 and 6
    pp.create_line_from_parameters(net, island[0], island[1], 1.0, 0.2, 0.1, 0.0, 0.4)
    with pytest.raises(ValueError, match=r"buses \[5, 6\] are not connected"):
        from_pandapower(net)
    # an out-of-service line becomes a tie; the bus beyond it is then islanded
    net = _chain(4)
    net.line.loc[2, "in_service"] = False
    with pytest.raises(ValueError, match=r"buses \[4\] are not connected"):
        from_pandapower(net)


def test_open_switch_becomes_a_tie() -> None:
    net = _chain(4)
    pp.create_line_from_parameters(net, 3, 1, 1.0, 0.2, 0.1, 0.0, 0.4)  # would close a loop
    pp.create_switch(net, 3, element=3, et="l", closed=False)
    feeder = from_pandapower(net)
    assert [t.name for t in feeder.ties] == ["2-4"]
    assert feeder.n_branch == 3


@pytest.fixture(scope="module")
def cigre_net() -> pp.pandapowerNet:
    """pandapower's CIGRE MV network (no DER) with its own power flow result."""
    net = pn.create_cigre_network_mv(with_der=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pp.runpp(net, numba=False, tolerance_mva=1e-10)
    return net


def test_cigre_feeder_from_params_equals_pandapower(cigre_net) -> None:
    params = load_params(
        overrides={
            "network.feeder": "cigre_mv",
            "network.base_kv": 110.0,
            "network.tie_lines": ["7-8"],
            "network.sop_sites": ["7-8"],
        }
    )
    ours = load_feeder(params)
    direct = from_pandapower(cigre_net)
    np.testing.assert_array_equal(ours.from_bus, direct.from_bus)
    np.testing.assert_allclose(ours.r_ohm, direct.r_ohm)
    np.testing.assert_allclose(ours.p_load_kw, direct.p_load_kw)
    assert ours.name == "cigre_mv" and ours.base_kv == 110.0
    bad = load_params(overrides={"network.feeder": "cigre_mv"})  # base_kv 12.66 kV
    with pytest.raises(ValueError, match=r"network\.base_kv = 12\.66"):
        load_feeder(bad)
    with pytest.raises(ValueError, match=r"network\.feeder = 'lv_nowhere'"):
        load_params(overrides={"network.feeder": "lv_nowhere"})


# ----- placement rules and the CIGRE case ---------------------------------------------------
def test_station_rule_reproduces_the_books_ieee33_sites(params) -> None:
    assert station_sites(load_feeder(params), 4) == list(params.ev.station_buses)
    with pytest.raises(ValueError, match="n_stations = 9"):
        station_sites(load_feeder(params), 9)


@pytest.fixture(scope="module")
def cigre():
    return cigre_mv_case()


def test_cigre_case_placement(cigre) -> None:
    p, f = cigre.params, cigre.feeder
    assert p.network.feeder == "cigre_mv"
    assert list(p.ev.station_buses) == station_sites(f, 4) == [2, 13, 5, 8]
    # SOP sites: the top round(0.6 * 3) = 2 ties of the sensitivity ranking
    ranking = cigre.sensitivities
    assert list(p.network.sop_sites) == list(ranking.sort_values("rank").tie[:2])
    assert choose_sop_sites(ranking, 1.0) == list(ranking.sort_values("rank").tie)
    # DG: the benchmark's own sites, totals = the IEEE 33 study's share of the feeder load
    load = distributed_load_kw(f)
    assert load == pytest.approx(f.total_load_kw - f.p_load_kw[[1, 12]].sum())
    # (ratings are rounded to whole kW)
    assert sum(p.dg.pv_rating_kw) == pytest.approx(IEEE33_DG_SHARE["pv"] * load, abs=4.0)
    assert sum(p.dg.wind_rating_kw) == pytest.approx(IEEE33_DG_SHARE["wind"] * load, abs=0.5)
    assert list(p.dg.wind_buses) == [8]
    assert len(cigre.placement) == 8 + 1 + 4 + 2


def test_cigre_plan4_is_verified(cigre, cigre_net) -> None:
    result = solve_plan(4, cigre.inputs())
    check = verify(result)
    assert check.passed, check.messages
    assert set(result.sop_capacity_kva) == set(cigre.params.network.sop_sites)
    # base power flow through our model of the network equals pandapower's own result
    net = cigre_net
    f = cigre.feeder
    ac = run_ac_power_flow(f, f.p_load_kw, f.q_load_kvar, float(net.ext_grid.vm_pu.iloc[0]))
    assert np.max(np.abs(ac.v_pu[:, 0] - net.res_bus.vm_pu.to_numpy()[f.bus - 1])) < 1e-6


# ----- the synthetic family -----------------------------------------------------------------
def test_one_copy_is_the_ieee33_feeder(params) -> None:
    one, ours = ieee33_copies(1), load_feeder(params)
    np.testing.assert_array_equal(one.bus, ours.bus)
    np.testing.assert_array_equal(one.from_idx, ours.from_idx)
    np.testing.assert_array_equal(one.to_idx, ours.to_idx)
    np.testing.assert_allclose(one.r_ohm, ours.r_ohm)
    np.testing.assert_allclose(one.p_load_kw, ours.p_load_kw)
    assert {t.name for t in one.ties} == {t.name for t in ours.ties}


@pytest.mark.parametrize("k", [2, 31])
def test_family_size_and_radiality(params, k: int) -> None:
    f = ieee33_copies(k)
    assert f.n_bus == 1 + 32 * k and f.n_branch == f.n_bus - 1
    assert len(f.ties) == 5 * k
    assert np.bincount(f.to_idx, minlength=f.n_bus).tolist() == [0] + [1] * (f.n_bus - 1)
    assert int(np.sum(f.from_idx == 0)) == k  # every copy hangs from the substation
    base = load_feeder(params).p_load_kw[1:]
    for c in (1, k):
        idx = f.indices_of(copy_bus(np.arange(2, 34), c))
        ratio = f.p_load_kw[idx] / base
        assert np.ptp(ratio) < 1e-12 and 0.85 - 1e-12 <= ratio[0] <= 1.0
    assert f.tie(f"{copy_bus(12, k)}-{copy_bus(22, k)}").bus_b == copy_bus(22, k)
    with pytest.raises(ValueError, match="k = 0"):
        ieee33_copies(0)


def test_family_case_solves_and_scales_the_substation(params) -> None:
    case = ieee33_copies_case(2)
    assert case.params.network.substation_p_max_kw == 2 * params.network.substation_p_max_kw
    assert len(case.envelopes) == 8 and len(case.params.network.sop_sites) == 6
    result = solve_once(4, case.inputs())
    # Clarabel may stop a hair above its 1e-10 feasibility tolerance ("almost solved"); the
    # physical checks decide whether the solution is a power flow. (The relative cone gap can
    # exceed verify's 1e-5 on a nearly idle branch: -1e-8 p.u.^2 of round-off on 0.1 kW.)
    assert result.solution.info.status in ("optimal", "optimal_inaccurate")
    check = verify(result)
    assert check.max_relaxation_gap_pu < 1e-6
    assert check.ac_converged and check.ac_max_voltage_error_pu < 1e-6
    assert len(result.sop_capacity_kva) == 6


def test_fit_exponent() -> None:
    n = np.array([33.0, 129.0, 993.0])
    assert fit_exponent(n, 0.01 * n**1.25) == pytest.approx(1.25)
    with pytest.raises(ValueError, match="two different sizes"):
        fit_exponent([10.0], [1.0])


# ----- K representative days ----------------------------------------------------------------
def test_k1_multiday_plan_equals_the_single_day_plan(params, inputs) -> None:
    single = solve_plan(4, inputs)
    days = expected_day(params, inputs)
    multi_inputs = multiday_inputs(params, days)
    assert multi_inputs.day_weights == (365.0,) and multi_inputs.n_hours == 24
    multi = plan_multiday(4, multi_inputs)
    assert multi.objective == pytest.approx(single.objective, rel=1e-7)
    for site, kva in single.sop_capacity_kva.items():
        assert multi.sop_capacity_kva[site] == pytest.approx(kva, rel=1e-5, abs=1e-3)


@pytest.fixture(scope="module")
def small_year(params):
    return sample_year(params, n_days=40, seed=7)


def test_year_is_seeded_and_weights_sum_to_a_year(params, small_year) -> None:
    again = sample_year(params, n_days=40, seed=7)
    np.testing.assert_array_equal(again.pv_factor, small_year.pv_factor)
    np.testing.assert_array_equal(
        again.envelopes.uncontrolled_kw, small_year.envelopes.uncontrolled_kw
    )
    assert np.all(small_year.load_factor <= 1.0) and np.all(small_year.pv_factor > 0)
    for method in ("medoid", "mean"):
        days = representative_days(small_year, 5, days_per_year=365.0, method=method)
        assert days.k == 5 and days.weights.sum() == pytest.approx(365.0)
        assert np.all(days.weights > 0)
        assert sorted(set(days.labels)) == list(range(5))
        np.testing.assert_allclose(days.weights, 365.0 * np.bincount(days.labels) / 40)
    medoid = representative_days(small_year, 5, days_per_year=365.0)
    d = medoid.days[0]
    assert medoid.pv_factor[0] == small_year.pv_factor[d]
    np.testing.assert_array_equal(
        medoid.envelopes[0][0].p_ch_max_kw, small_year.envelopes.p_ch_max_kw[d, 0]
    )
    with pytest.raises(ValueError, match="k = 41"):
        kmeans(np.zeros((40, 2)), 41)


def test_multiday_inputs_stack_the_days(params, small_year) -> None:
    days = representative_days(small_year, 3, days_per_year=365.0)
    inputs = multiday_inputs(params, days)
    assert inputs.n_hours == 72 and inputs.n_days == 3 and inputs.day_length == 24
    np.testing.assert_allclose(inputs.hour_weights[24:48], days.weights[1])
    base = expected_day(params)  # factor 1: the planning day's curves
    np.testing.assert_allclose(
        inputs.profiles.load_pu[48:],
        days.load_factor[2] * multiday_inputs(params, base).profiles.load_pu,
    )
    assert inputs.profiles.pv_pu.max() <= 1.0 and inputs.profiles.wind_pu.max() <= 1.0
    np.testing.assert_array_equal(
        inputs.envelopes[1].delta_s_kwh[24:48], days.envelopes[1][1].delta_s_kwh
    )
    short = representative_days(small_year, 3, days_per_year=300.0)
    with pytest.raises(ValueError, match=r"sum to 300 days.*days_per_year = 365"):
        multiday_inputs(params, short)


def test_value_of_planning_is_not_negative(params, inputs, small_year) -> None:
    days = representative_days(small_year, 2, days_per_year=365.0)
    single = solve_plan(4, inputs)
    study = value_of_planning(params, days, single=single)
    # the single-day sizes are feasible for the K-day plan, which can only do better
    assert study.value_of_planning >= -1e-6 * study.multi.objective
    assert study.single_on_days.sop_capacity_kva == pytest.approx(
        single.sop_capacity_kva, rel=1e-6, abs=1e-3
    )
    assert study.summary()["K"] == 2
    with pytest.raises(ValueError, match="plan = 3"):
        value_of_planning(params, days, plan=3, single=single)


def test_kmeans_keeps_every_cluster_non_empty() -> None:
    x = np.zeros((10, 2))
    x[0] = 5.0  # nine identical points and one outlier, four clusters
    labels, centres = kmeans(x, 4)
    assert np.bincount(labels, minlength=4).min() >= 1
    assert np.all(np.isfinite(centres))
    labels, _ = kmeans(np.random.default_rng(1).normal(size=(50, 3)), 50)
    assert sorted(labels) == list(range(50))
