"""Tables and result-dependent phrases of chapter 9 (SimBench: a real year and real feeders).

Every function takes computed results and returns a display table (numbers already formatted
with :func:`sopev_lib.book.tables.fmt`, at most six columns) or a short phrase for
``{glue:md}``; none of them solves anything. Money in 10^4 RMB per year, capacities in kVA,
energies in kWh or MWh per day, voltages in p.u.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from sopev_lib.book.tables import fmt
from sopev_lib.core.economics import cost_breakdown
from sopev_lib.core.results import PlanResult
from sopev_lib.studies.simbench_feeders import SimbenchCase
from sopev_lib.studies.year import PlanSizes, basis_label
from sopev_lib.system.profiles import Profiles, YearProfiles
from sopev_lib.system.text import listing

__all__ = [
    "basis_plans_table",
    "battery_phrase",
    "cheapest_phrase",
    "estimate_phrase",
    "feeder_plans_table",
    "feeder_summary",
    "profile_comparison",
    "ranking_phrase",
    "representative_days_table",
    "robustness_phrase",
    "study_time_phrase",
    "value_phrase",
    "value_table",
    "verification_table",
    "year_cost_table",
]


def profile_comparison(ours: Profiles, year: YearProfiles) -> pd.DataFrame:
    """Our planning day beside SimBench's year: daily means (capacity factors) and the load's
    daily peak, for our day, SimBench's mean day and the range of the year's days (5-95 %)."""
    rows = []
    for attr, label in (
        ("load_pu", "load, daily mean (p.u.)"),
        ("pv_pu", "PV, daily mean (p.u.)"),
        ("wind_pu", "wind, daily mean (p.u.)"),
    ):
        days = getattr(year, attr).mean(axis=1)
        rows.append((label, getattr(ours, attr).mean(), days.mean(), *np.percentile(days, [5, 95])))
    peak = year.load_pu.max(axis=1)
    rows.append(
        ("load, daily peak (p.u.)", ours.load_pu.max(), peak.mean(), *np.percentile(peak, [5, 95]))
    )
    return pd.DataFrame(
        [
            {
                "quantity": q,
                "ours": fmt(a, 2),
                "SimBench, year mean": fmt(b, 2),
                "SimBench days, 5-95 %": fmt(lo, 2) + " to " + fmt(hi, 2),
            }
            for q, a, b, lo, hi in rows
        ]
    )


def representative_days_table(days: pd.DataFrame) -> pd.DataFrame:
    """:meth:`sopev_lib.studies.year.RealDays.table` for the page (energies in MWh per day)."""
    return pd.DataFrame(
        {
            "date": days["date"],
            "days it stands for": days["members"].astype(int).astype(str),
            "load (MWh)": [fmt(x / 1000.0, 1) for x in days["load_kwh"]],
            "PV (MWh)": [fmt(x / 1000.0, 1) for x in days["pv_kwh"]],
            "wind (MWh)": [fmt(x / 1000.0, 1) for x in days["wind_kwh"]],
        }
    )


def basis_plans_table(sizes: Mapping[str, Mapping[int, PlanSizes]]) -> pd.DataFrame:
    """What each planning basis builds: one column per basis; rows the SOP capacity (kVA) of
    Plans 2-4 and Plan 3's battery (kWh)."""
    rows: list[tuple[str, str, int]] = [
        ("SOP, Plan 2 (kVA)", "sop", 2),
        ("SOP, Plan 3 (kVA)", "sop", 3),
        ("battery, Plan 3 (kWh)", "ess", 3),
        ("SOP, Plan 4 (kVA)", "sop", 4),
    ]
    out = []
    for label, what, n in rows:
        row = {"": label}
        for basis, plans in sizes.items():
            s = plans.get(n)
            if s is None:
                row[basis_label(basis)] = "–"
            elif what == "sop":
                row[basis_label(basis)] = fmt(sum(s.sop_kva.values()), 0)
            else:
                row[basis_label(basis)] = fmt(sum(s.ess_kwh), 0)
        out.append(row)
    return pd.DataFrame(out)


def _plan_by_basis(frame: pd.DataFrame, cell: Callable[[pd.Series], str]) -> pd.DataFrame:
    """One row per plan, one column per planning basis, each cell ``cell(row of frame)``."""
    out = []
    for plan, grp in frame.groupby("plan", sort=True):
        row = {"": f"Plan {int(plan)}"}
        row |= {basis_label(r["basis"]): cell(r) for _, r in grp.iterrows()}
        out.append(row)
    return pd.DataFrame(out)


def year_cost_table(summary: pd.DataFrame) -> pd.DataFrame:
    """True annual cost over the evaluated days and, in brackets, the plan's design estimate:
    one row per plan, one column per planning basis ($10^4$ RMB per year)."""
    return _plan_by_basis(
        summary, lambda r: fmt(r["true_cost"], 1) + " (" + fmt(r["estimate"], 1) + ")"
    )


def value_table(value: pd.DataFrame) -> pd.DataFrame:
    """Out-of-sample saving of each basis against the mean day, per plan ($10^4$ RMB per year
    and % of the mean-day plan's true cost)."""
    return _plan_by_basis(
        value, lambda r: fmt(r["saving"], 2) + " (" + fmt(r["saving_pct"], 3) + " %)"
    )


def estimate_phrase(summary: pd.DataFrame, basis: str) -> str:
    """How far the estimates of a basis's plans are from their true annual cost."""
    rows = summary[summary["basis"] == basis]
    err = rows["error_pct"].to_numpy()
    if np.all(np.abs(err) < 0.5):
        return "within 0.5 % of the true cost for every plan"
    side = "above" if np.all(err > 0) else "below" if np.all(err < 0) else "off"
    lo, hi = np.abs(err).min(), np.abs(err).max()
    return fmt(lo, 1) + " to " + fmt(hi, 1) + " % " + side + " the true cost"


def robustness_phrase(summary: pd.DataFrame) -> str:
    """Whether the fixed plans served every evaluated day within the voltage limits (a
    sentence)."""
    bad = summary[summary["infeasible"] > 0]
    days = str(int(summary["days"].max()))
    if bad.empty:
        return (
            "Every plan of every basis kept the voltage limits on all " + days + " days with its "
            "capacities fixed: on this year the plans adapt to the uncertainty, as the paper claims"
        )
    parts = [
        "Plan "
        + str(int(r.plan))
        + " of the "
        + basis_label(r.basis)
        + " on "
        + str(int(r.infeasible))
        + " days"
        for r in bad.itertuples()
    ]
    return (
        "With their capacities fixed, the voltage limits could not be kept by "
        + listing(parts)
        + " of "
        + days
        + ": there the paper's claim of robustness fails"
    )


def ranking_phrase(summary: pd.DataFrame) -> str:
    """Which plan is cheapest over the year on every basis (a sentence)."""
    best = summary.loc[summary.groupby("basis")["true_cost"].idxmin()]
    plans = sorted(set(best["plan"].astype(int)))
    if plans == [4]:
        return "Plan 4 is the cheapest plan over the year on every basis"
    return "the cheapest plan over the year is " + listing(
        "Plan " + str(int(r.plan)) + " on the " + basis_label(r.basis) for r in best.itertuples()
    )


def value_phrase(value: pd.DataFrame, *, explain: bool = True) -> str:
    """The largest out-of-sample saving of planning on K days over the mean day (with
    ``explain``, why it is small when it is)."""
    k_rows = value[value["basis"].str.startswith("K")]
    if k_rows.empty:
        return "not measured (no K-day basis)"
    best = k_rows.loc[k_rows["saving"].idxmax()]
    if best["saving"] <= 0:
        return "nothing: no K-day plan is cheaper over the year than the mean-day plan"
    text = (
        fmt(best["saving"], 2)
        + " × 10⁴ RMB a year ("
        + fmt(best["saving_pct"], 3)
        + " %), Plan "
        + str(int(best["plan"]))
        + " on "
        + basis_label(best["basis"])
    )
    if explain and best["saving_pct"] < 0.5:
        text += (
            ": little, because the annual cost is flat around the optimal capacities (moving a "
            "capacity trades investment against losses almost one for one)"
        )
    return text


def cheapest_phrase(totals: Mapping[str, Mapping[int, float]]) -> str:
    """Which plan is cheapest on each grid (a sentence)."""
    best = {code: min(t, key=t.get) for code, t in totals.items()}
    if set(best.values()) == {4}:
        return "The paper's ranking holds on every grid: Plan 4 is the cheapest"
    return "The cheapest plan is " + listing(
        "Plan " + str(n) + " on `" + code + "`" for code, n in best.items()
    )


def battery_phrase(results: Mapping[str, Mapping[int, PlanResult]]) -> str:
    """What Plan 3 builds on each grid."""
    kwh = {
        code: sum(r["energy_kwh"] for r in res[3].ess_rating.values())
        for code, res in results.items()
    }
    if all(v < 1.0 for v in kwh.values()):
        return "no battery on any grid: on these days a battery does not pay"
    return listing(fmt(v, 0) + " kWh of batteries on `" + code + "`" for code, v in kwh.items())


def study_time_phrase(source: str, meta: Mapping[str, object]) -> str:
    """How long the year study took: read from a finished table (``source`` and ``meta`` of
    :func:`sopev_lib.studies.year.obtain_year_study`), or computed by the page."""
    seconds = fmt(float(meta.get("seconds") or 0.0), 0)
    workers = int(meta.get("workers") or 0)
    where = "in this kernel" if workers == 0 else "on " + str(workers) + " Dask workers"
    if source == "full-size table":
        earlier = "the year study's table was read, computed earlier by `sopev sweep` in "
        return earlier + seconds + " s " + where
    if not meta.get("n_run"):
        return "the year study's table was read from an earlier run with the same code"
    return "the year study took " + seconds + " s of it, " + where


def feeder_summary(cases: Mapping[str, SimbenchCase], nets: Mapping[str, object]) -> pd.DataFrame:
    """The SimBench grids as planning cases: one column per grid; what SimBench defines and
    what the conversion and the placement rules made of it."""
    out: dict[str, list[str]] = {}
    labels = [
        "SimBench buses / feeder buses",
        "open switches: lines / couplers",
        "bus groups fused by closed switches",
        "transformers (parallel merged)",
        "substation set point / seen (p.u.)",
        "voltage band (p.u.)",
        "nominal load (MW)",
        "PV / wind modelled (MW)",
        "biomass and hydro left out (MW)",
        "SOP sites",
        "EV stations at buses",
    ]
    for code, case in cases.items():
        net, grid, p = nets[code], case.grid, case.params
        sw = net.switch[~net.switch.closed]
        dg = case.dg.groupby("role")["kw"].sum()
        out[code] = [
            str(len(net.bus)) + " / " + str(grid.feeder.n_bus),
            str(int((sw.et == "l").sum())) + " / " + str(int((sw.et == "b").sum())),
            str(len(grid.fused)),
            str(len(net.trafo))
            + (" (" + str(len(grid.parallel_trafos)) + ")" if grid.parallel_trafos else ""),
            fmt(float(net.ext_grid.vm_pu.iloc[0]), 3) + " / " + fmt(grid.v_substation_pu, 4),
            fmt(p.network.v_min_pu, 3) + " to " + fmt(p.network.v_max_pu, 3),
            fmt(grid.feeder.total_load_kw / 1000.0, 1),
            fmt(dg.get("pv", 0.0) / 1000.0, 1) + " / " + fmt(dg.get("wind", 0.0) / 1000.0, 1),
            fmt(dg.get("left out", 0.0) / 1000.0, 2),
            listing(p.network.sop_sites),
            listing(p.ev.station_buses),
        ]
    return pd.DataFrame({"": labels, **out})


def feeder_plans_table(results: Mapping[str, Mapping[int, PlanResult]]) -> pd.DataFrame:
    """The four plans on each grid: annual cost (10⁴ RMB per year) and, in brackets, its
    saving against Plan 1 (%); one row per plan, one column per grid."""
    totals = {
        code: {n: cost_breakdown(r)["total"] for n, r in res.items()}
        for code, res in results.items()
    }
    out = []
    for n in (1, 2, 3, 4):
        row = {"": f"Plan {n}"}
        for code, t in totals.items():
            saving = 100 * (t[1] - t[n]) / t[1]
            row[code] = fmt(t[n], 1) + " (" + fmt(saving, 2) + " %)"
        out.append(row)
    return pd.DataFrame(out)


def verification_table(
    gaps: Mapping[str, Sequence[float]], ac: Mapping[str, Sequence[float]]
) -> pd.DataFrame:
    """Per plan (rows) and grid (columns): the largest relative cone gap and the largest
    voltage difference between the plan and pandapower's power flow of the SimBench network."""
    out = []
    for k in range(len(next(iter(gaps.values())))):
        row = {"": f"Plan {k + 1}"}
        for code in gaps:
            short = code.split("-")[2]
            row[short + ": cone gap"] = f"{gaps[code][k]:.1e}"
            row[short + ": AC (p.u.)"] = f"{ac[code][k]:.1e}"
        out.append(row)
    return pd.DataFrame(out)
