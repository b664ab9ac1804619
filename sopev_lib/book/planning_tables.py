"""Tables and verdict phrases of the planning chapter (chapter 4, Section 5.1 of the paper).

The tables set our four plans beside the paper's Tables 4 and 5 and fit the book's text column
(one column per plan, at most six columns); numbers go through :func:`~sopev_lib.book.tables.fmt`
so that solver round-off shows as 0. The phrases are the short, result-dependent words that the
chapter's prose glues in (``{glue:md}``): a ranking, a verdict on the voltage limits, whether the
hand-built Plan 4 equals the pipeline's. Money is in 10^4 RMB per year (Tables 4-5), energy in kWh
per day, power in kW, voltages in p.u.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import pairwise

import numpy as np
import pandas as pd

from sopev_lib.book.tables import fmt, typeset
from sopev_lib.core.economics import cost_breakdown, energy_summary, loss_double_count
from sopev_lib.core.model.sop import TRANSFER_SHARE, sop_transfers
from sopev_lib.core.results import PlanResult
from sopev_lib.reproduction.report import verified_word
from sopev_lib.system.params import Params, provenance_table
from sopev_lib.system.text import listing, ranges
from sopev_lib.verify.checks import Verification, relaxation_gap
from sopev_lib.verify.solve import VerifiedSolve

__all__ = [
    "DEVICE_LABELS",
    "MONEY",
    "MONEY_TEXT",
    "PLANNING_PARAMETERS",
    "TERM_LABELS",
    "active_share_pct",
    "all_pass_phrase",
    "alternative_phrase",
    "alternatives_table",
    "alternatives_totals",
    "average_price",
    "battery_phrase",
    "change_phrase",
    "compare_word",
    "curtailment_phrase",
    "device_table",
    "energy_table",
    "error_phrase",
    "infeasibility_phrase",
    "limit_phrase",
    "more_or_less",
    "open_choices_phrase",
    "parameter_table",
    "plan2_phrase",
    "purchase_saving_phrase",
    "ranking_phrase",
    "repair_phrase",
    "repair_table",
    "same_plan_phrase",
    "site_gap_phrase",
    "solver_stats",
    "table4_beside",
    "table5_beside",
    "transfer_hours",
    "verification_phrase",
    "verification_table",
    "violation_phrase",
    "voltage_table",
]

#: The unit of Tables 4-5, typeset (for tables, whose Markdown is parsed with math).
MONEY = "$10^4$ RMB/yr"
#: The same unit in plain text (for the inline phrases, whose Markdown has no math).
MONEY_TEXT = "10⁴ RMB a year"
#: Readable names of the model's devices (their ``name`` in the library).
DEVICE_LABELS = {
    "substation": "substation",
    "load": "loads",
    "dg": "PV and wind",
    "ev_uncontrolled": "uncontrolled charging",
    "sop": "SOPs",
    "stations": "EV stations as storage",
    "ess": "batteries",
}
#: The parameters that shape the plans most (dotted paths of ``data/params.yaml``).
PLANNING_PARAMETERS = (
    "network.v_substation_pu",
    "network.v_min_pu",
    "network.v_max_pu",
    "network.substation_p_min_kw",
    "network.sop_sites",
    "dg.curtailable",
    "sop.loss_coefficient",
    "sop.unit_cost_rmb_per_kva",
    "sop.lifetime_years",
    "sop.annualisation",
    "sop.om_factor",
    "economics.loss_price",
    "ev.station_buses",
    "ess.energy_cost_rmb_per_kwh",
    "ess.power_cost_rmb_per_kw",
    "ess.lifetime_years",
    "profiles.file",
)
#: The cost terms of Table 5, typeset.
TERM_LABELS = {
    "C_SI": "$C_{SI}$",
    "C_OMS": "$C_{OMS}$",
    "C_PC": "$C_{PC}$",
    "C_NLC": "$C_{NLC}$",
    "total": "$F_J$",
}


def _plans(results: Mapping[int, PlanResult]) -> list[str]:
    return [r.name for r in results.values()]


def _rows(rows: Mapping[str, Sequence[str]], plans: Sequence[str]) -> pd.DataFrame:
    """A table with one row per entry of ``rows`` (label -> one cell per plan)."""
    frame = pd.DataFrame.from_dict(dict(rows), orient="index", columns=list(plans))
    frame.insert(0, "", frame.index)
    return frame.reset_index(drop=True)


def sci(x: float) -> str:
    """A residual: NaN (not computed) as a dash, none (<= 0) as 0, else 1.2e-07."""
    if not np.isfinite(x):
        return "–"
    return "0" if x <= 0 else f"{x:.1e}"


# ----- the model ----------------------------------------------------------------------------
def device_table(results: Mapping[int, PlanResult]) -> pd.DataFrame:
    """Per plan its devices (readable names) and the size of its SOCP (scalar variables and
    constraints, from the solver statistics)."""
    rows = []
    for r in results.values():
        info = r.solution.info
        rows.append(
            {
                "plan": r.name,
                "devices": ", ".join(DEVICE_LABELS.get(d, d) for d in r.solution.devices),
                "variables": fmt(info.n_variables, 0),
                "constraints": fmt(info.n_constraints, 0),
            }
        )
    return pd.DataFrame(rows)


def parameter_table(params: Params, keys: Sequence[str]) -> pd.DataFrame:
    """The parameters ``keys`` (dotted paths) with their value and unit and their source."""
    prov = provenance_table(params).set_index("parameter").loc[list(keys)].reset_index()
    value = [
        typeset(v if u == "-" else f"{v} {u}")
        for v, u in zip(prov["value"], prov["unit"], strict=True)
    ]
    return pd.DataFrame(
        {
            "parameter": prov["parameter"],
            "value": value,
            "source": [typeset(src) for src in prov["source"]],
        }
    )


# ----- the paper's tables beside ours -------------------------------------------------------
def table4_beside(t4: pd.DataFrame, sites: Sequence[str]) -> pd.DataFrame:
    """The paper's Table 4 beside ours, one column per plan.

    Args:
        t4: :func:`sopev_lib.reproduction.paper.table4_comparison` (index plan), or
            :meth:`~sopev_lib.reproduction.pipeline.Reproduction.table4` whose ``verified``
            column becomes the first row (an unverified plan's benefit is withheld, "–").
        sites: the SOP sites (tie names), one pair of rows (ours, paper) each.
    """
    rows: dict[str, list[str]] = {}
    if "verified" in t4:
        rows["verified (cone gap, AC flow)"] = [verified_word(ok) for ok in t4["verified"]]
    for site in sites:
        rows[f"SOP {site} (kVA), ours"] = [fmt(x, 0) for x in t4[f"{site} ours (kVA)"]]
        rows[f"SOP {site} (kVA), paper"] = [fmt(x, 0) for x in t4[f"{site} paper (kVA)"]]
    ours, paper = t4["cost ours"], t4["cost paper"]
    rows[f"$F_J$ ({MONEY}), ours"] = [fmt(x) for x in ours]
    rows[f"$F_J$ ({MONEY}), paper"] = [fmt(x) for x in paper]
    rows["$F_J$, ours − paper"] = [fmt(x) for x in ours - paper]
    rows["$F_J$, ours − paper (%)"] = [fmt(x) for x in 100 * (ours / paper - 1)]
    rows[f"benefit ({MONEY}), ours"] = [fmt(x) for x in t4["benefit ours"]]
    rows[f"benefit ({MONEY}), paper"] = [fmt(x) for x in t4["benefit paper"]]
    rows["benefit (% of Plan 1), ours"] = [fmt(x) for x in t4["benefit ours (%)"]]
    rows["benefit (% of Plan 1), paper"] = [fmt(x) for x in t4["benefit paper (%)"]]
    return _rows(rows, list(t4.index))


def table5_beside(t5: pd.DataFrame) -> pd.DataFrame:
    """The paper's Table 5 beside ours: every cost term (and the total), ours, the paper's and
    the difference, one column per plan.

    Args:
        t5: :func:`sopev_lib.reproduction.paper.table5_comparison` (long format).
    """
    plans = list(dict.fromkeys(t5["plan"]))
    rows: dict[str, list[str]] = {}
    for term, label in TERM_LABELS.items():
        part = t5[t5["term"] == term].set_index("plan").loc[plans]
        rows[f"{label}, ours"] = [fmt(x, 2) for x in part["ours"]]
        rows[f"{label}, paper"] = [fmt(x, 2) for x in part["paper"]]
        rows[f"{label}, ours − paper"] = [fmt(x, 2) for x in part["difference"]]
    return _rows(rows, plans)


# ----- energy, voltages, SOPs, verification -------------------------------------------------
def average_price(result: PlanResult) -> float:
    """Average price paid for the energy bought, RMB/kWh: C_PC over the energy purchased in a
    year."""
    days = result.inputs.params.economics.days_per_year
    bought = energy_summary(result)["purchase_kwh"]
    return 1e4 * cost_breakdown(result)["C_PC"] / (days * bought)


def energy_table(results: Mapping[int, PlanResult]) -> pd.DataFrame:
    """The daily energy balance of every plan (kWh per day) and the loss double count of
    Eq. (15): C_NLC and the losses already bought inside C_PC."""
    columns: dict[str, list[float]] = {}
    for r in results.values():
        e, c = energy_summary(r), cost_breakdown(r)
        values = {
            "purchased": e["purchase_kwh"],
            "load": e["load_kwh"],
            "EV charging, net": e["ev_uncontrolled_kwh"] + e["storage_net_kwh"],
            "DG available": e["dg_available_kwh"],
            "DG curtailed": e["dg_curtailed_kwh"],
            "branch losses": e["branch_loss_kwh"],
            "SOP losses": e["sop_loss_kwh"],
            f"$C_{{NLC}}$ ({MONEY})": c["C_NLC"],
            f"losses inside $C_{{PC}}$ ({MONEY})": loss_double_count(r),
            "average price (RMB/kWh)": average_price(r),
        }
        for key, value in values.items():
            columns.setdefault(key, []).append(value)
    digits = {"SOP losses": 1, "average price (RMB/kWh)": 3}
    scale = max(columns["purchased"])  # kWh a day: curtailment below 1e-6 of it is round-off
    rows = {
        key: [fmt(x, digits.get(key, 1 if "RMB" in key else 0), scale=scale) for x in vals]
        for key, vals in columns.items()
    }
    return _rows(rows, _plans(results))


def voltage_table(results: Mapping[int, PlanResult]) -> pd.DataFrame:
    """Lowest and highest voltage of every plan (buses 2..n, the substation left out), with
    the bus and hour where each occurs."""
    rows: dict[str, list[str]] = {}
    for r in results.values():
        v = r.solution.network["v_pu"][1:]
        buses = r.inputs.feeder.bus[1:]
        for word, pick in (("lowest", np.argmin), ("highest", np.argmax)):
            i, t = np.unravel_index(pick(v), v.shape)
            rows.setdefault(f"{word} (p.u.)", []).append(fmt(v[i, t], 3))
            rows.setdefault(f"{word}: bus, hour", []).append(f"{buses[i]}, {t}")
    return _rows(rows, _plans(results))


def active_share_pct(result: PlanResult) -> float:
    """Active power as a share of the apparent power the SOP converters carry, over the day
    (%, both converters of every SOP)."""
    s = result.sops()
    p = np.r_[s["p_a_kw"], s["p_b_kw"]]
    q = np.r_[s["q_a_kvar"], s["q_b_kvar"]]
    apparent = float(np.hypot(p, q).sum())
    return 100.0 * float(np.abs(p).sum()) / apparent if apparent > 0 else 0.0


def transfer_hours(result: PlanResult) -> list[int]:
    """Hours in which some SOP of the plan transfers active power (its sending converter draws
    more than :data:`~sopev_lib.core.model.sop.TRANSFER_SHARE` of its capacity)."""
    s = result.sops()
    cap = s["tie"].map(result.sop_capacity_kva).to_numpy()
    sent = sop_transfers(s["p_a_kw"].to_numpy(), s["p_b_kw"].to_numpy(), 1.0)[0]
    return sorted({int(h) for h in s.loc[sent > TRANSFER_SHARE * cap, "hour"]})


def verification_table(
    results: Mapping[int, PlanResult], checks: Mapping[int, Verification]
) -> pd.DataFrame:
    """Solver statistics and the checks of :func:`sopev_lib.verify.checks.verify`, one column
    per plan (seconds; cone gaps in p.u.^2 and relative; AC errors in p.u. and kW)."""

    rows: dict[str, list[str]] = {k: [] for k in _VERIFY_ROWS}
    for n, r in results.items():
        c, info = checks[n], r.solution.info
        values = (
            info.status.replace("_", " "),
            str(info.iterations),
            fmt(info.solve_time_s, 2),
            fmt(info.compile_time_s, 2),
            sci(c.max_relaxation_gap_rel),
            sci(c.max_relaxation_gap_rel_raw),
            sci(c.max_relaxation_gap_pu),
            sci(c.sop_loss_excess_kw),
            sci(c.storage_simultaneous_kw),
            sci(c.ac_max_voltage_error_pu),
            sci(c.ac_loss_error_kw),
            "yes" if c.passed else "NO",
        )
        for key, value in zip(_VERIFY_ROWS, values, strict=True):
            rows[key].append(value)
    return _rows(rows, _plans(results))


_VERIFY_ROWS = (
    "solver status",
    "iterations",
    "solve (s)",
    "compile (s)",
    "cone gap, relative",
    "cone gap, relative, raw",
    "cone gap (p.u.²)",
    "SOP loss excess (kW)",
    "storage both ways (kW)",
    "AC voltage error (p.u.)",
    "AC loss error (kW)",
    "passed",
)


# ----- alternatives -------------------------------------------------------------------------
def alternatives_totals(
    scenarios: Mapping[str, Mapping[int, PlanResult | Exception]],
) -> pd.DataFrame:
    """Annual cost F_J (10^4 RMB per year) of every plan under every scenario; NaN where the
    plan is infeasible. Index: scenario label; columns: plan names."""
    data = {
        label: {
            f"Plan {n}": np.nan if isinstance(x, Exception) else cost_breakdown(x)["total"]
            for n, x in res.items()
        }
        for label, res in scenarios.items()
    }
    return pd.DataFrame.from_dict(data, orient="index")


def alternatives_table(
    scenarios: Mapping[str, Mapping[int, PlanResult | Exception]],
) -> pd.DataFrame:
    """Per scenario two rows, the annual cost F_J (10^4 RMB per year) and the total SOP
    capacity (kVA) of every plan ("infeasible" where there is no solution), with Plan 4's
    saving against Plan 1 (%) in the last column."""
    totals = alternatives_totals(scenarios)
    rows = []
    for label, res in scenarios.items():
        cost: dict[str, str] = {"": f"{label}: $F_J$"}
        kva: dict[str, str] = {"": f"{label}: SOP (kVA)"}
        for n, x in res.items():
            bad = isinstance(x, Exception)
            cost[f"Plan {n}"] = "infeasible" if bad else fmt(totals.loc[label, f"Plan {n}"])
            kva[f"Plan {n}"] = "–" if bad else fmt(sum(x.sop_capacity_kva.values()), 0)
        base, p4 = totals.loc[label, "Plan 1"], totals.loc[label].get("Plan 4", np.nan)
        cost["Plan 4 saving (%)"] = fmt(100 * (base - p4) / base)
        kva["Plan 4 saving (%)"] = ""
        rows += [cost, kva]
    return pd.DataFrame(rows)


# ----- phrases ------------------------------------------------------------------------------
def ranking_phrase(
    totals: Mapping[int, float], claimed: Sequence[int], tie_share: float = 0.005
) -> str:
    """Whether the plans rank by cost as the paper claims (``claimed``, most expensive first),
    naming neighbours whose costs are within ``tie_share`` of each other as nearly tied."""
    order = sorted(totals, key=lambda n: -totals[n])
    chain = " > ".join(f"Plan {n}" for n in order)
    if list(order) != list(claimed):
        return f"The ranking differs from the paper's: ours is {chain} in cost."
    ties = [(a, b) for a, b in pairwise(order) if totals[a] - totals[b] < tie_share * totals[a]]
    text = f"The ranking of the plans is the paper's: {chain} in cost"
    for a, b in ties:
        gap = fmt(totals[a] - totals[b])
        text += f"; Plans {a} and {b} are nearly tied ({gap} {MONEY_TEXT} apart)"
    return text + "."


def limit_phrase(
    v_lowest: float, v_highest: float, v_min: float, v_max: float, tol: float = 1e-4
) -> str:
    """Whether the voltage limits bind: the solution's extreme voltages (p.u., all plans) against
    the limits. A limit more than ``tol`` p.u. away does not bind, and moving it within that
    margin changes nothing."""
    low = v_lowest < v_min + tol
    high = v_highest > v_max - tol
    if not low and not high:
        return (
            f"The voltage limits do not bind: the lowest voltage, {v_lowest:.3f} p.u., stays "
            f"{v_lowest - v_min:.3f} p.u. above the lower limit and the highest, "
            f"{v_highest:.3f} p.u., {v_max - v_highest:.3f} p.u. below the upper one. A limit "
            "moved within these margins changes no plan: what the SOPs and stations earn, they "
            "earn through losses and the tariff."
        )
    if low and high:
        which = "Both voltage limits bind"
    else:
        which = f"The {'lower' if low else 'upper'} voltage limit binds"
    return (
        f"{which} (voltages from {v_lowest:.3f} to {v_highest:.3f} p.u.): part of what the SOPs "
        "and stations earn is the voltage support that keeps the plans feasible, and moving a "
        "binding limit changes the plans."
    )


def same_plan_phrase(hand: PlanResult, pipeline: PlanResult, rtol: float = 1e-6) -> str:
    """Whether a plan built by hand equals the pipeline's: same SOP sites, cost terms within
    ``rtol`` of the total, SOP capacities within ``rtol`` of the largest."""
    a, b = cost_breakdown(hand), cost_breakdown(pipeline)
    d_cost = max(abs(a[k] - b[k]) for k in a)
    sites_a, sites_b = hand.sop_capacity_kva, pipeline.sop_capacity_kva
    same_sites = list(sites_a) == list(sites_b)
    d_kva = max((abs(sites_a[s] - sites_b[s]) for s in sites_a), default=0.0) if same_sites else 0
    largest = max([*sites_b.values(), 1.0])
    if same_sites and d_cost <= rtol * abs(b["total"]) and d_kva <= rtol * largest:
        if d_cost == 0 and d_kva == 0:
            return "the same model, with identical cost terms and SOP capacities."
        return (
            f"the same model: the cost terms agree to {d_cost:.0e} {MONEY_TEXT} and the SOP "
            f"capacities to {d_kva:.0e} kVA."
        )
    where = "SOP sites " + listing(sites_a) if sites_a else "no SOP"
    return (
        f"a different model (the cell of Plan 4 was changed): {where}, annual cost "
        f"{fmt(a['total'])} {MONEY_TEXT} against the pipeline's {fmt(b['total'])} with SOP "
        f"sites {listing(sites_b)}."
    )


def repair_table(solves: Mapping[int, VerifiedSolve]) -> pd.DataFrame:
    """Plans solved by :func:`~sopev_lib.verify.solve.solve_plan_verified`, one column per
    plan: the outcome, the annual cost $F_J$ of the relaxed solve (a lower bound of the best
    power flow) and of the reported plan (a power flow: an upper bound), their difference (the
    price of the conservative voltage limit; 10^4 RMB per year), the relative cone gap of both
    and the AC check of the reported plan (p.u.)."""
    rows: dict[str, list[str]] = {k: [] for k in _REPAIR_ROWS}
    for s in solves.values():
        relaxed = s.relaxed if s.repaired else s.result
        gap_relaxed = np.abs(relaxation_gap(relaxed)[1]).max() if relaxed else np.nan
        check = s.check
        values = (
            s.outcome,
            fmt(s.lower_bound, 2),
            fmt(s.upper_bound, 2),
            fmt(s.upper_bound - s.lower_bound, 2),
            sci(gap_relaxed),
            sci(check.max_relaxation_gap_rel if check else np.nan),
            sci(check.ac_max_voltage_error_pu if check else np.nan),
        )
        for key, value in zip(_REPAIR_ROWS, values, strict=True):
            rows[key].append(value)
    return _rows(rows, [s.result.name if s.result else "?" for s in solves.values()])


_REPAIR_ROWS = (
    "outcome",
    "$F_J$ relaxed (lower bound)",
    "$F_J$ reported (upper bound)",
    "price of the limit",
    "cone gap, relaxed",
    "cone gap, reported",
    "AC check (p.u.)",
)


def repair_phrase(solves: Mapping[int, VerifiedSolve]) -> str:
    """Which plans verify as solved and which needed the conservative limit or failed."""
    by_outcome: dict[str, list[str]] = {}
    for s in solves.values():
        by_outcome.setdefault(s.outcome, []).append(s.result.name if s.result else "?")
    verbs = {
        "verified": ("verifies", "verify", "as solved, with no repair"),
        "repaired": ("needs", "need", "the conservative limit"),
        "failed": ("fails", "fail", "even with it (no number is shown)"),
    }
    parts = []
    for outcome, (one, many, rest) in verbs.items():
        names = by_outcome.get(outcome, [])
        if names:
            parts.append(f"{listing(names)} {one if len(names) == 1 else many} {rest}")
    return "; ".join(parts) + "."


def verification_phrase(
    checks: Mapping[int, Verification], statuses: Mapping[str, str], ac: bool
) -> str:
    """The verdict of the checks of every plan: all pass (exact relaxation, AC agreement) or
    which fail; ``statuses``: solver status per plan name."""
    failed = [f"{c.plan}: {'; '.join(c.messages)}" for c in checks.values() if not c.passed]
    gap = max(c.max_relaxation_gap_rel for c in checks.values())
    if failed:
        text = "Not every plan passes: " + "; ".join(failed)
        text += f". The largest relative cone gap is {gap:.1e}"
    else:
        names = [c.plan for c in checks.values()]
        who = f"{names[0]} passes" if len(names) == 1 else f"All {len(names)} plans pass"
        text = (
            f"{who}: the largest relative cone gap is {gap:.1e}, so the relaxation is exact to "
            "solver precision and the SOCP optimum is a power flow"
        )
    if ac:
        worst = max(c.ac_max_voltage_error_pu for c in checks.values())
        text += f"; the AC power flow reproduces the voltages to {worst:.1e} p.u."
    else:
        text += "; the AC check is switched off in this run (parameter `ac_check`)."
    inaccurate = [name for name, s in statuses.items() if s != "optimal"]
    if inaccurate:
        text += (
            f" The solver ended {listing(inaccurate)} with the status 'optimal inaccurate' (its "
            "tightened tolerances were not all met); the checks tell whether to trust them."
        )
    return text


def curtailment_phrase(curtailed_kwh: float, tol_kwh: float = 1.0) -> str:
    """What the DG curtailment of the plans (largest kWh per day over the plans) implies."""
    if abs(curtailed_kwh) < tol_kwh:
        return (
            "Nothing is curtailed, because the import never comes near its limit: all PV and "
            "wind output is used locally in every plan. On these profiles the SOPs and storage "
            "have no surplus DG to move or store, so the benefit the paper attributes to new "
            "energy storage and consumption (Section 3.1) does not arise here; with larger DG "
            "(parameter `dg_scale`) or a lighter midday load it would."
        )
    return (
        f"Up to {fmt(curtailed_kwh, 0)} kWh of DG output a day is curtailed: the feeder cannot "
        "absorb it where and when it is available, and the SOPs and storage earn by moving it."
    )


def purchase_saving_phrase(d_pc: float, d_nlc: float, rel: float = 0.01) -> str:
    """Whether Plan 2's purchase saving equals its loss saving (10^4 RMB per year each)."""
    if abs(d_pc - d_nlc) < rel * max(abs(d_nlc), 1e-9):
        return (
            "the same amount, as it must be when the loads are fixed, nothing is curtailed and "
            "losses are priced at the tariff: the purchase saving is the loss saving."
        )
    return (
        "not the same amount: something besides the losses (curtailed DG released by the SOPs) "
        "changes the purchases."
    )


def infeasibility_phrase(results: Mapping[int, PlanResult | Exception]) -> str:
    """Which plans of a scenario have no solution: "Plan 1 is infeasible", "Plans 1 and 2 are
    infeasible" or "every plan is feasible"."""
    bad = [n for n, x in results.items() if isinstance(x, Exception)]
    if not bad:
        return "every plan is feasible"
    if len(bad) == 1:
        return f"Plan {bad[0]} is infeasible"
    return f"Plans {listing(bad)} are infeasible"


def violation_phrase(violations: Sequence[tuple[int, int, float]], v_limit: float) -> str:
    """Soft-limit violations (bus, hour, voltage p.u.) in words: how many bus-hours fall below
    ``v_limit``, where, when, and the lowest voltage."""
    if not violations:
        return f"no voltage falls below {v_limit:.2f} p.u."
    buses = [b for b, _, _ in violations]
    hours = [t for _, t, _ in violations]
    bus, hour, v = min(violations, key=lambda x: x[2])
    return (
        f"{len(violations)} bus-hours fall below {v_limit:.2f} p.u., at buses {ranges(buses)} "
        f"in hours {ranges(hours)}; the lowest is {v:.4f} p.u. at bus {bus} in hour {hour}"
    )


def solver_stats(
    results: Mapping[int, PlanResult], checks: Mapping[int, Verification]
) -> dict[str, dict[str, float | int | str]]:
    """Per plan name the solver's status, times (s), iterations and objective, the largest
    relative cone gap and the AC voltage error (p.u.): the ``planning_solver_stats`` artifact
    of the book's status page."""
    out = {}
    for n, r in results.items():
        info = r.solution.info
        out[r.name] = {
            "status": info.status,
            "solve_time_s": info.solve_time_s,
            "build_time_s": info.build_time_s,
            "compile_time_s": info.compile_time_s,
            "iterations": info.iterations,
            "objective": info.objective,
            "max_relaxation_gap": checks[n].max_relaxation_gap_rel,
            "ac_max_voltage_error_pu": checks[n].ac_max_voltage_error_pu,
        }
    return out


def compare_word(ours: Sequence[float], paper: Sequence[float]) -> str:
    """ "below", "above" or "on both sides of": where our values lie against the paper's."""
    diff = np.asarray(ours, dtype=float) - np.asarray(paper, dtype=float)
    if np.all(diff < 0):
        return "below"
    if np.all(diff > 0):
        return "above"
    return "on both sides of"


def site_gap_phrase(results: Mapping[int, PlanResult], paper_kva: Mapping[int, Mapping]) -> str:
    """The SOP site whose capacity differs most from the paper's (mean over the plans with
    SOPs), with ours against the paper's per plan: "8-21 (Plan 2: 118 against 380 kVA; ...)".

    Args:
        results: the plans (those without SOPs are skipped).
        paper_kva: per plan number the paper's capacity per site (kVA, Table 4).
    """
    plans = [n for n, r in results.items() if r.sop_capacity_kva]
    if not plans:
        return "none (no plan has an SOP)"
    sites = list(results[plans[0]].sop_capacity_kva)
    gap = {
        s: np.mean(
            [abs(results[n].sop_capacity_kva[s] - float(paper_kva[n].get(s, 0))) for n in plans]
        )
        for s in sites
    }
    worst = max(gap, key=gap.get)
    parts = [
        f"Plan {n}: {results[n].sop_capacity_kva[worst]:.0f} against "
        f"{float(paper_kva[n].get(worst, 0)):.0f} kVA"
        for n in plans
    ]
    return f"{worst} ({'; '.join(parts)})"


def battery_phrase(ess_rating: Mapping[str, Mapping[str, float]], min_kwh: float = 1.0) -> str:
    """The batteries Plan 3 builds (energy above ``min_kwh``): "bus 26 (1249 kWh, 526 kW)",
    or "no bus"."""
    built = [
        f"{unit} ({r['energy_kwh']:.0f} kWh, {r['power_kw']:.0f} kW)"
        for unit, r in ess_rating.items()
        if r["energy_kwh"] > min_kwh
    ]
    return listing(built) if built else "no bus"


def plan2_phrase(curtailed_kwh: float, tol_kwh: float = 1.0) -> str:
    """Why an SOP-only plan saves what it saves, given the largest DG curtailment of the plans
    (kWh per day)."""
    if abs(curtailed_kwh) < tol_kwh:
        return (
            "Without curtailed DG to release, an SOP can only cut losses, and the paper's own "
            "loss costs are too small to explain its Plan 2 saving."
        )
    return "Part of what the SOPs earn is curtailed DG that they release."


def error_phrase(results: Mapping[int, PlanResult | Exception]) -> str:
    """The message of the first plan without a solution, as a quotation ("" if every plan
    has a solution)."""
    bad = [x for x in results.values() if isinstance(x, Exception)]
    return f'The library reports: "{bad[0]}".' if bad else ""


def alternative_phrase(
    alternative: Mapping[int, PlanResult | Exception], base: Mapping[int, PlanResult]
) -> str:
    """The feasible plans of an alternative against the defaults: their annual cost (10^4 RMB
    per year) and lowest voltage (p.u.)."""
    ok = [n for n, x in alternative.items() if not isinstance(x, Exception)]
    if not ok:
        return "No plan is feasible."
    plans = "Plan" if len(ok) == 1 else "Plans"
    cost = listing(f"{cost_breakdown(alternative[n])['total']:.1f}" for n in ok)
    before = listing(f"{cost_breakdown(base[n])['total']:.1f}" for n in ok)
    v_low = listing(f"{alternative[n].solution.network['v_pu'].min():.3f}" for n in ok)
    return (
        f"{plans} {listing(ok)} stay feasible with hard limits: they cost {cost} {MONEY_TEXT} "
        f"(against {before} with our defaults) and reach lowest voltages of {v_low} p.u."
    )


def all_pass_phrase(failures: Sequence[str]) -> str:
    """ "Every plan passes its checks." or the failures."""
    if not failures:
        return "Every plan passes its checks."
    return "Not every plan passes its checks: " + "; ".join(failures) + "."


def open_choices_phrase(
    scenarios: Mapping[str, Mapping[int, PlanResult | Exception]],
) -> str:
    """Which plans become infeasible under which alternative, in one sentence ("" if none)."""
    parts = [
        f"under {label} {infeasibility_phrase(res)}"
        for label, res in scenarios.items()
        if any(isinstance(x, Exception) for x in res.values())
    ]
    if not parts:
        return "Every plan stays feasible under every alternative."
    return "The choices the paper leaves open matter: " + "; ".join(parts) + "."


def more_or_less(change: float) -> str:
    """ "more" for a positive change, "less" for a negative one, "as much" for none."""
    return "more" if change > 0 else "less" if change < 0 else "as much"


def change_phrase(
    alternative: Mapping[int, PlanResult | Exception],
    base: Mapping[int, PlanResult],
    rtol: float = 1e-6,
) -> str:
    """Which plans of an alternative are infeasible and whether the feasible ones cost anything
    else than in ``base`` (relative tolerance ``rtol``)."""
    ok = [n for n, x in alternative.items() if not isinstance(x, Exception)]
    changed = [
        n
        for n in ok
        if abs(cost_breakdown(alternative[n])["total"] - cost_breakdown(base[n])["total"])
        > rtol * abs(cost_breakdown(base[n])["total"])
    ]
    if not ok:
        tail = "no plan is left"
    elif not changed:
        tail = "no feasible plan changes its cost"
    else:
        tail = f"the cost of Plan{'s' if len(changed) > 1 else ''} {listing(changed)} changes"
    return f"{infeasibility_phrase(alternative)}, and {tail}"
