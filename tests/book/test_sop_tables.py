"""sopev_lib.book.sop_tables and the chapter-3 additions to sopev_lib.core.siting."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sopev_lib.book.sop_tables import (
    best_single_sop,
    converter_use,
    crossings,
    first_order_gaps,
    lower_limit_phrase,
    order_phrase,
    sign_check_table,
    sites_phrase,
    siting_tables,
    siting_verdict,
    sop_balance,
    sweep_row,
    tightness_phrase,
    with_marginal_value,
)
from sopev_lib.core.plans import solve_plan
from sopev_lib.core.siting import (
    rank_ties,
    sensitivity_matrix,
    tie_sensitivities,
    tie_sensitivities_hourly,
)
from sopev_lib.reproduction.pipeline import Reproduction

PAPER_SITES = ["12-22", "25-29", "8-21"]


def test_sop_balance_checks_eqs_7_and_8(rep: Reproduction) -> None:
    r2 = rep.results[2]
    s = sop_balance(r2)
    a = rep.inputs.params.sop.loss_coefficient
    assert len(s) == r2.n_hours * len(r2.sop_capacity_kva)
    assert s["balance"].abs().max() < 1e-6  # Eq. (7) in the withdrawal convention
    np.testing.assert_allclose(s["printed"], 2 * s["loss_kw"], atol=1e-6)  # as printed
    assert s["excess"].abs().max() < 1e-2  # the relaxed Eq. (8) is tight
    np.testing.assert_allclose(
        s["excess"], s["loss_kw"] - a * (s["p_a_kw"].abs() + s["p_b_kw"].abs())
    )


def test_sign_check_table(rep: Reproduction) -> None:
    plans = {n: r for n, r in rep.results.items() if r.spec.sop}
    excess = {n: rep.checks[n].sop_loss_excess_kw for n in plans}
    table, both = sign_check_table(plans, excess)
    assert list(table.columns) == ["", "Plan 2", "Plan 3", "Plan 4"]
    assert set(both) == {2, 3, 4} and all(v == 0 for v in both.values())
    rows = table.set_index("")
    a = rep.inputs.params.sop.loss_coefficient
    assert rows.loc["delivered / sent", "Plan 2"] == f"{(1 - a) / (1 + a):.4f}"
    assert rows.loc["largest excess over Eq. (8) (kW)", "Plan 2"] == "0.000"
    assert rows.loc["tie-hours with a transfer", "Plan 2"].endswith(f"/{3 * plans[2].n_hours}")
    kva = sum(plans[2].sop_capacity_kva.values())
    assert rows.loc["SOP capacity (kVA)", "Plan 2"] == f"{kva:,.0f}"


def test_phrases() -> None:
    assert tightness_phrase(-2.5e-8) == "tight: the loss equals Eq. (8) to within 10\u207b\u2077 kW"
    assert tightness_phrase(0.5).startswith("NOT tight")
    assert sites_phrase(["8-21", "12-22", "25-29"], PAPER_SITES).startswith("exactly")
    assert sites_phrase(["8-21", "9-15", "25-29"], PAPER_SITES).startswith("not the paper")
    same = pd.DataFrame({"tie": ["a", "b"]})
    assert order_phrase(same, same) == "The finite differences rank all 2 ties in the same order."
    assert "rank them b and a" in order_phrase(same, same[::-1])


def test_converter_use(rep: Reproduction) -> None:
    use = converter_use(rep.results[2])
    assert use["total"] == 2 * rep.results[2].n_hours * 3
    assert 0 <= use["q_only"] <= use["busy"] <= use["total"]
    assert 0 < use["p_share_pct"] < 100 and 0 < use["util_pct"] <= 100 + 1e-6


def test_lower_limit_phrase(rep: Reproduction) -> None:
    r2 = rep.results[2]
    lowest = float(r2.solution.network["v_pu"][1:].min())
    assert lower_limit_phrase(r2, lowest - 0.01).startswith("does not bind in Plan 2")
    assert lower_limit_phrase(r2, lowest).startswith("binds in Plan 2 in hour(s)")


def test_rank_ties_and_matrix_agree_with_the_library(rep: Reproduction) -> None:
    inputs = rep.inputs
    hourly = tie_sensitivities_hourly(inputs)
    pd.testing.assert_frame_equal(rank_ties(hourly), tie_sensitivities(inputs))
    ties = [t.name for t in inputs.feeder.ties]
    s = sensitivity_matrix(hourly, ties, inputs.n_hours)
    assert s.shape == (len(ties), inputs.n_hours) and not np.isnan(s).any()
    np.testing.assert_allclose(
        s[ties.index("9-15"), 5],
        hourly.query("tie == '9-15' and hour == 5")["active_kw_per_kw"].item(),
    )
    some = sensitivity_matrix(hourly[hourly["hour"].isin([0, 6])], ties, inputs.n_hours)
    assert np.isnan(some[:, 1]).all() and not np.isnan(some[:, [0, 6]]).any()


def test_siting_table_verdict_and_gaps(rep: Reproduction) -> None:
    inputs = rep.inputs
    ties = [t.name for t in inputs.feeder.ties]
    hours = [0, 6, 12, 19]
    analytic = tie_sensitivities_hourly(inputs)
    exact = tie_sensitivities_hourly(inputs, method="finite_difference", hours=hours)
    ranking, ranking_fd = tie_sensitivities(inputs), rank_ties(exact)
    s_an = sensitivity_matrix(analytic, ties, inputs.n_hours)
    s_fd = sensitivity_matrix(exact, ties, inputs.n_hours)
    ranks, details = siting_tables(
        ranking, ranking_fd, s_an, s_fd, ties, peak_hour=19, paper_sites=PAPER_SITES
    )
    assert list(ranks.columns) == [
        "tie",
        "analytic, daily mean (rank)",
        "analytic, FD hours",
        "FD (rank)",
        "gap (%)",
    ]
    assert [t.strip("*") for t in ranks["tie"]] == list(ranking["tie"])
    assert sum(t.startswith("**") for t in ranks["tie"]) == 3  # the paper's sites in bold
    assert [r[-2] for r in ranks["analytic, daily mean (rank)"]] == ["1", "2", "3", "4", "5"]
    assert list(details.columns)[1] == "hour 19: analytic / FD"
    assert len(details) == len(ties)
    all_day = sensitivity_matrix(analytic, ties, inputs.n_hours)
    ranks_day, _ = siting_tables(
        ranking, ranking, s_an, all_day, ties, peak_hour=19, paper_sites=PAPER_SITES
    )
    assert "analytic, FD hours" not in ranks_day.columns  # FD over the whole day
    verdict = siting_verdict(ranking, ranking_fd, PAPER_SITES)
    assert "exactly the paper's SOP sites" in verdict
    net_load = np.linspace(1000.0, 6000.0, inputs.n_hours)
    gaps = first_order_gaps(s_an, s_fd, net_load, top=ties.index(ranking["tie"][0]))
    assert gaps["n_hours"] == len(hours)
    assert 0 < gaps["min_pct"] <= gaps["mean_pct"] <= gaps["max_pct"] < 30
    assert gaps["lo_hour"] in hours and gaps["hi_hour"] in hours
    assert gaps["same_top3"] <= gaps["n_hours"] and gaps["same_order"] <= gaps["same_top3"]


def test_sweep_summaries(rep: Reproduction) -> None:
    inputs = rep.inputs
    rows = [
        sweep_row(tie, size, solve_plan(2, inputs, fixed_sop_kva={tie: size}))
        for tie in ("12-22", "25-29")
        for size in (0.0, 300.0, 600.0)
    ]
    sweep = with_marginal_value(pd.DataFrame(rows))
    zero = sweep[sweep["capacity_kva"] == 0]
    assert zero["total"].nunique() == 1  # no SOP at all, whichever the tie
    assert zero["total"].iloc[0] == pytest.approx(rep.results[1].objective, abs=1e-4)
    d = sweep[sweep["tie"] == "12-22"]
    expected = -1e4 * np.gradient(d["operating"], d["capacity_kva"])
    np.testing.assert_allclose(d["marginal_value_rmb_per_kva"], expected)
    cost = 50.5
    cross = crossings(sweep, cost)
    assert set(cross) == {"12-22", "25-29"}
    assert crossings(sweep, 1e9) == {"12-22": 0.0, "25-29": 0.0}
    assert crossings(sweep, -1e9) == {"12-22": None, "25-29": None}
    best = best_single_sop(sweep, cost)
    assert best["saving"] > 0 and best["capacity_kva"] > 0
    assert best["flat_lo_kva"] <= best["capacity_kva"] <= best["flat_hi_kva"]
    assert best["ratio_min"] <= best["ratio_max"]
