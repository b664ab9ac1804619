"""Several schedules of one station and day on one warm-started LP model
(sopev_lib.verify.disaggregate.disaggregate_many)."""

from __future__ import annotations

import numpy as np
import pytest

from sopev_lib.core.ev.envelopes import station_envelopes
from sopev_lib.core.ev.fleet import T_HOURS, sample_fleet
from sopev_lib.verify.disaggregate import (
    arbitrage_schedule,
    disaggregate,
    disaggregate_many,
)


@pytest.fixture(scope="module")
def fleet(params):
    return sample_fleet(params, 1, seed=3, count_scale=0.3)


@pytest.fixture(scope="module")
def schedules(fleet, inputs) -> list[np.ndarray]:
    env = station_envelopes(fleet).to_storage(day=0)[1]
    return [
        env.uncontrolled_kw,
        arbitrage_schedule(env, inputs.profiles.tariff_rmb_per_kwh),
        np.full(T_HOURS, 30.0),
    ]


def test_warm_started_schedules_equal_cold_ones(fleet, schedules) -> None:
    warm = disaggregate_many(fleet, schedules, station=1)
    assert len(warm) == len(schedules)
    for schedule, res in zip(schedules, warm, strict=True):
        cold = disaggregate(fleet, schedule, station=1)
        np.testing.assert_array_equal(res.schedule_kw, schedule)
        assert res.mismatch_kwh == pytest.approx(cold.mismatch_kwh, abs=1e-5)
        assert res.total_shortfall_kwh == pytest.approx(cold.total_shortfall_kwh, abs=1e-5)
        assert res.seconds > 0.0
    assert warm[0].total_shortfall_kwh < 1e-6  # uncontrolled charging is always feasible
    assert warm[0].mismatch_kwh < 1e-5


def test_a_bad_schedule_is_refused_before_any_solve(fleet, schedules) -> None:
    with pytest.raises(ValueError, match="24 finite hourly values"):
        disaggregate_many(fleet, [schedules[0], np.zeros(23)], station=1)
    with pytest.raises(ValueError, match="priority"):
        disaggregate_many(fleet, schedules[:1], priority="cost")
