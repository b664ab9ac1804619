"""Figures of the reproduction report (sopev_lib.book.figures.report) from small tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from sopev_lib.book.figures.report import (
    plot_alternative_effects,
    plot_calibration,
    plot_relative_differences,
    plot_savings,
    plot_sop_cost_audit,
    savings_frame,
)


def test_relative_differences() -> None:
    t = pd.DataFrame(
        {
            "quantity": ["cost", "cost", "SOP"],
            "plan": ["Plan 1", "Plan 2", "Plan 2"],
            "paper": [100.0, 0.0, 50.0],
            "ours": [90.0, 1.0, 400.0],
        }
    )
    fig = plot_relative_differences(t)
    assert isinstance(fig, Figure)
    texts = [x.get_text() for x in fig.axes[0].texts]
    assert "-10" in texts and "-" in texts and "+700" in texts  # clipped colour, true label
    with pytest.raises(ValueError, match="columns"):
        plot_relative_differences(t.drop(columns=["ours"]))


def test_other_figures() -> None:
    s = savings_frame({"paper": {2: 12.7, 3: 19.0, 4: 23.6}, "ours": {2: 2.1, 4: 21.6}})
    assert np.isnan(s.loc["Plan 3", "ours"])
    assert isinstance(plot_savings(s), Figure)
    per = pd.DataFrame(
        {
            "csi": [128.9, 107.5],
            "csi_lo": [128.3, 107.0],
            "csi_hi": [129.4, 108.0],
            "oms": [25.6, 25.2],
            "oms_lo": [25.0, 24.8],
            "oms_hi": [26.1, 25.7],
            "batteries": [False, False],
        },
        index=["Plan 2", "Plan 4"],
    )
    assert isinstance(plot_sop_cost_audit(per, {"Eq. (12)": 50.0}), Figure)
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
    assert any("infeasible" in t.get_text() for t in fig.axes[0].texts)
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
    assert len(fig.axes) == 2
