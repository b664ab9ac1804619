"""sopev_lib.book.beyond_tables: the tables of chapter 8 fit the column and hold the numbers;
its phrases follow the results."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sopev_lib.book import beyond_tables as bt
from sopev_lib.book.tables import fmt
from sopev_lib.core.economics import cost_breakdown
from sopev_lib.reproduction.pipeline import Reproduction

MAX_COLUMNS = 6


def fits(table: pd.DataFrame) -> pd.DataFrame:
    assert table.shape[1] <= MAX_COLUMNS
    assert not any("_" in str(c) and "$" not in str(c) for c in table.columns)  # no snake_case
    return table


def checks_frame(names: list[str], verified: list[bool], status: str = "optimal") -> pd.DataFrame:
    return pd.DataFrame(
        {
            "solve": names,
            "status": status,
            "iterations": 20,
            "gap_rel": [2e-6 if ok else 6.6e-5 for ok in verified],
            "ac_error_pu": 1e-10,
            "verified": verified,
            "messages": ["" if ok else "relaxation gap 6.60e-05 > 1e-05" for ok in verified],
        }
    )


def test_placement_table_groups_devices() -> None:
    placement = pd.DataFrame(
        {
            "device": ["PV", "PV", "WT", "EV station 1", "EV station 2", "SOP"],
            "bus": ["4", "5", "8", "2", "13", "9-15"],
            "rating_kw": [314.0, 1470.0, 2107.0, np.nan, np.nan, np.nan],
            "rule": ["site x share 0.673", "site x share 0.673", "w", "st", "st", "sop"],
        }
    )
    table = fits(bt.placement_table(placement))
    assert list(table["device"]) == ["PV", "wind (WT)", "EV stations", "SOPs"]
    assert table.loc[0, "bus or tie"] == "4, 5"
    assert table.loc[0, "rating (kW)"] == "314, 1,470"
    assert table.loc[0, "rule"] == "site × share 0.673"
    assert list(table["rating (kW)"])[2:] == ["sized", "sized"]


def test_sensitivity_table() -> None:
    sens = pd.DataFrame(
        {
            "rank": [2, 1],
            "tie": ["7-8", "9-15"],
            "active_kw_per_kw": [0.0063, 0.0356],
            "peak_active": [0.0109, 0.0927],
            "peak_hour": [3, 19],
        }
    )
    table = fits(bt.sensitivity_table(sens, ["9-15"]))
    assert list(table["tie"]) == ["9-15", "7-8"] and list(table["SOP"]) == ["yes", "no"]
    assert table.loc[0, "mean (kW/kW)"] == "0.0356"


def test_plan_tables_hold_the_costs(rep: Reproduction) -> None:
    costs = fits(bt.plan_cost_table(rep.results))
    assert list(costs.columns) == ["term"] + [r.name for r in rep.results.values()]
    for r in rep.results.values():
        assert costs[r.name].iloc[-1] == fmt(cost_breakdown(r)["total"], 2)
    checks = checks_frame([r.name for r in rep.results.values()], [True, True, True, False])
    table = fits(bt.plan_check_table(rep.results, checks))
    assert table.loc[0, "SOP (kVA)"] == "–"  # Plan 1 has no SOP
    assert table.loc[1, "SOP (kVA)"].count(":") == len(rep.results[2].sop_capacity_kva)
    assert list(table["verified"])[:3] == ["yes"] * 3
    assert table.loc[3, "verified"].startswith("NO: relaxation gap")
    best, share = bt.best_plan(rep.results)
    assert best in (2, 3, 4) and 0 < share <= 200
    assert bt.best_plan_reason(4).startswith(", that is") and bt.best_plan_reason(2) == "."


def test_scale_tables_and_verdicts() -> None:
    scale = pd.DataFrame(
        {
            "buses": [33, 129, 993],
            "variables": [3891, 15348, 118461],
            "iterations": [23, 25, 27],
            "build_s": [0.02, 0.02, 0.02],
            "compile_s": [0.1, 0.12, 0.4],
            "solve_s": [0.16, 0.6, 7.9],
            "end_to_end_s": [0.3, 0.8, 8.5],
            "end_to_end_cpu_s": [0.1, 0.4, 3.6],
            "overhead_ratio": [0.75, 0.23, 0.05],
            "status": ["optimal", "optimal_inaccurate", "optimal"],
            "runs": [3, 3, 1],
        }
    )
    size, times = fits(bt.scale_size_table(scale)), fits(bt.scale_time_table(scale))
    assert list(size["solves"]) == ["3", "3", "1"] and size.loc[2, "variables"] == "118,461"
    assert list(times["status"]) == ["optimal", "optimal (inaccurate)", "optimal"]
    assert bt.exponent_verdict(1.14) == "met (exponent 1.14)"
    assert bt.exponent_verdict(1.40).startswith("missed")
    assert bt.e2e_verdict(scale).startswith("missed: 8.5 s wall and 3.6 s CPU at 993 buses")
    assert bt.e2e_verdict(scale.iloc[:2]).startswith("not measured in this build")
    assert bt.overhead_verdict(scale).startswith("missed at 33 buses (0.75)")
    assert bt.overhead_verdict(scale.iloc[1:]) == "met (at most 0.23)"
    assert bt.status_by_size_phrase(scale) == (
        "optimal at 33 and 993 buses and optimal (inaccurate) at 129 buses"
    )
    assert bt.times_phrase([33, 65], [0.19, 0.72]) == "0.19 s at 33 buses and 0.72 s at 65 buses"


def test_multiday_tables_and_status() -> None:
    table = pd.DataFrame(
        {
            "K": [1, 52],
            "hours": [24, 1248],
            "variables": [3891, 202179],
            "iterations": [21, 33],
            "build_s": [0.05, 0.03],
            "compile_s": [0.2, 1.0],
            "solve_s": [0.3, 14.4],
            "multi_wall_s": [0.6, 15.7],
            "sop_multi_kva": [1030.7, 1055.6],
            "cost_single_on_days": [835.738, 923.825],
            "cost_multi": [835.608, 923.734],
            "value_of_planning": [0.129, 0.090],
            "value_pct": [0.0155, 0.0098],
        }
    )
    costs = fits(bt.multiday_cost_table(table))
    assert list(costs["$V_K$"]) == ["0.129", "0.090"]
    checks = checks_frame(
        ["K-day plan", "single-day sizes on the K days"] * 2, [True, True, False, False]
    )
    checks.insert(0, "K", [1, 1, 52, 52])
    checks.loc[2:, "status"] = "optimal_inaccurate"
    solves = fits(bt.multiday_solve_table(table, checks))
    assert list(solves.columns) == ["", "K = 1", "K = 52"]
    row = solves.set_index("")
    assert row.loc["status, K-day plan", "K = 52"] == "optimal (inaccurate)"
    assert row.loc["verified"].tolist() == ["yes", "NO"]
    assert row.loc["largest cone gap", "K = 52"] == "6.6e-05"
    phrase = bt.solve_status_phrase(checks)
    assert phrase.startswith("At K = 52 the K-day plan and single-day sizes on the K days")
    assert "optimal (inaccurate)" in phrase and phrase.endswith("NOT verified")
    assert bt.solve_status_phrase(checks.iloc[:2]).startswith("Every K-day solve ends")


def test_phrases() -> None:
    ok = checks_frame(["Plan 1", "Plan 2"], [True, True])
    assert bt.check_verdict(ok, passed="all pass") == "all pass"
    bad = checks_frame(["Plan 1", "Plan 2"], [True, False], status="optimal_inaccurate")
    assert bt.check_verdict(bad, passed="all pass", failed="FAILS: ") == (
        "FAILS: Plan 2 (optimal (inaccurate)): relaxation gap 6.60e-05 > 1e-05"
    )
    assert bt.sci_or_zero(0.0) == "0" and bt.sci_or_zero(1.67e-5) == "1.7e-05"
    assert bt.level_phrase(979.8, 923.8) == "overstates the annual cost by 6.1 %"
    assert bt.level_phrase(900.0, 1000.0) == "understates the annual cost by 10.0 %"
    assert "0.934" in bt.level_reason(0.934) and bt.level_reason(1.0).startswith("the year")
    assert bt.value_verdict(0.01).startswith("small") and bt.value_verdict(2.0).startswith("not")
    assert bt.sizes_phrase({"9-15": 244.2, "7-8": 352.6}) == "244 kVA at 9-15 and 353 kVA at 7-8"
    assert bt.extra_sop_phrase({"a": 500.0, "b": 0.2}, {"a": 600.0}).endswith(
        "not worth buying, as the ranking said."
    )
    assert "237 kVA" in bt.extra_sop_phrase({"a": 500.0, "b": 237.0}, {"a": 600.0})
    assert bt.status_text("optimal_inaccurate") == "optimal (inaccurate)"
    assert bt.status_text("infeasible_inaccurate") == "infeasible inaccurate"


@pytest.mark.parametrize(
    ("lo", "hi", "binds"), [(0.90, 1.10, None), (0.916, 1.10, "lower"), (0.90, 1.03, "upper")]
)
def test_limits_phrase(lo: float, hi: float, binds: str | None) -> None:
    v = {"Plan 1": np.array([[1.03, 1.03], [0.95, 0.916]]), "Plan 2": np.array([[1.03], [0.94]])}
    text = bt.limits_phrase(v, lo, hi)
    if binds is None:
        assert text.startswith("neither limit binds") and "0.916-1.030 p.u." in text
    else:
        assert text.startswith(f"the {binds} limit binds")
