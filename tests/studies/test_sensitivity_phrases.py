"""The tables and phrases of chapter 7 in sopev_lib.studies.sensitivity: short result-dependent
phrases that follow the study tables, and tables that a reader can read."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sopev_lib.studies.sweep as sweep
from sopev_lib.studies.sensitivity import (
    SENSITIVITY_STUDIES,
    StudyTable,
    advantage_at,
    advantage_frame,
    closest_call,
    co_planning_advantage,
    ev_verdict,
    flip_phrase,
    full_tables_phrase,
    interval_frame,
    lead_phrase,
    limit_binds,
    order_phrase,
    plan_pivot,
    plan_rows_frame,
    rank_flips,
    robustness_summary,
    sensitivity_findings,
    settings_phrase,
    sop_gone_phrase,
    sop_verdict,
    studies_table,
    study_size_phrase,
    tariff_verdict,
)


def table(costs: dict[int, list[float]], x: str = "ev.seed", sop: float = 100.0) -> pd.DataFrame:
    """One row per point and plan; point k has ``x`` = k + 1; NaN cost = failed plan."""
    rows = []
    for plan, values in costs.items():
        for k, total in enumerate(values):
            ok = not np.isnan(total)
            rows.append(
                {
                    "point": k,
                    x: k + 1,
                    "plan": plan,
                    "status": "ok" if ok else "failed",
                    "total": total,
                    "sop_kva": (0.0 if plan == 1 else sop / (k + 1)) if ok else np.nan,
                    "saving_pct": -1e-9 if plan == 1 else 5.0,
                    "v_min_pu": 0.95,
                }
            )
    return pd.DataFrame(rows)


COSTS = {1: [100.0, 101, 102], 2: [90.0, 91, 92], 3: [91.0, 90.5, 93], 4: [80.0, 81, 82]}


def test_rank_phrases() -> None:
    flips = rank_flips(table(COSTS), "total", reference=(4, 3, 2, 1))
    assert order_phrase((4, 3, 2, 1)) == "Plan 4, 3, 2, 1"
    assert flips.n_flipped == 2 and flip_phrase(flips) == "flips at 2 of them"
    call = closest_call(flips)
    assert (call.ahead, call.behind) == (3, 2)
    assert call.worst == pytest.approx(-1.0) and call.n_overtaken == 2
    assert lead_phrase(call) == "is overtaken at 2 seeds"
    held = rank_flips(table(COSTS), "total", reference=(4, 2, 3, 1))
    assert held.n_flipped == 1 and flip_phrase(held) == "flips at 1 of them"
    clean = rank_flips(table({1: [3.0, 3], 2: [2.0, 2], 4: [1.0, 1]}), reference=(4, 2, 1))
    assert flip_phrase(clean) == "never flips"
    assert lead_phrase(closest_call(clean)) == "stays ahead at every seed"


def test_interval_frame_has_no_noise() -> None:
    t = table(COSTS)
    s = robustness_summary(t, ["total", "saving_pct"], level=0.95)
    f = interval_frame(s, {"total": "total cost", "saving_pct": "benefit (%)"}, {"total": 0})
    assert f.columns.tolist() == ["quantity", "Plan 1", "Plan 2", "Plan 3", "Plan 4"]
    assert f.loc[0, "Plan 1"].startswith("101 [")
    assert f.loc[1, "Plan 1"] == "0.0 [0.0, 0.0]"  # -1e-9 is not "-0.0"


def test_advantage_and_verdicts() -> None:
    costs = {1: [100.0, 100, 100], 2: [90.0, 90, 90], 3: [95.0, 95, 95], 4: [90.0, 81, 72]}
    adv = co_planning_advantage(table(costs, x="ev_count"), "ev_count")
    assert advantage_at(adv, "ev_count", 0.0) == pytest.approx(0.0)
    assert advantage_at(adv, "ev_count", 2.2) == pytest.approx(10.0)
    f = advantage_frame(adv, "ev_count")
    assert f.index.name == "EVs per day (expected, scaled Table 3)"
    assert f["Plan 4's advantage (%)"].tolist() == [0.0, 10.0, 20.0]
    assert ev_verdict(0.0, 20.0, 1.0) == "it needs EVs to schedule"
    assert ev_verdict(5.0, 20.0, 1.0) == "it is there even without EVs"
    assert ev_verdict(0.0, 0.5, 1.0).startswith("it stays below")
    assert tariff_verdict(1.0, 20.0).startswith("most of it is paid by the tariff")
    assert tariff_verdict(15.0, 20.0).startswith("less than half")
    assert sop_verdict(19.0, 1.0) == "it does not come from the SOPs"
    assert sop_verdict(0.5, 1.0).startswith("at some SOP prices")
    assert limit_binds([0.93, 0.99], 0.93) == "binds"
    assert limit_binds([0.96], 0.93) == "does not bind"


def test_sop_gone_and_pivots() -> None:
    x = "sop.unit_cost_rmb_per_kva"
    t = table({1: [100.0, 100, np.nan], 2: [90.0, 95, 99]}, x=x, sop=1.5)
    # Plan 2 builds 1.5, 0.75, 0.5 kVA at prices 1, 2, 3: under 1 kVA from 2 on
    assert sop_gone_phrase(t, x) == "from 2 RMB/kVA on"
    assert sop_gone_phrase(t, x, below_kva=0.1) == "at no swept price"
    p = plan_pivot(t, x, "total")
    assert p.index.name == "SOP unit cost (RMB/kVA)" and list(p.columns) == ["Plan 1", "Plan 2"]
    assert np.isnan(p.loc[3, "Plan 1"]) and p.loc[3, "Plan 2"] == 99.0
    rows = t[t["point"] == 0].to_dict(orient="records")
    f = plan_rows_frame(rows, ["status", "total", "saving_pct"])
    assert list(f.index) == ["Plan 1", "Plan 2"]
    assert list(f.columns) == ["status", "total cost (10⁴ RMB/yr)", "saving vs Plan 1 (%)"]
    assert f.loc["Plan 1", "saving vs Plan 1 (%)"] == 0.0 and not np.signbit(
        f.loc["Plan 1", "saving vs Plan 1 (%)"]
    )


def test_settings_phrase() -> None:
    assert settings_phrase({"ev_count_scale": 1.0, "dg_scale": 1.0, "ev.seed": 2025}) == (
        "the paper's case"
    )
    words = settings_phrase({"ev_count_scale": 0.5, "dg_scale": 2.0, "network.v_min_pu": 0.93})
    assert words == "EV fleet x 0.5, DG x 2"


def study(name: str, size: str, n_points: int, seeds: bool = False) -> StudyTable:
    axis = "ev.seed" if seeds else "dg_scale"
    t = table({1: [100.0] * n_points, 4: [80.0] * n_points}, x=axis)
    meta = {"config": {"axes": {axis: list(range(n_points))}}, "seconds": 1.25}
    return StudyTable(name, t, f"{size}, computed here", size, meta, Path("."))


def test_study_size_phrase_and_table() -> None:
    small = {"robustness": study("robustness", "small", 8, seeds=True)}
    small |= {
        "sens_dg": study("sens_dg", "small", 4),
        "sens_tariff": study("sens_tariff", "small", 6),
    }
    phrase = study_size_phrase(small)
    assert phrase.startswith("the small CI-sized studies")
    assert phrase.endswith("8 Monte Carlo seeds, 4-6 points a sweep")
    full = {
        k: StudyTable(v.name, v.table, "full-size table", "full", v.meta, v.path)
        for k, v in small.items()
    }
    assert study_size_phrase(full).startswith("the full-size studies")
    mixed = {**small, "sens_dg": full["sens_dg"]}
    assert "full-size tables for sens_dg" in study_size_phrase(mixed)
    t = studies_table(small)
    assert t["file"].tolist() == ["robustness.yaml", "sens_dg.yaml", "sens_tariff.yaml"]
    assert t["swept"].tolist()[:2] == ["Monte Carlo seed", "DG penetration (x Section 5 ratings)"]
    assert t["points"].tolist() == [8, 4, 6] and t["wall time (s)"].tolist()[0] == "1.2"
    assert t.shape[1] <= 6


def test_full_tables_phrase(monkeypatch: pytest.MonkeyPatch) -> None:
    names = ["robustness", "sens_dg"]
    assert "not looked for" in full_tables_phrase(names, use_full_results=False)
    monkeypatch.setattr(sweep, "read_meta", lambda config: {})
    assert full_tables_phrase(names) == "found for 0 of 2 studies"
    code = sweep.code_fingerprint()
    monkeypatch.setattr(sweep, "read_meta", lambda config: {"complete": True, "code": code})
    assert full_tables_phrase(names) == "found for all 2 studies, computed with this code"
    monkeypatch.setattr(sweep, "read_meta", lambda config: {"complete": True, "code": "other"})
    assert full_tables_phrase(names).endswith(
        "2 more were computed with other code and are not used"
    )


def test_sensitivity_findings() -> None:
    costs = {1: [100.0, 100, np.nan], 2: [90.0, 90, 90], 3: [95.0, 95, 95], 4: [90.0, 81, 72]}
    tables = {"sens_dg": table(costs, x="dg_scale")}
    f = sensitivity_findings(tables, 1.0)
    assert len(f) == 1 and set(SENSITIVITY_STUDIES) >= set(tables)
    row = f.iloc[0]
    assert row["swept"] == "DG penetration (x Section 5 ratings)"
    assert row["range"] == "1.00-3.00" and row["points"] == 3
    assert row["Plan 4's advantage"].startswith("exceeds 1 % at 2.00-3.00 and not at 1.00")
    assert row["failures"] == "Plan 1 failed at 3.00"
