"""The multi-reading search (sopev_lib.studies.readings, studies/paper_readings.yaml)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sopev_lib.studies.readings import (
    nearest_fits,
    paper_readings,
    paper_savings,
    reading_overrides,
)
from sopev_lib.studies.sensitivity import STUDY_DIR
from sopev_lib.studies.sweep import load_config, resolve_function


def test_config_is_valid_and_registered() -> None:
    full = load_config(STUDY_DIR / "paper_readings.yaml", check=True)
    small = load_config(STUDY_DIR / "paper_readings.yaml", size="small")
    assert full.function.endswith(":paper_readings") and full.n_points == 384
    assert 0 < small.n_points <= 4
    assert resolve_function("paper_readings")[1] is paper_readings


def test_reading_overrides() -> None:
    params, amp, reverse = reading_overrides(
        {"voltage_band": 0.05, "stations": "ends", "dg_nameplate_peak": True}
    )
    assert (params.network.v_min_pu, params.network.v_max_pu) == (0.95, 1.05)
    assert params.ev.station_buses == (18, 33, 22, 25)
    assert params.profiles.pv_scale > 1 and params.profiles.wind_scale > 1
    assert amp is None and reverse is False
    for bad in ({"voltage_band": 0.7}, {"stations": "x"}, {"no_reverse_flow": 1}, {"foo": 1}):
        with pytest.raises(ValueError):
            reading_overrides(bad)


def test_a_point_and_the_nearest_fit() -> None:
    (row,) = paper_readings({"ev.forecast_days": 5, "no_reverse_flow": True}, {})
    assert row["infeasible"] == ""
    paper = paper_savings()
    diffs = [row[f"saving_{n}"] - paper[n] for n in (2, 3, 4)]
    assert row["fit_pp"] == pytest.approx(np.sqrt(np.mean(np.square(diffs))))
    assert row["saving_2"] <= row["ideal_saving"] + 1e-6  # the bound holds under the reading
    assert row["curtailed_pct_1"] > 0  # forbidding reverse flow curtails DG in Plan 1
    table = pd.DataFrame(
        {
            "a": [1, 2, 3],
            "status": "ok",
            "fit_pp": [3.0, 1.0, np.nan],
            "saving_2": [1.0, 2.0, 3.0],
            "saving_3": 0.0,
            "saving_4": 0.0,
            "ideal_saving": 1.0,
        }
    )
    assert nearest_fits(table, ["a"], n=5)["a"].tolist() == [2, 1]
    # a reading without effect gives the same results as a nearer combination: left out
    same = pd.concat([table, table.iloc[[1]].assign(a=4)], ignore_index=True)
    assert nearest_fits(same, ["a"], n=5)["a"].tolist() == [2, 1]
