"""Figures of the planning chapter (chapter 4): the four plans, their costs, schedules and voltages.

Every function takes computed results (tidy tables of :class:`~sopev_lib.core.results.PlanResult`,
arrays, the tables of :mod:`sopev_lib.reproduction.paper`) and returns a matplotlib Figure drawn
at the width of the book's text column (:data:`~sopev_lib.book.style.COLUMN_IN`) with the fonts of
:func:`~sopev_lib.book.style.book_style`; none of them solves anything. Hour t is drawn as the
interval [t, t+1) (step plots). Units: powers in kW / kvar (or MW where stated), energies in kWh
(or MWh), voltages in p.u., money in 10^4 RMB per year like the paper's tables.

Signs follow the library (DESIGN.md): at a bus, positive p is drawn from the grid. For an SOP,
``p_a_kw`` is what converter a draws from bus a; a negative value is an injection.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from sopev_lib.book.style import (
    COLUMN_IN,
    PALETTE,
    PEAK_SHADE,
    hour_axis,
    plan_color,
    shade_hours,
    step,
)
from sopev_lib.core.storage import StorageEnvelope

__all__ = [
    "TERM_COLORS",
    "plot_alternatives",
    "plot_cost_terms",
    "plot_dg_and_import",
    "plot_savings",
    "plot_scheduled_energy",
    "plot_sop_flows",
    "plot_station_schedules",
    "plot_voltage_envelopes",
    "plot_voltage_heatmaps",
]

#: Colours of the cost terms of Table 5 (stacked bars).
TERM_COLORS = {
    "C_SI": PALETTE[2],
    "C_OMS": PALETTE[8],
    "C_PC": PALETTE[0],
    "C_NLC": PALETTE[3],
}
#: Legend labels of the cost terms (mathtext).
TERM_LABELS = {"C_SI": "$C_{SI}$", "C_OMS": "$C_{OMS}$", "C_PC": "$C_{PC}$", "C_NLC": "$C_{NLC}$"}
MONEY_LABEL = "$10^4$ RMB per year"


def _grid(n: int, height_per_row: float, **kw: object) -> tuple[Figure, np.ndarray]:
    """Panels for ``n`` units, two per row, at the column width; unused panels hidden."""
    cols = 2 if n > 1 else 1
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(
        rows, cols, figsize=(COLUMN_IN, height_per_row * rows + 0.9), squeeze=False, **kw
    )
    for ax in axes.ravel()[n:]:
        ax.set_visible(False)
    return fig, axes


# ----- Tables 4 and 5 -----------------------------------------------------------------------
def plot_cost_terms(table5: pd.DataFrame) -> Figure:
    """Table 5 ours against the paper's: the cost terms of every plan stacked, ours plain and
    the paper's hatched, with the totals written on top.

    Args:
        table5: :func:`sopev_lib.reproduction.paper.table5_comparison` (plan, term, ours,
            paper, ...).

    The bars are drawn term by term: first ours (one bar per plan for each term), then the
    paper's in the same order.
    """
    fig, ax = plt.subplots(figsize=(COLUMN_IN, 4.2))
    plans = list(dict.fromkeys(table5["plan"]))
    terms = [t for t in TERM_COLORS if t in set(table5["term"])]
    wide = table5.set_index(["term", "plan"])
    width = 0.4
    for j, source in enumerate(("ours", "paper")):
        bottom = np.zeros(len(plans))
        xs = np.arange(len(plans)) + (j - 0.5) * width
        for term in terms:
            vals = np.nan_to_num(wide.loc[term][source].loc[plans].to_numpy(dtype=float))
            ax.bar(
                xs,
                vals,
                width=width * 0.95,
                bottom=bottom,
                color=TERM_COLORS[term],
                hatch="" if source == "ours" else "//",
                edgecolor="0.25",
                linewidth=0.5,
            )
            bottom += vals
        for x, total in zip(xs, bottom, strict=True):
            ax.text(x, total, f"{total:.0f}", ha="center", va="bottom", fontsize="small")
    ax.set_xticks(np.arange(len(plans)))
    ax.set_xticklabels(plans)
    ax.set_ylabel(MONEY_LABEL)
    ax.margins(y=0.1)
    ax.legend(
        handles=[Patch(facecolor=TERM_COLORS[t], edgecolor="0.25") for t in terms]
        + [
            Patch(facecolor="white", edgecolor="0.25"),
            Patch(facecolor="white", edgecolor="0.25", hatch="//"),
        ],
        labels=[TERM_LABELS[t] for t in terms] + ["ours", "paper"],
        ncol=3,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.1),
        frameon=False,
    )
    return fig


def plot_savings(table4: pd.DataFrame) -> Figure:
    """Table 4's economic benefit as a share of Plan 1's cost, ours beside the paper's.

    Args:
        table4: :func:`sopev_lib.reproduction.paper.table4_comparison` (index plan; columns
            ``benefit ours (%)``, ``benefit paper (%)``).
    """
    fig, ax = plt.subplots(figsize=(COLUMN_IN, 3.3))
    xs = np.arange(len(table4.index))
    ours = table4["benefit ours (%)"].to_numpy(dtype=float)
    paper = table4["benefit paper (%)"].to_numpy(dtype=float)
    ax.bar(xs - 0.2, ours, width=0.4, color=PALETTE[0], label="ours")
    ax.bar(xs + 0.2, paper, width=0.4, color="white", hatch="//", edgecolor=PALETTE[0])
    for x, (o, p) in enumerate(zip(ours, paper, strict=True)):
        ax.text(x - 0.2, o, f"{o:.1f}", ha="center", va="bottom", fontsize="small")
        ax.text(x + 0.2, p, f"{p:.1f}", ha="center", va="bottom", fontsize="small")
    ax.set_xticks(xs)
    ax.set_xticklabels(table4.index)
    ax.set_ylabel("saving, % of Plan 1's cost")
    ax.legend(
        handles=[
            Patch(facecolor=PALETTE[0]),
            Patch(facecolor="white", hatch="//", edgecolor=PALETTE[0]),
        ],
        labels=["ours", "paper"],
        loc="upper left",
    )
    ax.margins(y=0.15)
    return fig


# ----- Figure 5: the stations ---------------------------------------------------------------
def plot_station_schedules(
    storage: pd.DataFrame,
    uncontrolled_kw: Mapping[str, np.ndarray],
    *,
    peak_hours: Sequence[int] = (),
) -> Figure:
    """The paper's Figure 5: charging (+) and discharging (-) power of every station, MW.

    Args:
        storage: :meth:`PlanResult.storage` of Plan 4 (hour, unit, bus, p_ch_kw, p_dis_kw,
            p_net_kw, energy_kwh).
        uncontrolled_kw: per unit name, the uncontrolled charging load of the same cars (kW,
            shape (T,)): what Plans 1-3 see (dashed).
        peak_hours: hours shaded grey (the peak tariff).

    One panel per station; in each, the charging bars come first, then the discharging bars.
    """
    units = list(dict.fromkeys(storage["unit"]))
    fig, axes = _grid(len(units), 2.1, sharex=True, sharey=True)
    for ax, unit in zip(axes.ravel(), units, strict=False):
        d = storage[storage["unit"] == unit].sort_values("hour")
        h = d["hour"].to_numpy()
        shade_hours(ax, peak_hours)
        ax.bar(h + 0.5, d["p_ch_kw"] / 1e3, width=0.85, color=PALETTE[0], label="charging")
        ax.bar(h + 0.5, -d["p_dis_kw"] / 1e3, width=0.85, color=PALETTE[1], label="discharging")
        if unit in uncontrolled_kw:
            step(ax, np.asarray(uncontrolled_kw[unit]) / 1e3, color="0.15", ls="--", lw=1.3)
        ax.axhline(0, color="0.3", lw=0.6)
        ax.set_title(f"{unit} (bus {int(d['bus'].iloc[0])})", fontsize="medium")
        hour_axis(ax, len(h), label=False)
    for ax in axes[:, 0]:
        ax.set_ylabel("MW")
    for ax in axes[-1]:
        ax.set_xlabel("hour of day")
    handles = [
        Patch(facecolor=PALETTE[0]),
        Patch(facecolor=PALETTE[1]),
        Line2D([], [], color="0.15", ls="--"),
    ]
    labels = ["charging (+)", "discharging (−)", "uncontrolled (Plans 1-3)"]
    if peak_hours:
        handles.append(Patch(facecolor=PEAK_SHADE))
        labels.append("peak tariff")
    fig.legend(handles, labels, loc="outside lower center", ncol=2, frameon=False)
    return fig


def plot_scheduled_energy(storage: pd.DataFrame, envelopes: Sequence[StorageEnvelope]) -> Figure:
    """Stored energy of every station (Plan 4) inside its bounds S_min, S_max of Eq. (5), MWh.

    Args:
        storage: :meth:`PlanResult.storage` of Plan 4 (energy_kwh at the end of each hour).
        envelopes: the stations' envelopes, matched to ``storage`` by name.
    """
    fig, axes = _grid(len(envelopes), 2.1, sharex=True)
    for ax, env in zip(axes.ravel(), envelopes, strict=False):
        d = storage[storage["unit"] == env.name].sort_values("hour")
        x = np.arange(env.n_hours + 1)
        ax.fill_between(
            x,
            np.r_[env.s_min_kwh, env.s_min_kwh[-1]] / 1e3,
            np.r_[env.s_max_kwh, env.s_max_kwh[-1]] / 1e3,
            step="post",
            color=PALETTE[0],
            alpha=0.15,
            linewidth=0,
        )
        step(ax, d["energy_kwh"].to_numpy() / 1e3, color=PALETTE[3], lw=2.0)
        step(ax, env.s_max_kwh / 1e3, color=PALETTE[0], lw=1.0)
        step(ax, env.s_min_kwh / 1e3, color=PALETTE[0], lw=1.0)
        ax.set_title(f"{env.name} (bus {env.bus})", fontsize="medium")
        hour_axis(ax, env.n_hours, label=False)
    for ax in axes[:, 0]:
        ax.set_ylabel("MWh")
    for ax in axes[-1]:
        ax.set_xlabel("hour of day")
    fig.legend(
        [Patch(facecolor=PALETTE[0], alpha=0.3), Line2D([], [], color=PALETTE[3], lw=2.0)],
        ["bounds $[S_{min}, S_{max}]$", "stored energy $S$, Plan 4"],
        loc="outside lower center",
        ncol=2,
        frameon=False,
    )
    return fig


# ----- voltages -----------------------------------------------------------------------------
def plot_voltage_envelopes(
    v_by_plan: Mapping[str, np.ndarray], v_min_pu: float, v_max_pu: float
) -> Figure:
    """Lowest (solid) and highest (dotted) bus voltage of every hour, per plan; limits dashed.

    Args:
        v_by_plan: per plan name the voltage magnitudes (p.u.), shape (n_bus, T).
        v_min_pu, v_max_pu: limits, drawn dashed.

    Lines are drawn plan by plan: the lowest, then the highest voltage.
    """
    fig, ax = plt.subplots(figsize=(COLUMN_IN, 3.9))
    n_hours = 24
    handles, labels = [], []
    for k, (name, v) in enumerate(v_by_plan.items()):
        v = np.asarray(v)
        n_hours = v.shape[1]
        color = plan_color(name, k)
        step(ax, v.min(axis=0), color=color, lw=1.8)
        step(ax, v.max(axis=0), color=color, lw=1.0, ls=":")
        handles.append(Line2D([], [], color=color, lw=1.8))
        labels.append(name)
    for lim in (v_min_pu, v_max_pu):
        ax.axhline(lim, color="0.2", ls="--", lw=1.0)
    handles += [
        Line2D([], [], color="0.3", lw=1.8),
        Line2D([], [], color="0.3", lw=1.0, ls=":"),
        Line2D([], [], color="0.2", lw=1.0, ls="--"),
    ]
    labels += ["lowest", "highest", "limits"]
    ax.set_ylabel("voltage (p.u.)")
    hour_axis(ax, n_hours)
    fig.legend(handles, labels, loc="outside lower center", ncol=4, frameon=False)
    return fig


def plot_voltage_heatmaps(
    v_by_plan: Mapping[str, np.ndarray],
    buses: Sequence[int],
    v_min_pu: float,
    v_max_pu: float,
    *,
    center_pu: float = 1.0,
) -> Figure:
    """Bus x hour voltage maps, one per plan, on one colour scale; limits as contours.

    Args:
        v_by_plan: per plan name the voltage magnitudes (p.u.), shape (n_bus, T).
        buses: 1-based bus numbers of the rows.
        v_min_pu, v_max_pu: limits; where a map crosses one, a black contour is drawn.
        center_pu: voltage at the white centre of the diverging colour scale.
    """
    fig, axes = _grid(len(v_by_plan), 2.3, sharex=True, sharey=True)
    allv = np.concatenate([np.asarray(v).ravel() for v in v_by_plan.values()])
    lo = min(float(allv.min()), v_min_pu - 0.005)
    hi = max(float(allv.max()), v_max_pu + 0.005)
    norm = TwoSlopeNorm(
        vcenter=center_pu, vmin=min(lo, center_pu - 1e-3), vmax=max(hi, center_pu + 1e-3)
    )
    buses = np.asarray(buses)
    image = None
    for ax, (name, v) in zip(axes.ravel(), v_by_plan.items(), strict=False):
        v = np.asarray(v)
        n_hours = v.shape[1]
        image = ax.imshow(
            v,
            aspect="auto",
            origin="lower",
            cmap="RdBu",
            norm=norm,
            extent=(0, n_hours, buses.min() - 0.5, buses.max() + 0.5),
            interpolation="nearest",
        )
        ax.grid(False)
        hh = np.arange(n_hours) + 0.5
        for lim in (v_min_pu, v_max_pu):
            if v.min() < lim < v.max():
                ax.contour(hh, buses, v, levels=[lim], colors="k", linewidths=1.2)
        ax.set_title(name, fontsize="medium")
        hour_axis(ax, n_hours, label=False)
    for ax in axes[:, 0]:
        ax.set_ylabel("bus")
    for ax in axes[-1]:
        ax.set_xlabel("hour of day")
    if image is not None:
        cbar = fig.colorbar(image, ax=axes.ravel().tolist(), shrink=0.9)
        cbar.set_label("voltage (p.u.)")
        for lim in (v_min_pu, v_max_pu):
            cbar.ax.axhline(lim, color="k", lw=1.2)
    return fig


# ----- SOPs, DG and the import --------------------------------------------------------------
def plot_sop_flows(
    sops_by_plan: Mapping[str, pd.DataFrame], ties: Sequence[str], quantity: str = "p"
) -> Figure:
    """Active (``quantity="p"``, kW) or reactive (``"q"``, kvar) power drawn by both converters
    of every SOP, per plan and hour: one panel per tie, the lower-numbered end solid, the
    other dashed (+ = drawn from the bus).

    Args:
        sops_by_plan: per plan name its :meth:`PlanResult.sops` table.
        ties: tie names, one panel each.
        quantity: ``"p"`` or ``"q"``.

    In each panel the lines are drawn plan by plan: end a, then end b.
    """
    if quantity not in ("p", "q"):
        raise ValueError(f"quantity = {quantity!r}: allowed values are 'p', 'q'")
    col_a, col_b = ("p_a_kw", "p_b_kw") if quantity == "p" else ("q_a_kvar", "q_b_kvar")
    fig, axes = plt.subplots(
        len(ties), 1, figsize=(COLUMN_IN, 1.8 * len(ties) + 1.1), sharex=True, squeeze=False
    )
    axes = axes[:, 0]
    names = list(sops_by_plan)
    for ax, tie in zip(axes, ties, strict=True):
        for k, (name, sops) in enumerate(sops_by_plan.items()):
            d = sops[sops["tie"] == tie].sort_values("hour")
            if d.empty:
                continue
            color = plan_color(name, k)
            step(ax, d[col_a].to_numpy(), color=color, lw=1.6)
            step(ax, d[col_b].to_numpy(), color=color, lw=1.0, ls="--")
        ax.axhline(0, color="0.3", lw=0.6)
        a, b = tie.split("-")
        ax.set_title(f"tie {tie}: bus {a} solid, bus {b} dashed", fontsize="medium")
        ax.set_ylabel("kW" if quantity == "p" else "kvar")
        hour_axis(ax, label=False)
    axes[-1].set_xlabel("hour of day")
    fig.legend(
        [Line2D([], [], color=plan_color(n, k), lw=1.6) for k, n in enumerate(names)],
        names,
        loc="outside lower center",
        ncol=len(names),
        frameon=False,
    )
    return fig


def plot_dg_and_import(
    dg_available_kw: np.ndarray,
    dg_used_kw: Mapping[str, np.ndarray],
    import_kw: Mapping[str, np.ndarray],
    *,
    import_min_kw: float = 0.0,
) -> Figure:
    """Top: DG available against DG used (curtailment), per plan. Bottom: the substation
    import per plan against its lower limit (MW).

    Args:
        dg_available_kw: total available PV + wind output per hour (kW), shape (T,).
        dg_used_kw: per plan the total DG output used per hour (kW).
        import_kw: per plan the substation import per hour (kW).
        import_min_kw: the lower limit of the import (no export: 0 kW).
    """
    fig, (ax, ax2) = plt.subplots(2, 1, figsize=(COLUMN_IN, 5.6), sharex=True)
    avail = np.asarray(dg_available_kw) / 1e3
    x = np.arange(avail.size + 1)
    ax.fill_between(
        x, 0, np.r_[avail, avail[-1]], step="post", color=PALETTE[1], alpha=0.25, linewidth=0
    )
    for k, (name, used) in enumerate(dg_used_kw.items()):
        step(
            ax,
            np.asarray(used) / 1e3,
            color=plan_color(name, k),
            lw=1.4,
            ls=("-", "--", "-.", ":")[k % 4],
            label=name,
        )
    ax.set_ylabel("MW")
    ax.set_title("PV + wind: available (shaded) and used", fontsize="medium")
    hour_axis(ax, avail.size, label=False)
    for k, (name, p) in enumerate(import_kw.items()):
        step(ax2, np.asarray(p) / 1e3, color=plan_color(name, k), lw=1.6)
    ax2.axhline(import_min_kw / 1e3, color="0.15", ls="--", lw=1.0)
    ax2.set_ylabel("MW")
    ax2.set_title("import from the upstream grid (dashed: lower limit)", fontsize="medium")
    hour_axis(ax2, avail.size)
    fig.legend(
        *ax.get_legend_handles_labels(),
        loc="outside lower center",
        ncol=len(dg_used_kw),
        frameon=False,
    )
    return fig


# ----- alternatives -------------------------------------------------------------------------
def plot_alternatives(totals: pd.DataFrame, *, baseline: str | None = None) -> Figure:
    """Annual cost of every plan under each modelling alternative; infeasible plans marked x.

    Args:
        totals: index = alternative (scenario label), columns = plan names, values = total
            annual cost (10^4 RMB per year); NaN where the plan is infeasible.
        baseline: the scenario the lower panel subtracts (default: the first row).

    Top: the costs (one dot per feasible plan and scenario, an x below the axis for an
    infeasible one); bottom: the change against ``baseline`` (one bar per feasible plan and
    scenario).
    """
    scen = list(totals.index)
    plans = list(totals.columns)
    baseline = baseline or scen[0]
    fig, (ax, ax2) = plt.subplots(2, 1, figsize=(COLUMN_IN, 6.6), sharex=True)
    width = 0.8 / max(len(scen), 1)
    values = totals.to_numpy(dtype=float)
    finite = values[np.isfinite(values)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    pad = max(hi - lo, 1.0)
    delta = values - totals.loc[baseline].to_numpy(dtype=float)[None, :]
    for j, s in enumerate(scen):
        xs = np.arange(len(plans)) + (j - (len(scen) - 1) / 2) * width
        color = PALETTE[j % len(PALETTE)]
        ok = np.isfinite(values[j])
        ax.scatter(xs[ok], values[j][ok], color=color, s=42, zorder=3, label=s)
        ax2.bar(xs[ok], delta[j][ok], width=width * 0.95, color=color)
        if (~ok).any():
            ax.scatter(
                xs[~ok], np.full((~ok).sum(), lo - 0.06 * pad), marker="x", color=color, s=60
            )
    ax.set_ylim(lo - 0.12 * pad, hi + 0.08 * pad)
    ax.set_ylabel("$F_J$ ($10^4$ RMB/yr)")
    ax.set_title("annual cost (x: infeasible)", fontsize="medium")
    ax2.axhline(0, color="0.3", lw=0.8)
    ax2.set_xticks(np.arange(len(plans)))
    ax2.set_xticklabels(plans)
    ax2.set_ylabel("change ($10^4$ RMB/yr)")
    ax2.set_title(f"change against {baseline}", fontsize="medium")
    fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center", ncol=2, frameon=False)
    return fig
