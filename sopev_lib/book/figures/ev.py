"""Figures of the EV chapter: fleet distributions, station envelopes, forecasts, disaggregation.

Every function takes computed results (:mod:`sopev_lib.core.ev`,
:mod:`sopev_lib.verify.disaggregate`) and returns a matplotlib Figure drawn at its display size
(:data:`~sopev_lib.book.style.COLUMN_IN` wide, fonts of :func:`~sopev_lib.book.style.book_style`);
none of them samples or solves anything. Hour t is drawn as the interval [t, t+1) (step plots),
powers in MW, energies in MWh unless stated.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from sopev_lib.book.style import COLUMN_IN, PALETTE, band, hour_axis, step
from sopev_lib.book.tables import fmt
from sopev_lib.core.ev.envelopes import StationEnvelopes
from sopev_lib.core.ev.fleet import T_HOURS, Fleet
from sopev_lib.core.ev.forecast import DayAheadForecast, RealTimeAssessment
from sopev_lib.verify.disaggregate import Disaggregation

__all__ = [
    "TYPE_COLORS",
    "plot_day_ahead_vs_realised",
    "plot_disaggregation",
    "plot_energy_envelopes",
    "plot_fleet_needs",
    "plot_fleet_times",
    "plot_power_potential",
    "plot_realtime_error",
    "plot_realtime_window",
    "plot_spread_arrivals",
    "plot_spread_load",
]

#: One colour per vehicle type of Table 2 (in the order of ``ev.types``).
TYPE_COLORS = (PALETTE[0], PALETTE[1], PALETTE[2], PALETTE[4], PALETTE[5])
HOUR_EDGES = np.arange(T_HOURS + 1)
#: Line styles of the readings of Table 2's spread (first reading solid, second dashed).
READING_STYLES = ("-", "--", ":")
#: The quantities of Eq. (6) that :func:`plot_day_ahead_vs_realised` draws: axis label.
DAY_AHEAD_LABELS = {
    "s_max_kwh": "$S^{max}$ (MWh)",
    "s_min_kwh": "$S^{min}$ (MWh)",
    "p_ch_max_kw": "$P^{ch,max}$ (MW)",
    "uncontrolled_kw": "uncontrolled load (MW)",
}


def _station_titles(buses: Sequence[int]) -> list[str]:
    return [f"station {s + 1} (bus {b})" for s, b in enumerate(buses)]


def _grid(n: int, height: float = 2.3) -> tuple[Figure, np.ndarray]:
    """One panel per station, two columns, the column's width; unused panels hidden."""
    cols = 2 if n > 1 else 1
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(
        rows, cols, figsize=(COLUMN_IN, height * rows + 0.8), sharex=True, squeeze=False
    )
    for ax in axes.ravel()[n:]:
        ax.set_visible(False)
    return fig, axes.ravel()


def _bottom_labels_only(axes: np.ndarray) -> None:
    """Keep the hour label on the lowest visible axes of each column only."""
    for ax in np.ravel(axes):
        if ax.get_visible() and not ax.get_subplotspec().is_last_row():
            ax.set_xlabel("")


def _top_legend(fig: Figure, ax: plt.Axes, ncol: int, **kw: object) -> None:
    handles, labels = ax.get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside upper center", ncol=ncol, fontsize="small", **kw)


def _per_day_histogram(ax: plt.Axes, values: np.ndarray, bins: np.ndarray, n_days: int, **kw):
    """Vehicles per day in each bin, drawn as steps (the last bin held to its right edge)."""
    counts, _ = np.histogram(values, bins=bins)
    per_day = counts / max(n_days, 1)
    ax.step(bins, np.r_[per_day, per_day[-1]], where="post", **kw)


def plot_fleet_times(fleet: Fleet) -> Figure:
    """Arrival and departure slots of the sampled vehicles per type (Table 2), vehicles per day.

    One line per vehicle type in each panel; a type without vehicles draws nothing.
    """
    fig, axes = plt.subplots(2, 1, figsize=(COLUMN_IN, 4.6), sharex=True)
    for k, name in enumerate(fleet.type_names):
        sel = fleet.vtype == k
        if not sel.any():
            continue
        color = TYPE_COLORS[k % len(TYPE_COLORS)]
        for ax, slots in zip(axes, (fleet.arrival_slot, fleet.departure_slot), strict=True):
            _per_day_histogram(ax, slots[sel], HOUR_EDGES, fleet.n_days, color=color, label=name)
    for ax, title in zip(axes, ("arrival slot", "departure slot"), strict=True):
        ax.set_title(title)
        ax.set_ylabel("vehicles per day")
        hour_axis(ax)
    axes[0].set_xlabel("")
    _top_legend(fig, axes[0], ncol=3, title="vehicle type")
    return fig


def plot_fleet_needs(fleet: Fleet) -> Figure:
    """Stay (plugged-in hours) and energy to deliver ``s_lea - s_arr`` per type, per day."""
    fig, axes = plt.subplots(1, 2, figsize=(COLUMN_IN, 3.2))
    ebins = np.linspace(0.0, fleet.s_max_kwh, 25)
    for k, name in enumerate(fleet.type_names):
        sel = fleet.vtype == k
        if not sel.any():
            continue
        color = TYPE_COLORS[k % len(TYPE_COLORS)]
        _per_day_histogram(axes[0], fleet.stay_h[sel], HOUR_EDGES, fleet.n_days, color=color)
        _per_day_histogram(
            axes[1], fleet.energy_need_kwh[sel], ebins, fleet.n_days, color=color, label=name
        )
    axes[0].set_title("stay")
    axes[0].set_xlabel("plugged-in hours")
    axes[0].set_xlim(0, T_HOURS)
    axes[0].set_xticks(np.arange(0, T_HOURS + 1, 6))
    axes[0].set_ylabel("vehicles per day")
    axes[1].set_title("energy to deliver")
    axes[1].set_xlabel("$s_{n,lea} - s_{n,arr}$ (kWh)")
    _top_legend(fig, axes[1], ncol=3, title="vehicle type")
    return fig


def plot_energy_envelopes(fc: DayAheadForecast) -> Figure:
    """Energy bounds S_min, S_max (Eq. 5) per station, mean and band over the sampled days, with
    the stored energy under uncontrolled charging (mean)."""
    env = fc.mean
    fig, axes = _grid(env.n_stations)
    for s, (ax, title) in enumerate(zip(axes, _station_titles(env.station_buses), strict=False)):
        for name, color in (("s_max_kwh", PALETTE[0]), ("s_min_kwh", PALETTE[3])):
            lo, hi = getattr(fc.low, name)[0, s], getattr(fc.high, name)[0, s]
            band(ax, lo / 1e3, hi / 1e3, color=color, alpha=0.18)
        step(ax, env.s_max_kwh[0, s] / 1e3, color=PALETTE[0], label="$S^{max}$")
        step(ax, env.s_min_kwh[0, s] / 1e3, color=PALETTE[3], label="$S^{min}$")
        step(
            ax,
            env.uncontrolled_s_kwh[0, s] / 1e3,
            color="0.2",
            linestyle="--",
            label="$S$, uncontrolled",
        )
        ax.set_title(title)
        ax.set_ylabel("MWh")
        hour_axis(ax)
    _bottom_labels_only(axes)
    _top_legend(fig, axes[0], ncol=3)
    return fig


def plot_power_potential(fc: DayAheadForecast) -> Figure:
    """Dispatchable power range [-P_dis_max, P_ch_max] (mean) against the uncontrolled load
    (mean and band) per station."""
    env = fc.mean
    fig, axes = _grid(env.n_stations)
    for s, (ax, title) in enumerate(zip(axes, _station_titles(env.station_buses), strict=False)):
        up, down = env.p_ch_max_kw[0, s] / 1e3, -env.p_dis_max_kw[0, s] / 1e3
        band(ax, down, up, color=PALETTE[0], alpha=0.15, label="dispatchable range")
        step(ax, up, color=PALETTE[0], linewidth=1.0)
        step(ax, down, color=PALETTE[0], linewidth=1.0)
        band(
            ax,
            fc.low.uncontrolled_kw[0, s] / 1e3,
            fc.high.uncontrolled_kw[0, s] / 1e3,
            color=PALETTE[3],
            alpha=0.25,
            label=f"uncontrolled, {fc.band[0]:g}-{fc.band[1]:g} %",
        )
        step(ax, env.uncontrolled_kw[0, s] / 1e3, color=PALETTE[3], label="uncontrolled, mean")
        ax.axhline(0.0, color="0.3", linewidth=0.6)
        ax.set_title(title)
        ax.set_ylabel("MW (+ charging)")
        hour_axis(ax)
    _bottom_labels_only(axes)
    _top_legend(fig, axes[0], ncol=2)
    return fig


def plot_day_ahead_vs_realised(
    fc: DayAheadForecast, realised: StationEnvelopes, day: int = 0, name: str = "s_max_kwh"
) -> Figure:
    """Day-ahead mean and band of one quantity of Eq. (6) (or the uncontrolled load) per station,
    against one realised day.

    Args:
        name: a key of :data:`DAY_AHEAD_LABELS` (energies drawn in MWh, powers in MW).
    """
    if name not in DAY_AHEAD_LABELS:
        raise ValueError(f"name = {name!r}: allowed values are {sorted(DAY_AHEAD_LABELS)}")
    fig, axes = _grid(fc.mean.n_stations, height=2.1)
    titles = _station_titles(fc.mean.station_buses)
    for s, ax in enumerate(axes[: fc.mean.n_stations]):
        lo, hi = getattr(fc.low, name)[0, s], getattr(fc.high, name)[0, s]
        band(
            ax,
            lo / 1e3,
            hi / 1e3,
            color=PALETTE[0],
            alpha=0.2,
            label=f"day-ahead, {fc.band[0]:g}-{fc.band[1]:g} %",
        )
        step(ax, getattr(fc.mean, name)[0, s] / 1e3, color=PALETTE[0], label="day-ahead mean")
        step(ax, getattr(realised, name)[day, s] / 1e3, color=PALETTE[3], label="realised day")
        ax.set_title(titles[s])
        ax.set_ylabel(DAY_AHEAD_LABELS[name])
        hour_axis(ax)
    _bottom_labels_only(axes)
    _top_legend(fig, axes[0], ncol=3)
    return fig


def plot_realtime_window(
    rt: RealTimeAssessment,
    *,
    station: int,
    show_hours: Sequence[int],
    name: str = "s_max_kwh",
    ylabel: str = "$S^{max}$ (MWh)",
    scale: float = 1e3,
) -> Figure:
    """One station's bound assessed at a few decision hours, each over its rolling window,
    against the realised values and the day-ahead mean (read over every decision's window)."""
    fig, ax = plt.subplots(figsize=(COLUMN_IN, 3.6))
    hours = [int(h) for h in rt.decision_hours]
    w, first = rt.window_h, hours[0]
    span_end = hours[-1] + w
    truth = np.full(span_end - first, np.nan)
    prior = np.full(span_end - first, np.nan)
    for i, h in enumerate(hours):
        truth[h - first : h - first + w] = rt.realised[name][i, station] / scale
        prior[h - first : h - first + w] = rt.day_ahead[name][i, station] / scale
    step(ax, truth, start=first, color="0.15", linewidth=2.0, label="realised")
    step(ax, prior, start=first, color=PALETTE[0], linestyle="--", label="day-ahead mean")
    for j, h in enumerate(show_hours):
        i = hours.index(int(h))
        color = PALETTE[(j + 1) % len(PALETTE) + 1]
        label = f"assessed at {int(h) % 24:02d}:00"
        step(ax, rt.assessed[name][i, station] / scale, start=int(h), color=color, label=label)
        ax.axvline(int(h), color=color, linewidth=0.8, linestyle=":")
    hour_axis(ax, span_end - first, start=first)
    ax.set_ylabel(ylabel)
    ax.set_title(f"station {station + 1}, realised day {rt.day}")
    _top_legend(fig, ax, ncol=3)
    return fig


def plot_realtime_error(
    errors: Mapping[str, np.ndarray], *, unit: str = "MWh", scale: float = 1e3
) -> Figure:
    """Mean absolute error against the realised values per lead time, one line per method
    (e.g. ``{"real-time": (W,), "day-ahead": (W,)}`` in kWh, drawn divided by ``scale``)."""
    fig, ax = plt.subplots(figsize=(COLUMN_IN, 3.0))
    colors = (PALETTE[3], PALETTE[0], PALETTE[2], PALETTE[4])
    n_lead = 0
    for (label, err), color in zip(errors.items(), colors, strict=False):
        err = np.asarray(err, dtype=float)
        n_lead = max(n_lead, err.size)
        ax.plot(np.arange(err.size), err / scale, marker="o", color=color, label=label)
    ax.set_xlabel("lead time (h after the decision hour)")
    ax.set_ylabel(f"mean abs. error ({unit})")
    ax.set_xticks(np.arange(n_lead))
    ax.set_ylim(bottom=0.0)
    ax.legend(fontsize="small")
    return fig


def plot_disaggregation(cases: Mapping[str, Disaggregation]) -> Figure:
    """Per aggregate schedule: asked (bars) vs realised by the individual vehicles (line); the
    title gives the power not followed (mismatch) and the departure energy missed (kWh)."""
    n = len(cases)
    fig, axes = plt.subplots(n, 1, figsize=(COLUMN_IN, 2.0 * n + 0.7), sharex=True, squeeze=False)
    x = np.arange(T_HOURS)
    for ax, (label, res) in zip(axes[:, 0], cases.items(), strict=True):
        ax.bar(
            x + 0.5,
            res.schedule_kw / 1e3,
            width=0.9,
            color=PALETTE[0],
            alpha=0.45,
            label="aggregate schedule",
        )
        step(
            ax,
            res.realised_kw / 1e3,
            color=PALETTE[3],
            linewidth=1.6,
            label="realised by the vehicles",
        )
        ax.axhline(0.0, color="0.3", linewidth=0.6)
        ax.set_ylabel("MW")
        ax.set_title(
            f"{label}\nmismatch {fmt(res.mismatch_kwh, 0, scale=1e3)} kWh, "
            f"missed {fmt(res.total_shortfall_kwh, 0, scale=1e3)} kWh",
            fontsize="medium",
        )
        hour_axis(ax)
    _bottom_labels_only(axes)
    _top_legend(fig, axes[0, 0], ncol=2)
    return fig


def plot_spread_arrivals(fleets: Mapping[str, Fleet]) -> Figure:
    """Arrival slots per vehicle type (one panel each) under the readings of Table 2's spread
    (one line style per reading), vehicles per day."""
    first = next(iter(fleets.values()))
    n_types = first.n_types
    fig, axes = plt.subplots(
        n_types, 1, figsize=(COLUMN_IN, 1.7 * n_types + 0.9), sharex=True, squeeze=False
    )
    for (reading, fleet), ls in zip(fleets.items(), READING_STYLES, strict=False):
        for k, ax in enumerate(axes[:, 0]):
            sel = fleet.vtype == k
            _per_day_histogram(
                ax,
                fleet.arrival_slot[sel],
                HOUR_EDGES,
                fleet.n_days,
                color=TYPE_COLORS[k % len(TYPE_COLORS)],
                linestyle=ls,
                label=reading,
            )
    for k, ax in enumerate(axes[:, 0]):
        ax.set_title(f"type {first.type_names[k]}")
        ax.set_ylabel("per day")
        hour_axis(ax)
    _bottom_labels_only(axes)
    # the legend shows the readings (line styles), not the types (panel titles)
    handles = [Line2D([], [], color="0.2", linestyle=ls) for ls in READING_STYLES[: len(fleets)]]
    fig.legend(
        handles,
        list(fleets),
        loc="outside upper center",
        ncol=len(fleets),
        fontsize="small",
        title="Table 2's spread read as",
    )
    return fig


def plot_spread_load(envs: Mapping[str, StationEnvelopes]) -> Figure:
    """Mean uncontrolled load of all stations (MW) under each reading of Table 2's spread."""
    fig, ax = plt.subplots(figsize=(COLUMN_IN, 3.0))
    for (reading, env), ls in zip(envs.items(), READING_STYLES, strict=False):
        total = env.uncontrolled_kw.sum(axis=1).mean(axis=0) / 1e3
        step(ax, total, color="0.2", linestyle=ls, label=reading)
    ax.set_ylabel("MW")
    ax.set_title("uncontrolled load, all stations (mean)")
    hour_axis(ax)
    ax.legend(fontsize="small", title="spread read as")
    return fig
