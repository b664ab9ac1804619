"""Figures of the planning chapter (chapter 4): the four plans, their costs, schedules and voltages.

Every function takes computed results (tidy tables of :class:`~sopev_lib.core.results.PlanResult`,
arrays, the tables of :mod:`sopev_lib.reproduction.paper`) and returns a matplotlib Figure; none of
them
solves anything. Hour t is drawn as the interval [t, t+1) (step plots). Units: powers in kW /
kvar (or MW where stated), energies in kWh (or MWh), voltages in p.u., money in 10^4 RMB per
year like the paper's tables (marginal values in RMB per kVA and year).

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
from matplotlib.patches import Patch

from sopev_lib.book.style import (
    PALETTE,
    PEAK_SHADE,
    hour_axis,
    plan_color,
    shade_hours,
    step,
)
from sopev_lib.core.storage import StorageEnvelope

__all__ = [
    "plot_alternatives",
    "plot_cost_comparison",
    "plot_dg_and_import",
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
#: One colour per plan, Plan 1..4.


# ----- chapter 4: the four plans -----------------------------------------------------------
def plot_cost_comparison(table5: pd.DataFrame, table4: pd.DataFrame) -> Figure:
    """Table 5 ours against the paper's (stacked terms) and the relative saving of Table 4.

    Args:
        table5: :func:`sopev_lib.reproduction.paper.table5_comparison` (plan, term, ours, paper,
        ...).
        table4: :func:`sopev_lib.reproduction.paper.table4_comparison` (index plan; columns
            ``benefit ours (%)``, ``benefit paper (%)``).
    """
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(11.0, 4.0), width_ratios=(1.6, 1.0))
    plans = list(dict.fromkeys(table5["plan"]))
    terms = [t for t in TERM_COLORS if t in set(table5["term"])]
    width = 0.38
    for j, source in enumerate(("ours", "paper")):
        bottom = np.zeros(len(plans))
        xs = np.arange(len(plans)) + (j - 0.5) * width
        for term in terms:
            vals = np.array(
                [
                    float(table5[(table5["plan"] == p) & (table5["term"] == term)][source].iloc[0])
                    for p in plans
                ]
            )
            vals = np.nan_to_num(vals)
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
        for x, tot in zip(xs, bottom, strict=True):
            ax.text(x, tot, f"{tot:.0f}", ha="center", va="bottom", fontsize="x-small")
    ax.set_xticks(np.arange(len(plans)))
    ax.set_xticklabels(plans)
    ax.set_ylabel("10^4 RMB per year")
    ax.set_title("annual cost by term: ours (plain), paper (hatched)")
    ax.legend(
        handles=[Patch(facecolor=TERM_COLORS[t], edgecolor="0.25") for t in terms]
        + [
            Patch(facecolor="white", edgecolor="0.25"),
            Patch(facecolor="white", edgecolor="0.25", hatch="//"),
        ],
        labels=[*terms, "ours", "paper"],
        fontsize="x-small",
        ncol=6,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.1),
        frameon=False,
    )
    ax.margins(y=0.08)

    xs = np.arange(len(table4.index))
    ax2.bar(xs - 0.2, table4["benefit ours (%)"], width=0.4, color=PALETTE[0], label="ours")
    ax2.bar(
        xs + 0.2,
        table4["benefit paper (%)"],
        width=0.4,
        color="white",
        hatch="//",
        edgecolor=PALETTE[0],
        label="paper",
    )
    for x, (o, p) in enumerate(
        zip(table4["benefit ours (%)"], table4["benefit paper (%)"], strict=True)
    ):
        ax2.text(x - 0.2, o, f"{o:.1f}", ha="center", va="bottom", fontsize="xx-small")
        ax2.text(x + 0.2, p, f"{p:.1f}", ha="center", va="bottom", fontsize="xx-small")
    ax2.set_xticks(xs)
    ax2.set_xticklabels(table4.index)
    ax2.set_ylabel("% of Plan 1's cost")
    ax2.set_title("saving against Plan 1 (Table 4)")
    ax2.legend(fontsize="x-small", loc="upper left")
    ax2.margins(y=0.1)
    return fig


def plot_station_schedules(
    storage: pd.DataFrame,
    uncontrolled_kw: Mapping[str, np.ndarray],
    *,
    peak_hours: Sequence[int] = (),
) -> Figure:
    """The paper's Figure 5: charging (+) and discharging (-) power of every station.

    Args:
        storage: :meth:`PlanResult.storage` of Plan 4 (hour, unit, bus, p_ch_kw, p_dis_kw,
            p_net_kw, energy_kwh).
        uncontrolled_kw: per unit name, the uncontrolled charging load of the same cars (kW,
            shape (T,)): what Plans 1-3 see.
        peak_hours: hours shaded grey (the peak tariff).
    """
    units = list(dict.fromkeys(storage["unit"]))
    n = len(units)
    cols = 2 if n > 1 else 1
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(
        rows, cols, figsize=(10.5, 2.7 * rows + 0.5), sharex=True, sharey=True, squeeze=False
    )
    for ax in axes.ravel()[n:]:
        ax.set_visible(False)
    for ax, unit in zip(axes.ravel(), units, strict=False):
        d = storage[storage["unit"] == unit].sort_values("hour")
        h = d["hour"].to_numpy()
        shade_hours(ax, peak_hours)
        ax.bar(h + 0.5, d["p_ch_kw"] / 1e3, width=0.85, color=PALETTE[0], label="charging")
        ax.bar(h + 0.5, -d["p_dis_kw"] / 1e3, width=0.85, color=PALETTE[1], label="discharging")
        if unit in uncontrolled_kw:
            step(
                ax,
                np.asarray(uncontrolled_kw[unit]) / 1e3,
                color="0.15",
                ls="--",
                lw=1.3,
                label="uncontrolled (Plans 1-3)",
            )
        ax.axhline(0, color="0.3", lw=0.6)
        ax.set_title(f"{unit} (bus {int(d['bus'].iloc[0])})")
        ax.set_ylabel("MW (+ charging)")
        hour_axis(ax, len(h))
    for ax in axes[:-1].ravel():
        ax.set_xlabel("")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    if peak_hours:
        handles.append(Patch(facecolor=PEAK_SHADE))
        labels.append("peak tariff")
    axes[0, 0].legend(handles, labels, fontsize="x-small", loc="lower left", ncol=2)
    return fig


def plot_scheduled_energy(storage: pd.DataFrame, envelopes: Sequence[StorageEnvelope]) -> Figure:
    """Stored energy of every station (Plan 4) inside its bounds S_min, S_max of Eq. (5).

    Args:
        storage: :meth:`PlanResult.storage` of Plan 4 (energy_kwh at the end of each hour).
        envelopes: the stations' envelopes, matched to ``storage`` by name.
    """
    n = len(envelopes)
    cols = 2 if n > 1 else 1
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(
        rows, cols, figsize=(10.5, 2.6 * rows + 0.5), sharex=True, squeeze=False
    )
    for ax in axes.ravel()[n:]:
        ax.set_visible(False)
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
            label="[S_min, S_max]",
        )
        step(ax, env.s_max_kwh / 1e3, color=PALETTE[0], lw=1.0)
        step(ax, env.s_min_kwh / 1e3, color=PALETTE[0], lw=1.0)
        step(ax, d["energy_kwh"].to_numpy() / 1e3, color=PALETTE[3], lw=2.0, label="S, Plan 4")
        ax.set_title(f"{env.name} (bus {env.bus})")
        ax.set_ylabel("MWh")
        hour_axis(ax, env.n_hours)
    for ax in axes[:-1].ravel():
        ax.set_xlabel("")
    axes[0, 0].legend(fontsize="x-small", loc="upper center")
    return fig


def plot_voltage_envelopes(
    v_by_plan: Mapping[str, np.ndarray], v_min_pu: float, v_max_pu: float
) -> Figure:
    """Lowest and highest bus voltage of every hour, per plan.

    Args:
        v_by_plan: per plan name the voltage magnitudes (p.u.), shape (n_bus, T).
        v_min_pu, v_max_pu: limits, drawn dashed.
    """
    fig, ax = plt.subplots(figsize=(9.5, 3.8))
    n_hours = 24
    for k, (name, v) in enumerate(v_by_plan.items()):
        v = np.asarray(v)
        n_hours = v.shape[1]
        color = plan_color(name, k)
        step(ax, v.min(axis=0), color=color, lw=1.8, label=f"{name}, lowest")
        step(ax, v.max(axis=0), color=color, lw=1.0, ls=":", label=f"{name}, highest")
    for lim in (v_min_pu, v_max_pu):
        ax.axhline(lim, color="0.2", ls="--", lw=1.0)
    ax.text(0.2, v_min_pu, f" lower limit {v_min_pu:g} p.u.", va="bottom", fontsize="x-small")
    ax.text(0.2, v_max_pu, f" upper limit {v_max_pu:g} p.u.", va="top", fontsize="x-small")
    ax.set_ylabel("voltage (p.u.)")
    hour_axis(ax, n_hours)
    ax.legend(
        fontsize="x-small", ncol=4, loc="lower center", bbox_to_anchor=(0.5, 1.0), frameon=False
    )
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
    n = len(v_by_plan)
    cols = 2 if n > 1 else 1
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(
        rows, cols, figsize=(10.5, 3.3 * rows + 0.4), sharex=True, sharey=True, squeeze=False
    )
    for ax in axes.ravel()[n:]:
        ax.set_visible(False)
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
        ax.set_title(f"{name}: {v.min():.3f}-{v.max():.3f} p.u.", fontsize="medium")
        hour_axis(ax, n_hours)
        ax.set_ylabel("bus")
    for ax in axes[:-1].ravel():
        ax.set_xlabel("")
    if image is not None:
        cbar = fig.colorbar(image, ax=axes.ravel().tolist(), shrink=0.9)
        cbar.set_label("voltage (p.u.)")
        for lim in (v_min_pu, v_max_pu):
            cbar.ax.axhline(lim, color="k", lw=1.2)
    return fig


def plot_sop_flows(sops_by_plan: Mapping[str, pd.DataFrame], ties: Sequence[str]) -> Figure:
    """Active and reactive power of both converters of every SOP, per plan and hour.

    Args:
        sops_by_plan: per plan name its :meth:`PlanResult.sops` table.
        ties: tie names, one row of panels each.
    """
    fig, axes = plt.subplots(
        len(ties), 2, figsize=(10.5, 2.3 * len(ties) + 0.6), sharex=True, squeeze=False
    )
    for i, tie in enumerate(ties):
        for k, (name, sops) in enumerate(sops_by_plan.items()):
            d = sops[sops["tie"] == tie].sort_values("hour")
            if d.empty:
                continue
            color = plan_color(name, k)
            step(axes[i, 0], d["p_a_kw"].to_numpy(), color=color, lw=1.6, label=name)
            step(axes[i, 0], d["p_b_kw"].to_numpy(), color=color, lw=1.0, ls="--")
            step(axes[i, 1], d["q_a_kvar"].to_numpy(), color=color, lw=1.6, label=name)
            step(axes[i, 1], d["q_b_kvar"].to_numpy(), color=color, lw=1.0, ls="--")
        a, b = tie.split("-")
        axes[i, 0].set_ylabel(f"{tie}\nkW")
        axes[i, 1].set_ylabel("kvar")
        for ax in axes[i]:
            ax.axhline(0, color="0.3", lw=0.6)
        axes[i, 0].set_title(f"P drawn at bus {a} (solid), bus {b} (dashed)", fontsize="small")
        axes[i, 1].set_title(f"Q drawn at bus {a} (solid), bus {b} (dashed)", fontsize="small")
    for ax in axes[-1]:
        hour_axis(ax)
    axes[0, 0].legend(fontsize="x-small", loc="best")
    return fig


def plot_dg_and_import(
    dg_available_kw: np.ndarray,
    dg_used_kw: Mapping[str, np.ndarray],
    import_kw: Mapping[str, np.ndarray],
    *,
    import_min_kw: float = 0.0,
) -> Figure:
    """DG available against DG used (curtailment) and the substation import, per plan.

    Args:
        dg_available_kw: total available PV + wind output per hour (kW), shape (T,).
        dg_used_kw: per plan the total DG output used per hour (kW).
        import_kw: per plan the substation import per hour (kW).
        import_min_kw: the lower limit of the import (no export: 0 kW).
    """
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(11.0, 3.7))
    avail = np.asarray(dg_available_kw) / 1e3
    x = np.arange(avail.size + 1)
    ax.fill_between(
        x,
        0,
        np.r_[avail, avail[-1]],
        step="post",
        color=PALETTE[1],
        alpha=0.25,
        linewidth=0,
        label="available",
    )
    for k, (name, used) in enumerate(dg_used_kw.items()):
        step(
            ax,
            np.asarray(used) / 1e3,
            color=plan_color(name, k),
            lw=1.4,
            ls=("-", "--", "-.", ":")[k % 4],
            label=f"used, {name}",
        )
    ax.set_ylabel("MW")
    ax.set_title("PV + wind output")
    hour_axis(ax, avail.size)
    ax.legend(fontsize="x-small", loc="upper left")
    for k, (name, p) in enumerate(import_kw.items()):
        step(ax2, np.asarray(p) / 1e3, color=plan_color(name, k), lw=1.6, label=name)
    ax2.axhline(import_min_kw / 1e3, color="0.15", ls="--", lw=1.0)
    ax2.text(0.2, import_min_kw / 1e3, " lower limit (no export)", va="bottom", fontsize="x-small")
    ax2.set_ylabel("MW")
    ax2.set_title("import from the upstream grid")
    hour_axis(ax2, avail.size)
    ax2.legend(fontsize="x-small", loc="upper center", ncol=2)
    return fig


def plot_alternatives(totals: pd.DataFrame, *, baseline: str | None = None) -> Figure:
    """Annual cost of every plan under each modelling alternative; infeasible plans marked.

    Args:
        totals: index = alternative (scenario label), columns = plan names, values = total
            annual cost (10^4 RMB per year); NaN where the plan is infeasible.
        baseline: the scenario the right panel subtracts (default: the first row).

    Left: the costs (dots); right: the change against ``baseline`` (bars).
    """
    scen = list(totals.index)
    plans = list(totals.columns)
    baseline = baseline or scen[0]
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(11.0, 4.6), layout="constrained")
    width = 0.8 / max(len(scen), 1)
    values = totals.to_numpy(dtype=float)
    finite = values[np.isfinite(values)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    base = totals.loc[baseline].to_numpy(dtype=float)
    delta = values - base[None, :]
    dfin = delta[np.isfinite(delta)]
    dlo, dhi = (float(dfin.min()), float(dfin.max())) if dfin.size else (-1.0, 1.0)
    for j, s in enumerate(scen):
        xs = np.arange(len(plans)) + (j - (len(scen) - 1) / 2) * width
        color = PALETTE[j % len(PALETTE)]
        vals = values[j]
        ok = np.isfinite(vals)
        ax.scatter(
            xs[ok],
            vals[ok],
            color=color,
            s=42,
            zorder=3,
            label=s,
            edgecolor="0.1" if s == baseline else "none",
        )
        ax2.bar(xs[ok], delta[j][ok], width=width * 0.95, color=color, label=s)
        for x in xs[~ok]:
            ax.scatter([x], [lo - 0.04 * (hi - lo)], marker="x", color=color, s=50, zorder=3)
            ax2.text(
                x, 0, "infeasible", rotation=90, ha="center", va="bottom", fontsize=7, color=color
            )
    ax.set_xticks(np.arange(len(plans)))
    ax.set_xticklabels(plans)
    ax.set_ylabel("annual cost F_J (10^4 RMB)")
    ax.set_ylim(lo - 0.08 * (hi - lo), hi + 0.05 * (hi - lo))
    ax.set_title("annual cost (x: infeasible)")
    fig.legend(
        *ax.get_legend_handles_labels(),
        fontsize="x-small",
        loc="outside lower center",
        ncol=min(len(scen), 3),
        frameon=False,
    )
    ax2.axhline(0, color="0.3", lw=0.8)
    ax2.set_xticks(np.arange(len(plans)))
    ax2.set_xticklabels(plans)
    ax2.set_ylabel("10^4 RMB per year")
    ax2.set_title(f"change against {baseline}")
    ax2.set_ylim(min(dlo, 0.0) * 1.15 - 1.0, max(dhi, 0.0) * 1.15 + 1.0)
    return fig
