"""sopev_lib.book.ev_tables: the tables and phrases of chapter 2, and the chapter's Eq. (4)-(5)
written out by hand, which must agree with the library's aggregation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sopev_lib.book import ev_tables
from sopev_lib.book.tables import fmt
from sopev_lib.core.ev.envelopes import planning_envelopes, plugged_in, station_envelopes
from sopev_lib.core.ev.fleet import T_HOURS, Fleet, sample_fleet
from sopev_lib.system.params import load_params
from sopev_lib.system.profiles import load_profiles
from sopev_lib.verify.disaggregate import Disaggregation

SCALE = 0.2


@pytest.fixture(scope="module")
def params():
    return load_params(overrides={"ev.forecast_days": 5})


@pytest.fixture(scope="module")
def fleet(params) -> Fleet:
    return sample_fleet(params, 5, count_scale=SCALE)


def result(mismatch_kwh: float, missed_kwh: float) -> Disaggregation:
    """A disaggregation result with the given totals (one vehicle, one hour off)."""
    mismatch = np.zeros(T_HOURS)
    mismatch[0] = mismatch_kwh
    empty = np.zeros(0)
    return Disaggregation(
        schedule_kw=mismatch.copy(),
        realised_kw=np.zeros(T_HOURS),
        mismatch_kw=mismatch,
        shortfall_kwh=np.array([missed_kwh]),
        p_ch_kw=empty,
        p_dis_kw=empty,
        energy_kwh=empty,
        vehicle=empty.astype(int),
        slot=empty.astype(int),
        cycling_kwh=0.0,
        priority="schedule",
        status="Optimal",
    )


# --------------------------------------------------------------------------------------------
# what the chapter computes by hand: Eq. (4) and Eq. (5) for one station and day
# --------------------------------------------------------------------------------------------


def test_plugged_in_is_eq4_and_sums_to_the_cars_present(fleet) -> None:
    one = fleet.select(day=1, station=1)
    x = plugged_in(one)
    assert x.shape == (one.n_vehicles, T_HOURS)
    np.testing.assert_array_equal(x.sum(axis=1), one.stay_h)  # L hours each
    np.testing.assert_array_equal(x[np.arange(one.n_vehicles), one.arrival_slot], True)
    np.testing.assert_array_equal(x[np.arange(one.n_vehicles), one.departure_slot], False)
    np.testing.assert_allclose(x.sum(axis=0), station_envelopes(one).n_present[0, 0])


def test_eq5_by_hand_equals_station_envelopes(fleet) -> None:
    """The chapter's visible cell: the sums of Eq. (5) over X equal the library's arrays."""
    for station in range(fleet.n_stations):
        one = fleet.select(day=0, station=station)
        xi = plugged_in(one).astype(int)
        xp = np.roll(xi, 1, axis=1)
        lib = station_envelopes(one)
        n_in = xi.sum(axis=0)
        np.testing.assert_allclose(
            lib.p_ch_max_kw[0, 0], np.minimum(one.rated_power_kw * n_in, one.power_limit_kw)
        )
        np.testing.assert_allclose(lib.s_max_kwh[0, 0], one.s_max_kwh * n_in)
        delta = one.s_arr_kwh @ (xi * (xi - xp)) - one.s_lea_kwh @ (xp * (xp - xi))
        np.testing.assert_allclose(lib.delta_s_kwh[0, 0], delta, atol=1e-9)


# --------------------------------------------------------------------------------------------
# tables
# --------------------------------------------------------------------------------------------


def test_clock() -> None:
    assert ev_tables.clock(25.5) == "01:30"
    assert ev_tables.clock(23.999) == "00:00"
    assert ev_tables.clock(7.25) == "07:15"


def test_count_table_reads_table3_and_the_sampled_mean(params, fleet) -> None:
    table = ev_tables.count_table(fleet, params.ev, SCALE)
    assert len(table) == fleet.n_stations
    assert len(table.columns) <= 6
    totals = fleet.counts.mean(axis=0).sum(axis=1)
    assert table["total (mean)"].tolist() == [fmt(t) for t in totals]
    assert table.iloc[0, 1].startswith("M(36, 44)")  # M(180, 220) x 0.2


def test_vehicle_records_show_each_type(fleet) -> None:
    one = fleet.select(day=0, station=1)  # station 2 has all three types
    table = ev_tables.vehicle_records(one, per_type=2)
    assert len(table) == 2 * one.n_types
    assert table["type"].tolist() == [n for n in one.type_names for _ in range(2)]
    first = table.index[0] - 1
    assert table["arrival"].iloc[0] == ev_tables.clock(one.arrival_h[first])
    assert table["on departure (kWh)"].iloc[0] == fmt(one.s_lea_kwh[first])
    assert len(table.columns) <= 6


def test_station_hour_table_is_eq6_of_one_station(fleet) -> None:
    env = station_envelopes(fleet)
    table = ev_tables.station_hour_table(env, 2)
    assert len(table) == T_HOURS
    assert len(table.columns) == 6
    mean = env.mean()
    assert table["cars"].tolist() == [fmt(v, 1, scale=1e3) for v in mean.n_present[0, 2]]
    assert table["$S^{max}$ (kWh)"].iloc[5] == fmt(mean.s_max_kwh[0, 2, 5], 0, scale=1e3)


def test_planning_table_has_one_column_per_station(params, fleet) -> None:
    envelopes = planning_envelopes(params, count_scale=SCALE)
    table = ev_tables.planning_table(envelopes, station_envelopes(fleet))
    assert list(table.columns) == [" "] + [pe.name for pe in envelopes]
    row = table.set_index(" ").loc["bus"]
    assert row.tolist() == [str(pe.bus) for pe in envelopes]


def test_disaggregation_by_station_reuses_known_results(params) -> None:
    small = sample_fleet(params, 1, count_scale=0.05)
    env = station_envelopes(small)
    profiles = load_profiles(params)
    known = {label: result(11.0, 22.0) for label in ev_tables.SCHEDULES}
    frame = ev_tables.disaggregation_by_station(
        small, env, 0, np.ones(T_HOURS), profiles.tariff_rmb_per_kwh, known={0: known}
    )
    stations = [s for s in range(small.n_stations) if small.counts[0, s].sum() > 0]
    assert frame["station"].tolist() == [s + 1 for s in stations]
    assert frame.loc[0, "valley filling: missed"] == pytest.approx(22.0)  # taken from known
    others = frame.iloc[1:]
    assert (others["uncontrolled: mismatch"] < 1e-3).all()  # uncontrolled is followed
    assert (others["uncontrolled: missed"] < 1e-3).all()
    table = ev_tables.disaggregation_table(frame)
    assert table.loc[0, "uncontrolled"] == "11 ; 22"
    assert list(table.columns) == ["station", "cars", *ev_tables.SCHEDULES]


# --------------------------------------------------------------------------------------------
# phrases
# --------------------------------------------------------------------------------------------


def test_cap_phrase() -> None:
    assert ev_tables.cap_phrase(np.array([1.0, 2.0]), 5.0) == "the cap never binds"
    assert ev_tables.cap_phrase(np.array([5.0, 2.0, 1.0, 1.0]), 5.0) == (
        "the cap binds in 25.0 % of the station-hours"
    )


def test_feasibility_and_trend_phrases() -> None:
    assert ev_tables.feasibility_phrase(np.array([True, True])) == "feasible for every station"
    assert ev_tables.feasibility_phrase(np.array([True, False])) == "not feasible everywhere"
    assert "fades" in ev_tables.realtime_trend_phrase(np.array([0.0, 1.0, 3.0]))
    assert "does not grow" in ev_tables.realtime_trend_phrase(np.array([0.0, 3.0, 1.0]))


def test_disaggregation_phrases() -> None:
    assert ev_tables.disaggregation_phrase("x", result(0.1, 0.2), 100.0).endswith(
        "it is followed exactly."
    )
    text = ev_tables.disaggregation_phrase("arbitrage", result(1194.0, 1962.0), 10000.0)
    assert "misses 1,962 kWh" in text and "(19.6 %" in text and "by 1,194 kWh" in text
    worse = ev_tables.forecast_gap_phrase(result(1.0, 1.0), result(5.0, 5.0))
    assert worse.startswith("the error of the forecast adds")
    same = ev_tables.forecast_gap_phrase(result(5.0, 5.0), result(1.0, 1.0))
    assert "does not add" in same


def test_spread_phrase_follows_the_numbers() -> None:
    text = ev_tables.spread_phrase({"variance": 3.6, "std": 3.0}, {"variance": 0.1, "std": 3.0})
    assert "smear the evening peak" in text and "leave more cars" in text
    text = ev_tables.spread_phrase({"variance": 3.0, "std": 3.6}, {"variance": 3.0, "std": 0.1})
    assert "do not lower" in text and "do not leave more" in text


def test_tables_are_dataframes_for_glue(params, fleet) -> None:
    for table in (
        ev_tables.count_table(fleet, params.ev),
        ev_tables.station_hour_table(station_envelopes(fleet), 0),
    ):
        assert isinstance(table, pd.DataFrame)
        assert not any("e-" in str(v) for v in table.to_numpy().ravel())  # no noise shown
