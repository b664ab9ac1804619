"""sopev_lib.studies.simbench_feeders: a SimBench MV grid as a planning case, and the AC check
of a plan on the grid as SimBench defines it."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from sopev_lib.studies.feeders import SOP_SHARE, solve_once, station_sites
from sopev_lib.studies.simbench_feeders import (
    SimbenchCase,
    simbench_ac_check,
    simbench_case,
)
from sopev_lib.system.params import load_params

CODE = "1-MV-rural--0-sw"


@pytest.fixture(scope="module")
def case() -> SimbenchCase:
    return simbench_case(CODE, load_params(overrides={"ev.forecast_days": 5}))


def test_case_follows_the_rules(case: SimbenchCase) -> None:
    p, feeder = case.params, case.grid.feeder
    ties = [t.name for t in feeder.ties]
    assert list(p.network.tie_lines) == ties and len(ties) == 6
    assert len(p.network.sop_sites) == round(SOP_SHARE * len(ties))
    ranked = list(case.sensitivities.sort_values("rank")["tie"])
    assert list(p.network.sop_sites) == ranked[: len(p.network.sop_sites)]
    assert list(p.ev.station_buses) == station_sites(feeder, 4)
    assert (p.network.v_min_pu, p.network.v_max_pu) == (0.965, 1.055)  # SimBench's MV band
    assert p.network.v_substation_pu == pytest.approx(1.025)
    modelled = case.dg[case.dg.role != "left out"].groupby("role")["kw"].sum()
    assert sum(p.dg.pv_rating_kw) == pytest.approx(modelled["pv"], abs=1.0)
    assert sum(p.dg.wind_rating_kw) == pytest.approx(modelled["wind"], abs=1.0)
    assert set(case.dg[case.dg.role == "left out"]["type"]) == {"Biomass_MV", "Hydro_MV"}
    assert feeder.total_load_kw == pytest.approx(17256.0)  # loads only, generators apart


def test_plan_on_simbench_grid_is_a_power_flow_of_simbench_network(case: SimbenchCase) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        result = solve_once(4, case.inputs())
    diff = simbench_ac_check(case, result)
    assert diff.shape == (case.grid.feeder.n_bus - 1, 24)
    assert np.abs(diff).max() < 1e-6
    assert sum(result.sop_capacity_kva.values()) > 0


def test_unknown_code() -> None:
    with pytest.raises(ValueError, match="unknown SimBench code"):
        simbench_case("1-MV-nowhere--0-sw")
