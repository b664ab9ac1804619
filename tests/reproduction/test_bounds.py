"""The ideal-SOP bound (sopev_lib.reproduction.bounds) and Table 4 explained
(sopev_lib.reproduction.table4)."""

from __future__ import annotations

import numpy as np
import pytest

from sopev_lib.core.economics import cost_breakdown
from sopev_lib.core.inputs import prepare_inputs
from sopev_lib.core.plans import ModelCache, solve_plan
from sopev_lib.reproduction.bounds import ideal_sop_bound
from sopev_lib.reproduction.table4 import (
    VARIANTS,
    paper_sizes,
    sizes_verdict,
    sop_use,
    table4_variants,
)
from sopev_lib.system.params import load_params


@pytest.fixture(scope="module")
def small():
    return prepare_inputs(load_params(overrides={"ev.forecast_days": 5}))


def test_no_sop_plan_beats_the_ideal_bound(small) -> None:
    cache = ModelCache()
    bound = ideal_sop_bound(small, cache=cache)
    assert not bound.binds
    assert set(bound.sop_kva) == set(small.params.network.tie_lines)
    total1 = cost_breakdown(solve_plan(1, small, cache=cache))["total"]
    assert bound.plan1_total == pytest.approx(total1, rel=1e-6)
    total2 = cost_breakdown(solve_plan(2, small, cache=cache))["total"]
    assert bound.ideal_total <= total2 + 1e-6  # no SOP plan does better
    assert 0 < bound.saving_pct < 10
    assert bound.loss_kwh[1] < bound.loss_kwh[0]
    # the default SOP plan of the same cache is not spoilt by the free SOPs
    again = cost_breakdown(solve_plan(2, small, cache=cache))["total"]
    assert again == pytest.approx(total2, rel=1e-6)


def test_sop_use_splits_active_and_reactive(small) -> None:
    r = solve_plan(2, small)
    use = sop_use(r)
    assert list(use["tie"]) == list(small.params.network.sop_sites)
    assert ((use["active share"] >= 0) & (use["active share"] <= 100)).all()
    assert (use["peak Q"] <= use["capacity"] + 1e-6).all()
    with pytest.raises(ValueError, match="no SOP"):
        sop_use(solve_plan(1, small))


def test_table4_variants(small) -> None:
    v = table4_variants(small, cache=ModelCache())
    assert list(dict.fromkeys(v["reading"])) == list(VARIANTS)
    fixed = v[v["reading"] == "paper sizes"]
    np.testing.assert_allclose(fixed["kVA"], fixed["paper kVA"], rtol=1e-5, atol=0.05)
    sizes = paper_sizes()
    assert sorted(sizes) == [2, 3, 4] and sizes[4]["25-29"] == 500.0
    verdict = sizes_verdict(v)
    assert verdict["closest"] in VARIANTS and "paper sizes" not in verdict["stats"].index
    assert verdict["phrase"]
    # a reading that reproduced every site would be named
    fake = v.assign(**{"kVA": np.where(v["reading"] == "defaults", v["paper kVA"], v["kVA"])})
    assert sizes_verdict(fake)["match"] == ["defaults"]
    with pytest.raises(ValueError, match="unknown"):
        table4_variants(small, variants=["nonsense"])
