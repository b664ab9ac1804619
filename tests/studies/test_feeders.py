"""Feeders from pandapower networks, several voltage levels, shunts, and multi-day horizons."""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pandapower as pp
import pandapower.networks as pn
import pytest

from sopev_lib.core.inputs import PlanInputs
from sopev_lib.core.plans import solve_plan
from sopev_lib.core.storage import HOURLY_FIELDS
from sopev_lib.system.grids import from_pandapower, load_feeder
from sopev_lib.system.powerflow import run_ac_power_flow
from sopev_lib.system.profiles import Profiles


def test_case33bw_from_pandapower_equals_our_data() -> None:
    ours = load_feeder()
    theirs = from_pandapower(pn.case33bw(), name="case33bw")
    np.testing.assert_array_equal(theirs.bus, ours.bus)
    np.testing.assert_array_equal(theirs.from_idx, ours.from_idx)
    np.testing.assert_array_equal(theirs.to_idx, ours.to_idx)
    np.testing.assert_allclose(theirs.r_ohm, ours.r_ohm)
    np.testing.assert_allclose(theirs.x_ohm, ours.x_ohm)
    np.testing.assert_allclose(theirs.p_load_kw, ours.p_load_kw)
    np.testing.assert_allclose(theirs.q_load_kvar, ours.q_load_kvar)
    assert {t.name for t in theirs.ties} == {t.name for t in ours.ties}
    assert not theirs.has_shunts


def test_cigre_mv_matches_pandapowers_own_power_flow() -> None:
    """Two voltage levels (110/20 kV transformers), line charging, switch-opened lines."""
    net = pn.create_cigre_network_mv(with_der=False)
    feeder = from_pandapower(net, name="cigre_mv")
    assert feeder.n_bus == 15 and feeder.n_branch == 14
    assert feeder.branch_kind.count("trafo") == 2
    assert feeder.has_shunts and len(feeder.ties) == 3
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pp.runpp(net, numba=False, tolerance_mva=1e-10)
    v_slack = float(net.ext_grid.vm_pu.iloc[0])
    ac = run_ac_power_flow(feeder, feeder.p_load_kw, feeder.q_load_kvar, v_slack)
    own = net.res_bus.vm_pu.reindex(feeder.bus - 1).to_numpy()
    assert np.max(np.abs(ac.v_pu[:, 0] - own)) < 1e-6
    own_loss = 1000 * (net.res_line.pl_mw.sum() + net.res_trafo.pl_mw.sum())
    assert ac.total_loss_kw[0] == pytest.approx(own_loss, rel=1e-6)


def test_unsupported_pandapower_networks_are_named() -> None:
    with pytest.raises(ValueError, match="one in-service external grid, found 2"):
        from_pandapower(pn.mv_oberrhein())
    net = pn.create_cigre_network_mv(with_der=False)
    net.switch.loc[net.switch.name == "S1", "closed"] = True  # closes a loop 8-14
    with pytest.raises(ValueError, match="not radial"):
        from_pandapower(net)


def _repeat_days(inputs: PlanInputs, k: int, weights: tuple[float, ...]) -> PlanInputs:
    pr = inputs.profiles

    def rep(a: np.ndarray) -> np.ndarray:
        return np.concatenate([a] * k)

    profiles = Profiles(
        hour=np.arange(k * pr.n_hours),
        load_pu=rep(pr.load_pu),
        pv_pu=rep(pr.pv_pu),
        wind_pu=rep(pr.wind_pu),
        tariff_period=rep(pr.tariff_period),
        tariff_rmb_per_kwh=rep(pr.tariff_rmb_per_kwh),
    )
    envelopes = tuple(
        dataclasses.replace(e, **{f: rep(getattr(e, f)) for f in HOURLY_FIELDS})
        for e in inputs.envelopes
    )
    return PlanInputs(inputs.params, inputs.feeder, profiles, envelopes, day_weights=weights)


def test_identical_days_equal_the_single_day_plan(inputs) -> None:
    single = solve_plan(4, inputs)
    double = solve_plan(4, _repeat_days(inputs, 2, (182.5, 182.5)))
    assert double.objective == pytest.approx(single.objective, rel=1e-7)
    for site, kva in single.sop_capacity_kva.items():
        assert double.sop_capacity_kva[site] == pytest.approx(kva, rel=1e-5, abs=1e-3)
    # storage is cyclic within each day: both days end where they start
    energy = double.device("stations")["energy_kwh"]
    np.testing.assert_allclose(energy[:, :24], energy[:, 24:], atol=1e-3)


def test_bad_day_weights(inputs) -> None:
    with pytest.raises(ValueError, match="do not divide"):
        PlanInputs(
            inputs.params,
            inputs.feeder,
            inputs.profiles,
            inputs.envelopes,
            day_weights=(100.0, 100.0, 165.0, 0.0, 0.0),
        )
    with pytest.raises(ValueError, match=">= 0"):
        PlanInputs(
            inputs.params, inputs.feeder, inputs.profiles, inputs.envelopes, day_weights=(-1.0,)
        )
