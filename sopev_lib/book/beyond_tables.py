"""Tables and result-dependent phrases of chapter 8 (beyond the IEEE 33 feeder).

Every table function takes what the studies computed (:mod:`sopev_lib.studies.feeders`,
:mod:`sopev_lib.studies.multiday`) and returns a DataFrame of formatted strings that fits the
book's text column (at most six columns; symbols typeset, numbers through
:func:`~sopev_lib.book.tables.fmt`). Every phrase function returns a few words for
``{glue:md}``: a verdict, a list, a reason that depends on the result. Money in
10^4 RMB per year, capacities in kVA, times in seconds, voltages in p.u.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from sopev_lib.book.tables import fmt
from sopev_lib.core.economics import cost_breakdown
from sopev_lib.core.results import PlanResult
from sopev_lib.system.text import listing

__all__ = [
    "COST_LABELS",
    "STATUS_WORDS",
    "best_plan",
    "best_plan_reason",
    "check_verdict",
    "e2e_verdict",
    "exponent_verdict",
    "extra_sop_phrase",
    "level_phrase",
    "level_reason",
    "limits_phrase",
    "multiday_cost_table",
    "multiday_solve_table",
    "overhead_verdict",
    "placement_table",
    "plan_check_table",
    "plan_cost_table",
    "scale_size_table",
    "scale_time_table",
    "sci_or_zero",
    "sensitivity_table",
    "sizes_phrase",
    "solve_status_phrase",
    "status_by_size_phrase",
    "status_text",
    "times_phrase",
    "value_verdict",
]

#: Cost terms of the paper's Table 5 as typeset row labels.
COST_LABELS = {
    "C_SI": "$C_{SI}$",
    "C_OMS": "$C_{OMS}$",
    "C_PC": "$C_{PC}$",
    "C_NLC": "$C_{NLC}$",
    "total": "total $F_J$",
}


#: Solver statuses (cvxpy's names) as a reader sees them in tables and phrases.
STATUS_WORDS = {"optimal": "optimal", "optimal_inaccurate": "optimal (inaccurate)"}


def status_text(status: str) -> str:
    """A solver status in words: ``"optimal_inaccurate"`` -> ``"optimal (inaccurate)"``."""
    return STATUS_WORDS.get(str(status), str(status).replace("_", " "))


def _sci(value: float) -> str:
    """A small measured quantity (a cone gap, a voltage difference) as ``3.9e-06``; NaN as an
    en dash."""
    return "–" if value is None or not np.isfinite(value) else f"{value:.1e}"


def sci_or_zero(value: float, tiny: float = 1e-300) -> str:
    """A difference for the text: ``"0"`` when it is exactly zero (not ``"0.0e+00"``), else
    ``"1.7e-05"``."""
    return "0" if abs(float(value)) < tiny else f"{float(value):.1e}"


# ----- the CIGRE case -----------------------------------------------------------------------
def placement_table(placement: pd.DataFrame) -> pd.DataFrame:
    """The devices of a :class:`~sopev_lib.studies.feeders.FeederCase` grouped by kind: one row
    each for PV, wind, the EV stations and the SOPs, with their buses (or ties), ratings (kW,
    "sized" where the plan decides) and the rule that placed them."""
    kind = placement["device"].str.replace(r"EV station \d+", "EV stations", regex=True)
    rows = []
    for name in dict.fromkeys(kind):
        part = placement[kind == name]
        ratings = part["rating_kw"].to_numpy(dtype=float)
        rated = np.isfinite(ratings).all()
        rows.append(
            {
                "device": {"WT": "wind (WT)", "SOP": "SOPs"}.get(name, name),
                "bus or tie": ", ".join(part["bus"].astype(str)),
                "rating (kW)": ", ".join(fmt(r, 0) for r in ratings) if rated else "sized",
                "rule": str(part["rule"].iloc[0]).replace(" x ", " × "),
            }
        )
    return pd.DataFrame(rows)


def sensitivity_table(sensitivities: pd.DataFrame, sop_sites: Sequence[str]) -> pd.DataFrame:
    """The tie ranking of :func:`~sopev_lib.core.siting.tie_sensitivities` (kW of loss per kW
    moved across the tie, daily mean and peak) and whether the tie got an SOP."""
    s = sensitivities.sort_values("rank").reset_index(drop=True)
    return pd.DataFrame(
        {
            "rank": s["rank"].astype(int).astype(str),
            "tie": s["tie"],
            "mean (kW/kW)": [fmt(x, 4) for x in s["active_kw_per_kw"]],
            "peak (kW/kW)": [fmt(x, 4) for x in s["peak_active"]],
            "peak hour": s["peak_hour"].astype(int).astype(str),
            "SOP": ["yes" if t in set(sop_sites) else "no" for t in s["tie"]],
        }
    )


def plan_cost_table(results: Mapping[int, PlanResult]) -> pd.DataFrame:
    """The cost terms of the paper's Table 5 (10^4 RMB per year), one column per plan."""
    costs = {r.name: cost_breakdown(r) for r in results.values()}
    table = pd.DataFrame({"term": list(COST_LABELS.values())})
    for name, c in costs.items():
        table[name] = [fmt(c[key], 2) for key in COST_LABELS]
    return table


def plan_check_table(results: Mapping[int, PlanResult], checks: pd.DataFrame) -> pd.DataFrame:
    """Per plan: SOP capacities (kVA per tie), the solver's status, the largest relative cone
    gap, the largest voltage difference to pandapower's AC power flow (p.u.) and the verdict.

    Args:
        results: solved plans by number.
        checks: :func:`~sopev_lib.studies.feeders.check_solves` of ``results`` (same order).
    """
    rows = []
    for r, (_, c) in zip(results.values(), checks.iterrows(), strict=True):
        sop = ", ".join(f"{s}: {fmt(v, 0)}" for s, v in r.sop_capacity_kva.items())
        rows.append(
            {
                "plan": r.name,
                "SOP (kVA)": sop or "–",
                "status": status_text(c["status"]),
                "cone gap": _sci(c["gap_rel"]),
                "AC check (p.u.)": _sci(c["ac_error_pu"]),
                "verified": "yes" if c["verified"] else "NO: " + c["messages"],
            }
        )
    return pd.DataFrame(rows)


def best_plan(results: Mapping[int, PlanResult]) -> tuple[int, float]:
    """The plan among 2-4 that saves most against Plan 1, and the share (%) of its saving that
    is in the purchase cost C_PC."""
    c = {n: cost_breakdown(r) for n, r in results.items()}
    best = max((n for n in c if n != 1), key=lambda n: c[1]["total"] - c[n]["total"])
    saving = c[1]["total"] - c[best]["total"]
    return best, 100.0 * (c[1]["C_PC"] - c[best]["C_PC"]) / saving


def best_plan_reason(best: int) -> str:
    """What the saving of the best plan in the purchase cost means (Plan 4: moving the fleet's
    charging in time)."""
    if best == 4:
        return (
            ", that is, in moving the fleet's charging out of the expensive evening hours, as "
            "on the IEEE 33 feeder."
        )
    return "."


def check_verdict(
    checks: pd.DataFrame, *, passed: str, failed: str = "NOT every plan passes: "
) -> str:
    """``passed`` when every row of a :func:`~sopev_lib.studies.feeders.check_solves` table is
    verified; else ``failed`` followed by the failures, named with their solver status."""
    bad = checks[~checks["verified"].astype(bool)]
    if bad.empty:
        return passed
    return failed + "; ".join(
        f"{s} ({status_text(st)}): {m}"
        for s, st, m in zip(bad["solve"], bad["status"], bad["messages"], strict=True)
    )


def limits_phrase(v_by_plan: Mapping[str, np.ndarray], v_min: float, v_max: float) -> str:
    """Whether the voltage limits bind in any plan (within 1e-4 p.u.), with the range the
    voltages span: a student who changes a limit that does not bind changes nothing."""
    lo = min(float(np.min(v)) for v in v_by_plan.values())
    hi = max(float(np.max(v)) for v in v_by_plan.values())
    binding = [
        name
        for name, limit, reached in (("lower", v_min, lo), ("upper", v_max, hi))
        if abs(reached - limit) < 1e-4
    ]
    span = f"{lo:.3f}-{hi:.3f} p.u."
    if not binding:
        return (
            f"neither limit binds in any plan (the voltages stay within {span}), so moving the "
            "limits inside that range changes no result"
        )
    return f"the {' and the '.join(binding)} limit binds (the voltages span {span})"


# ----- scaling ------------------------------------------------------------------------------
def scale_size_table(scale: pd.DataFrame) -> pd.DataFrame:
    """Problem size and end-to-end times per feeder size (:func:`scaling_study`): buses,
    variables, interior-point iterations, solves behind the medians, wall and CPU time (s)."""
    out = pd.DataFrame(
        {
            "buses": scale["buses"].astype(int).astype(str),
            "variables": [fmt(v, 0) for v in scale["variables"]],
            "iterations": scale["iterations"].astype(int).astype(str),
            "end to end (s)": [fmt(v, 2) for v in scale["end_to_end_s"]],
            "CPU (s)": [fmt(v, 2) for v in scale["end_to_end_cpu_s"]],
        }
    )
    if "runs" in scale:
        out.insert(3, "solves", scale["runs"].astype(int).astype(str))
    return out


def scale_time_table(scale: pd.DataFrame) -> pd.DataFrame:
    """Where the time goes per feeder size: build, compile and solve (s, medians), cvxpy's
    overhead (build + compile) / solve, and the solver's status."""
    out = pd.DataFrame(
        {
            "buses": scale["buses"].astype(int).astype(str),
            "build (s)": [fmt(v, 3) for v in scale["build_s"]],
            "compile (s)": [fmt(v, 3) for v in scale["compile_s"]],
            "solve (s)": [fmt(v, 3) for v in scale["solve_s"]],
            "overhead": [fmt(v, 2) for v in scale["overhead_ratio"]],
        }
    )
    if "status" in scale:
        out["status"] = [status_text(v) for v in scale["status"]]
    return out


def exponent_verdict(exponent: float, bound: float = 1.3) -> str:
    """'met' or 'missed' for a solve time growing like size^exponent against size^bound."""
    return f"{'met' if exponent <= bound else 'missed'} (exponent {exponent:.2f})"


def e2e_verdict(
    scale: pd.DataFrame, target_s: float = 5.0, target_buses: int = 1000, near: float = 0.9
) -> str:
    """The end-to-end target (``target_s`` at ``target_buses``) judged at the largest size,
    if it is within ``near`` of the target size; else why it is not measured."""
    big = scale.iloc[-1]
    buses = int(big["buses"])
    if buses >= near * target_buses:
        verdict = "met" if big["end_to_end_s"] < target_s else "missed"
        return (
            f"{verdict}: {big['end_to_end_s']:.1f} s wall and {big['end_to_end_cpu_s']:.1f} s "
            f"CPU at {buses} buses"
        )
    return (
        f"not measured in this build (largest size {buses} buses, "
        f"{big['end_to_end_s']:.2f} s; the full build goes to 993 buses)"
    )


def overhead_verdict(scale: pd.DataFrame, limit: float = 0.5) -> str:
    """cvxpy's overhead (build + compile) / solve against ``limit`` at every size."""
    over = scale[scale["overhead_ratio"] > limit]
    if over.empty:
        return f"met (at most {scale['overhead_ratio'].max():.2f})"
    big = scale.iloc[-1]
    where = listing(
        f"{int(b)} buses ({r:.2f})"
        for b, r in zip(over["buses"], over["overhead_ratio"], strict=True)
    )
    return (
        f"missed at {where}: cvxpy's fixed cost of compiling weighs on the small models; at "
        f"{int(big['buses'])} buses the ratio is {big['overhead_ratio']:.2f}"
    )


def status_by_size_phrase(scale: pd.DataFrame) -> str:
    """The solver's status per feeder size: ``"optimal at 33 and 129 buses and optimal
    (inaccurate) at 65 buses"``."""
    return listing(
        f"{status_text(s)} at {listing(scale.loc[scale['status'] == s, 'buses'])} buses"
        for s in scale["status"].unique()
    )


def times_phrase(sizes: Sequence[int], seconds: Sequence[float], unit: str = "buses") -> str:
    """``"0.19 s at 33 buses and 0.72 s at 65 buses"``."""
    return listing(f"{t:.2f} s at {int(n)} {unit}" for n, t in zip(sizes, seconds, strict=True))


def sizes_phrase(capacity_kva: Mapping[str, float]) -> str:
    """``"244 kVA at 9-15 and 353 kVA at 7-8"``."""
    return listing(f"{fmt(v, 0)} kVA at {s}" for s, v in capacity_kva.items())


# ----- K representative days ----------------------------------------------------------------
def multiday_cost_table(table: pd.DataFrame) -> pd.DataFrame:
    """Per K (:func:`~sopev_lib.studies.multiday.study_table`): the K-day plan's SOP capacity,
    the annual cost of the single-day sizes and of the K-day plan on the K days, their
    difference (the value of planning) and its share of the cost."""
    return pd.DataFrame(
        {
            "K": table["K"].astype(int).astype(str),
            "$S_K$ (kVA)": [fmt(v, 1) for v in table["sop_multi_kva"]],
            "$F_K(S_1)$": [fmt(v, 3) for v in table["cost_single_on_days"]],
            "$F_K(S_K)$": [fmt(v, 3) for v in table["cost_multi"]],
            "$V_K$": [fmt(v, 3) for v in table["value_of_planning"]],
            "$V_K$ (%)": [fmt(v, 4) for v in table["value_pct"]],
        }
    )


def multiday_solve_table(table: pd.DataFrame, checks: pd.DataFrame) -> pd.DataFrame:
    """Size, times (s) and solver status of the K-day solves, one column per K.

    Args:
        table: :func:`~sopev_lib.studies.multiday.study_table`.
        checks: :func:`~sopev_lib.studies.multiday.study_checks` of the same studies (rows
            "K-day plan" and "S_1 on the K days" per K).
    """
    plan = checks[checks["solve"] == "K-day plan"].set_index("K")
    fixed = checks[checks["solve"] != "K-day plan"].set_index("K")
    rows = {
        "hours": [str(int(v)) for v in table["hours"]],
        "variables": [fmt(v, 0) for v in table["variables"]],
        "iterations": [str(int(v)) for v in table["iterations"]],
        "build (s)": [fmt(v, 3) for v in table["build_s"]],
        "compile (s)": [fmt(v, 3) for v in table["compile_s"]],
        "solve (s)": [fmt(v, 3) for v in table["solve_s"]],
        "end to end (s)": [fmt(v, 3) for v in table["multi_wall_s"]],
        "status, K-day plan": [status_text(plan.loc[k, "status"]) for k in table["K"]],
        "status, $S_1$ on the K days": [status_text(fixed.loc[k, "status"]) for k in table["K"]],
        "largest cone gap": [
            _sci(max(plan.loc[k, "gap_rel"], fixed.loc[k, "gap_rel"])) for k in table["K"]
        ],
        "verified": [
            "yes" if plan.loc[k, "verified"] and fixed.loc[k, "verified"] else "NO"
            for k in table["K"]
        ],
    }
    out = pd.DataFrame(rows, index=[f"K = {int(k)}" for k in table["K"]]).T
    out.insert(0, "", out.index)
    return out.reset_index(drop=True)


def solve_status_phrase(checks: pd.DataFrame, gap_tol: float = 1e-5) -> str:
    """The verdict on the K-day solves of :func:`~sopev_lib.studies.multiday.study_checks`:
    all verified, or which K fail and how (status, cone gap)."""
    bad = checks[~checks["verified"].astype(bool)]
    if bad.empty:
        return (
            "Every K-day solve ends with the status "
            + listing(sorted({status_text(v) for v in checks["status"]}))
            + " and passes the checks"
        )
    parts = []
    for k, rows in bad.groupby("K", sort=True):
        statuses = listing(sorted({status_text(v) for v in rows["status"]}))
        parts.append(
            f"at K = {int(k)} the {listing(rows['solve'])} end with the status {statuses} "
            f"and a largest cone gap of {rows['gap_rel'].max():.1e} (tolerance {gap_tol:.0e})"
        )
    text = "; ".join(parts) + ": those numbers are NOT verified"
    return text[0].upper() + text[1:]


def value_verdict(value_pct: float, small_pct: float = 0.5) -> str:
    """Whether the value of planning (% of the annual cost) is small, and why."""
    if value_pct < small_pct:
        return (
            "small. The annual cost is flat around the optimal capacity: moving the capacity "
            "shifts investment against losses and purchases almost one for one, so sizes that "
            "differ by a tenth cost nearly the same."
        )
    return (
        "not negligible: the single expected day sizes the SOPs for conditions the year rarely has."
    )


def level_phrase(cost_expected: float, cost_on_days: float) -> str:
    """How the single day's own estimate of the annual cost compares with the cost of the same
    sizes dispatched on the representative days: over- or understates, by how much."""
    error = 100.0 * (cost_expected - cost_on_days) / cost_on_days
    verb = "overstates" if error > 0 else "understates"
    return f"{verb} the annual cost by {abs(error):.1f} %"


def extra_sop_phrase(sizes_all: Mapping[str, float], sizes_ranked: Mapping[str, float]) -> str:
    """Whether the SOPs at the ties that the ranking left out earn their cost (kVA per tie of
    the plan with SOPs at every tie, and of the plan with the ranked sites)."""
    extra = {t: v for t, v in sizes_all.items() if t not in sizes_ranked}
    where = listing(extra)
    if sum(extra.values()) < 1.0:
        return (
            f"the optimiser gives the SOP at {where} no capacity: at its unit cost it is not "
            "worth buying, as the ranking said."
        )
    kva = listing(f"{fmt(v, 0)} kVA" for v in extra.values())
    return f"the SOP at {where} gets {kva}, so it earns more than its cost."


def level_reason(mean_load_factor: float) -> str:
    """Why the single design day misjudges the level of the annual cost (the year's mean load
    factor against the planning day's)."""
    if mean_load_factor < 1.0:
        return (
            f"the year's load averages {mean_load_factor:.3f} of the planning day's, whose load "
            "is the design day's (the book reads the nominal load as the peak), and this moves "
            "the purchase cost most."
        )
    return "the year's load averages the planning day's; the difference is weather and EVs."
