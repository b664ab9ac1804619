"""Tests of the Monte Carlo fleet, the generalised storage (Eqs. 1, 4-6) and the disaggregation."""

from __future__ import annotations

import numpy as np
import pytest

from sopev_lib.core.ev.envelopes import (
    ENVELOPE_FIELDS,
    aggregate_feasibility,
    envelope_feasibility,
    planning_envelopes,
    station_envelopes,
)
from sopev_lib.core.ev.fleet import count_ranges, sample_fleet, type_sigmas
from sopev_lib.core.ev.forecast import arrival_kernels, day_ahead_forecast, realtime_assessment
from sopev_lib.core.storage import StorageEnvelope
from sopev_lib.system.params import load_params, replace_section
from sopev_lib.verify.disaggregate import disaggregate

ZERO_STATION_4 = [
    [[180, 220], [190, 210], [0, 0]],
    [[180, 220], [80, 120], [380, 420]],
    [[0, 0], [90, 110], [380, 420]],
    [[0, 0], [0, 0], [0, 0]],
]


def _one_type(**kw: float) -> list[dict]:
    base = {
        "name": "t",
        "arrival_mean_h": 18.0,
        "arrival_spread": 1.0,
        "departure_mean_h": 8.0,
        "departure_spread": 1.0,
        "arrival_soc_low": 0.2,
        "arrival_soc_high": 0.4,
    }
    base.update(kw)
    return [dict(base) for _ in range(3)]


@pytest.fixture(scope="module")
def params():
    return load_params()


@pytest.fixture(scope="module")
def fleet(params):
    return sample_fleet(params, 40)


@pytest.fixture(scope="module")
def env(fleet):
    return station_envelopes(fleet)


# ------------------------------------------------------------------ sampling (Tables 1-3)


def test_counts_within_table3_ranges(params, fleet):
    lo, hi = count_ranges(params.ev)
    assert fleet.counts.shape == (40, 4, 3)
    assert np.all(fleet.counts >= lo) and np.all(fleet.counts <= hi)
    # both ends of M(a, b) are reachable (inclusive integer uniform)
    many = sample_fleet(params, 1000).counts
    assert np.array_equal(many.min(axis=0), lo) and np.array_equal(many.max(axis=0), hi)
    # per-vehicle labels agree with the counts
    per = np.zeros_like(fleet.counts)
    np.add.at(per, (fleet.day, fleet.station, fleet.vtype), 1)
    assert np.array_equal(per, fleet.counts)
    # M(900, 110) read as M(90, 110): about 2000 vehicles a day, as the paper says
    assert 1900 <= fleet.n_vehicles / fleet.n_days <= 2100


def test_same_seed_is_bit_identical_and_other_seed_differs(params, fleet, env):
    again = sample_fleet(params, 40)
    for name in ("arrival_h", "departure_h", "arrival_slot", "stay_h", "s_arr_kwh", "s_lea_kwh"):
        assert np.array_equal(getattr(fleet, name), getattr(again, name)), name
    env2 = station_envelopes(again)
    for name in ENVELOPE_FIELDS:
        assert np.array_equal(getattr(env, name), getattr(env2, name)), name
    other = sample_fleet(params, 40, seed=params.ev.seed + 1)
    assert not np.array_equal(other.counts, fleet.counts)
    assert not np.array_equal(station_envelopes(other).s_max_kwh, env.s_max_kwh)
    # the seed comes from params.ev.seed through load_params overrides too
    p7 = load_params(overrides={"ev.seed": 7})
    by_seed = sample_fleet(params, 2, seed=7)
    assert np.array_equal(sample_fleet(p7, 2).s_arr_kwh, by_seed.s_arr_kwh)


def test_discretisation_rules(params, fleet):
    assert fleet.arrival_h.min() >= 0 and fleet.arrival_h.max() < 24
    assert fleet.arrival_slot.min() >= 0 and fleet.arrival_slot.max() <= 23
    assert fleet.stay_h.min() >= 1 and fleet.stay_h.max() <= 23
    assert np.array_equal(fleet.departure_slot, (fleet.arrival_slot + fleet.stay_h) % 24)
    # nearest-hour rounding of the wrapped clock time
    expect = np.floor(fleet.arrival_h + 0.5).astype(int) % 24
    assert np.array_equal(fleet.arrival_slot, expect)
    # departure energy: the target capped by what the stay delivers at rated power
    e = params.ev
    target = e.departure_soc_target * e.battery_kwh
    assert np.all(fleet.s_lea_kwh <= target + 1e-12)
    assert np.all(fleet.s_lea_kwh >= fleet.s_arr_kwh)
    deliverable = e.eta_ch * e.rated_power_kw * fleet.stay_h
    assert np.all(fleet.energy_need_kwh <= deliverable + 1e-9)
    capped = fleet.target_capped
    assert np.allclose(fleet.energy_need_kwh[capped], deliverable[capped])
    assert np.allclose(fleet.s_lea_kwh[~capped], target)


def test_overnight_stay_wraps_around_midnight(params):
    p = load_params(overrides={"ev.types": _one_type(arrival_spread=1e-9, departure_spread=1e-9)})
    f = sample_fleet(p, 2)
    assert np.all(f.arrival_slot == 18) and np.all(f.departure_slot == 8)
    assert np.all(f.stay_h == 14)
    env = station_envelopes(f)
    present = env.n_present[0, 0]
    plugged = np.r_[0:8, 18:24]
    assert np.all(present[plugged] == f.counts[0, 0].sum())
    assert np.all(np.delete(present, plugged) == 0)
    # arrivals at 18:00 bring energy, departures at 08:00 take the departure energy
    assert np.flatnonzero(env.delta_s_kwh[0, 0]).tolist() == [8, 18]


def test_zero_length_stay_becomes_one_hour():
    p = load_params(
        overrides={
            "ev.types": _one_type(
                arrival_mean_h=10.0,
                departure_mean_h=10.0,
                arrival_spread=1e-9,
                departure_spread=1e-9,
            )
        }
    )
    f = sample_fleet(p, 1)
    assert np.all(f.zero_stay) and np.all(f.stay_h == 1) and np.all(f.departure_slot == 11)
    assert np.all(f.target_capped)  # 1 h at 6.6 kW cannot reach 90 % from 20-40 %


def test_spread_reading_variance_vs_std(params):
    sig_var, _ = type_sigmas(params.ev)
    assert np.allclose(sig_var, np.sqrt([4.0, 1.0, 2.0]))
    p_std = load_params(overrides={"ev.spread_reading": "std"})
    sig_std, _ = type_sigmas(p_std.ev)
    assert np.allclose(sig_std, [4.0, 1.0, 2.0])
    f_std = sample_fleet(p_std, 200)
    f_var = sample_fleet(params, 200)
    t1 = f_std.vtype == 0
    # circular spread of type-I arrivals is wider under the std reading
    spread = [np.std(((f.arrival_h[f.vtype == 0] - 18 + 12) % 24) - 12) for f in (f_var, f_std)]
    assert spread[0] == pytest.approx(2.0, rel=0.05)
    assert spread[1] > 3.0 and t1.any()


def test_departure_target_below_arrival_soc():
    p = load_params(overrides={"ev.departure_soc_target": 0.5})
    f = sample_fleet(p, 3)
    above = f.s_arr_kwh >= 0.5 * 32.0
    assert above.any()
    assert np.all(f.s_lea_kwh[above] == f.s_arr_kwh[above])


# ------------------------------------------------------------------ envelopes (Eqs. 1, 4-6)


def test_bounds_are_ordered_and_uncontrolled_within_power_bounds(env):
    assert env.p_ch_max_kw.shape == (40, 4, 24)
    assert np.all(env.s_min_kwh <= env.s_max_kwh)
    assert np.all(env.uncontrolled_kw >= 0)
    assert np.all(env.uncontrolled_kw <= env.p_ch_max_kw + 1e-9)
    assert np.all(env.p_ch_max_kw <= env.power_limit_kw)
    assert np.allclose(env.s_max_kwh, 0.9 * 32 * env.n_present)
    assert np.allclose(env.s_min_kwh, 0.15 * 32 * env.n_present)


def test_energy_bookkeeping_closes(fleet, env):
    # per day and station: arrivals' energy + eta * uncontrolled energy = departures' energy
    arrivals = np.zeros(env.n_vehicles.shape)
    departures = np.zeros(env.n_vehicles.shape)
    np.add.at(arrivals, (fleet.day, fleet.station), fleet.s_arr_kwh)
    np.add.at(departures, (fleet.day, fleet.station), fleet.s_lea_kwh)
    charged = fleet.eta_ch * env.uncontrolled_kw.sum(axis=-1)  # 1 h slots
    np.testing.assert_allclose(arrivals + charged, departures, rtol=1e-9)
    # the same through Eq. (5): delta_s sums to arrivals minus departures
    np.testing.assert_allclose(env.delta_s_kwh.sum(axis=-1), arrivals - departures, atol=1e-8)
    # and the uncontrolled energy is what the fleet needs, at the grid side
    np.testing.assert_allclose(
        env.uncontrolled_kw.sum(), fleet.energy_need_kwh.sum() / fleet.eta_ch, rtol=1e-9
    )


def test_station_without_cars_has_zero_envelope():
    p = load_params(overrides={"ev.station_counts": ZERO_STATION_4})
    env = station_envelopes(sample_fleet(p, 5))
    for name in ENVELOPE_FIELDS:
        assert np.all(getattr(env, name)[:, 3] == 0), name
    assert np.all(env.n_vehicles[:, 3] == 0)
    assert np.any(env.s_max_kwh[:, 0] > 0)
    storage = env.to_storage()
    assert storage[3].n_vehicles == 0 and np.all(storage[3].s_max_kwh == 0)
    # the disaggregation of an empty station cannot follow anything it is asked
    res = disaggregate(sample_fleet(p, 1), np.full(24, 10.0), station=3)
    assert res.mismatch_kwh == pytest.approx(240.0) and res.total_shortfall_kwh == 0
    # count_scale 0 empties every station
    empty = station_envelopes(sample_fleet(p, 2, count_scale=0.0))
    assert all(np.all(getattr(empty, name) == 0) for name in ENVELOPE_FIELDS)


def test_count_scale_scales_the_ranges(params):
    lo, hi = count_ranges(params.ev, 2.0)
    lo1, hi1 = count_ranges(params.ev)
    assert np.array_equal(lo, 2 * lo1) and np.array_equal(hi, 2 * hi1)
    f = sample_fleet(params, 5, count_scale=0.5)
    assert np.all(f.counts <= count_ranges(params.ev, 0.5)[1])


def test_uncontrolled_is_feasible_for_the_aggregate_every_day(env):
    report = envelope_feasibility(env)
    assert report.closure_kwh.shape == (40, 4)
    assert np.all(report.feasible(tol=1e-6))
    # the trajectory carried by the envelope is itself a feasible Eq. (1) trajectory
    s = env.uncontrolled_s_kwh
    assert np.all(s >= env.s_min_kwh - 1e-7) and np.all(s <= env.s_max_kwh + 1e-7)
    s_prev = np.roll(s, 1, axis=-1)
    np.testing.assert_allclose(
        s, s_prev + env.delta_s_kwh + env.eta_ch * env.uncontrolled_kw, atol=1e-7
    )


def test_mean_envelope_keeps_uncontrolled_feasible(env):
    mean = env.mean()
    assert mean.p_ch_max_kw.shape == (1, 4, 24)
    assert np.all(envelope_feasibility(mean).feasible(tol=1e-6))
    for st in env.to_storage():
        assert bool(envelope_feasibility(st).feasible(tol=1e-6))


def test_feasibility_check_detects_violations(env):
    one = env.to_storage(day=0)[1]
    too_much = one.uncontrolled_kw.copy()
    too_much[np.argmax(too_much)] += 0.5 * one.p_ch_max_kw.max() + 1.0
    rep = envelope_feasibility(one, too_much)
    assert not rep.feasible() and rep.closure_kwh > 0 and rep.power_violation_kw > 0
    # a hand-made 4-hour case with a known answer: 15 kWh arrive, 15 kWh leave two hours
    # later, but only 10 kWh fit: S = c + [15, 15, 0, 0] needs c >= 0 and c + 15 <= 10.
    kw = {
        "p_ch_max_kw": np.full(4, 5.0),
        "p_dis_max_kw": np.full(4, 5.0),
        "s_min_kwh": np.zeros(4),
        "s_max_kwh": np.full(4, 10.0),
        "eta_ch": 0.9,
        "eta_dis": 0.9,
        "power_limit_kw": 5.0,
    }
    rep = aggregate_feasibility(delta_s_kwh=np.array([15.0, 0, -15, 0]), p_ch_kw=np.zeros(4), **kw)
    assert rep.closure_kwh == 0 and rep.energy_violation_kwh == pytest.approx(5.0)
    assert not rep.feasible()
    # charging 1 kW in hour 3 (0.9 kWh) breaks the cyclic closure by exactly that much
    rep = aggregate_feasibility(
        delta_s_kwh=np.array([10.0, 0, -10, 0]), p_ch_kw=np.array([0, 0, 0, 1.0]), **kw
    )
    assert rep.closure_kwh == pytest.approx(0.9) and rep.energy_violation_kwh == 0
    assert not rep.feasible()
    ok = aggregate_feasibility(delta_s_kwh=np.array([10.0, 0, -10, 0]), p_ch_kw=np.zeros(4), **kw)
    assert ok.feasible() and np.allclose(ok.s_kwh, [10, 10, 0, 0])


def test_planning_envelopes(params):
    envs = planning_envelopes(params)
    assert len(envs) == 4
    assert all(isinstance(e, StorageEnvelope) for e in envs)
    assert [e.name for e in envs] == ["station 1", "station 2", "station 3", "station 4"]
    assert [e.bus for e in envs] == list(params.ev.station_buses)
    for e in envs:
        assert e.n_hours == 24 and e.power_limit_kw == 5000.0
        assert bool(envelope_feasibility(e).feasible(tol=1e-6))
        assert abs(e.delta_s_kwh.sum() + e.eta_ch * e.uncontrolled_kw.sum()) < 1e-6
    # the mean of forecast_days days drawn with params.ev.seed, nothing else
    fleet = sample_fleet(params, params.ev.forecast_days, seed=params.ev.seed)
    again = station_envelopes(fleet).to_storage()
    for a, b in zip(envs, again, strict=True):
        assert np.array_equal(a.s_max_kwh, b.s_max_kwh)
        assert np.array_equal(a.uncontrolled_kw, b.uncontrolled_kw)
    assert sum(e.n_vehicles for e in envs) == pytest.approx(2000, rel=0.02)


def test_day_ahead_band_covers_the_sampled_days(params):
    fc = day_ahead_forecast(params, n_days=60)
    assert fc.band == (5.0, 95.0)
    assert fc.envelopes.n_days == 60
    for name in ("p_ch_max_kw", "s_max_kwh", "uncontrolled_kw", "delta_s_kwh"):
        days = getattr(fc.envelopes, name)
        lo, mean, hi = (getattr(x, name) for x in (fc.low, fc.mean, fc.high))
        assert np.all(lo <= hi)
        np.testing.assert_allclose(mean[0], days.mean(axis=0))
        inside = (days >= lo - 1e-9) & (days <= hi + 1e-9)
        assert inside.mean() >= 0.9, name  # a 5-95 % band holds at least 90 % of the days
    with pytest.raises(ValueError, match="band"):
        day_ahead_forecast(params, n_days=5, band=(95.0, 5.0))


def test_arrival_kernels_fold_to_the_envelope(params):
    f = sample_fleet(params, 3)
    env = station_envelopes(f)
    kern = arrival_kernels(f)
    for name in ("n_present", "delta_s_kwh", "uncontrolled_kw"):
        folded = np.zeros(env.n_present.shape)
        for k in range(24):
            folded += np.roll(kern[name][..., k], k, axis=-1)
        np.testing.assert_allclose(folded, getattr(env, name), atol=1e-9)


def test_realtime_assessment_is_exact_at_lead_zero(params):
    realised = sample_fleet(params, 3, seed=11)
    forecast = sample_fleet(params, 50, seed=12)
    rt = realtime_assessment(realised, forecast, day=1, window_h=6)
    assert rt.assessed["n_present"].shape == (24, 4, 6)
    for name in ("n_present", "s_max_kwh", "p_ch_max_kw", "delta_s_kwh"):
        np.testing.assert_allclose(rt.assessed[name][:, :, 0], rt.realised[name][:, :, 0])
    # the realised window at lead 0 is the realised day's cyclic envelope only in steady
    # state; here it must equal the unrolled truth: day 1 with day 0's overnight vehicles
    env = station_envelopes(realised)
    day0_over = (realised.day == 0) & (realised.arrival_slot + realised.stay_h > 24)
    n0 = np.bincount(realised.station[day0_over], minlength=4)
    day1_at0 = (realised.day == 1) & (realised.arrival_slot == 0)
    n1 = np.bincount(realised.station[day1_at0], minlength=4)
    np.testing.assert_allclose(rt.realised["n_present"][0, :, 0], n0 + n1)
    assert env.n_present.shape[0] == 3
    # the day-ahead part equals the forecast's mean envelope at the same clock hours
    mean = station_envelopes(forecast).mean()
    for h in (0, 13, 22):
        hours = (h + np.arange(6)) % 24
        np.testing.assert_allclose(rt.day_ahead["s_max_kwh"][h], mean.s_max_kwh[0][:, hours])
    # knowing more helps: the real-time error is below the day-ahead error over the window
    assert (
        rt.mean_abs_error("n_present")[1:].mean()
        < rt.mean_abs_error("n_present", "day_ahead")[1:].mean()
    )
    with pytest.raises(ValueError, match="day"):
        realtime_assessment(realised, forecast, day=0)
    with pytest.raises(ValueError, match="window_h"):
        realtime_assessment(realised, forecast, day=1, window_h=30)


# ------------------------------------------------------------------ disaggregation


def test_disaggregation_delivers_uncontrolled_schedule(params):
    f = sample_fleet(params, 2, seed=3)
    env = station_envelopes(f)
    for station in (0, 3):
        res = disaggregate(
            f, env.uncontrolled_kw[1, station], day=1, station=station, allow_v2g=False
        )
        assert res.total_shortfall_kwh < 1e-4 and res.n_missed == 0  # kWh: 0.1 Wh
        assert res.mismatch_kwh < 1e-4
    small = sample_fleet(params, 1, count_scale=0.05)
    senv = station_envelopes(small)
    res = disaggregate(small, senv.uncontrolled_kw[0, 1], station=1, allow_v2g=True)
    assert res.total_shortfall_kwh < 1e-4 and res.mismatch_kwh < 1e-4
    assert res.p_ch_kw.shape == (int(small.select(station=1).stay_h.sum()),)


def test_disaggregation_reports_what_cannot_be_done(params):
    f = sample_fleet(params, 1, count_scale=0.05)
    sub = f.select(station=1)
    need = float(sub.energy_need_kwh.sum())
    assert need > 0
    zero = np.zeros(24)
    # following a do-nothing schedule exactly: every vehicle misses all of its need
    res = disaggregate(f, zero, station=1, priority="schedule")
    assert res.mismatch_kwh < 1e-4
    assert res.total_shortfall_kwh == pytest.approx(need, rel=1e-5)
    # serving the users first: the station must deviate by the grid energy they need
    res = disaggregate(f, zero, station=1, priority="targets")
    assert res.total_shortfall_kwh < 1e-4
    assert res.mismatch_kwh == pytest.approx(need / f.eta_ch, rel=1e-5)


def test_bad_inputs_raise_value_error_naming_the_field(params, fleet):
    cases = {
        "ev.soc_min": -0.1,
        "ev.soc_max": 1.2,
        "ev.eta_ch": 0.0,
        "ev.eta_dis": 1.5,
    }
    for key, value in cases.items():
        with pytest.raises(ValueError, match=key.replace(".", r"\.")):
            load_params(overrides={key: value})
    with pytest.raises(ValueError, match="soc_min"):
        load_params(overrides={"ev.soc_min": 0.95})  # reversed limits
    bad_counts = [list(map(list, row)) for row in ZERO_STATION_4]
    bad_counts[0][0] = [-5, 10]
    with pytest.raises(ValueError, match=r"station_counts\[0\]\[0\]"):
        load_params(overrides={"ev.station_counts": bad_counts})
    with pytest.raises(ValueError, match=r"types\[0\]\.arrival_spread"):
        load_params(overrides={"ev.types": _one_type(arrival_spread=0.0)})
    with pytest.raises(ValueError, match=r"types\[0\]\.arrival_soc_low"):
        load_params(overrides={"ev.types": _one_type(arrival_soc_low=0.05)})
    # objects changed with model_copy skip validation; the functions check them again, and
    # replace_section checks at once
    e = params.ev
    for change, field in (
        ({"soc_min": 0.95}, "soc_min"),
        ({"eta_ch": 1.3}, "eta_ch"),
        ({"station_counts": (((-1, 3),) * 3,) * 4}, "station_counts"),
        (
            {"types": (e.types[0].model_copy(update={"departure_spread": 0.0}),) * 3},
            "departure_spread",
        ),
    ):
        with pytest.raises(ValueError, match=rf"ev\.{field}|ev\.types\[0\]\.{field}"):
            sample_fleet(e.model_copy(update=change))
        with pytest.raises(ValueError, match=rf"ev\.{field}|ev\.types\[0\]\.{field}"):
            replace_section(e, **change)
    with pytest.raises(ValueError, match="n_days"):
        sample_fleet(params, 0)
    with pytest.raises(ValueError, match="count_scale"):
        sample_fleet(params, 1, count_scale=-1.0)
    with pytest.raises(ValueError, match="schedule_kw"):
        disaggregate(fleet, np.zeros(23))
    with pytest.raises(ValueError, match="station"):
        disaggregate(fleet, np.zeros(24), station=4)
    with pytest.raises(ValueError, match="priority"):
        disaggregate(fleet, np.zeros(24), priority="cost")
