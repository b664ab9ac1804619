"""The departures that were once stated only in prose are parameters that change the model:
the charging of Plans 1-3 (ev.baseline_charging), Plan 3's battery sites (ess.buses) and the
discharge compensation factor of Eq. (1) (ev.eta_ref)."""

from __future__ import annotations

import numpy as np
import pytest

from sopev_lib.core.ev.envelopes import envelope_feasibility
from sopev_lib.core.inputs import prepare_inputs, rebuild_inputs
from sopev_lib.core.plans import ModelCache, charge_only, solve_plan
from sopev_lib.system.params import load_params


@pytest.fixture(scope="module")
def small():
    return prepare_inputs(load_params(overrides={"ev.forecast_days": 5}))


def test_eta_ref_enters_the_storage_dynamics(small) -> None:
    """Eq. (1): each kWh discharged takes eta_ref / eta_dis kWh of stored energy."""
    ref = rebuild_inputs(small, {"ev.eta_ref": 1.1})
    assert all(e.eta_ref == 1.1 for e in ref.envelopes)
    assert all(e.eta_ref == 1.0 for e in small.envelopes)
    cache = ModelCache()
    r1, r2 = solve_plan(4, small, cache=cache), solve_plan(4, ref, cache=cache)
    assert r2.objective > r1.objective  # discharging is dearer, V2G is worth less
    st, env = r2.device("stations"), ref.envelopes[0]
    s = st["energy_kwh"][0]
    change = s - np.roll(s, 1)
    expected = (
        env.delta_s_kwh + env.eta_ch * st["p_ch_kw"][0] - 1.1 * st["p_dis_kw"][0] / env.eta_dis
    )
    np.testing.assert_allclose(change, expected, atol=1e-3)
    # the exact check of a schedule against the aggregate model uses the same factor
    rep = envelope_feasibility(env, st["p_ch_kw"][0], st["p_dis_kw"][0])
    assert abs(float(rep.closure_kwh)) < 1e-3


def test_ess_buses_move_plan3s_batteries(small) -> None:
    ends = rebuild_inputs(small, {"ess.buses": [18, 33]})
    assert small.ess_buses == small.station_buses
    assert ends.ess_buses == [18, 33]
    r = solve_plan(3, ends)
    assert list(r.ess_rating) == ["bus 18", "bus 33"]
    assert set(r.storage()["bus"]) == {18, 33}
    # the batteries' power is drawn at their own buses
    p = r.bus_array("p_storage_kw")
    idx = ends.feeder.indices_of([18, 33])
    np.testing.assert_allclose(p[idx], r.device("ess")["p_net_kw"])


def test_smart_charging_never_discharges(small) -> None:
    envs = charge_only(small.envelopes)
    assert all(float(e.p_dis_max_kw.max()) == 0.0 for e in envs)
    np.testing.assert_array_equal(envs[0].p_ch_max_kw, small.envelopes[0].p_ch_max_kw)
    smart = rebuild_inputs(small, {"ev.baseline_charging": "smart"})
    cache = ModelCache()
    r = solve_plan(2, smart, cache=cache)
    assert "ev_uncontrolled" not in r.solution.devices
    assert float(r.device("stations")["p_dis_kw"].max()) < 1e-6
    # a re-solve through the cache keeps Plan 4's discharge and Plan 2's charge-only stations
    r4 = solve_plan(4, smart, cache=cache)
    assert float(r4.device("stations")["p_dis_kw"].max()) > 1.0
    r2 = solve_plan(2, rebuild_inputs(smart, {"tariff.peak_rmb_per_kwh": 0.7}), cache=cache)
    assert float(r2.device("stations")["p_dis_kw"].max()) < 1e-6
