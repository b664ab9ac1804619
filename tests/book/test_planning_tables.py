"""sopev_lib.book.planning_tables: the tables of chapter 4 hold the results they are given, fit
the text column, and the phrases say what the results say."""

from __future__ import annotations

import re

import numpy as np
import pytest

from sopev_lib.book import planning_tables as pt
from sopev_lib.core.economics import cost_breakdown, energy_summary
from sopev_lib.core.model import InfeasiblePlanError
from sopev_lib.reproduction.paper import table4_comparison, table5_comparison
from sopev_lib.reproduction.pipeline import Reproduction
from sopev_lib.verify.checks import Verification, verify

MAX_COLUMNS = 6


def fits(frame) -> None:
    """At most six columns, and no solver noise shown as data (negative tiny numbers, -0)."""
    assert frame.shape[1] <= MAX_COLUMNS, list(frame.columns)
    for value in frame.to_numpy().ravel():
        text = str(value)
        assert not re.fullmatch(r"-\d(\.\d+)?e-\d+", text), text
        assert not re.fullmatch(r"-0(\.0+)?", text), text


def row(frame, label: str) -> list[str]:
    return list(frame[frame[""] == label].iloc[0, 1:])


def check(plan: str, passed: bool = True, gap: float = 1e-8) -> Verification:
    return Verification(
        plan=plan,
        max_relaxation_gap_rel=gap,
        max_relaxation_gap_rel_raw=gap,
        max_relaxation_gap_pu=gap,
        gap_floor_kva=10.0,
        sop_loss_excess_kw=0.0,
        storage_simultaneous_kw=0.0,
        ac_max_voltage_error_pu=2e-9,
        ac_loss_error_kw=1e-7,
        ac_converged=True,
        passed=passed,
        messages=() if passed else ("relaxation gap too large",),
    )


def test_device_table(rep: Reproduction) -> None:
    table = pt.device_table(rep.results)
    assert list(table["plan"]) == ["Plan 1", "Plan 2", "Plan 3", "Plan 4"]
    assert "uncontrolled charging" in table.loc[0, "devices"]
    assert table.loc[3, "devices"].endswith("EV stations as storage")
    assert "_" not in "".join(table["devices"])
    info = rep.results[4].solution.info
    assert table.loc[3, "variables"] == f"{info.n_variables:,}"


def test_parameter_table(rep: Reproduction) -> None:
    table = pt.parameter_table(rep.inputs.params, pt.PLANNING_PARAMETERS)
    assert list(table["parameter"]) == list(pt.PLANNING_PARAMETERS)
    v_sub = table[table["parameter"] == "network.v_substation_pu"].iloc[0]
    assert v_sub["value"] == "1.05 p.u." and v_sub["source"].startswith("assumed")


def test_tables_beside_the_papers(rep: Reproduction) -> None:
    """Table 4 and 5 beside the paper's: one column per plan, the values of the comparisons."""
    sites = rep.inputs.params.network.sop_sites
    t4 = table4_comparison(rep.results)
    table4 = pt.table4_beside(t4, sites)
    fits(table4)
    assert list(table4.columns) == ["", "Plan 1", "Plan 2", "Plan 3", "Plan 4"]
    ours = row(table4, "SOP 25-29 (kVA), ours")
    assert ours[3] == f"{rep.results[4].sop_capacity_kva['25-29']:,.0f}"
    assert row(table4, "SOP 25-29 (kVA), paper") == ["0", "310", "310", "500"]
    assert row(table4, f"$F_J$ ({pt.MONEY}), paper")[0] == "1,644.0"
    t5 = table5_comparison(rep.results)
    table5 = pt.table5_beside(t5)
    fits(table5)
    assert len(table5) == 15
    total = cost_breakdown(rep.results[2])["total"]
    assert row(table5, "$F_J$, ours")[1] == f"{total:,.2f}"
    assert row(table5, "$C_{SI}$, paper") == ["0.00", "11.60", "16.20", "11.50"]


def test_energy_and_voltage_tables(rep: Reproduction) -> None:
    energy = pt.energy_table(rep.results)
    fits(energy)
    bought = energy_summary(rep.results[1])["purchase_kwh"]
    assert row(energy, "purchased")[0] == f"{bought:,.0f}"
    assert row(energy, "DG curtailed") == ["0"] * 4  # round-off shown as 0
    assert float(row(energy, "average price (RMB/kWh)")[3]) == pytest.approx(
        pt.average_price(rep.results[4]), abs=1e-3
    )
    volts = pt.voltage_table(rep.results)
    fits(volts)
    v1 = rep.results[1].solution.network["v_pu"][1:]
    assert row(volts, "lowest (p.u.)")[0] == f"{v1.min():.3f}"
    assert row(volts, "highest (p.u.)")[0] == f"{v1.max():.3f}"


def test_verification_table_and_stats(rep: Reproduction) -> None:
    table = pt.verification_table(rep.results, rep.checks)
    fits(table)
    assert row(table, "passed") == ["yes"] * 4
    assert row(table, "AC voltage error (p.u.)") == ["–"] * 4  # the fixture runs no AC check
    assert row(table, "SOP loss excess (kW)")[0] == "0"  # no SOP in Plan 1
    stats = pt.solver_stats(rep.results, rep.checks)
    assert stats["Plan 4"]["objective"] == rep.results[4].objective


def test_sop_activity(rep: Reproduction) -> None:
    r4 = rep.results[4]
    assert 0.0 <= pt.active_share_pct(r4) <= 100.0
    hours = pt.transfer_hours(r4)
    assert set(hours) <= set(range(r4.n_hours))
    sops = r4.sops()
    sent = np.maximum(sops["p_a_kw"], sops["p_b_kw"])
    assert (
        len(hours) == sops.loc[sent > 0.01 * sops["tie"].map(r4.sop_capacity_kva)]["hour"].nunique()
    )


def test_alternatives(rep: Reproduction) -> None:
    """An infeasible plan shows as "infeasible" and NaN, and is named in the phrases."""
    error = InfeasiblePlanError("Plan 1", "infeasible", "the lower voltage limit binds")
    alt = {1: error, **{n: rep.results[n] for n in (2, 3, 4)}}
    scenarios = {"defaults": rep.results, "(a) low": alt}
    totals = pt.alternatives_totals(scenarios)
    assert np.isnan(totals.loc["(a) low", "Plan 1"])
    assert totals.loc["defaults", "Plan 4"] == pytest.approx(rep.results[4].objective)
    table = pt.alternatives_table(scenarios)
    fits(table)
    assert row(table, "(a) low: $F_J$")[0] == "infeasible"
    assert row(table, "(a) low: $F_J$")[-1] == "–"
    assert pt.infeasibility_phrase(alt) == "Plan 1 is infeasible"
    assert pt.infeasibility_phrase(rep.results) == "every plan is feasible"
    assert pt.infeasibility_phrase({1: error, 2: error}) == "Plans 1 and 2 are infeasible"
    assert "lower voltage limit binds" in pt.error_phrase(alt)
    assert pt.error_phrase(rep.results) == ""
    assert pt.alternative_phrase(alt, rep.results).startswith("Plans 2, 3 and 4 stay feasible")
    assert pt.open_choices_phrase(scenarios).endswith("under (a) low Plan 1 is infeasible.")
    assert pt.change_phrase(alt, rep.results) == (
        "Plan 1 is infeasible, and no feasible plan changes its cost"
    )
    assert pt.all_pass_phrase([]) == "Every plan passes its checks."
    assert "Plan 2: gap" in pt.all_pass_phrase(["Plan 2: gap"])


def test_ranking_and_limit_phrases() -> None:
    totals = {1: 1250.0, 2: 1222.0, 3: 1221.4, 4: 980.0}
    text = pt.ranking_phrase(totals, [1, 2, 3, 4])
    assert text.startswith("The ranking of the plans is the paper's: Plan 1 > Plan 2")
    assert "Plans 2 and 3 are nearly tied (0.6 10⁴ RMB a year apart)" in text
    assert "differs" in pt.ranking_phrase({1: 1.0, 2: 2.0}, [1, 2])
    free = pt.limit_phrase(0.959, 1.057, 0.93, 1.07)
    assert free.startswith("The voltage limits do not bind")
    assert "0.029 p.u. above the lower limit" in free
    assert pt.limit_phrase(0.93, 1.05, 0.93, 1.07).startswith("The lower voltage limit binds")
    assert pt.limit_phrase(0.95, 1.07, 0.93, 1.07).startswith("The upper voltage limit binds")
    assert pt.limit_phrase(0.93, 1.07, 0.93, 1.07).startswith("Both voltage limits bind")


def test_same_plan_and_verification_phrases(rep: Reproduction) -> None:
    r4 = rep.results[4]
    assert pt.same_plan_phrase(r4, r4).startswith("the same model")
    other = pt.same_plan_phrase(rep.results[2], r4)
    assert other.startswith("a different model") and "12-22" in other
    one = pt.verification_phrase({4: check("Plan 4")}, {"Plan 4": "optimal"}, ac=True)
    assert one.startswith("Plan 4 passes") and "2.0e-09 p.u." in one
    every = pt.verification_phrase(
        {n: check(f"Plan {n}") for n in (1, 2)}, {"Plan 1": "optimal_inaccurate"}, ac=False
    )
    assert every.startswith("All 2 plans pass") and "switched off" in every
    assert "Plan 1 with the status 'optimal inaccurate'" in every
    bad = pt.verification_phrase({1: check("Plan 1", passed=False)}, {}, ac=True)
    assert bad.startswith("Not every plan passes: Plan 1: relaxation gap too large")


def test_short_phrases(rep: Reproduction) -> None:
    assert pt.curtailment_phrase(1e-5).startswith("Nothing is curtailed")
    assert pt.curtailment_phrase(250.0).startswith("Up to 250 kWh")
    assert pt.plan2_phrase(0.0).startswith("Without curtailed DG")
    assert pt.plan2_phrase(500.0).startswith("Part of what")
    assert pt.purchase_saving_phrase(16.28, 16.28).startswith("the same amount")
    assert pt.purchase_saving_phrase(30.0, 16.0).startswith("not the same amount")
    assert pt.compare_word([1.0, 2.0], [3.0, 4.0]) == "below"
    assert pt.compare_word([5.0], [3.0]) == "above"
    assert pt.compare_word([1.0, 5.0], [3.0, 3.0]) == "on both sides of"
    assert [pt.more_or_less(x) for x in (0.4, -2.0, 0.0)] == ["more", "less", "as much"]
    assert pt.violation_phrase([], 0.93) == "no voltage falls below 0.93 p.u."
    viol = [(18, 19, 0.91), (17, 19, 0.92), (18, 20, 0.925)]
    assert pt.violation_phrase(viol, 0.93) == (
        "3 bus-hours fall below 0.93 p.u., at buses 17-18 in hours 19-20; the lowest is "
        "0.9100 p.u. at bus 18 in hour 19"
    )
    rating = {
        "bus 2": {"energy_kwh": 1e-6, "power_kw": 0.0},
        "bus 26": {"energy_kwh": 1249.4, "power_kw": 525.9},
    }
    assert pt.battery_phrase(rating) == "bus 26 (1249 kWh, 526 kW)"
    assert pt.battery_phrase({}) == "no bus"
    paper_kva = {n: {"12-22": 0.0, "25-29": 0.0, "8-21": 0.0} for n in (1, 2, 3, 4)}
    worst = pt.site_gap_phrase(rep.results, paper_kva)
    assert worst.startswith(
        max(
            rep.results[2].sop_capacity_kva,
            key=lambda s: sum(rep.results[n].sop_capacity_kva[s] for n in (2, 3, 4)),
        )
    )


def test_verify_feeds_the_phrase(rep: Reproduction) -> None:
    """The phrase of a real check (no AC) names the plan and its gap."""
    c = verify(rep.results[2], ac=False)
    text = pt.verification_phrase({2: c}, {"Plan 2": "optimal"}, ac=False)
    assert text.startswith("Plan 2 passes") and f"{c.max_relaxation_gap_rel:.1e}" in text


def test_failed_plan_marked_in_every_table_beside_the_papers(rep: Reproduction) -> None:
    """A plan that failed its checks says NO in the first row of Tables 4 and 6 beside the
    paper's (chapters 4, 5 and 6), and its benefit is withheld ("–"), never shown as a result."""
    from dataclasses import replace

    from sopev_lib.book.flexibility_tables import table6_beside_ours
    from sopev_lib.reproduction import report as rt

    failed = replace(rep, checks={**rep.checks, 3: check("Plan 3", passed=False)})
    sites = rep.inputs.params.network.sop_sites
    t4 = failed.table4()
    table4 = pt.table4_beside(t4, sites)
    assert row(table4, "verified (cone gap, AC flow)") == ["yes", "yes", "NO", "yes"]
    assert np.isnan(t4.loc["Plan 3", "benefit ours"]) and np.isfinite(
        t4.loc["Plan 4", "benefit ours"]
    )
    assert row(table4, "benefit (% of Plan 1), ours")[2] == pt.fmt(np.nan)
    compact = rt.table4_beside(t4, sites)
    assert list(compact.iloc[0]) == ["verified", "yes", "yes", "NO", "yes"]
    six = table6_beside_ours(failed.flexibility, verified=failed.verified)
    assert list(six.iloc[0]) == ["verified", "yes", "yes", "NO", "yes"]
    assert list(rt.table6_beside(failed.table6()).iloc[0])[1:] == ["yes", "yes", "NO", "yes"]
    # without the verified column the tables are as before: no row added
    assert "verified" not in list(pt.table4_beside(table4_comparison(rep.results), sites)[""])


def test_repair_table_and_phrase(plan1_band, band_inputs) -> None:
    """Chapter 4's band table: the repaired Plan 1's bounds (lower <= upper), its relaxed cone
    gap far above the reported one, and a phrase naming each outcome once."""
    from sopev_lib.verify.solve import solve_plan_verified

    solves = {1: plan1_band, 2: solve_plan_verified(2, band_inputs, ac=False)}
    table = pt.repair_table(solves)
    fits(table)
    assert list(table.columns) == ["", "Plan 1", "Plan 2"]
    assert row(table, "outcome")[0] == "repaired"
    lower = float(row(table, "$F_J$ relaxed (lower bound)")[0].replace(",", ""))
    upper = float(row(table, "$F_J$ reported (upper bound)")[0].replace(",", ""))
    assert lower <= upper
    assert lower == pytest.approx(plan1_band.lower_bound, abs=0.01)
    relaxed, reported = (float(row(table, f"cone gap, {k}")[0]) for k in ("relaxed", "reported"))
    assert relaxed > 1e-3 > 1e-5 > reported
    phrase = pt.repair_phrase(solves)
    assert "Plan 1 needs the conservative limit" in phrase
    assert phrase.count("Plan 1") == 1 and phrase.endswith(".")
