"""The registry of alternative readings and the one-at-a-time study
(sopev_lib.reproduction.assumptions)."""

from __future__ import annotations

import numpy as np
import pytest

from sopev_lib.core.economics import cost_breakdown, total_losses_kw
from sopev_lib.core.inputs import prepare_inputs
from sopev_lib.core.model import InfeasiblePlanError
from sopev_lib.core.plans import ModelCache, solve_plan
from sopev_lib.reproduction.assumptions import (
    ALTERNATIVES,
    NOT_VARIED,
    alternatives_table,
    assumption_table,
    run_alternatives,
    select_alternatives,
)
from sopev_lib.system.params import load_params, provenance_table


@pytest.fixture(scope="module")
def small():
    """Parameters and inputs with a short Monte Carlo forecast (fast envelopes)."""
    params = load_params(overrides={"ev.forecast_days": 5})
    return params, prepare_inputs(params)


def test_registry_is_valid(small) -> None:
    params, _ = small
    keys = [a.key for a in ALTERNATIVES]
    assert len(keys) == len(set(keys))
    known = {row[0] for row in params.provenance}
    for alt in ALTERNATIVES:
        assert set(alt.parameters) <= known, alt.key
        ov = alt.resolve(params)
        assert set(ov) <= set(alt.parameters), alt.key
        if ov:
            load_params(overrides=ov)  # every reading is an allowed value
    assert set(NOT_VARIED) <= known
    half = next(a for a in ALTERNATIVES if a.key == "ess_half").resolve(params)
    assert half["ess.energy_cost_rmb_per_kwh"] == 0.5 * params.ess.energy_cost_rmb_per_kwh
    avg = next(a for a in ALTERNATIVES if a.key == "load_average").resolve(params)
    assert avg["profiles.load_scale"] > 1.0  # the curve's mean is below its peak


def test_select() -> None:
    core = select_alternatives("core")
    assert core and all(a.core for a in core)
    assert len(select_alternatives("all")) == len(ALTERNATIVES)
    assert [a.key for a in select_alternatives("crf, loss_flat")] == ["crf", "loss_flat"]
    with pytest.raises(ValueError, match="allowed"):
        select_alternatives("crf, nonsense")


def test_one_at_a_time_records_infeasible_plans(small) -> None:
    params, inputs = small
    chosen = select_alternatives("v_sub_1.00, crf")
    default, runs = run_alternatives(
        chosen, params=params, base_inputs=inputs, cache=ModelCache(), plans=(1, 2)
    )
    assert not default.failed and default.total(2) < default.total(1)
    vsub, crf = runs
    assert vsub.failed == [1]
    assert isinstance(vsub.results[1], InfeasiblePlanError)
    assert np.isnan(vsub.saving_pct(2))
    assert vsub.overrides == {"network.v_substation_pu": 1.0}
    # the capital recovery factor makes SOP capacity dearer: less of it, the same Plan 1
    assert crf.total(1) == pytest.approx(default.total(1), rel=1e-6)
    assert crf.sop_kva(2) < default.sop_kva(2)
    table = alternatives_table(default, runs, plans=(1, 2))
    assert list(table["key"]) == ["defaults", "v_sub_1.00", "crf"]
    assert table.loc[1, "status"] == "infeasible: Plan 1"
    assert "lower voltage limit" in table.loc[1, "note"]
    assert table.loc[2, "change of Plan 2 saving (pp)"] < 0
    prov = provenance_table(params)
    assumed = prov.query("kind == 'assumed'")["parameter"].tolist()
    at = assumption_table(params, runs, default)
    # the overridden ev.forecast_days keeps its place: its default is an assumption
    assert sorted(at["parameter"]) == sorted([*assumed, "ev.forecast_days"])
    row = at.set_index("parameter").loc["ev.forecast_days"]
    assert row["value"] == "5 (overridden in this build)"
    assert row["reason"].startswith("number of Monte Carlo days")
    effect = dict(zip(at["parameter"], at["effect"], strict=True))
    assert "infeasible: Plan 1" in effect["network.v_substation_pu"]
    assert "not run in this build" in effect["network.v_min_pu"]
    assert effect["network.base_kva"] == NOT_VARIED["network.base_kva"]


def test_sop_losses_out_of_nlc(inputs) -> None:
    """economics.sop_loss_in_nlc = false leaves the converters' losses out of C_NLC, in the
    objective and in the breakdown alike."""
    params = inputs.params.replace(**{"economics.sop_loss_in_nlc": False})
    out_inputs = prepare_inputs(params, feeder=inputs.feeder, envelopes=inputs.envelopes)
    r_in, r_out = solve_plan(2, inputs), solve_plan(2, out_inputs)
    sop_loss_kwh = float(r_out.device("sop")["loss_kw"].sum())
    assert sop_loss_kwh > 0
    c_out = cost_breakdown(r_out)
    assert c_out["total"] == pytest.approx(r_out.objective, rel=1e-9)
    branch_only = total_losses_kw(r_out, include_sop=False)
    np.testing.assert_allclose(total_losses_kw(r_out), branch_only)
    assert c_out["total"] < cost_breakdown(r_in)["total"]


#: Assumed parameters that no alternative varies, and why: none of them can change a result of
#: the reproduction (Tables 4-6 of the four plans at stage 1), except ``profiles.file``, of
#: which no second reading exists (its levels are varied instead).
CANNOT_CHANGE_A_RESULT: dict[str, str] = {
    "network.base_kva": "the solver's per-unit base (results in kW do not depend on it)",
    "sop.max_capacity_kva": "a bound checked not to bind on every solution",
    "ess.max_energy_kwh": "a bound checked not to bind on every solution",
    "economics.loss_price_flat_rmb_per_kwh": "read only under the loss_flat alternative",
    **{
        f"profiles.simbench_{key}": "read only under profiles.source = simbench (the SimBench "
        "alternative runs it at its default)"
        for key in ("code", "residential", "commercial", "commercial_kw", "pv", "wind", "day")
    },
    "ev.forecast_band": "display only (chapter 2)",
    "flexibility.epsilon": "the second stage only; Table 6 is computed at stage 1",
    "flexibility.stage2_cost_weight": "the second stage only",
}


def test_every_assumption_that_can_change_a_result_has_an_alternative() -> None:
    """Every ``assumed:`` entry of data/params.yaml is varied by a registered alternative, or
    is listed above with the reason why it cannot change a result (and in NOT_VARIED, which the
    book shows)."""
    prov = provenance_table(load_params())
    assumed = set(prov.loc[prov["kind"] == "assumed", "parameter"])
    covered = {p for alt in ALTERNATIVES for p in alt.parameters}
    missing = sorted(assumed - covered - set(CANNOT_CHANGE_A_RESULT))
    assert not missing, f"assumed parameters without an alternative: {missing}"
    assert set(CANNOT_CHANGE_A_RESULT) <= assumed  # no stale entry
    assert not set(CANNOT_CHANGE_A_RESULT) & covered
    assert set(NOT_VARIED) == set(CANNOT_CHANGE_A_RESULT)
    # the three departures that were once stated only in prose are parameters with alternatives
    for path in ("ev.baseline_charging", "ev.eta_ref", "ess.buses"):
        assert path in assumed and path in covered, path


def test_flexibility_alternatives_change_table6_only(small) -> None:
    params, inputs = small
    chosen = select_alternatives("ampacity_200")
    default, (run,) = run_alternatives(
        chosen, params=params, base_inputs=inputs, cache=ModelCache(), plans=(1, 4)
    )
    assert run.total(4) == pytest.approx(default.total(4), rel=1e-6)
    # I_BF is proportional to 1 / I_max: half the rating, twice the index
    assert run.indices[1]["I_BF"] == pytest.approx(2 * default.indices[1]["I_BF"], rel=1e-6)
    effect = assumption_table(params, [run], default).set_index("parameter")
    assert "I_BF of Plans 1/4" in effect.loc["flexibility.branch_ampacity_a", "effect"]


def test_smart_baseline_separates_v2g(small) -> None:
    """Plans 1-3 charging smart (no discharge) cost less than uncontrolled; Plan 4 keeps its
    cost, so its saving against Plan 1 is what V2G adds."""
    params, inputs = small
    default, (run,) = run_alternatives(
        select_alternatives("smart_baseline"),
        params=params,
        base_inputs=inputs,
        cache=ModelCache(),
        plans=(1, 4),
    )
    assert run.total(1) < default.total(1)
    assert run.total(4) == pytest.approx(default.total(4), rel=1e-6)
    assert 0 < run.saving_pct(4) < default.saving_pct(4)
    stations = run.results[1].device("stations")
    assert stations and float(stations["p_dis_kw"].max()) < 1e-6  # charging only
