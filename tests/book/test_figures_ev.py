"""sopev_lib.book.figures.ev: the figures of chapter 2 draw what they are given, legibly."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from sopev_lib.book.figures import ev as figures
from sopev_lib.book.style import COLUMN_IN, book_style, illegible_texts
from sopev_lib.core.ev.envelopes import station_envelopes
from sopev_lib.core.ev.fleet import T_HOURS, Fleet, sample_fleet
from sopev_lib.core.ev.forecast import (
    DayAheadForecast,
    RealTimeAssessment,
    day_ahead_forecast,
    mean_arrival_kernels,
    realtime_assessment,
)
from sopev_lib.system.params import load_params
from sopev_lib.verify.disaggregate import disaggregate

from .conftest import check

SCALE = 0.2  # a fifth of Table 3's fleet: small and fast, every type and station present


@pytest.fixture(scope="module")
def params():
    book_style()
    return load_params(overrides={"ev.forecast_days": 6})


@pytest.fixture(scope="module")
def fleet(params) -> Fleet:
    return sample_fleet(params, 6, count_scale=SCALE)


@pytest.fixture(scope="module")
def fc(params) -> DayAheadForecast:
    return day_ahead_forecast(params, count_scale=SCALE)


@pytest.fixture(scope="module")
def realised(params) -> Fleet:
    return sample_fleet(params, 4, seed=7, count_scale=SCALE)


@pytest.fixture(scope="module")
def rt(fleet, realised) -> RealTimeAssessment:
    return realtime_assessment(realised, mean_arrival_kernels(fleet), day=1, window_h=6)


def steps(ax: plt.Axes, label: str | None = None) -> list[np.ndarray]:
    """The y data of the step lines of ``ax`` (without the repeated last point), optionally
    only those with ``label``."""
    return [
        np.asarray(line.get_ydata(), dtype=float)[:-1]
        for line in ax.get_lines()
        if len(line.get_ydata()) > 2 and (label is None or line.get_label() == label)
    ]


def legible(fig: Figure) -> None:
    """Drawn at the column's width, with every text readable in the book."""
    assert fig.get_figwidth() <= COLUMN_IN + 1e-9
    assert illegible_texts(fig) == []
    check(fig)


def test_fleet_times_count_every_car_per_type(fleet) -> None:
    fig = figures.plot_fleet_times(fleet)
    for ax, slots in zip(fig.axes, (fleet.arrival_slot, fleet.departure_slot), strict=True):
        lines = ax.get_lines()
        assert [line.get_label() for line in lines] == list(fleet.type_names)
        for k, line in enumerate(lines):
            per_day = np.asarray(line.get_ydata())[:-1]
            expected = np.bincount(slots[fleet.vtype == k], minlength=T_HOURS) / fleet.n_days
            np.testing.assert_allclose(per_day, expected)
    legible(fig)


def test_fleet_needs_count_stays_and_energies(fleet) -> None:
    fig = figures.plot_fleet_needs(fleet)
    ax_stay, ax_energy = fig.axes
    for k, (stay, energy) in enumerate(zip(steps(ax_stay), steps(ax_energy), strict=True)):
        sel = fleet.vtype == k
        np.testing.assert_allclose(
            stay * fleet.n_days, np.bincount(fleet.stay_h[sel], minlength=24)
        )
        assert energy.sum() * fleet.n_days == pytest.approx(sel.sum())
    legible(fig)


def test_energy_envelopes_draw_the_mean_bounds_per_station(fc) -> None:
    fig = figures.plot_energy_envelopes(fc)
    axes = [ax for ax in fig.axes if ax.get_visible()]
    assert len(axes) == fc.mean.n_stations
    for s, ax in enumerate(axes):
        (s_max,) = steps(ax, "$S^{max}$")
        (s_min,) = steps(ax, "$S^{min}$")
        (s_unc,) = steps(ax, "$S$, uncontrolled")
        np.testing.assert_allclose(s_max, fc.mean.s_max_kwh[0, s] / 1e3)
        np.testing.assert_allclose(s_min, fc.mean.s_min_kwh[0, s] / 1e3)
        np.testing.assert_allclose(s_unc, fc.mean.uncontrolled_s_kwh[0, s] / 1e3)
        assert len([c for c in ax.collections if isinstance(c, PolyCollection)]) == 2  # bands
    legible(fig)


def test_power_potential_draws_bounds_and_uncontrolled_load(fc) -> None:
    fig = figures.plot_power_potential(fc)
    for s, ax in enumerate(ax for ax in fig.axes if ax.get_visible()):
        (unc,) = steps(ax, "uncontrolled, mean")
        np.testing.assert_allclose(unc, fc.mean.uncontrolled_kw[0, s] / 1e3)
        up, down = (np.asarray(ln.get_ydata())[:-1] for ln in ax.get_lines()[:2])  # bounds
        np.testing.assert_allclose(up, fc.mean.p_ch_max_kw[0, s] / 1e3)
        np.testing.assert_allclose(down, -fc.mean.p_dis_max_kw[0, s] / 1e3)
    legible(fig)


@pytest.mark.parametrize("name", ["s_max_kwh", "uncontrolled_kw"])
def test_day_ahead_draws_the_realised_day(fc, realised, name) -> None:
    real_env = station_envelopes(realised)
    fig = figures.plot_day_ahead_vs_realised(fc, real_env, day=2, name=name)
    for s, ax in enumerate(ax for ax in fig.axes if ax.get_visible()):
        (real,) = steps(ax, "realised day")
        (mean,) = steps(ax, "day-ahead mean")
        np.testing.assert_allclose(real, getattr(real_env, name)[2, s] / 1e3)
        np.testing.assert_allclose(mean, getattr(fc.mean, name)[0, s] / 1e3)
        assert ax.get_ylabel() == figures.DAY_AHEAD_LABELS[name]
    legible(fig)


def test_day_ahead_refuses_an_unknown_quantity(fc, realised) -> None:
    with pytest.raises(ValueError, match="name"):
        figures.plot_day_ahead_vs_realised(fc, station_envelopes(realised), name="n_vehicles")


def test_realtime_window_draws_one_assessment_per_hour_shown(rt) -> None:
    show = [3, 12, 20]
    fig = figures.plot_realtime_window(rt, station=1, show_hours=show)
    (ax,) = fig.axes
    for h in show:
        (line,) = [ln for ln in ax.get_lines() if ln.get_label() == f"assessed at {h:02d}:00"]
        i = list(rt.decision_hours).index(h)
        np.testing.assert_allclose(line.get_xdata()[0], h)
        np.testing.assert_allclose(
            np.asarray(line.get_ydata())[:-1], rt.assessed["s_max_kwh"][i, 1] / 1e3
        )
    (truth,) = steps(ax, "realised")
    np.testing.assert_allclose(truth[: rt.window_h], rt.realised["s_max_kwh"][0, 1] / 1e3)
    legible(fig)


def test_realtime_error_draws_the_given_errors(rt) -> None:
    errors = {
        "real-time": rt.mean_abs_error("s_max_kwh"),
        "day-ahead": rt.mean_abs_error("s_max_kwh", "day_ahead"),
    }
    fig = figures.plot_realtime_error(errors, unit="kWh", scale=1.0)
    (ax,) = fig.axes
    assert [ln.get_label() for ln in ax.get_lines()] == list(errors)
    for line, err in zip(ax.get_lines(), errors.values(), strict=True):
        np.testing.assert_allclose(line.get_ydata(), err)
        np.testing.assert_array_equal(line.get_xdata(), np.arange(rt.window_h))
    assert errors["real-time"][0] == pytest.approx(0.0)  # lead 0 is exact
    legible(fig)


def test_disaggregation_draws_schedule_bars_and_realised_line(params) -> None:
    small = sample_fleet(params, 1, count_scale=0.05)
    env = station_envelopes(small)
    cases = {
        "uncontrolled": disaggregate(small, env.uncontrolled_kw[0, 0], station=0, allow_v2g=False),
        "flat": disaggregate(small, np.full(T_HOURS, 20.0), station=0),
    }
    fig = figures.plot_disaggregation(cases)
    assert len(fig.axes) == len(cases)
    for ax, (label, res) in zip(fig.axes, cases.items(), strict=True):
        bars = [p.get_height() for p in ax.patches if isinstance(p, Rectangle)]
        np.testing.assert_allclose(bars, res.schedule_kw / 1e3)
        (line,) = steps(ax, "realised by the vehicles")
        np.testing.assert_allclose(line, res.realised_kw / 1e3)
        assert ax.get_title().startswith(label)
    assert "mismatch 0 kWh, missed 0 kWh" in fig.axes[0].get_title()  # round-off shown as 0
    legible(fig)


def test_spread_figures_draw_both_readings(params, fleet) -> None:
    other = sample_fleet(load_params(overrides={"ev.spread_reading": "std"}), 6, count_scale=SCALE)
    fleets = {"variance": fleet, "std": other}
    fig = figures.plot_spread_arrivals(fleets)
    assert len(fig.axes) == fleet.n_types
    for k, ax in enumerate(fig.axes):
        lines = steps(ax)
        assert len(lines) == len(fleets)
        for per_day, f in zip(lines, fleets.values(), strict=True):
            assert per_day.sum() * f.n_days == pytest.approx((f.vtype == k).sum())
    assert [t.get_text() for t in fig.legends[0].get_texts()] == list(fleets)
    legible(fig)

    envs = {r: station_envelopes(f) for r, f in fleets.items()}
    fig = figures.plot_spread_load(envs)
    (ax,) = fig.axes
    for line, (reading, env) in zip(ax.get_lines(), envs.items(), strict=True):
        assert line.get_label() == reading
        total = env.uncontrolled_kw.sum(axis=1).mean(axis=0) / 1e3
        np.testing.assert_allclose(np.asarray(line.get_ydata())[:-1], total)
    legible(fig)
