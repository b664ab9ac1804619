"""Figures of the reproduction report (chapter 6), drawn at the book's column width.

Every function takes computed tables (from :mod:`sopev_lib.reproduction.audit`,
:mod:`sopev_lib.reproduction.assumptions`, :mod:`sopev_lib.reproduction.calibrate`,
:mod:`sopev_lib.reproduction.report`, :mod:`sopev_lib.reproduction.table4`) or solved results and
returns a matplotlib Figure :data:`~sopev_lib.book.style.COLUMN_IN` wide whose text stays at
least 9 pt on the page; none solves anything. Money in 10^4 RMB per year, savings in % of
Plan 1's cost, unit costs in RMB per kVA and year, powers in kW / kvar.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure

from sopev_lib.book.style import COLUMN_IN, PALETTE, TIE_COLORS, hour_axis, plan_color, step
from sopev_lib.core.results import PlanResult
from sopev_lib.verify.disaggregate import Disaggregation

__all__ = [
    "plot_alternative_effects",
    "plot_calibration",
    "plot_disaggregation",
    "plot_relative_differences",
    "plot_savings",
    "plot_sop_cost_audit",
    "plot_sop_use",
    "savings_frame",
]

#: Font size (pt) of annotations; 9 pt on the page at the column width.
NOTE_PT = 8.0


def plot_relative_differences(table: pd.DataFrame, *, clip_pct: float = 100.0) -> Figure:
    """Heat map of ``(ours - paper) / paper`` in % for every entry of Tables 4-6: one row per
    quantity (in order of first appearance), one column per plan.

    Args:
        table: long table with columns ``quantity``, ``plan``, ``paper`` and ``ours`` (e.g.
            :func:`sopev_lib.reproduction.report.heat_cells`); with a column ``table``, white
            lines separate the quantities of different tables.
        clip_pct: colour scale limit; the annotation shows the true value.

    Cells where the paper's value is 0 (no relative difference) are grey and marked "-".
    """
    if not {"quantity", "plan", "paper", "ours"} <= set(table.columns):
        raise ValueError("table: expected columns quantity, plan, paper, ours")
    quantities = list(dict.fromkeys(table["quantity"]))
    plans = list(dict.fromkeys(table["plan"]))
    rel = np.full((len(quantities), len(plans)), np.nan)
    for _, r in table.iterrows():
        i, j = quantities.index(r["quantity"]), plans.index(r["plan"])
        if r["paper"] != 0 and np.isfinite(r["paper"]) and np.isfinite(r["ours"]):
            rel[i, j] = 100.0 * (r["ours"] - r["paper"]) / abs(r["paper"])
    fig, ax = plt.subplots(figsize=(COLUMN_IN, 0.32 * len(quantities) + 1.3))
    cmap = plt.get_cmap("RdBu_r").with_extremes(bad="0.88")
    img = ax.imshow(
        np.clip(rel, -clip_pct, clip_pct),
        cmap=cmap,
        aspect="auto",
        norm=TwoSlopeNorm(0.0, -clip_pct, clip_pct),
    )
    for i in range(len(quantities)):
        for j in range(len(plans)):
            v = rel[i, j]
            dark = np.isfinite(v) and abs(v) > 0.6 * clip_pct
            ax.text(
                j,
                i,
                "-" if not np.isfinite(v) else f"{v:+.0f}",
                ha="center",
                va="center",
                fontsize=NOTE_PT,
                color="white" if dark else "0.1",
            )
    if "table" in table.columns:
        group = dict(zip(table["quantity"], table["table"], strict=False))
        for i in range(1, len(quantities)):
            if group[quantities[i]] != group[quantities[i - 1]]:
                ax.axhline(i - 0.5, color="white", lw=3)
    ax.set_yticks(range(len(quantities)), quantities)
    ax.set_xticks(range(len(plans)), plans)
    ax.xaxis.tick_top()
    ax.grid(False)
    cb = fig.colorbar(img, ax=ax, shrink=0.8)
    cb.set_label(f"(ours - paper) / paper, % (clipped at ±{clip_pct:.0f})")
    return fig


def plot_savings(savings: pd.DataFrame) -> Figure:
    """Grouped bars: each plan's saving against Plan 1 (%), one bar per source.

    Args:
        savings: index = plan labels (e.g. "Plan 2"), columns = sources (e.g. "paper (Table 4)",
            "ours (defaults)"); the first source is hatched; NaN is drawn as "n/a".
    """
    plans, sources = list(savings.index), list(savings.columns)
    fig, ax = plt.subplots(figsize=(COLUMN_IN, 3.6))
    width = 0.8 / max(len(sources), 1)
    top = float(np.nanmax(savings.to_numpy(dtype=float))) if savings.size else 1.0
    for k, src in enumerate(sources):
        xs = np.arange(len(plans)) + (k - (len(sources) - 1) / 2) * width
        vals = savings[src].to_numpy(dtype=float)
        ax.bar(
            xs,
            np.nan_to_num(vals),
            width=0.95 * width,
            color="0.25" if k == 0 else PALETTE[(k - 1) % len(PALETTE)],
            label=src,
            hatch="//" if k == 0 else None,
            edgecolor="white" if k else "0.9",
        )
        for x, v in zip(xs, vals, strict=True):
            text = f"{v:.1f}" if np.isfinite(v) else "n/a"
            y = (v if np.isfinite(v) else 0.0) + 0.01 * top
            ax.text(x, y, text, ha="center", va="bottom", fontsize=NOTE_PT)
    ax.set_xticks(np.arange(len(plans)), plans)
    ax.set_ylabel("saving against Plan 1 (%)")
    ax.set_ylim(0, top * 1.35 if np.isfinite(top) and top > 0 else 1.0)
    ax.legend(loc="upper left", frameon=False, fontsize=NOTE_PT + 1, ncol=2)
    return fig


def plot_sop_cost_audit(per_kva: pd.DataFrame, references: Mapping[str, float]) -> Figure:
    """The paper's implied SOP cost per kVA and year against what Table 1 gives.

    Args:
        per_kva: index = plan labels, columns ``csi``, ``csi_lo``, ``csi_hi`` ($C_{SI}$ per kVA,
            RMB/kVA/yr, with the bounds of the printed precision), ``oms``, ``oms_lo``,
            ``oms_hi`` ($C_{OMS}$ per kVA) and ``batteries`` (True where $C_{SI}$ includes
            storage, hatched).
        references: label -> RMB/kVA/yr drawn as horizontal lines (e.g. Eq. 12, CRF).
    """
    fig, ax = plt.subplots(figsize=(COLUMN_IN, 4.0))
    plans = list(per_kva.index)
    xs = np.arange(len(plans))
    for off, key, color, label in (
        (-0.18, "csi", PALETTE[0], "$C_{SI}$ per kVA"),
        (0.18, "oms", PALETTE[1], "$C_{OMS}$ per kVA"),
    ):
        vals = per_kva[key].to_numpy(dtype=float)
        lo = vals - per_kva[f"{key}_lo"].to_numpy(dtype=float)
        hi = per_kva[f"{key}_hi"].to_numpy(dtype=float) - vals
        for k, (x, v) in enumerate(zip(xs + off, vals, strict=True)):
            ax.bar(
                x,
                v,
                width=0.34,
                color=color,
                hatch="xx" if per_kva["batteries"].iloc[k] else None,
                edgecolor="white",
                label=label if k == 0 else None,
            )
            ax.errorbar(x, v, yerr=[[lo[k]], [hi[k]]], color="0.1", capsize=3, lw=1)
            ax.text(x, v * 1.02 + 2, f"{v:.0f}", ha="center", va="bottom", fontsize=NOTE_PT)
    styles = ("--", ":", "-.", (0, (5, 1)))
    for k, (label, value) in enumerate(references.items()):
        ax.axhline(
            value, color="0.15", ls=styles[k % 4], lw=1.2, zorder=4, label=f"{label}: {value:.0f}"
        )
    names = [
        f"{p}\n(batteries)" if b else p for p, b in zip(plans, per_kva["batteries"], strict=True)
    ]
    ax.set_xticks(xs, names)
    ax.set_ylabel("RMB per kVA and year")
    ax.legend(loc="upper left", ncol=2, frameon=False, fontsize=NOTE_PT + 1)
    ax.set_ylim(0, float(np.nanmax(per_kva[["csi_hi", "oms_hi"]].to_numpy())) * 1.45)
    return fig


def plot_alternative_effects(table: pd.DataFrame) -> Figure:
    """One-at-a-time effects of the alternative readings (table of
    :func:`sopev_lib.reproduction.assumptions.alternatives_table`, defaults first): per
    alternative the change of Plan 4's saving (percentage points) and of Plan 1's cost (%),
    side by side; an alternative under which a plan has no solution is labelled instead."""
    t = table[table["key"] != "defaults"].iloc[::-1]
    cols = [c for c in t.columns if c.startswith("change of Plan")]
    if len(cols) != 2:
        raise ValueError("table: expected the two 'change of Plan ...' columns")
    fig, ax = plt.subplots(figsize=(COLUMN_IN, 0.28 * len(t) + 1.1))
    y = np.arange(len(t))
    labels = ("Plan 4's saving (pp)", "Plan 1's cost (%)")
    vals = np.column_stack([t[c].to_numpy(dtype=float) for c in cols])
    span = float(np.nanmax(np.abs(vals))) if np.isfinite(vals).any() else 1.0
    for k, (label, color) in enumerate(zip(labels, (PALETTE[3], PALETTE[7]), strict=True)):
        ok = np.isfinite(vals[:, k])
        ax.barh(y[ok] + (0.2 - 0.4 * k), vals[ok, k], height=0.38, color=color, label=label)
    for yi, status, row in zip(y, t["status"], vals, strict=True):
        if not np.isfinite(row).all():
            ax.text(
                0,
                yi,
                status,
                va="center",
                ha="center",
                fontsize=NOTE_PT,
                color="0.2",
                bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "0.7"},
            )
    ax.axvline(0, color="0.3", lw=0.8)
    ax.set_xlim(-1.15 * span - 1e-9, 1.15 * span + 1e-9)
    ax.set_yticks(y, t["alternative"], fontsize=NOTE_PT + 1)
    ax.set_xlabel("change against our defaults")
    fig.legend(loc="outside upper center", ncol=2, frameon=False)
    return fig


def plot_calibration(
    scan: pd.DataFrame,
    *,
    target: float,
    value: float,
    feasible_max: float,
    paper_savings: Mapping[int, float],
    xlabel: str = "load level (x the curve of profiles.csv)",
    default_x: float = 1.0,
) -> Figure:
    """The calibration of the load level, two panels one above the other.

    Args:
        scan: :func:`sopev_lib.reproduction.calibrate.scan` (x, plan, total, status, saving_pct).
        target: Plan 1's cost to reach (10^4 RMB/yr); ``value``: the calibrated x (NaN if none);
        feasible_max: the largest x at which Plan 1 is feasible (NaN if always).
        paper_savings: plan -> the paper's saving (% of Plan 1's cost).

    Top: every plan's cost against x, with the target (dashed) and the calibrated x
    (dash-dotted); bottom: the savings of Plans 2-4, with the paper's (dotted). Shaded: Plan 1
    infeasible.
    """
    fig, (ax, ax2) = plt.subplots(2, 1, figsize=(COLUMN_IN, 4.3), sharex=True)
    plans = sorted(scan["plan"].unique())
    for n in plans:
        d = scan[scan["plan"] == n].sort_values("x")
        color = plan_color(n)
        ax.plot(d["x"], d["total"], marker="o", ms=3.5, color=color, label=f"Plan {n}")
        if n != plans[0]:
            ax2.plot(d["x"], d["saving_pct"], marker="o", ms=3.5, color=color, label=f"Plan {n}")
            if n in paper_savings:
                ax2.axhline(paper_savings[n], color=color, ls=":", lw=1.3)
    ax.axhline(target, color="0.2", ls="--", lw=1, label=f"paper's Plan 1: {target:.1f}")
    for a in (ax, ax2):
        if np.isfinite(value):
            a.axvline(value, color="0.2", lw=1, ls="-.")
        a.axvline(default_x, color="0.6", lw=0.8)
        if np.isfinite(feasible_max):
            a.axvspan(feasible_max, float(scan["x"].max()) + 1e-9, color="0.9", zorder=0)
    ax2.set_xlabel(xlabel)
    ax.set_ylabel("annual cost ($10^4$ RMB)")
    ax2.set_ylabel("saving against Plan 1 (%)")
    fig.legend(
        *ax.get_legend_handles_labels(),
        loc="outside upper center",
        ncol=3,
        frameon=False,
        fontsize=NOTE_PT + 1,
    )
    return fig


def savings_frame(
    sources: Mapping[str, Mapping[int, float]], plans: Sequence[int] = (2, 3, 4)
) -> pd.DataFrame:
    """The input of :func:`plot_savings` from source -> {plan: saving %}."""
    return pd.DataFrame(
        {src: [vals.get(n, np.nan) for n in plans] for src, vals in sources.items()},
        index=[f"Plan {n}" for n in plans],
    )


def plot_sop_use(result: PlanResult) -> Figure:
    """What a plan's SOPs do, hour by hour: per tie line (one panel each) the active power sent
    from one feeder to the other (kW, bars) and the larger reactive power of the two converters
    (kvar, line), under the capacity (dashed)."""
    sop = result.device("sop")
    if not sop:
        raise ValueError(f"{result.name} has no SOP")
    ties = list(result.sop_capacity_kva.items())
    fig, axes = plt.subplots(len(ties), 1, figsize=(COLUMN_IN, 1.15 * len(ties) + 0.9), sharex=True)
    axes = np.atleast_1d(axes)
    hours = np.arange(result.n_hours)
    for k, (ax, (tie, cap)) in enumerate(zip(axes, ties, strict=True)):
        sent = np.maximum(sop["p_a_kw"][k], sop["p_b_kw"][k])
        q = np.maximum(np.abs(sop["q_a_kvar"][k]), np.abs(sop["q_b_kvar"][k]))
        ax.bar(hours + 0.5, sent, width=0.8, color=TIE_COLORS[k], label="active power sent (kW)")
        step(ax, q, color="0.15", lw=1.4, label="reactive power (kvar)")
        ax.axhline(cap, color="0.4", ls="--", lw=1, label="capacity (kVA)")
        ax.set_ylim(0, 1.25 * max(cap, 1.0))
        ax.set_ylabel(tie)
        hour_axis(ax, result.n_hours, label=ax is axes[-1])
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside upper center", ncol=2, frameon=False)
    return fig


def plot_disaggregation(cases: Mapping[str, Disaggregation]) -> Figure:
    """Per station: the aggregate schedule (bars, MW, + = charging) against what the individual
    vehicles realise (line), one panel each."""
    n = len(cases)
    fig, axes = plt.subplots(n, 1, figsize=(COLUMN_IN, 1.5 * n + 1.0), sharex=True, squeeze=False)
    for ax, (label, res) in zip(axes[:, 0], cases.items(), strict=True):
        x = np.arange(len(res.schedule_kw))
        ax.bar(
            x + 0.5,
            res.schedule_kw / 1e3,
            width=0.9,
            color=PALETTE[0],
            alpha=0.5,
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
        ax.set_title(label, fontsize=NOTE_PT + 1, loc="left")
        hour_axis(ax, len(x), label=ax is axes[-1, 0])
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside upper center", ncol=2, frameon=False)
    return fig
