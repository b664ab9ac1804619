"""sopev_lib.system.profiles: the planning day, the paper's tariff periods, bad profile tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sopev_lib.system.grids import load_feeder
from sopev_lib.system.params import Params, load_params
from sopev_lib.system.paths import data_dir
from sopev_lib.system.profiles import bus_dg_available_kw, bus_load_kvar, bus_load_kw, load_profiles

# Section 5 of the paper: peak 09:00-11:00 and 14:00-18:00; flat 06:00-08:00, 12:00-13:00 and
# 19:00-22:00; valley 23:00-05:00. Each label is an hour slot [h, h+1), so 09-11 is 9, 10, 11.
PEAK = [9, 10, 11, 14, 15, 16, 17, 18]
FLAT = [6, 7, 8, 12, 13, 19, 20, 21, 22]
VALLEY = [23, 0, 1, 2, 3, 4, 5]


@pytest.fixture(scope="module")
def params() -> Params:
    return load_params()


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return pd.read_csv(data_dir() / "profiles.csv")


def test_twenty_four_hours(params: Params) -> None:
    prof = load_profiles(params)
    assert prof.n_hours == 24
    assert prof.hour.tolist() == list(range(24))
    for curve in (prof.load_pu, prof.pv_pu, prof.wind_pu):
        assert curve.shape == (24,)
        assert np.all(curve >= 0.0)
    assert list(prof.table().columns) == [
        "hour",
        "load_pu",
        "pv_pu",
        "wind_pu",
        "tariff_period",
        "tariff_rmb_per_kwh",
    ]


def test_tariff_periods_of_the_paper(params: Params) -> None:
    assert (len(PEAK), len(FLAT), len(VALLEY)) == (8, 9, 7)
    assert sorted(PEAK + FLAT + VALLEY) == list(range(24))
    prof = load_profiles(params)
    for hours, period, price in ((PEAK, "peak", 0.6), (FLAT, "flat", 0.4), (VALLEY, "valley", 0.3)):
        assert prof.tariff_period[hours].tolist() == [period] * len(hours)
        assert np.allclose(prof.tariff_rmb_per_kwh[hours], price)


def test_tariff_prices_follow_params() -> None:
    p = load_params(overrides={"tariff.peak_rmb_per_kwh": 0.9})
    prof = load_profiles(p)
    assert np.allclose(prof.tariff_rmb_per_kwh[PEAK], 0.9)
    assert np.allclose(prof.tariff_rmb_per_kwh[FLAT], 0.4)


def test_scales(params: Params) -> None:
    base = load_profiles(params)
    p = load_params(
        overrides={"profiles.load_scale": 1.2, "profiles.pv_scale": 0.5, "profiles.wind_scale": 2}
    )
    scaled = load_profiles(p)
    assert np.allclose(scaled.load_pu, 1.2 * base.load_pu)
    assert np.allclose(scaled.pv_pu, 0.5 * base.pv_pu)
    assert np.allclose(scaled.wind_pu, 2.0 * base.wind_pu)


def test_bus_matrices(params: Params) -> None:
    feeder = load_feeder(params)
    prof = load_profiles(params)
    p = bus_load_kw(feeder, prof)
    q = bus_load_kvar(feeder, prof)
    dg = bus_dg_available_kw(feeder, prof, params)
    assert p.shape == q.shape == dg.shape == (33, 24)
    assert np.allclose(p.sum(axis=0), feeder.total_load_kw * prof.load_pu)
    assert np.allclose(q.sum(axis=0), feeder.total_load_kvar * prof.load_pu)
    total = sum(params.dg.pv_rating_kw) * prof.pv_pu + sum(params.dg.wind_rating_kw) * prof.wind_pu
    assert np.allclose(dg.sum(axis=0), total)
    with_dg = set(params.dg.pv_buses) | set(params.dg.wind_buses)
    without = [i for i, b in enumerate(feeder.bus) if b not in with_dg]
    assert np.all(dg[without] == 0.0)
    wind_at_9 = params.dg.wind_rating_kw[params.dg.wind_buses.index(9)]
    assert np.allclose(dg[feeder.index_of(9)], wind_at_9 * prof.wind_pu)


@pytest.mark.parametrize(
    ("change", "column"),
    [
        (lambda f: f.drop(columns="pv_pu"), "pv_pu"),
        (lambda f: f.drop(columns="tariff_period"), "tariff_period"),
        (lambda f: f.assign(load_pu=f["load_pu"].where(f["hour"] != 5, -0.1)), "load_pu"),
        (lambda f: f.assign(wind_pu=f["wind_pu"].where(f["hour"] != 3, 2.0)), "wind_pu"),
        (lambda f: f.assign(pv_pu=f["pv_pu"].where(f["hour"] != 3, np.nan)), "pv_pu"),
        (
            lambda f: f.assign(tariff_period=f["tariff_period"].replace("peak", "shoulder")),
            "tariff_period",
        ),
        (lambda f: f.assign(hour=f["hour"] + 1), "hour"),
        (lambda f: f.iloc[[0, 2, 1, *range(3, 24)]], "hour"),
    ],
)
def test_bad_frames_name_the_column(params: Params, frame: pd.DataFrame, change, column) -> None:
    with pytest.raises(ValueError, match=rf"profiles(\.|: missing column '){column}"):
        load_profiles(params, change(frame.copy()))


def test_empty_frame(params: Params, frame: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match=r"profiles\.hour"):
        load_profiles(params, frame.iloc[:0])


# ----- messages that name the file, the column and the row -----------------------------------
def _write(tmp_path, text: str):
    path = tmp_path / "profiles.csv"
    path.write_text(text, encoding="utf-8")
    return load_params(overrides={"profiles.file": str(path)}), path


def test_an_empty_profiles_file_is_named(tmp_path) -> None:
    params, path = _write(tmp_path, "")
    with pytest.raises(ValueError, match=rf"profiles file {path} is empty: expected a CSV"):
        load_profiles(params)
    params, path = _write(tmp_path, "hour,load_pu,pv_pu,wind_pu,tariff_period\n")
    with pytest.raises(ValueError, match=rf"profiles file {path} has a header but no rows"):
        load_profiles(params)


def test_a_value_that_is_not_a_number_names_file_column_and_row(tmp_path, frame) -> None:
    bad = frame.astype({"wind_pu": object})
    bad.loc[4, "wind_pu"] = "windy"
    text = bad.to_csv(index=False)
    params, path = _write(tmp_path, text)
    with pytest.raises(ValueError, match=rf"{path}: profiles\.wind_pu .* row 5: 'windy'"):
        load_profiles(params)
    params, path = _write(tmp_path, text.replace("\n3,", "\nthree,", 1))
    with pytest.raises(ValueError, match=r"profiles\.hour must hold finite numbers.*'three'"):
        load_profiles(params)


def test_a_missing_profiles_file_names_the_parameter(tmp_path) -> None:
    params = load_params(overrides={"profiles.file": str(tmp_path / "none.csv")})
    with pytest.raises(FileNotFoundError, match=r"none\.csv does not exist \(parameter profiles"):
        load_profiles(params)
