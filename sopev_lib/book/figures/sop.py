"""Figures of the SOP chapter (chapter 3): the converters' capability and losses, Eqs. (7)-(10),
the loss sensitivity of each tie line (siting, Section 4.2) and the value of SOP capacity.

Every function takes computed results and returns a matplotlib Figure; none of them solves
anything. Signs follow the library: ``p_a_kw`` is what converter a draws from bus a, a negative
value is an injection. Powers in kW / kvar, capacities in kVA.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from sopev_lib.book.style import PALETTE, TIE_COLORS, hour_axis
from sopev_lib.core.model.sop import sop_transfers

__all__ = ["plot_capacity_sweep", "plot_sop_capability", "plot_tie_sensitivity"]


def plot_sop_capability(
    sops: pd.DataFrame,
    capacity_kva: Mapping[str, float],
    loss_coefficient: float,
    *,
    min_capacity_kva: float = 1.0,
) -> Figure:
    """The SOP of Eqs. (7)-(10): capability circles and the loss model, with a plan's hours.

    Args:
        sops: :meth:`PlanResult.sops` table (hour, tie, p_a_kw, q_a_kvar, p_b_kw, q_b_kvar,
            loss_kw; + = drawn from the bus).
        capacity_kva: installed capacity per tie (kVA); both converters have it (Eqs. 9-10).
        loss_coefficient: A of Eq. (8) (Table 1's "loss factor 0.98" read as A = 0.02).
        min_capacity_kva: ties below this capacity are not drawn.

    Panels: (a) each converter's operating points (P, Q) / S inside the unit circle of
    Eqs. (9)-(10); (b) power delivered against power sent, with Eqs. (7)-(8) solved for a
    one-way transfer, delivered = sent (1 - A) / (1 + A); (c) converter loss against power sent.
    """
    a = float(loss_coefficient)
    fig, axes = plt.subplots(1, 3, figsize=(11.5, 3.9), width_ratios=(1.0, 1.0, 1.0))
    ax_c, ax_d, ax_l = axes
    theta = np.linspace(0.0, 2.0 * np.pi, 361)
    ax_c.fill(np.cos(theta), np.sin(theta), color=PALETTE[0], alpha=0.08, linewidth=0)
    ax_c.plot(np.cos(theta), np.sin(theta), color=PALETTE[0], lw=1.5)
    ties = [t for t in capacity_kva if capacity_kva[t] >= min_capacity_kva]
    sent_max = 0.0
    for k, tie in enumerate(ties):
        color = TIE_COLORS[k % len(TIE_COLORS)]
        cap = float(capacity_kva[tie])
        d = sops[sops["tie"] == tie]
        ax_c.scatter(
            d["p_a_kw"] / cap,
            d["q_a_kvar"] / cap,
            s=16,
            color=color,
            marker="o",
            label=f"{tie}, converter a",
            alpha=0.85,
        )
        ax_c.scatter(
            d["p_b_kw"] / cap,
            d["q_b_kvar"] / cap,
            s=20,
            color=color,
            marker="x",
            label=f"{tie}, converter b",
            alpha=0.85,
        )
        sent, received, moving = sop_transfers(d["p_a_kw"], d["p_b_kw"], cap)
        ax_d.scatter(sent[moving], received[moving], s=18, color=color, label=tie, zorder=3)
        ax_l.scatter(
            sent[moving], d["loss_kw"].to_numpy()[moving], s=18, color=color, label=tie, zorder=3
        )
        if moving.any():
            sent_max = max(sent_max, float(sent[moving].max()))
    ax_c.axhline(0, color="0.4", lw=0.6)
    ax_c.axvline(0, color="0.4", lw=0.6)
    ax_c.set_aspect("equal")
    ax_c.set_xlim(-1.15, 1.15)
    ax_c.set_ylim(-1.15, 1.15)
    ax_c.set_xlabel("P / S  (+ drawn from the bus)")
    ax_c.set_ylabel("Q / S  (+ drawn from the bus)")
    ax_c.set_title("(a) capability, Eqs. (9)-(10)")
    ax_c.legend(fontsize="xx-small", loc="lower left", ncol=1, framealpha=0.9)

    _sop_loss_panels(ax_d, ax_l, a, sent_max)
    return fig


def _sop_loss_panels(ax_d: plt.Axes, ax_l: plt.Axes, a: float, sent_max: float) -> None:
    """Panels (b) and (c) of :func:`plot_sop_capability`: Eqs. (7)-(8) for a one-way transfer,
    delivered = sent (1 - A) / (1 + A), and the converter loss."""
    x = np.linspace(0.0, 1.15 * max(sent_max, 1.0), 50)
    eff = (1.0 - a) / (1.0 + a)
    ax_d.plot(x, x, color="0.5", ls=":", lw=1.0, label="lossless")
    ax_d.plot(x, eff * x, color="0.15", lw=1.5, label=f"Eqs. (7)-(8): (1-A)/(1+A) = {eff:.4f}")
    ax_d.set_xlabel("power sent, drawn at one end (kW)")
    ax_d.set_ylabel("power delivered at the other end (kW)")
    ax_d.set_title("(b) delivered vs sent")
    ax_d.legend(fontsize="x-small", loc="upper left")
    ax_l.plot(x, (1.0 - eff) * x, color="0.15", lw=1.5, label=f"A (|P_a| + |P_b|), A = {a:g}")
    ax_l.set_xlabel("power sent (kW)")
    ax_l.set_ylabel("converter loss (kW)")
    ax_l.set_title("(c) loss, Eq. (8)")
    ax_l.legend(fontsize="x-small", loc="upper left")
    for ax in (ax_d, ax_l):
        ax.set_xlim(left=0)
        ax.set_ylim(bottom=0)


def plot_tie_sensitivity(
    per_hour: pd.DataFrame,
    ranking: Mapping[str, pd.DataFrame],
    *,
    highlight: Sequence[str] = (),
) -> Figure:
    """Loss sensitivity of a transfer across each tie line, hour by hour and over the day.

    Args:
        per_hour: rows hour, tie, method ("analytic" or "finite_difference"),
            ``s_kw_per_kw`` (|dL/dP| of a transfer across the tie, kW per kW).
        ranking: per method the table of :func:`sopev_lib.core.siting.tie_sensitivities`
            (``tie``, ``active_kw_per_kw``: daily mean).
        highlight: tie names set in bold (e.g. the paper's SOP sites).
    """
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(11.0, 3.9), width_ratios=(1.8, 1.0))
    ties = list(next(iter(ranking.values()))["tie"])
    colors = {t: TIE_COLORS[k % len(TIE_COLORS)] for k, t in enumerate(ties)}
    n_hours = int(per_hour["hour"].max()) + 1
    for tie in ties:
        d = per_hour[per_hour["tie"] == tie]
        an = d[d["method"] == "analytic"].sort_values("hour")
        fd = d[d["method"] == "finite_difference"].sort_values("hour")
        if len(an):
            ax.plot(an["hour"] + 0.5, an["s_kw_per_kw"], color=colors[tie], lw=1.6, label=tie)
        if len(fd):
            ax.scatter(
                fd["hour"] + 0.5,
                fd["s_kw_per_kw"],
                color=colors[tie],
                s=22,
                marker="o",
                facecolor="white",
                linewidth=1.4,
                zorder=3,
            )
    handles, labels = ax.get_legend_handles_labels()
    handles += [
        Line2D([], [], color="0.3", lw=1.6),
        Line2D([], [], color="0.3", marker="o", markerfacecolor="white", lw=0),
    ]
    labels += ["analytic (first order)", "finite difference (AC)"]
    ax.legend(handles, labels, fontsize="x-small", ncol=2, loc="upper left")
    hour_axis(ax, n_hours)
    ax.set_ylabel("|dL/dP| of a transfer (kW per kW)")
    ax.set_ylim(bottom=0)
    ax.set_title("loss sensitivity per hour, Plan 1 operating point")

    _ranking_bars(ax2, ranking, ties, colors, highlight)
    return fig


def _ranking_bars(
    ax: plt.Axes,
    ranking: Mapping[str, pd.DataFrame],
    ties: Sequence[str],
    colors: Mapping[str, tuple],
    highlight: Sequence[str],
) -> None:
    """Right panel of :func:`plot_tie_sensitivity`: daily mean sensitivity per tie and method."""
    methods = list(ranking)
    width = 0.8 / max(len(methods), 1)
    hatches = ("", "//", "..")
    for m, method in enumerate(methods):
        r = ranking[method].set_index("tie")
        vals = [float(r.loc[t, "active_kw_per_kw"]) for t in ties]
        xs = np.arange(len(ties)) + (m - (len(methods) - 1) / 2) * width
        ax.bar(
            xs,
            vals,
            width=width,
            color=[colors[t] for t in ties],
            hatch=hatches[m % 3],
            edgecolor="0.2",
            linewidth=0.6,
            label=method.replace("_", " "),
        )
    ax.set_xticks(np.arange(len(ties)))
    ax.set_xticklabels(ties)
    for lab in ax.get_xticklabels():
        if lab.get_text() in highlight:
            lab.set_fontweight("bold")
    ax.set_ylabel("daily mean (kW per kW)")
    ax.set_title("ranking over the day")
    ax.legend(
        handles=[
            Patch(facecolor="white", edgecolor="0.2", hatch=hatches[m % 3])
            for m in range(len(methods))
        ],
        labels=[m.replace("_", " ") for m in methods],
        fontsize="x-small",
    )


def plot_capacity_sweep(
    sweep: pd.DataFrame,
    annual_cost_per_kva_rmb: float,
    *,
    chosen_kva: Mapping[str, float] | None = None,
) -> Figure:
    """One SOP of fixed capacity at a time (the others absent): cost, value, losses, voltage.

    Args:
        sweep: rows ``tie``, ``capacity_kva``, ``total`` (annual cost, 10^4 RMB),
            ``operating`` (C_PC + C_NLC, 10^4 RMB), ``marginal_value_rmb_per_kva``
            (-d operating / dS, RMB per kVA and year), ``loss_kwh`` (branch + converter losses
            of the day), ``v_min_pu`` (lowest voltage of the day).
        annual_cost_per_kva_rmb: annualised investment plus O&M of one kVA (Eqs. 12-13).
        chosen_kva: capacities chosen by the full plan, marked on the cost panel.
    """
    fig, axes = plt.subplots(2, 2, figsize=(10.5, 6.6), sharex=True)
    ties = list(dict.fromkeys(sweep["tie"]))
    for k, tie in enumerate(ties):
        color = TIE_COLORS[k % len(TIE_COLORS)]
        d = sweep[sweep["tie"] == tie].sort_values("capacity_kva")
        s = d["capacity_kva"].to_numpy()
        axes[0, 0].plot(s, d["total"], "o-", color=color, ms=4, label=tie)
        axes[0, 1].plot(s, d["marginal_value_rmb_per_kva"], "o-", color=color, ms=4, label=tie)
        axes[1, 0].plot(s, d["loss_kwh"], "o-", color=color, ms=4, label=tie)
        axes[1, 1].plot(s, d["v_min_pu"], "o-", color=color, ms=4, label=tie)
        if chosen_kva and tie in chosen_kva:
            axes[0, 0].axvline(chosen_kva[tie], color=color, ls=":", lw=1.2)
    axes[0, 1].axhline(annual_cost_per_kva_rmb, color="0.15", ls="--", lw=1.2)
    axes[0, 1].text(
        sweep["capacity_kva"].min(),
        annual_cost_per_kva_rmb,
        f" annual cost of 1 kVA: {annual_cost_per_kva_rmb:.1f} RMB",
        ha="left",
        va="top",
        fontsize="x-small",
        color="0.15",
    )
    mv = sweep["marginal_value_rmb_per_kva"].to_numpy(dtype=float)
    if np.all(mv > 0):
        axes[0, 1].set_yscale("log")
    else:
        axes[0, 1].set_yscale("symlog", linthresh=1.0)
    axes[0, 0].set_ylabel("annual cost F_J (10^4 RMB)")
    axes[0, 0].set_title("total annual cost, Eq. (15)")
    axes[0, 1].set_ylabel("RMB per kVA and year")
    axes[0, 1].set_title("marginal value of capacity, -d(C_PC + C_NLC)/dS")
    axes[1, 0].set_ylabel("kWh per day")
    axes[1, 0].set_title("losses (branches + converters)")
    axes[1, 1].set_ylabel("p.u.")
    axes[1, 1].set_title("lowest voltage of the day")
    for ax in axes[1]:
        ax.set_xlabel("SOP capacity S (kVA)")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    if chosen_kva:
        handles.append(Line2D([], [], color="0.3", ls=":", lw=1.2))
        labels.append("size chosen by Plan 2")
    axes[0, 0].legend(
        handles, labels, fontsize="x-small", title="SOP alone at", title_fontsize="x-small"
    )
    return fig
