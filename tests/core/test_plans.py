"""The four plans: verified physics, economics, results on disk, the CLI, SOP siting."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from sopev_lib.cli import main, parse_overrides
from sopev_lib.core.economics import cost_breakdown, cost_table, loss_double_count, savings_table
from sopev_lib.core.siting import tie_sensitivities
from sopev_lib.reproduction.paper import (
    load_paper_results,
    table4_comparison,
    table5_comparison,
    write_results,
)
from sopev_lib.verify.checks import VerificationError, relaxation_gap, require_verified


def test_every_plan_verifies(reproduction) -> None:
    """Cone gap below 1e-5 and pandapower within 1e-4 p.u. of the SOCP, for all four plans."""
    assert set(reproduction.results) == {1, 2, 3, 4}
    for n, check in reproduction.checks.items():
        assert check.passed, check.messages
        assert check.max_relaxation_gap_rel < 1e-5
        assert check.ac_max_voltage_error_pu < 1e-4
        assert check.ac_converged
        assert check.sop_loss_excess_kw < 1e-2
        assert check.storage_simultaneous_kw < 1e-2
        assert reproduction.results[n].solution.info.status == "optimal"


def test_relaxation_gap_is_nonnegative_physics(reproduction) -> None:
    gap, _ = relaxation_gap(reproduction.results[4])
    assert gap.min() > -1e-8  # the cone constraint itself


def test_cost_breakdown_sums_to_objective(reproduction) -> None:
    for result in reproduction.results.values():
        costs = cost_breakdown(result)
        assert costs["total"] == pytest.approx(result.objective, rel=1e-9, abs=1e-9)
        assert costs["total"] == pytest.approx(
            costs["C_SI"] + costs["C_OMS"] + costs["C_PC"] + costs["C_NLC"]
        )
        # the losses bought through C_PC are the double count of Eq. (15)
        assert 0 < loss_double_count(result) <= costs["C_PC"]


def test_plan_economics_nesting(reproduction) -> None:
    """Plan 2 nests Plan 1 (SOPs may be 0 kVA), Plan 3 nests Plan 2 (ESS may be 0 kWh), and
    Plan 4 nests Plan 2 (uncontrolled charging is a feasible point of the station envelopes),
    so none of these optima can cost more. Plan 3 versus Plan 4 is a question of data (the
    report checks the paper's ordering)."""
    total = cost_table(reproduction.results)["total"]
    assert total["Plan 2"] <= total["Plan 1"] + 1e-6
    assert total["Plan 3"] <= total["Plan 2"] + 1e-6
    assert total["Plan 4"] <= total["Plan 2"] + 1e-6
    assert cost_breakdown(reproduction.results[1])["C_SI"] == 0.0
    savings = savings_table(reproduction.results)
    assert savings.loc["Plan 1", "benefit"] == 0.0
    assert (savings["benefit_pct"].iloc[1:] > 0).all()


def test_paper_tables_side_by_side(reproduction) -> None:
    paper = load_paper_results()
    t4 = table4_comparison(reproduction.results, paper)
    assert list(t4.index) == ["Plan 1", "Plan 2", "Plan 3", "Plan 4"]
    assert t4.loc["Plan 4", "cost paper"] == paper["table4"]["plans"][4]["consolidated_cost"]
    assert t4.loc["Plan 2", "8-21 ours (kVA)"] == pytest.approx(
        reproduction.results[2].sop_capacity_kva["8-21"]
    )
    t5 = table5_comparison(reproduction.results, paper)
    row = t5[(t5.plan == "Plan 3") & (t5.term == "C_SI")].iloc[0]
    assert row.paper == paper["table5"]["plans"][3]["C_SI"]
    assert row.difference == pytest.approx(row.ours - row.paper)


def test_results_schema_on_disk(reproduction, tmp_path) -> None:
    path = write_results(reproduction.results, tmp_path, reproduction.checks)
    summary = json.loads(path.read_text())
    plan4 = summary["plans"]["plan4"]
    for key in ("sop_kva", "ess", "costs", "checks", "solver", "paper"):
        assert key in plan4
    assert set(plan4["costs"]) == {"C_SI", "C_OMS", "C_PC", "C_NLC", "total"}
    columns = {
        "buses.csv": [
            "hour",
            "bus",
            "v_pu",
            "p_load_kw",
            "q_load_kvar",
            "p_dg_kw",
            "p_dg_avail_kw",
            "p_storage_kw",
            "p_sop_kw",
            "q_sop_kvar",
        ],
        "branches.csv": ["hour", "from_bus", "to_bus", "p_kw", "q_kvar", "i_a", "loss_kw"],
        "sops.csv": ["hour", "tie", "p_a_kw", "q_a_kvar", "p_b_kw", "q_b_kvar", "loss_kw"],
        "substation.csv": ["hour", "p_kw", "q_kvar", "tariff_rmb_per_kwh"],
    }
    for name, cols in columns.items():
        df = pd.read_csv(tmp_path / "plan4" / name)
        assert set(cols) <= set(df.columns), name
    buses = pd.read_csv(tmp_path / "plan4" / "buses.csv")
    assert len(buses) == 33 * 24 and buses.bus.min() == 1
    branches = pd.read_csv(tmp_path / "plan1" / "branches.csv")
    assert len(branches) == 32 * 24
    assert branches.groupby("hour").loss_kw.sum().sum() == pytest.approx(
        reproduction.results[1].solution.network["loss_kw"].sum()
    )


def test_failed_verification_is_loud(reproduction) -> None:
    check = reproduction.checks[1]
    broken = type(check)(**{**check.__dict__, "passed": False, "messages": ("gap too big",)})
    with pytest.raises(VerificationError, match="Plan 1 failed verification: gap too big"):
        require_verified(broken)


def test_cli_reproduce_writes_results(tmp_path, capsys) -> None:
    code = main(["reproduce", "--out", str(tmp_path), "--plans", "1", "2", "--no-ac"])
    out = capsys.readouterr().out
    assert code == 0
    assert "Table 4" in out and "Table 5" in out
    assert (tmp_path / "summary.json").exists() and (tmp_path / "plan2" / "sops.csv").exists()
    assert parse_overrides(["network.v_min_pu=0.95", "ev.seed=7"]) == {
        "network.v_min_pu": 0.95,
        "ev.seed": 7,
    }
    assert main(["reproduce", "--out", str(tmp_path), "--set", "network.v_min_pu=2"]) == 2
    assert "network.v_min_pu = 2" in capsys.readouterr().err


def test_sensitivity_siting_picks_the_papers_sites(inputs) -> None:
    ranking = tie_sensitivities(inputs)
    assert set(ranking.tie.head(3)) == {"12-22", "25-29", "8-21"}
    assert list(ranking["rank"]) == [1, 2, 3, 4, 5]
    # the first-order factor and pandapower finite differences agree on the order
    hours = [3, 12, 19]
    analytic = tie_sensitivities(inputs, hours=hours)
    exact = tie_sensitivities(inputs, method="finite_difference", hours=hours)
    assert list(analytic.tie) == list(exact.tie)
    merged = analytic.merge(exact, on="tie", suffixes=("_lsf", "_fd"))
    ratio = merged.active_kw_per_kw_lsf / merged.active_kw_per_kw_fd
    assert ratio.between(0.7, 1.05).all()
    with pytest.raises(ValueError, match="method"):
        tie_sensitivities(inputs, method="guess")


def test_gap_floor_scales_with_the_feeder(reproduction) -> None:
    from sopev_lib.verify.checks import GAP_FLOOR_FRACTION, gap_floor_pu2

    result = reproduction.results[1]
    net = result.solution.network
    s_max = np.sqrt((net["l_pu"] * net["v_sq_pu"][result.inputs.feeder.from_idx]).max())
    assert gap_floor_pu2(result) == pytest.approx((GAP_FLOOR_FRACTION * s_max) ** 2)
    raw = relaxation_gap(result, floor_pu2=0.0)[1]
    floored = relaxation_gap(result)[1]
    assert np.all(np.abs(floored) <= np.abs(raw) + 1e-15)
    with pytest.raises(ValueError, match="fraction"):
        gap_floor_pu2(result, fraction=1.5)


def test_hourly_siting_table_matches_the_ranking(inputs) -> None:
    from sopev_lib.core.siting import tie_sensitivities_hourly

    hourly = tie_sensitivities_hourly(inputs, hours=[3, 19])
    assert len(hourly) == 2 * len(inputs.feeder.ties)
    daily = tie_sensitivities(inputs, hours=[3, 19]).set_index("tie")
    means = hourly.groupby("tie").active_kw_per_kw.mean()
    np.testing.assert_allclose(means[daily.index], daily.active_kw_per_kw)


def test_solve_each_keeps_the_infeasible_plans(inputs) -> None:
    """solve_each returns the error of a plan without a solution and solves the others."""
    from sopev_lib.core.inputs import rebuild_inputs
    from sopev_lib.core.model import InfeasiblePlanError
    from sopev_lib.core.plans import solve_each

    low = rebuild_inputs(inputs, {"network.v_substation_pu": 1.0})
    out = solve_each(low, plans=(1, 2))
    assert isinstance(out[1], InfeasiblePlanError) and "Plan 1" in str(out[1])
    assert out[2].name == "Plan 2" and out[2].solution.info.status == "optimal"
