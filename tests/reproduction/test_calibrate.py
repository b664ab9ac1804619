"""The calibrated variant (sopev_lib.reproduction.calibrate): a 1-D root find on the load level."""

from __future__ import annotations

import numpy as np
import pytest

from sopev_lib.core.inputs import prepare_inputs
from sopev_lib.core.plans import ModelCache
from sopev_lib.reproduction.calibrate import calibrate, plan_cost, scan
from sopev_lib.system.params import load_params


@pytest.fixture(scope="module")
def setup():
    params = load_params(overrides={"ev.forecast_days": 5})
    return params, prepare_inputs(params), ModelCache()


def test_recovers_a_known_load_level(setup) -> None:
    params, inputs, cache = setup
    at = prepare_inputs(
        params.replace(**{"ev.forecast_days": 5, "profiles.load_scale": 1.1}),
        feeder=inputs.feeder,
        envelopes=inputs.envelopes,
    )
    target, _ = plan_cost(1, at, cache)
    cal = calibrate(target, params=params, base_inputs=inputs, cache=cache, bracket=(0.8, 1.25))
    assert cal.status == "calibrated"
    assert cal.value == pytest.approx(1.1, abs=1e-4)
    assert cal.achieved == pytest.approx(target, rel=1e-6)
    assert cal.params.profiles.load_scale == pytest.approx(cal.value)
    assert cal.params.ev.forecast_days == 5  # the base overrides are kept
    assert np.isnan(cal.feasible_max)  # feasible over the whole bracket


def test_target_beyond_the_voltage_limit_is_reported(setup) -> None:
    params, inputs, cache = setup
    cal = calibrate(
        5000.0,
        params=params,
        base_inputs=inputs,
        cache=cache,
        bracket=(1.0, 1.6),
        frontier_tol=0.02,
    )
    assert cal.status == "infeasible"
    assert 1.0 < cal.feasible_max < 1.6
    assert cal.cost_at_feasible_max < 5000.0
    assert "infeasible" in cal.message
    assert any(s == "infeasible" for _, _, s in cal.evaluations)
    low = calibrate(10.0, params=params, base_inputs=inputs, cache=cache, bracket=(0.8, 1.0))
    assert low.status == "out of range"


@pytest.mark.filterwarnings("ignore:Solution may be inaccurate")
def test_bad_input_and_scan(setup) -> None:
    params, inputs, cache = setup
    with pytest.raises(ValueError, match="bracket"):
        calibrate(1000.0, params=params, base_inputs=inputs, bracket=(1.2, 1.0))
    with pytest.raises(ValueError, match="plan"):
        calibrate(1000.0, params=params, base_inputs=inputs, plan=9)
    with pytest.raises(ValueError, match="parameter"):
        calibrate(1000.0, params=params, base_inputs=inputs, parameters=())
    table = scan([0.9, 1.0], plans=(1, 4), params=params, base_inputs=inputs, cache=cache)
    assert len(table) == 4 and set(table["status"]) == {"ok"}
    t1 = table[table.plan == 1].sort_values("x")["total"].to_numpy()
    assert t1[1] > t1[0]  # more load, more cost
    assert (table[table.plan == 1]["saving_pct"] == 0).all()
