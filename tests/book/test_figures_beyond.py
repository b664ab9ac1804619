"""sopev_lib.book.figures.beyond: the figures of chapter 8 draw what they are given."""

from __future__ import annotations

import warnings

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PathCollection

from sopev_lib.book.figures.beyond import (
    draw_case,
    plot_multiday_costs,
    plot_multiday_sizes,
    plot_scaling,
    plot_voltage_range,
    plot_year_clusters,
    plot_year_factors,
)
from sopev_lib.book.style import COLUMN_IN, book_style, illegible_texts
from sopev_lib.studies.feeders import FeederCase, cigre_mv_case
from sopev_lib.studies.multiday import representative_days, sample_year
from sopev_lib.system.params import load_params


@pytest.fixture(autouse=True)
def _style() -> None:
    book_style()


def legible(fig: plt.Figure) -> None:
    """Drawn at the column width and readable there (the book's rule); closes the figure."""
    assert fig.get_figwidth() <= COLUMN_IN + 1e-9
    assert illegible_texts(fig) == []
    plt.close(fig)


def line_by_label(ax: plt.Axes, label: str):
    (line,) = [ln for ln in ax.get_lines() if ln.get_label() == label]
    return line


@pytest.fixture(scope="module")
def scale() -> pd.DataFrame:
    buses = np.array([33, 65, 129, 257])
    return pd.DataFrame(
        {
            "buses": buses,
            "build_s": 0.02 + 0.0 * buses,
            "compile_s": 0.1 + 1e-4 * buses,
            "solve_s": 0.005 * buses**1.1,
            "end_to_end_s": 0.15 + 0.005 * buses**1.1,
        }
    )


@pytest.fixture(scope="module")
def study() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "K": [1, 4, 12],
            "sop_single_kva": [1142.3, 1142.3, 1142.3],
            "sop_multi_kva": [1030.7, 1051.6, 1056.4],
            "cost_single_expected": [979.8, 979.8, 979.8],
            "cost_single_on_days": [835.7, 892.8, 937.8],
            "cost_multi": [835.6, 892.7, 937.7],
            "value_of_planning": [0.129, 0.094, 0.088],
            "value_pct": [0.0155, 0.0105, 0.0094],
        }
    )


@pytest.fixture(scope="module")
def year_days():
    params = load_params(overrides={"ev.forecast_days": 5})
    year = sample_year(params, n_days=24, seed=3)
    return year.features(), representative_days(year, 3, days_per_year=365.0)


def test_scaling_lines_are_the_times(scale: pd.DataFrame) -> None:
    """Every time column is one line through (buses, seconds); the fit passes through the
    largest size with the given slope; the target is one star."""
    fig = plot_scaling(scale, exponent=1.1, target_s=5.0, target_buses=1000)
    ax = fig.axes[0]
    for col, label in (
        ("solve_s", "solve (Clarabel)"),
        ("compile_s", "compile (cvxpy to solver data)"),
    ):
        line = line_by_label(ax, label)
        np.testing.assert_allclose(line.get_xdata(), scale["buses"])
        np.testing.assert_allclose(line.get_ydata(), scale[col])
    fit = next(ln for ln in ax.get_lines() if ln.get_label().startswith("fit"))
    x, y = np.asarray(fit.get_xdata()), np.asarray(fit.get_ydata())
    assert y[-1] == pytest.approx(scale["solve_s"].iloc[-1])
    assert np.log(y[-1] / y[0]) / np.log(x[-1] / x[0]) == pytest.approx(1.1)
    star = next(ln for ln in ax.get_lines() if ln.get_label().startswith("target"))
    assert list(star.get_xdata()) == [1000] and list(star.get_ydata()) == [5.0]
    legible(fig)


def test_scaling_without_fit_or_target(scale: pd.DataFrame) -> None:
    fig = plot_scaling(scale.drop(columns="build_s"))
    labels = [ln.get_label() for ln in fig.axes[0].get_lines()]
    assert len(labels) == 3 and not any(lb.startswith(("fit", "target")) for lb in labels)
    legible(fig)


def test_voltage_range_draws_lowest_and_highest(rep) -> None:
    """Per plan, the solid step line is the hourly minimum over the buses and the dotted one
    the maximum (steps hold the last hour: 25 points for 24 hours)."""
    v = {r.name: r.solution.network["v_pu"] for r in rep.results.values()}
    fig = plot_voltage_range(v, 0.93, 1.07)
    ax = fig.axes[0]
    lines = [ln for ln in ax.get_lines() if len(ln.get_xdata()) == 25]
    assert len(lines) == 2 * len(v)
    for k, vv in enumerate(v.values()):
        low, high = lines[2 * k], lines[2 * k + 1]
        np.testing.assert_allclose(low.get_ydata()[:-1], vv.min(axis=0))
        np.testing.assert_allclose(high.get_ydata()[:-1], vv.max(axis=0))
        assert high.get_linestyle() == ":"
    limits = sorted(ln.get_ydata()[0] for ln in ax.get_lines() if ln.get_linestyle() == "--")
    assert limits == [0.93, 1.07]
    legible(fig)


def test_year_factors_are_the_features(year_days) -> None:
    """One line per day factor with the features' values; one circle per representative day
    and factor at that day's value, larger for a larger weight."""
    features, days = year_days
    fig = plot_year_factors(features, days.days, days.weights)
    ax = fig.axes[0]
    for col, label in (("pv_factor", "PV"), ("wind_factor", "wind"), ("load_factor", "load")):
        np.testing.assert_allclose(line_by_label(ax, label).get_ydata(), features[col])
    circles = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert len(circles) == 2
    np.testing.assert_allclose(
        circles[0].get_offsets()[:, 1], features["pv_factor"].to_numpy()[days.days]
    )
    sizes = circles[0].get_sizes()
    assert np.argmax(sizes) == np.argmax(days.weights)
    legible(fig)


def test_year_clusters_are_the_days(year_days) -> None:
    """Every day is a point in the PV-wind plane; the stars are the representative days."""
    features, days = year_days
    fig = plot_year_clusters(features, days.labels, days.days, days.weights)
    ax = fig.axes[0]
    points, stars = ax.collections
    np.testing.assert_allclose(points.get_offsets(), features[["pv_factor", "wind_factor"]])
    np.testing.assert_allclose(
        stars.get_offsets(), features[["pv_factor", "wind_factor"]].to_numpy()[days.days]
    )
    legible(fig)


def test_multiday_sizes(study: pd.DataFrame) -> None:
    """Top: the capacities of both plans per K; bottom: one bar per K as high as the value of
    planning, labelled with its share of the cost."""
    fig = plot_multiday_sizes(study)
    left, right = fig.axes  # top, bottom
    np.testing.assert_allclose(line_by_label(left, "$S_K$").get_ydata(), study["sop_multi_kva"])
    np.testing.assert_allclose(line_by_label(left, "$S_1$").get_ydata(), study["sop_single_kva"])
    heights = [b.get_height() for b in right.patches]
    np.testing.assert_allclose(heights, study["value_of_planning"])
    labels = [t.get_text() for t in right.texts]
    assert labels == [f"{p:.3f} %" for p in study["value_pct"]]
    assert [t.get_text() for t in right.get_xticklabels()] == ["1", "4", "12"]
    legible(fig)


def test_multiday_costs(study: pd.DataFrame) -> None:
    """The two K-day costs per K and the single day's own estimate as a horizontal line."""
    fig = plot_multiday_costs(study)
    ax = fig.axes[0]
    np.testing.assert_allclose(line_by_label(ax, "$F_K(S_K)$").get_ydata(), study["cost_multi"])
    np.testing.assert_allclose(
        line_by_label(ax, "$F_K(S_1)$").get_ydata(), study["cost_single_on_days"]
    )
    estimate = next(ln for ln in ax.get_lines() if ln.get_label().startswith("$F_1"))
    assert set(estimate.get_ydata()) == {979.8}
    legible(fig)


@pytest.fixture(scope="module")
def cigre() -> FeederCase:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return cigre_mv_case(load_params(overrides={"ev.forecast_days": 5}))


def test_draw_case_marks_the_placement(cigre: FeederCase) -> None:
    """Every PV and wind unit and every station of the case gets its labelled box, and every
    text is legible at the column width."""
    fig = draw_case(cigre)
    texts = [t.get_text() for t in fig.axes[0].texts]
    p = cigre.params
    for rating in p.dg.pv_rating_kw:
        assert f"PV {rating:.0f}" in texts  # kW in the legend
    assert sum(t.startswith("PV ") for t in texts) == len(p.dg.pv_buses)
    assert sum(t.startswith("WT ") for t in texts) == len(p.dg.wind_buses)
    for k in range(1, len(p.ev.station_buses) + 1):
        assert f"EV station {k}" in texts
    for site in p.network.sop_sites:
        assert site in texts
    legible(fig)
