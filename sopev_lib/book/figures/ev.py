"""Figures of the EV chapter: fleet distributions, station envelopes, forecasts, disaggregation.

Every function takes computed results (:mod:`sopev_lib.core.ev.fleet`,
:mod:`sopev_lib.verify.disaggregate`)
and returns a matplotlib Figure; none of them samples or solves anything. Hour t is drawn as the
interval [t, t+1) (step plots), powers in kW (or MW where stated), energies in kWh (or MWh).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sopev_lib.book.style import PALETTE, band, hour_axis, step
from sopev_lib.core.ev.envelopes import StationEnvelopes
from sopev_lib.core.ev.fleet import T_HOURS, Fleet
from sopev_lib.core.ev.forecast import DayAheadForecast, RealTimeAssessment
from sopev_lib.verify.disaggregate import Disaggregation

__all__ = [
    "plot_day_ahead_vs_realised",
    "plot_disaggregation",
    "plot_energy_envelopes",
    "plot_fleet_distributions",
    "plot_power_potential",
    "plot_realtime_assessment",
    "plot_spread_readings",
]

TYPE_COLORS = (PALETTE[0], PALETTE[1], PALETTE[2], PALETTE[4], PALETTE[5])
HOUR_EDGES = np.arange(T_HOURS + 1)


def _station_titles(buses: Sequence[int]) -> list[str]:
    return [f"station {s + 1} (bus {b})" for s, b in enumerate(buses)]


def _grid(n: int, height: float = 2.6) -> tuple[Figure, np.ndarray]:
    cols = 2 if n > 1 else 1
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(
        rows, cols, figsize=(9.5, height * rows + 0.9), sharex=True, squeeze=False
    )
    for ax in axes.ravel()[n:]:
        ax.set_visible(False)
    return fig, axes.ravel()


def _bottom_labels_only(axes: np.ndarray) -> None:
    """Keep the hour label on the lowest visible axes of each column only."""
    for ax in np.ravel(axes):
        if ax.get_visible() and not ax.get_subplotspec().is_last_row():
            ax.set_xlabel("")


def plot_fleet_distributions(fleet: Fleet) -> Figure:
    """Arrival and departure slots, stay and energy need per vehicle type (Table 2)."""
    fig, axes = plt.subplots(2, 2, figsize=(9.5, 6.4))
    n_days = max(fleet.n_days, 1)
    for k, name in enumerate(fleet.type_names):
        sel = fleet.vtype == k
        if not sel.any():
            continue
        color = TYPE_COLORS[k % len(TYPE_COLORS)]
        for ax, values, bins in (
            (axes[0, 0], fleet.arrival_slot[sel], HOUR_EDGES),
            (axes[0, 1], fleet.departure_slot[sel], HOUR_EDGES),
            (axes[1, 0], fleet.stay_h[sel], HOUR_EDGES),
        ):
            counts, _ = np.histogram(values, bins=bins)
            ax.step(
                bins,
                np.r_[counts, counts[-1]] / n_days,
                where="post",
                color=color,
                label=f"type {name}",
            )
        need = fleet.energy_need_kwh[sel]
        ebins = np.linspace(0.0, fleet.s_max_kwh, 30)
        counts, _ = np.histogram(need, bins=ebins)
        axes[1, 1].step(ebins, np.r_[counts, counts[-1]] / n_days, where="post", color=color)
    for ax, title in (
        (axes[0, 0], "arrival slot"),
        (axes[0, 1], "departure slot"),
    ):
        ax.set_title(title)
        hour_axis(ax)
        ax.set_ylabel("vehicles per day")
    axes[1, 0].set_title("stay")
    axes[1, 0].set_xlabel("plugged-in hours")
    axes[1, 0].set_xlim(0, T_HOURS)
    axes[1, 0].set_ylabel("vehicles per day")
    axes[1, 1].set_title("energy to deliver, s_lea - s_arr")
    axes[1, 1].set_xlabel("kWh (battery side)")
    axes[1, 1].set_ylabel("vehicles per day")
    axes[0, 0].legend(loc="upper left", fontsize="small")
    return fig


def plot_energy_envelopes(fc: DayAheadForecast) -> Figure:
    """Energy bounds S_min, S_max (Eq. 5) per station with the uncontrolled trajectory."""
    env = fc.mean
    fig, axes = _grid(env.n_stations)
    for s, (ax, title) in enumerate(zip(axes, _station_titles(env.station_buses), strict=False)):
        band(
            ax,
            fc.low.s_max_kwh[0, s] / 1e3,
            fc.high.s_max_kwh[0, s] / 1e3,
            color=PALETTE[0],
            alpha=0.18,
        )
        band(
            ax,
            fc.low.s_min_kwh[0, s] / 1e3,
            fc.high.s_min_kwh[0, s] / 1e3,
            color=PALETTE[3],
            alpha=0.18,
        )
        step(ax, env.s_max_kwh[0, s] / 1e3, color=PALETTE[0], label="S_max")
        step(ax, env.s_min_kwh[0, s] / 1e3, color=PALETTE[3], label="S_min")
        step(
            ax,
            env.uncontrolled_s_kwh[0, s] / 1e3,
            color="0.2",
            linestyle="--",
            label="S, uncontrolled charging",
        )
        ax.set_title(title)
        ax.set_ylabel("MWh")
        hour_axis(ax)
    _bottom_labels_only(axes)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside upper center", ncol=3, fontsize="small")
    return fig


def plot_power_potential(fc: DayAheadForecast) -> Figure:
    """Dispatchable power range [-P_dis_max, P_ch_max] against the uncontrolled load."""
    env = fc.mean
    fig, axes = _grid(env.n_stations)
    for s, (ax, title) in enumerate(zip(axes, _station_titles(env.station_buses), strict=False)):
        up, down = env.p_ch_max_kw[0, s] / 1e3, -env.p_dis_max_kw[0, s] / 1e3
        band(ax, down, up, color=PALETTE[0], alpha=0.15, label="dispatchable range (mean)")
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
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside upper center", ncol=3, fontsize="small")
    return fig


def plot_day_ahead_vs_realised(
    fc: DayAheadForecast, realised: StationEnvelopes, day: int = 0
) -> Figure:
    """Day-ahead mean and band of S_max and of the uncontrolled load against one realised day."""
    n = fc.mean.n_stations
    fig, axes = plt.subplots(2, n, figsize=(2.6 * n + 1.2, 5.2), sharex=True, squeeze=False)
    titles = _station_titles(fc.mean.station_buses)
    for s in range(n):
        for row, (name, scale, label) in enumerate(
            (("s_max_kwh", 1e3, "S_max (MWh)"), ("uncontrolled_kw", 1e3, "uncontrolled (MW)"))
        ):
            ax = axes[row, s]
            lo, hi = getattr(fc.low, name)[0, s], getattr(fc.high, name)[0, s]
            band(
                ax,
                lo / scale,
                hi / scale,
                color=PALETTE[0],
                alpha=0.2,
                label=f"day-ahead {fc.band[0]:g}-{fc.band[1]:g} %",
            )
            step(ax, getattr(fc.mean, name)[0, s] / scale, color=PALETTE[0], label="day-ahead mean")
            step(
                ax, getattr(realised, name)[day, s] / scale, color=PALETTE[3], label="realised day"
            )
            hour_axis(ax)
            if s == 0:
                ax.set_ylabel(label)
            if row == 0:
                ax.set_title(titles[s], fontsize="medium")
    _bottom_labels_only(axes)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside upper center", ncol=3, fontsize="small")
    return fig


def plot_realtime_assessment(
    rt: RealTimeAssessment,
    *,
    station: int,
    show_hours: Sequence[int],
    name: str = "s_max_kwh",
    errors: Mapping[str, np.ndarray] | None = None,
    ylabel: str = "S_max (MWh)",
    scale: float = 1e3,
) -> Figure:
    """Left: one station's bound assessed at a few decision hours (each over its window) against
    the realised values and the day-ahead mean. Right: mean absolute error per lead time.

    Args:
        errors: ``{"real-time": (W,), "day-ahead": (W,)}``; default from ``rt`` itself.
    """
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(10, 3.8), width_ratios=(1.6, 1))
    hours = list(rt.decision_hours)
    w = rt.window_h
    first = hours[0]
    span_end = hours[-1] + w
    truth = np.full(span_end - first, np.nan)
    prior = np.full(span_end - first, np.nan)
    for i, h in enumerate(hours):
        truth[h - first : h - first + w] = rt.realised[name][i, station] / scale
        prior[h - first : h - first + w] = rt.day_ahead[name][i, station] / scale
    step(ax, truth, start=first, color="0.15", linewidth=2.0, label="realised")
    step(ax, prior, start=first, color=PALETTE[0], linestyle="--", label="day-ahead mean")
    for j, h in enumerate(show_hours):
        i = hours.index(h)
        color = PALETTE[(j + 1) % len(PALETTE) + 1]
        step(
            ax,
            rt.assessed[name][i, station] / scale,
            start=h,
            color=color,
            label=f"assessed at {h % 24:02d}:00",
        )
        ax.axvline(h, color=color, linewidth=0.8, linestyle=":")
    hour_axis(ax, span_end - first, start=first)
    ax.set_ylabel(ylabel)
    ax.set_title(f"station {station + 1}, realised day {rt.day}")
    ax.legend(loc="best", fontsize="x-small")

    errs = errors or {
        "real-time": rt.mean_abs_error(name),
        "day-ahead": rt.mean_abs_error(name, "day_ahead"),
    }
    lead = np.arange(w)
    for (label, err), color in zip(errs.items(), (PALETTE[3], PALETTE[0]), strict=False):
        ax2.plot(lead, np.asarray(err) / scale, marker="o", color=color, label=label)
    ax2.set_xlabel("lead time (h after the decision hour)")
    ax2.set_ylabel(f"mean absolute error ({ylabel.split('(')[-1].rstrip(')')})")
    ax2.set_title("error against the realised values")
    ax2.set_xticks(lead)
    ax2.legend(fontsize="small")
    return fig


def plot_disaggregation(cases: Mapping[str, Disaggregation]) -> Figure:
    """Per aggregate schedule: asked (bars) vs realised by individual vehicles (line), and the
    departure energy missed."""
    n = len(cases)
    fig, axes = plt.subplots(n, 1, figsize=(9.5, 2.1 * n + 0.6), sharex=True, squeeze=False)
    for ax, (label, res) in zip(axes[:, 0], cases.items(), strict=True):
        x = np.arange(T_HOURS)
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
            f"{label}: mismatch {res.mismatch_kwh:.0f} kWh, missed departure energy "
            f"{res.total_shortfall_kwh:.0f} kWh",
            fontsize="medium",
        )
        hour_axis(ax)
    _bottom_labels_only(axes)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside upper center", ncol=2, fontsize="small")
    return fig


def plot_spread_readings(
    fleets: Mapping[str, Fleet], envs: Mapping[str, StationEnvelopes]
) -> Figure:
    """Arrival-slot distribution of each type and total uncontrolled load under both readings
    of Table 2's spread."""
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(10, 3.6))
    styles = ("-", "--", ":")
    for (reading, fleet), ls in zip(fleets.items(), styles, strict=False):
        for k, name in enumerate(fleet.type_names):
            counts, _ = np.histogram(fleet.arrival_slot[fleet.vtype == k], bins=HOUR_EDGES)
            ax.step(
                HOUR_EDGES,
                np.r_[counts, counts[-1]] / fleet.n_days,
                where="post",
                color=TYPE_COLORS[k],
                linestyle=ls,
                label=f"type {name.split()[0]}, {reading}",
            )
    for (reading, env), ls in zip(envs.items(), styles, strict=False):
        total = env.uncontrolled_kw.sum(axis=1).mean(axis=0) / 1e3
        step(ax2, total, color="0.2", linestyle=ls, label=reading)
    ax.set_title("arrival slot")
    ax.set_ylabel("vehicles per day")
    hour_axis(ax)
    ax.legend(fontsize="x-small", ncol=2)
    ax2.set_title("uncontrolled load, all stations (mean)")
    ax2.set_ylabel("MW")
    hour_axis(ax2)
    ax2.legend(fontsize="small", title="Table 2 spread read as")
    return fig


def markdown_table(frame: pd.DataFrame) -> str:
    """A GitHub-flavoured pipe table of ``frame`` (index not written) for ``{glue:md}``."""
    header = "| " + " | ".join(str(c) for c in frame.columns) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    body = [
        "| " + " | ".join(str(v).replace("|", "\\|") for v in row) + " |"
        for row in frame.itertuples(index=False)
    ]
    return "\n".join([header, rule, *body])
