"""Figures of the reproduction report (sopev_lib.book.figures.report): what each one draws."""

from __future__ import annotations

from types import SimpleNamespace

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.patches import Rectangle

from sopev_lib.book.figures.report import (
    plot_alternative_effects,
    plot_calibration,
    plot_disaggregation,
    plot_relative_differences,
    plot_savings,
    plot_sop_cost_audit,
    plot_sop_use,
    savings_frame,
)
from sopev_lib.book.style import COLUMN_IN, illegible_texts
from tests.book.conftest import check


def bars(ax) -> list[Rectangle]:
    """The bars of an axes (patches with a non-zero extent, the background left out)."""
    return [p for p in ax.patches if isinstance(p, Rectangle) and p.get_width() != 1.0]


def legible(fig) -> None:
    assert fig.get_figwidth() <= COLUMN_IN + 1e-9
    assert illegible_texts(fig) == []


def test_relative_differences() -> None:
    t = pd.DataFrame(
        {
            "table": ["Table 4", "Table 4", "Table 4", "Table 5"],
            "quantity": ["cost", "cost", "SOP", "$C_{SI}$"],
            "plan": ["Plan 1", "Plan 2", "Plan 2", "Plan 2"],
            "paper": [100.0, 0.0, 50.0, 10.0],
            "ours": [90.0, 1.0, 400.0, 10.0],
        }
    )
    fig = plot_relative_differences(t)
    ax = fig.axes[0]
    texts = [x.get_text() for x in ax.texts]
    assert "-10" in texts and "-" in texts and "+700" in texts and "+0" in texts
    assert [x.get_text() for x in ax.get_yticklabels()] == ["cost", "SOP", "$C_{SI}$"]
    assert [x.get_text() for x in ax.get_xticklabels()] == ["Plan 1", "Plan 2"]
    data = ax.images[0].get_array()
    assert data[0, 0] == pytest.approx(-10.0) and data[1, 1] == pytest.approx(100.0)  # clipped
    legible(fig)
    check(fig)
    with pytest.raises(ValueError, match="columns"):
        plot_relative_differences(t.drop(columns=["ours"]))


def test_savings() -> None:
    s = savings_frame({"paper": {2: 12.7, 3: 19.0, 4: 23.6}, "ours": {2: 2.1, 4: 21.6}})
    assert np.isnan(s.loc["Plan 3", "ours"])
    fig = plot_savings(s)
    heights = [b.get_height() for b in bars(fig.axes[0])]
    assert heights == pytest.approx([12.7, 19.0, 23.6, 2.1, 0.0, 21.6])
    assert "n/a" in [t.get_text() for t in fig.axes[0].texts]
    legible(fig)
    check(fig)


def test_sop_cost_audit() -> None:
    per = pd.DataFrame(
        {
            "csi": [128.9, 107.5],
            "csi_lo": [128.3, 107.0],
            "csi_hi": [129.4, 108.0],
            "oms": [25.6, 25.2],
            "oms_lo": [25.0, 24.8],
            "oms_hi": [26.1, 25.7],
            "batteries": [False, True],
        },
        index=["Plan 2", "Plan 4"],
    )
    fig = plot_sop_cost_audit(per, {"Eq. (12)": 50.0, "CRF": 101.9})
    ax = fig.axes[0]
    assert sorted(b.get_height() for b in bars(ax)) == pytest.approx(
        sorted([128.9, 107.5, 25.6, 25.2])
    )
    hlines = [ln.get_ydata()[0] for ln in ax.get_lines() if len(set(ln.get_ydata())) == 1]
    assert 50.0 in hlines and 101.9 in hlines
    assert sum(b.get_hatch() == "xx" for b in bars(ax)) == 2  # Plan 4's two bars
    legible(fig)
    check(fig)


def test_alternative_effects() -> None:
    alt = pd.DataFrame(
        {
            "key": ["defaults", "a", "b"],
            "alternative": ["defaults", "A", "B"],
            "status": ["ok", "ok", "infeasible: Plan 1"],
            "change of Plan 4 saving (pp)": [0.0, -1.0, np.nan],
            "change of Plan 1 cost (%)": [0.0, 2.0, np.nan],
        }
    )
    fig = plot_alternative_effects(alt)
    ax = fig.axes[0]
    assert sorted(b.get_width() for b in bars(ax)) == [-1.0, 2.0]  # only the feasible one
    assert any("infeasible" in t.get_text() for t in ax.texts)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["B", "A"]
    legible(fig)
    check(fig)
    with pytest.raises(ValueError, match="change of Plan"):
        plot_alternative_effects(alt.drop(columns=["change of Plan 1 cost (%)"]))


def test_calibration() -> None:
    scan = pd.DataFrame(
        {
            "x": [1.0, 1.0, 1.5, 1.5],
            "plan": [1, 4, 1, 4],
            "total": [1000.0, 800.0, np.nan, 1100.0],
            "status": ["ok", "ok", "infeasible", "ok"],
            "saving_pct": [0.0, 20.0, np.nan, np.nan],
        }
    )
    fig = plot_calibration(
        scan, target=1100.0, value=1.2, feasible_max=1.3, paper_savings={4: 23.6}
    )
    top, bottom = fig.axes[:2]
    plan4 = next(ln for ln in top.get_lines() if ln.get_label() == "Plan 4")
    assert list(plan4.get_ydata()) == [800.0, 1100.0]
    assert any(ln.get_ydata()[0] == 1100.0 for ln in top.get_lines() if ln.get_linestyle() == "--")
    assert any(ln.get_ydata()[0] == 23.6 for ln in bottom.get_lines())  # the paper's saving
    legible(fig)
    check(fig)


def test_sop_use(rep) -> None:
    r = rep.results[4]
    fig = plot_sop_use(r)
    sop = r.device("sop")
    ties = list(r.sop_capacity_kva)
    assert len(fig.axes) == len(ties)
    for k, ax in enumerate(fig.axes):
        sent = np.maximum(sop["p_a_kw"][k], sop["p_b_kw"][k])
        assert [b.get_height() for b in bars(ax)] == pytest.approx(sent.tolist())
        cap = next(ln for ln in ax.get_lines() if ln.get_linestyle() == "--")
        assert cap.get_ydata()[0] == pytest.approx(r.sop_capacity_kva[ties[k]])
        assert ax.get_ylabel() == ties[k]
    legible(fig)
    check(fig)
    with pytest.raises(ValueError, match="no SOP"):
        plot_sop_use(rep.results[1])


def test_disaggregation() -> None:
    sched = np.r_[np.zeros(18), np.full(6, 2000.0)]
    real = np.r_[np.zeros(18), np.full(6, 1500.0)]
    case = SimpleNamespace(schedule_kw=sched, realised_kw=real)
    fig = plot_disaggregation({"station 1 (bus 2)": case, "station 2 (bus 19)": case})
    assert len(fig.axes) == 2
    ax = fig.axes[0]
    assert [b.get_height() for b in bars(ax)] == pytest.approx((sched / 1e3).tolist())
    line = ax.get_lines()[0]
    assert line.get_ydata()[-2] == pytest.approx(1.5)  # the realised MW, drawn as steps
    legible(fig)
    plt.close(fig)
