"""sopev_lib.book.simbench_tables: chapter 9's tables fit the column, phrases follow results."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sopev_lib.book.simbench_tables import (
    basis_plans_table,
    estimate_phrase,
    profile_comparison,
    ranking_phrase,
    representative_days_table,
    robustness_phrase,
    study_time_phrase,
    value_phrase,
    value_table,
    verification_table,
    year_cost_table,
)
from sopev_lib.studies.year import PlanSizes
from sopev_lib.system.params import load_params
from sopev_lib.system.profiles import YearProfiles, file_profiles


def summary(infeasible: int = 0, cheapest: int = 4) -> pd.DataFrame:
    rows = []
    for basis in ("ours", "mean", "K4"):
        for plan in (1, 2, 3, 4):
            cost = 100.0 - (10.0 if plan == cheapest else plan)
            rows.append(
                {
                    "basis": basis,
                    "plan": plan,
                    "days": 366,
                    "estimate": 1.02 * cost,
                    "true_cost": cost,
                    "error_pct": 2.0,
                    "infeasible": 0,
                    "v_min_pu": 0.97,
                }
            )
    df = pd.DataFrame(rows)
    df.loc[(df.basis == "mean") & (df.plan == 1), "infeasible"] = infeasible
    return df


def test_profile_comparison_has_our_day_and_the_year() -> None:
    ours = file_profiles(load_params())
    year = YearProfiles(
        load_pu=np.vstack([ours.load_pu, 0.5 * ours.load_pu]),
        pv_pu=np.zeros((2, 24)),
        wind_pu=np.ones((2, 24)),
        tariff_period=ours.tariff_period,
        tariff_rmb_per_kwh=ours.tariff_rmb_per_kwh,
        dates=pd.date_range("2016-01-01", periods=2),
        load_profiles=(),
        source="test",
    )
    table = profile_comparison(ours, year)
    assert table.shape == (4, 4)
    assert table.iloc[0]["ours"] == "0.81" and table.iloc[0]["SimBench, year mean"] == "0.61"
    assert table.iloc[2]["SimBench days, 5-95 %"] == "1.00 to 1.00"


def test_plan_tables_fit_the_column() -> None:
    sizes = {
        b: {
            n: PlanSizes(
                n, b, {"1-2": 100.0 * n}, (5.0,) if n == 3 else (), (), {"total": 90.0 + n}
            )
            for n in (1, 2, 3, 4)
        }
        for b in ("ours", "mean", "K4")
    }
    table = basis_plans_table(sizes)
    assert list(table.columns) == ["", "design day (ours)", "mean day", "K = 4 days"]
    assert table.iloc[2]["mean day"] == "5"  # Plan 3's battery
    years = year_cost_table(summary())
    assert years.shape == (4, 4) and years.iloc[3]["mean day"] == "90.0 (91.8)"
    checks = verification_table({"1-MV-rural--0-sw": [1e-6] * 4}, {"1-MV-rural--0-sw": [1e-11] * 4})
    assert checks.shape == (4, 3)


def test_phrases_follow_the_results() -> None:
    ok = summary()
    assert "kept the voltage limits on all 366 days" in robustness_phrase(ok)
    assert "Plan 1 of the mean day on 3 days" in robustness_phrase(summary(infeasible=3))
    assert ranking_phrase(ok) == "Plan 4 is the cheapest plan over the year on every basis"
    assert "Plan 2 on the design day (ours)" in ranking_phrase(summary(cheapest=2))
    assert estimate_phrase(ok, "mean") == "2.0 to 2.0 % above the true cost"
    value = pd.DataFrame(
        {
            "basis": ["K4", "ours"],
            "plan": [4, 4],
            "saving": [0.05, -1.0],
            "saving_pct": [0.01, -0.2],
        }
    )
    assert value_phrase(value).startswith("0.05 × 10⁴ RMB a year (0.010 %), Plan 4 on K = 4 days")
    assert "flat" in value_phrase(value)
    assert value_table(value).shape == (1, 3)
    none = value.assign(saving=-0.1)
    assert value_phrase(none).startswith("nothing")


@pytest.mark.parametrize("members", [[3, 2], [1, 4]])
def test_days_table(members: list[int]) -> None:
    days = pd.DataFrame(
        {
            "date": ["01 Jan", "05 Feb"],
            "members": members,
            "load_kwh": [40000.0, 50000.0],
            "pv_kwh": [1000.0, 0.0],
            "wind_kwh": [5000.0, 12000.0],
        }
    )
    table = representative_days_table(days)
    assert table.shape == (2, 5)
    assert list(table["days it stands for"]) == [str(m) for m in members]
    assert table.iloc[1]["wind (MWh)"] == "12.0"


def test_study_time_phrase() -> None:
    read = study_time_phrase("full-size table", {"seconds": 598.4, "workers": 2})
    assert read.startswith("the year study's table was read") and "598 s on 2 Dask" in read
    here = study_time_phrase("small, computed here", {"seconds": 12.0, "workers": 0, "n_run": 4})
    assert here == "the year study took 12 s of it, in this kernel"
    again = study_time_phrase("small, computed earlier with this code", {"n_run": 0})
    assert again.endswith("an earlier run with the same code")
