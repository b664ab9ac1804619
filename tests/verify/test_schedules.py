"""Plan 4's station schedules disaggregated over the vehicles (sopev_lib.verify.schedules)."""

from __future__ import annotations

import numpy as np
import pytest

from sopev_lib.core.ev.fleet import sample_fleet
from sopev_lib.verify.disaggregate import Disaggregation
from sopev_lib.verify.schedules import (
    StationCheck,
    check_plan4_schedules,
    saving_at_risk,
    schedule_check_table,
)


def fake_check(
    mode: str, day: int, station: int, missed: float, mismatch: np.ndarray
) -> StationCheck:
    res = Disaggregation(
        schedule_kw=np.zeros(24),
        realised_kw=-mismatch,
        mismatch_kw=mismatch,
        shortfall_kwh=np.array([missed]),
        p_ch_kw=np.zeros(1),
        p_dis_kw=np.zeros(1),
        energy_kwh=np.zeros(1),
        vehicle=np.zeros(1, int),
        slot=np.zeros(1, int),
        cycling_kwh=0.0,
        priority="schedule",
        status="Optimal",
    )
    return StationCheck(
        mode=mode,
        day=day,
        station=station,
        name=f"station {station + 1}",
        bus=2,
        n_vehicles=1,
        need_kwh=100.0,
        charged_kwh=50.0,
        discharged_kwh=10.0,
        plan_cost=1.0,
        result=res,
        seconds=0.0,
    )


def test_saving_at_risk_by_hand() -> None:
    tariff = np.r_[np.full(12, 0.3), np.full(12, 0.6)]
    m = np.zeros(24)
    m[0], m[20] = 10.0, -5.0  # |mismatch| 15 kWh, worth 10 x 0.3 + 5 x 0.6 = 6 RMB a day
    checks = [
        fake_check("own_day", 0, 0, 95.0, m),
        fake_check("own_day", 0, 1, 0.0, 0 * m),
        fake_check("own_day", 1, 0, 0.0, 0 * m),
    ]
    risk = saving_at_risk(checks, tariff, eta_ch=0.95, days_per_year=365.0)
    row = risk.iloc[0]
    assert row["days"] == 2 and row["stations"] == 2
    assert row["missed (kWh/day)"] == pytest.approx(95.0 / 2)  # mean over the two days
    # 47.5 kWh / 0.95 = 50 kWh from the grid, x 0.3 RMB x 365 / 10^4
    assert row["cost of missed energy, low"] == pytest.approx(50 * 0.3 * 365 / 1e4)
    assert row["cost of missed energy, high"] == pytest.approx(50 * 0.6 * 365 / 1e4)
    assert row["mismatch (kWh/day)"] == pytest.approx(7.5)
    assert row["mismatch at the tariff"] == pytest.approx(3.0 * 365 / 1e4)
    table = schedule_check_table(checks)
    assert table.loc[0, "missed (%)"] == pytest.approx(95.0)
    assert table.loc[0, "mismatch (%)"] == pytest.approx(100 * 15 / 60)
    with pytest.raises(ValueError, match="eta_ch"):
        saving_at_risk(checks, tariff, eta_ch=0.0, days_per_year=365.0)


def test_checks_plan4_on_a_small_fleet(reproduction) -> None:
    r4 = reproduction.results[4]
    params = r4.inputs.params
    fleet = sample_fleet(params, 2, seed=1, count_scale=0.05)  # about 20 cars per station
    checks = check_plan4_schedules(r4, [1], stations=[0], modes=["planning"], fleet=fleet)
    (c,) = checks
    sub = fleet.select(day=1, station=0)
    assert c.n_vehicles == sub.n_vehicles
    assert c.need_kwh == pytest.approx(float(sub.energy_need_kwh.sum()))
    p_net = r4.device("stations")["p_net_kw"][0]
    assert c.charged_kwh == pytest.approx(float(np.maximum(p_net, 0).sum()))
    # a schedule for ~400 cars cannot be followed by ~20: most of it is mismatch
    assert c.mismatch_kwh > 0.5 * (c.charged_kwh + c.discharged_kwh)
    assert c.result.mismatch_kw.shape == (24,)


def test_bad_input(reproduction) -> None:
    with pytest.raises(ValueError, match="no EV stations"):
        check_plan4_schedules(reproduction.results[1])
    r4 = reproduction.results[4]
    fleet = sample_fleet(r4.inputs.params, 2, seed=1, count_scale=0.05)
    with pytest.raises(ValueError, match="modes"):
        check_plan4_schedules(r4, [0], modes=["sometimes"], fleet=fleet)
    with pytest.raises(ValueError, match="days"):
        check_plan4_schedules(r4, [5], fleet=fleet)
    with pytest.raises(ValueError, match="stations"):
        check_plan4_schedules(r4, [0], stations=[9], fleet=fleet)
