"""sopev_lib.system.simbench and the SimBench profile set of sopev_lib.system.profiles.

Acceptance: the SimBench profile set has 24 hourly values per day for 366 days and the stated
scaling (load: the year's highest hour is the nominal load; PV and wind: SimBench's per-unit
values times the ratings).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sopev_lib.system.grids import load_feeder
from sopev_lib.system.params import Params, load_params
from sopev_lib.system.profiles import (
    file_profiles,
    load_profiles,
    simbench_bus_profiles,
    simbench_year,
)
from sopev_lib.system.simbench import (
    _data_dir,
    apply_taps,
    check_code,
    hourly,
    hourly_profiles,
    scenario_of,
    simbench_net,
)


@pytest.fixture(scope="module")
def params() -> Params:
    return load_params(overrides={"profiles.source": "simbench"})


def test_unknown_code_lists_the_mv_grids() -> None:
    assert check_code("1-MV-rural--0-sw") == "1-MV-rural--0-sw"
    with pytest.raises(ValueError, match=r"1-MV-urban--0-sw.*simbench.collect_all_simbench"):
        check_code("1-MV-foo--0-sw")
    assert scenario_of("1-MV-semiurb--2-sw") == 2


def test_hourly_is_the_mean_of_four_quarter_hours() -> None:
    quarters = np.arange(366 * 96, dtype=float)
    out = hourly(quarters)
    assert out.shape == (366, 24)
    assert out[0, 0] == pytest.approx(1.5) and out[1, 0] == pytest.approx(96 + 1.5)
    with pytest.raises(ValueError, match="one leap year"):
        hourly(quarters[:-4])


def test_unknown_profile_is_named() -> None:
    with pytest.raises(ValueError, match="no load profile \\['nope'\\]"):
        hourly_profiles(0, "load", ["nope"])


def test_profiles_are_the_package_data() -> None:
    raw = pd.read_csv(_data_dir(0) / "RESProfile.csv", sep=";", usecols=["PV3"])["PV3"]
    got = hourly_profiles(0, "res", ["PV3"])
    assert got.shape == (1, 366, 24)
    assert np.allclose(got[0].ravel(), raw.to_numpy().reshape(-1, 4).mean(axis=1))


def test_year_has_366_days_of_24_hours_and_the_stated_scaling(params: Params) -> None:
    year = simbench_year(params)
    for curve in (year.load_pu, year.pv_pu, year.wind_pu):
        assert curve.shape == (366, 24)
        assert np.all(curve >= 0.0)
    assert year.load_pu.max() == pytest.approx(1.0)  # the year's peak hour = nominal load
    pv, wind = hourly_profiles(0, "res", ["PV3", "WP4"])
    assert np.allclose(year.pv_pu, pv)  # per unit of rating, as SimBench defines it
    assert np.allclose(year.wind_pu, np.maximum(wind, 0.0))
    assert len(year.dates) == 366 and year.dates[0] == pd.Timestamp("2016-01-01")
    scaled = simbench_year(
        params.replace(
            **{"profiles.source": "simbench", "profiles.load_scale": 1.2, "profiles.pv_scale": 0.5}
        )
    )
    assert scaled.load_pu.max() == pytest.approx(1.2)
    assert np.allclose(scaled.pv_pu, 0.5 * year.pv_pu)


def test_load_mix_follows_the_mapping_rule(params: Params) -> None:
    feeder = load_feeder(params)
    by_bus = simbench_bus_profiles(feeder, params)
    commercial = [int(b) for b, m in zip(feeder.bus, by_bus, strict=True) if m == "G0-A"]
    assert commercial == [7, 8, 24, 25, 30, 32]
    assert by_bus[0] == ""  # the substation has no load
    year = simbench_year(params, feeder)
    load = hourly_profiles(0, "load", ["G0-A", "lv_semiurb4"])
    load = load / load.max(axis=(1, 2), keepdims=True)
    mix = 1650.0 * load[0] + (3715.0 - 1650.0) * load[1]
    assert np.allclose(year.load_pu, mix / mix.max())


def test_planning_day_of_the_simbench_source(params: Params) -> None:
    year = simbench_year(params)
    mean = load_profiles(params)
    assert mean.n_hours == 24
    assert np.allclose(mean.load_pu, year.load_pu.mean(axis=0))
    day40 = {"profiles.source": "simbench", "profiles.simbench_day": 40}
    day = load_profiles(params.replace(**day40))
    assert np.allclose(day.wind_pu, year.wind_pu[39])
    assert np.array_equal(day.tariff_period, file_profiles(params).tariff_period)
    back = year.days([1, 40])
    assert back.n_hours == 48 and np.allclose(back.pv_pu[24:], year.pv_pu[39])
    with pytest.raises(ValueError, match=r"1\.\.366"):
        year.day(367)


def test_default_source_stays_ours() -> None:
    p = load_params()
    assert p.profiles.source == "ours"
    assert np.allclose(load_profiles(p).load_pu, file_profiles(p).load_pu)


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("profiles.source", "measured", "allowed values are 'ours', 'simbench'"),
        ("profiles.simbench_day", 0, "expected 'mean' or a day of the year 1-366"),
        ("profiles.simbench_code", "MV-rural", "expected text matching"),
    ],
)
def test_bad_profile_parameters(key: str, value: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        load_params(overrides={key: value})


def test_taps_are_applied_as_simbench_defines_them() -> None:
    net = simbench_net("1-MV-urban--0-sw")
    assert set(net.trafo.tap_changer_type) == {"Ratio"}
    assert list(net.trafo.tap_pos) == [-1.0, -1.0]
    net.trafo["tap_changer_type"] = None
    assert apply_taps(net) == [0, 1]
