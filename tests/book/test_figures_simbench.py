"""sopev_lib.book.figures.simbench: what the chapter-9 figures draw."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import LineCollection, PathCollection

from sopev_lib.book.figures.simbench import (
    SIMBENCH_COLOR,
    plot_profile_sets,
    plot_simbench_feeder,
    plot_year_costs,
    plot_year_days,
)
from sopev_lib.book.style import PALETTE, book_style, illegible_texts
from sopev_lib.system.feeder import Feeder
from sopev_lib.system.grids import load_feeder
from sopev_lib.system.params import load_params
from sopev_lib.system.profiles import Profiles, YearProfiles, file_profiles


@pytest.fixture(scope="module", autouse=True)
def style() -> None:
    book_style()


@pytest.fixture(scope="module")
def ours() -> Profiles:
    return file_profiles(load_params())


def small_year(ours: Profiles, n: int = 5) -> YearProfiles:
    """A year of ``n`` days: our day scaled by 0.5 ... 1."""
    f = np.linspace(0.5, 1.0, n)[:, None]
    return YearProfiles(
        load_pu=f * ours.load_pu,
        pv_pu=f * ours.pv_pu,
        wind_pu=f[::-1] * ours.wind_pu,
        tariff_period=ours.tariff_period,
        tariff_rmb_per_kwh=ours.tariff_rmb_per_kwh,
        dates=pd.date_range("2016-01-01", periods=n),
        load_profiles=(),
        source="test",
    )


def test_profile_sets_draw_our_day_and_the_mean_day(ours: Profiles) -> None:
    year = small_year(ours)
    fig = plot_profile_sets(ours, year)
    assert not illegible_texts(fig)
    for ax, attr in zip(fig.axes, ("load_pu", "pv_pu", "wind_pu"), strict=True):
        lines = {
            tuple(ln.get_color())
            if not isinstance(ln.get_color(), str)
            else ln.get_color(): ln.get_ydata()
            for ln in ax.get_lines()
        }
        mean = getattr(year, attr).mean(axis=0)
        assert np.allclose(lines[SIMBENCH_COLOR][:-1], mean)  # steps repeat the last hour
        assert np.allclose(lines["0.15"][:-1], getattr(ours, attr))
        assert len(ax.collections) == 1  # the 5-95 % band
    plt.close(fig)


def test_year_days_mark_every_representative_day() -> None:
    energy = pd.DataFrame(
        {
            "day": np.arange(1, 11),
            "load_kwh": np.arange(10) * 1000.0 + 30000.0,
            "pv_kwh": np.full(10, 2000.0),
            "wind_kwh": np.linspace(0, 9000, 10),
        }
    )
    fig = plot_year_days(energy, [2, 7], [100.0, 265.0])
    ax = fig.axes[0]
    assert np.allclose(ax.get_lines()[0].get_ydata(), energy["load_kwh"] / 1000.0)
    marks = next(c for c in ax.collections if isinstance(c, PathCollection))
    assert np.allclose(marks.get_offsets(), [[2, 31.0], [7, 36.0]])
    sizes = marks.get_sizes()
    assert sizes[1] > sizes[0]  # the heavier day is drawn larger
    plt.close(fig)


def test_year_costs_draw_each_plan_and_basis() -> None:
    rows = [
        {
            "basis": b,
            "plan": p,
            "true_cost": 100.0 * p + k,
            "estimate": 90.0 * p,
            "lo": 80.0 * p,
            "hi": 120.0 * p,
        }
        for k, b in enumerate(("ours", "mean"))
        for p in (1, 2, 3, 4)
    ]
    fig = plot_year_costs(pd.DataFrame(rows), {"ours": "design day", "mean": "mean day"})
    ax = fig.axes[0]
    points = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert len(points) == 4  # true cost and estimate per basis
    assert np.allclose(np.sort(points[0].get_offsets()[:, 1]), [100, 200, 300, 400])
    whiskers = [c for c in ax.collections if isinstance(c, LineCollection)]
    assert len(whiskers) == 2 and len(whiskers[0].get_segments()) == 4
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[:2] == ["design day", "design estimate"]
    plt.close(fig)


def test_feeder_marks_sop_sites_and_stations() -> None:
    feeder: Feeder = load_feeder(load_params())
    sites = ["12-22", "25-29"]
    fig = plot_simbench_feeder(
        feeder, sop_sites=sites, stations=[2, 19, 23, 26], pv_kw={7: 800.0, 15: 800.0}, wind_kw={}
    )
    ax = fig.axes[0]
    red = [ln for ln in ax.get_lines() if ln.get_linewidth() == 2.6]
    assert len(red) == len(sites)
    dashed = [ln for ln in ax.get_lines() if ln.get_linestyle() == "--"]
    assert len(dashed) == len(feeder.ties) - len(sites)
    squares = [c for c in ax.collections if isinstance(c, PathCollection)]
    offsets = [len(c.get_offsets()) for c in squares]
    assert 4 in offsets and 2 in offsets  # stations and the two PV buses
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "PV" in labels and "wind" not in labels  # no wind given, none in the legend
    assert tuple(red[0].get_color()[:3]) == tuple(PALETTE[3][:3])
    plt.close(fig)
