"""Figures of SimBench's year and grids (chapter 9; the profile comparison also for chapter 1).

Every function takes computed results (:class:`~sopev_lib.system.profiles.Profiles`,
:class:`~sopev_lib.system.profiles.YearProfiles`, the tables of
:mod:`sopev_lib.studies.year`, a :class:`~sopev_lib.studies.simbench_feeders.SimbenchCase`)
and returns a matplotlib Figure drawn at the book's column width; none of them solves anything.
Per-unit curves, energies in MWh per day, money in 10^4 RMB per year.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from sopev_lib.book.figures.feeder import feeder_layout
from sopev_lib.book.style import COLUMN_IN, PALETTE, band, hour_axis, plan_color, step
from sopev_lib.system.feeder import Feeder
from sopev_lib.system.profiles import Profiles, YearProfiles

__all__ = [
    "CURVES",
    "OURS_COLOR",
    "SIMBENCH_COLOR",
    "plot_profile_sets",
    "plot_simbench_feeder",
    "plot_year_costs",
    "plot_year_days",
]

OURS_COLOR = "0.15"
SIMBENCH_COLOR = PALETTE[0]
#: The curves compared, in panel order: attribute of the profiles and its axis label.
CURVES = (
    ("load_pu", "load (p.u.)"),
    ("pv_pu", "PV (p.u.)"),
    ("wind_pu", "wind (p.u.)"),
)


def plot_profile_sets(
    ours: Profiles, year: YearProfiles, *, spread: tuple[float, float] = (5.0, 95.0)
) -> Figure:
    """The book's planning day beside SimBench's year: per curve (load per unit of the nominal
    load, PV and wind per unit of rating; one panel each) our 24 h curve, SimBench's mean day
    and the band of the year's days between the ``spread`` percentiles, hour by hour."""
    fig, axes = plt.subplots(3, 1, figsize=(COLUMN_IN, 4.3), sharex=True)
    mean = year.mean_day()
    for ax, (attr, label) in zip(axes, CURVES, strict=True):
        days = getattr(year, attr)
        lo, hi = np.percentile(days, spread, axis=0)
        band(ax, lo, hi, color=SIMBENCH_COLOR, alpha=0.18)
        step(ax, getattr(mean, attr), color=SIMBENCH_COLOR, lw=2.0)
        step(ax, getattr(ours, attr), color=OURS_COLOR, lw=2.0, ls="--")
        ax.set_ylabel(label)
        ax.set_ylim(0.0, max(1.05, float(hi.max()) * 1.05))
        hour_axis(ax, 24, label=ax is axes[-1])
    handles = [
        Line2D([], [], color=OURS_COLOR, lw=2.0, ls="--", label="ours (profiles.csv)"),
        Line2D([], [], color=SIMBENCH_COLOR, lw=2.0, label="SimBench, mean day"),
        plt.Rectangle((0, 0), 1, 1, color=SIMBENCH_COLOR, alpha=0.18, label="SimBench, 5-95 %"),
    ]
    fig.legend(handles=handles, loc="outside upper center", ncols=2, frameon=False)
    return fig


def plot_year_days(energy: pd.DataFrame, days: Sequence[int], weights: Sequence[float]) -> Figure:
    """Daily energy of the year (MWh per day: load, available PV and wind) with the
    representative ``days`` marked on the load line, sized by their ``weights`` (days per
    year).

    Args:
        energy: :meth:`sopev_lib.studies.year.RealYear.daily_energy`.
        days: representative days (day of the year, 1-based).
        weights: days each stands for.
    """
    fig, ax = plt.subplots(figsize=(COLUMN_IN, 2.7))
    x = energy["day"].to_numpy()
    series = (
        ("load_kwh", "load", "0.2"),
        ("pv_kwh", "PV", PALETTE[1]),
        ("wind_kwh", "wind", PALETTE[0]),
    )
    for col, label, color in series:
        ax.plot(x, energy[col] / 1000.0, color=color, lw=1.1, label=label)
    d = np.asarray(days, dtype=int)
    w = np.asarray(weights, dtype=float)
    load = energy.set_index("day").loc[d, "load_kwh"].to_numpy() / 1000.0
    ax.scatter(
        d,
        load,
        s=25 + 400 * w / w.max(),
        facecolor="none",
        edgecolor=PALETTE[3],
        lw=1.6,
        zorder=3,
        label="representative day",
    )
    ax.set_xlim(1, len(x))
    ax.set_xlabel("day of 2016")
    ax.set_ylabel("MWh per day")
    ax.legend(loc="upper center", ncols=4, frameon=False, bbox_to_anchor=(0.5, 1.16))
    return fig


def plot_year_costs(summary: pd.DataFrame, labels: Mapping[str, str] | None = None) -> Figure:
    """Every plan (x) and planning basis (markers side by side): the true annual cost over the
    evaluated days (filled marker) with the spread of the annualised daily cost (whisker,
    ``lo``-``hi``) and the plan's own design estimate (open diamond).

    Args:
        summary: :func:`sopev_lib.studies.year.year_summary`.
        labels: reader's names of the bases (default the basis keys).
    """
    labels = dict(labels or {})
    bases = list(dict.fromkeys(summary["basis"]))
    plans = sorted(summary["plan"].unique())
    fig, ax = plt.subplots(figsize=(COLUMN_IN, 3.1))
    width = 0.8 / len(bases)
    offset = (np.arange(len(bases)) - (len(bases) - 1) / 2) * width
    markers = ("o", "s", "^", "v", "P", "X")
    for k, basis in enumerate(bases):
        rows = summary[summary["basis"] == basis].set_index("plan").reindex(plans)
        x = np.arange(1, len(plans) + 1) + offset[k]
        colors = [plan_color(int(p)) for p in plans]
        ax.vlines(x, rows["lo"], rows["hi"], colors=colors, lw=1.5)
        ax.scatter(
            x,
            rows["true_cost"],
            c=colors,
            marker=markers[k % 6],
            s=40,
            zorder=3,
            label=labels.get(basis, basis),
        )
        ax.scatter(
            x,
            rows["estimate"],
            marker="D",
            s=30,
            facecolor="none",
            edgecolor="0.2",
            zorder=3,
            label="design estimate" if k == 0 else None,
        )
    ax.set_xticks(np.arange(1, len(plans) + 1))
    ax.set_xticklabels([f"Plan {p}" for p in plans])
    ax.set_ylabel("$10^4$ RMB per year")
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=3, frameon=False)
    return fig


def plot_simbench_feeder(
    feeder: Feeder,
    *,
    sop_sites: Sequence[str],
    stations: Sequence[int],
    pv_kw: Mapping[int, float] | None = None,
    wind_kw: Mapping[int, float] | None = None,
    title: str = "",
) -> Figure:
    """A SimBench grid as a radial tree (:func:`~sopev_lib.book.figures.feeder.feeder_layout`):
    lines grey, transformers black, tie lines (lines behind open switches) dashed, the SOP
    sites bold red, EV stations green squares, PV and wind buses as dots sized by rating."""
    lay = feeder_layout(feeder)
    xy = lay.xy
    fig, ax = plt.subplots(figsize=(COLUMN_IN, 3.0))
    for f, t, kind in zip(feeder.from_idx, feeder.to_idx, feeder.branch_kind, strict=True):
        p, q = xy[f], xy[t]
        color, lw = ("0.05", 2.4) if kind == "trafo" else ("0.6", 1.0)
        ax.plot([p[0], p[0], q[0]], [p[1], q[1], q[1]], color=color, lw=lw, zorder=1)
    sites = set(sop_sites)
    for tie in feeder.ties:
        a, b = xy[feeder.index_of(tie.bus_a)], xy[feeder.index_of(tie.bus_b)]
        sop = tie.name in sites
        curve = _arc(a, b)
        ax.plot(
            curve[:, 0],
            curve[:, 1],
            ls="-" if sop else "--",
            lw=2.6 if sop else 1.0,
            color=PALETTE[3] if sop else "0.45",
            zorder=2,
        )
    handles = [
        Line2D([], [], color=PALETTE[3], lw=2.6, label="SOP site"),
        Line2D([], [], color="0.45", lw=1.0, ls="--", label="tie line"),
        Line2D([], [], color="0.05", lw=2.4, label="transformer"),
        Line2D([], [], marker="s", ls="", color=PALETTE[2], mec="k", ms=8, label="EV station"),
    ]
    for kw, color, label in ((pv_kw or {}, PALETTE[1], "PV"), (wind_kw or {}, PALETTE[0], "wind")):
        if kw:
            idx = feeder.indices_of(list(kw))
            size = 6 + 60 * np.asarray(list(kw.values())) / max(max(kw.values()), 1.0)
            ax.scatter(xy[idx, 0], xy[idx, 1], s=size, color=color, alpha=0.8, zorder=3, lw=0)
            handles.append(Line2D([], [], marker="o", ls="", color=color, ms=7, label=label))
    st = feeder.indices_of(list(stations))
    ax.scatter(xy[st, 0], xy[st, 1], marker="s", s=70, color=PALETTE[2], edgecolor="k", zorder=4)
    ax.scatter(*xy[0], marker="^", s=110, color="k", zorder=4)
    ax.legend(
        handles=handles,
        loc="lower center",
        bbox_to_anchor=(0.5, 1.0),
        ncols=3,
        frameon=False,
        title=title or None,
    )
    ax.set_axis_off()
    return fig


def _arc(a: np.ndarray, b: np.ndarray, bow: float = 0.18, n: int = 30) -> np.ndarray:
    """Points of a quadratic curve from ``a`` to ``b`` bowed sideways by ``bow`` of its length
    (so that a tie line along a row of the tree stays visible)."""
    d = b - a
    normal = np.array([-d[1], d[0]])
    control = (a + b) / 2 + bow * normal
    t = np.linspace(0.0, 1.0, n)[:, None]
    return (1 - t) ** 2 * a + 2 * (1 - t) * t * control + t**2 * b
