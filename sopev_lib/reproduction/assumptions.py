"""The assumptions we had to make, and what each one does to the headline numbers.

Every parameter of ``data/params.yaml`` whose provenance is "assumed" is a choice the paper
leaves open. :data:`ALTERNATIVES` registers, for the choices that matter, the *other defensible
reading*; :func:`run_alternatives` solves the four plans once per alternative, one at a time
(everything else at the defaults), and :func:`alternatives_table` compares the headline numbers
(Plan 1's cost, Plan 4's cost and the savings of Plans 2-4 against Plan 1) with the defaults.
:func:`assumption_table` lists every assumed parameter with its reason (from the provenance) and
the effect of its alternative, or why none was run (:data:`NOT_VARIED`).

An alternative that makes a plan infeasible is a result, not a failure: the plan is recorded
with the solver's diagnosis (:class:`~sopev_lib.core.model.InfeasiblePlanError`). An alternative may
instead relax the voltage limits (``soft_voltage_penalty``), in which case the penalty is left
out of the costs and the violations are reported.

Money in 10^4 RMB per year; savings in % of the same alternative's Plan 1 cost; capacities in kVA.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from sopev_lib.core.economics import cost_breakdown
from sopev_lib.core.flexibility import flexibility_indices
from sopev_lib.core.inputs import PlanInputs, prepare_inputs, rebuild_inputs
from sopev_lib.core.model import InfeasiblePlanError
from sopev_lib.core.plans import PLANS, ModelCache, solve_plan
from sopev_lib.core.results import PlanResult
from sopev_lib.reproduction.paper import load_paper_results
from sopev_lib.system.params import Params, load_params, provenance_table
from sopev_lib.system.profiles import load_profiles
from sopev_lib.verify.checks import verify

__all__ = [
    "ALTERNATIVES",
    "NOT_VARIED",
    "SOFT_PENALTY",
    "Alternative",
    "AlternativeRun",
    "alternatives_table",
    "assumption_table",
    "run_alternatives",
    "select_alternatives",
]

#: Table 6's indices recorded for every solved plan of a run.
INDEX_KEYS = ("I_F", "I_BF", "F", "I_F_cov_local", "F_loc")

#: Soft voltage limits: 10^4 RMB per year per p.u. of squared-voltage slack and hour (the value
#: of chapter 4); large enough that a plan violates a limit only where it cannot do otherwise.
SOFT_PENALTY = 1000.0


@dataclass(frozen=True)
class Alternative:
    """The other defensible reading of one or more assumed parameters.

    Attributes:
        key: short id, e.g. ``"crf"``.
        label: what the reader sees, e.g. ``"capital recovery factor (8 %)"``.
        parameters: the dotted parameter paths it tests.
        overrides: dotted path -> value, or a function of the default parameters returning
            them (for readings computed from data, e.g. half the default price).
        reason: why this reading is defensible.
        core: part of the reduced (CI-sized) study.
        soft_voltage_penalty: solve with soft voltage limits at this penalty (10^4 RMB per p.u.
            of squared-voltage slack, hour and year); ``None`` for hard limits.
        effect: what the reading can change: ``"costs"`` (Tables 4-5: the plans' costs and
            savings) or ``"flexibility"`` (Table 6 only: the indices of Eqs. 18-21).
    """

    key: str
    label: str
    parameters: tuple[str, ...]
    overrides: Mapping[str, Any] | Callable[[Params], Mapping[str, Any]]
    reason: str
    core: bool = True
    soft_voltage_penalty: float | None = None
    effect: Literal["costs", "flexibility"] = "costs"

    def resolve(self, params: Params) -> dict[str, Any]:
        """The overrides for ``params`` (validated by :func:`load_params`)."""
        ov = self.overrides(params) if callable(self.overrides) else self.overrides
        return dict(ov)


def _om_from_paper(params: Params) -> dict[str, float]:
    """eta of Eq. (13) as Table 5 implies it: mean C_OMS / C_SI of the plans without batteries."""
    paper = load_paper_results()
    rows = [
        r
        for n, r in paper["table5"]["plans"].items()
        if r["C_SI"] > 0 and n in PLANS and PLANS[n].storage != "ess"
    ]
    if not rows:
        raise ValueError("paper_results.yaml: no SOP-only plan with C_SI > 0 in table5")
    return {"sop.om_factor": float(np.mean([r["C_OMS"] / r["C_SI"] for r in rows]))}


def _ess_half(params: Params) -> dict[str, float]:
    return {
        "ess.energy_cost_rmb_per_kwh": 0.5 * params.ess.energy_cost_rmb_per_kwh,
        "ess.power_cost_rmb_per_kw": 0.5 * params.ess.power_cost_rmb_per_kw,
    }


def _dg_at_nameplate(params: Params) -> dict[str, float]:
    """The DG multipliers that make each curve peak at the units' nameplate rating."""
    pr = load_profiles(params)
    pv = float(np.max(pr.pv_pu)) / params.profiles.pv_scale
    wind = float(np.max(pr.wind_pu)) / params.profiles.wind_scale
    return {"profiles.pv_scale": 1.0 / pv, "profiles.wind_scale": 1.0 / wind}


def _twice_the_days(params: Params) -> dict[str, int]:
    return {"ev.forecast_days": 2 * params.ev.forecast_days}


def _load_as_average(params: Params) -> dict[str, float]:
    """The load multiplier that makes the nominal load the daily average (not the peak)."""
    mean = float(np.mean(load_profiles(params).load_pu)) / params.profiles.load_scale
    return {"profiles.load_scale": 1.0 / mean}


#: The registry of alternative readings (order = order in the book).
ALTERNATIVES: tuple[Alternative, ...] = (
    Alternative(
        "v_sub_1.00",
        "substation at 1.00 p.u.",
        ("network.v_substation_pu",),
        {"network.v_substation_pu": 1.0},
        "the substation voltage of ref. [28]'s base case (chapter 1)",
    ),
    Alternative(
        "v_sub_1.00_soft",
        "substation at 1.00 p.u., soft voltage limits",
        ("network.v_substation_pu",),
        {"network.v_substation_pu": 1.0},
        "as above, with violations of the voltage band priced instead of forbidden (the "
        "penalty is left out of the costs)",
        soft_voltage_penalty=SOFT_PENALTY,
    ),
    Alternative(
        "simbench_profiles",
        "SimBench's measured mean day",
        ("profiles.source", "profiles.file"),
        {"profiles.source": "simbench"},
        "Figure 4 prints no numbers: the mean day of SimBench's 2016 load, PV and wind profiles "
        "on the feeder (chapter 9) instead of our own shapes",
        core=False,
    ),
    Alternative(
        "band_0.95",
        "voltage band 0.95-1.05 p.u.",
        ("network.v_min_pu", "network.v_max_pu"),
        {"network.v_min_pu": 0.95, "network.v_max_pu": 1.05},
        "the +-5 % band common in planning studies of this feeder",
    ),
    Alternative(
        "band_0.90",
        "voltage band 0.90-1.10 p.u.",
        ("network.v_min_pu", "network.v_max_pu"),
        {"network.v_min_pu": 0.90, "network.v_max_pu": 1.10},
        "the widest band in common use (+-10 %)",
        core=False,
    ),
    Alternative(
        "stations_ends",
        "EV stations at buses 18, 33, 22, 25",
        ("ev.station_buses",),
        {"ev.station_buses": [18, 33, 22, 25]},
        "Figure 3 is not in the text: the stations at the ends of the trunk and the laterals",
    ),
    Alternative(
        "spread_std",
        "Table 2 spread read as a standard deviation",
        ("ev.spread_reading",),
        {"ev.spread_reading": "std"},
        "Table 2's note calls the second number a standard deviation",
    ),
    Alternative(
        "departure_0.80",
        "departure SOC target 0.80",
        ("ev.departure_soc_target",),
        {"ev.departure_soc_target": 0.8},
        "a charge limit of 80 % is a common user setting, below Table 1's SOC ceiling",
    ),
    Alternative(
        "crf",
        "capital recovery factor at Table 1's discount rate",
        ("sop.annualisation",),
        {"sop.annualisation": "crf"},
        "Table 1 gives a discount rate that Eq. (12) does not use",
    ),
    Alternative(
        "om_paper",
        "O&M factor as Table 5 implies it",
        ("sop.om_factor",),
        _om_from_paper,
        "the ratio C_OMS / C_SI of the paper's Table 5 (plans without batteries)",
    ),
    Alternative(
        "loss_flat",
        "losses priced at the flat tariff",
        ("economics.loss_price",),
        {"economics.loss_price": "flat"},
        "Eq. (17) has one price c_loss, not an hourly one",
    ),
    Alternative(
        "sop_loss_out",
        "SOP losses left out of the loss cost",
        ("economics.sop_loss_in_nlc",),
        {"economics.sop_loss_in_nlc": False},
        "Eq. (17) prices branch losses only; Eq. (14) adds the SOP's losses to its own "
        "configuration cost, which Table 5 has no column for",
    ),
    Alternative(
        "ess_half",
        "conventional storage at half our price",
        ("ess.energy_cost_rmb_per_kwh", "ess.power_cost_rmb_per_kw"),
        _ess_half,
        "battery prices fell steeply in 2023-2024 and the paper gives none",
    ),
    Alternative(
        "load_average",
        "nominal load read as the daily average",
        ("profiles.load_scale",),
        _load_as_average,
        "ref. [28]'s nominal load is one operating point; read as the day's mean instead of "
        "its peak, the whole curve is scaled up",
    ),
    Alternative(
        "smart_baseline",
        "Plans 1-3 charge smart (no V2G)",
        ("ev.baseline_charging",),
        {"ev.baseline_charging": "smart"},
        "Section 5 does not say how the fleet charges without co-planning; smart charging "
        "without discharge separates the value of V2G from that of shifting the charging",
    ),
    Alternative(
        "eta_ref_1.1",
        "discharge compensation factor 1.1",
        ("ev.eta_ref",),
        {"ev.eta_ref": 1.1},
        "Eq. (1) names eta_ref without a value; 1.1 charges each discharged kWh 10 % more "
        "stored energy (a compensation of the owners' battery wear)",
    ),
    Alternative(
        "ess_ends",
        "Plan 3's batteries at buses 18, 33, 22, 25",
        ("ess.buses",),
        {"ess.buses": [18, 33, 22, 25]},
        "the paper does not place the batteries; the feeder ends are where storage supports "
        "the voltage most",
    ),
    Alternative(
        "dg_nameplate",
        "DG curves peak at the nameplate rating",
        ("profiles.pv_scale", "profiles.wind_scale"),
        _dg_at_nameplate,
        "Figure 4's DG curves print no numbers; read Section 5's ratings as each curve's peak",
    ),
    Alternative(
        "seed_7",
        "another Monte Carlo seed (7)",
        ("ev.seed",),
        {"ev.seed": 7},
        "the paper samples its fleet once; another seed measures the sampling noise (chapter 7 "
        "solves 50 seeds)",
        core=False,
    ),
    Alternative(
        "days_x2",
        "twice the Monte Carlo days",
        ("ev.forecast_days",),
        _twice_the_days,
        "the expected envelope of Section 2.3 averages over sampled days; twice as many "
        "measures the sampling error of the mean",
        core=False,
    ),
    Alternative(
        "ess_life_15",
        "battery life 15 years",
        ("ess.lifetime_years",),
        {"ess.lifetime_years": 15.0},
        "a calendar-limited life of a lithium iron phosphate system",
        core=False,
    ),
    Alternative(
        "ess_datasheet",
        "another battery datasheet",
        ("ess.eta_ch", "ess.eta_dis", "ess.soc_min", "ess.soc_max", "ess.om_factor"),
        {
            "ess.eta_ch": 0.92,
            "ess.eta_dis": 0.92,
            "ess.soc_min": 0.05,
            "ess.soc_max": 0.95,
            "ess.om_factor": 0.02,
        },
        "efficiencies with the converter (0.92 each way), a wider window and twice the O&M",
        core=False,
    ),
    Alternative(
        "ampacity_200",
        "branch rating 200 A",
        ("flexibility.branch_ampacity_a",),
        {"flexibility.branch_ampacity_a": 200.0},
        "neither the paper nor ref. [28] rates the branches; half our rating, a smaller conductor",
        effect="flexibility",
    ),
    Alternative(
        "ramp_tol_10",
        "ramp guard 10 kW",
        ("flexibility.ramp_tol_kw",),
        {"flexibility.ramp_tol_kw": 10.0},
        "the guard of the printed Eq. (18) is ours; ten times larger drops more small ramps",
        effect="flexibility",
        core=False,
    ),
    Alternative(
        "dg_not_curtailable",
        "DG not curtailable",
        ("dg.curtailable",),
        {"dg.curtailable": False},
        "the paper does not say that DG output may be curtailed",
        core=False,
    ),
    Alternative(
        "export",
        "export to the upstream grid allowed",
        ("network.substation_p_min_kw",),
        {"network.substation_p_min_kw": -10000.0},
        "reverse power flow paid at the purchase tariff (net metering)",
        core=False,
    ),
    Alternative(
        "dg_pf_0.95",
        "DG at power factor 0.95",
        ("dg.power_factor",),
        {"dg.power_factor": 0.95},
        "grid codes ask DG for reactive capability; 0.95 lagging is a common setting",
        core=False,
    ),
)

#: Assumed parameters without an alternative, and why: none of them can change a result of the
#: reproduction (Tables 4-6 at stage 1), or no second reading of them exists.
NOT_VARIED: dict[str, str] = {
    "network.base_kva": "the solver's per-unit base; the results do not depend on it",
    "sop.max_capacity_kva": "a bound that must not bind; checked on every solution",
    "ess.max_energy_kwh": "a bound that must not bind; checked on every solution",
    "economics.loss_price_flat_rmb_per_kwh": "used only by the flat loss price alternative",
    **{
        f"profiles.simbench_{key}": "used only with profiles.source = simbench (chapter 9 and "
        "the SimBench alternative, at its default)"
        for key in ("code", "residential", "commercial", "commercial_kw", "pv", "wind", "day")
    },
    "ev.forecast_band": "display only (chapter 2); not used by the plans",
    "flexibility.epsilon": "the second stage only (chapter 5 sweeps it); Table 6 is computed "
    "at stage 1",
    "flexibility.stage2_cost_weight": "the second stage only (chapter 5)",
}


def select_alternatives(which: str | Sequence[str] = "all") -> tuple[Alternative, ...]:
    """``"all"``, ``"core"`` or a list of keys of :data:`ALTERNATIVES`.

    Raises:
        ValueError: an unknown selection or key (the message lists the keys).
    """
    if isinstance(which, str):
        if which == "all":
            return ALTERNATIVES
        if which == "core":
            return tuple(a for a in ALTERNATIVES if a.core)
        which = [w.strip() for w in which.split(",") if w.strip()]
    by_key = {a.key: a for a in ALTERNATIVES}
    unknown = [k for k in which if k not in by_key]
    if unknown:
        raise ValueError(
            f"alternatives = {unknown}: allowed 'all', 'core' or keys {sorted(by_key)}"
        )
    return tuple(by_key[k] for k in which)


# ----- running them -----------------------------------------------------------------------------
@dataclass
class AlternativeRun:
    """The four plans under one alternative (or the defaults, ``alternative = None``).

    Attributes:
        overrides: the parameter values that differ from the defaults.
        results: plan -> solved plan, or the exception that stopped it.
        costs: plan -> cost terms and total (10^4 RMB/yr) of every solved plan.
        penalty: plan -> soft voltage-limit penalty (10^4 RMB/yr), soft mode only.
        violations: plan -> [(bus, hour, v_pu)] outside the band, soft mode only.
        verified: plan -> every check of :func:`sopev_lib.verify.checks.verify` (no AC) passed.
        indices: plan -> Table 6's indices (``I_F``, ``I_BF``, ``F``, ``I_F_cov_local``,
            ``F_loc``) of every solved plan.
        check_messages: plan -> the messages of the checks that failed.
        seconds: wall time (s).
    """

    alternative: Alternative | None
    overrides: dict[str, Any]
    results: dict[int, PlanResult | Exception]
    costs: dict[int, dict[str, float]] = field(default_factory=dict)
    penalty: dict[int, float] = field(default_factory=dict)
    violations: dict[int, list[tuple[int, int, float]]] = field(default_factory=dict)
    verified: dict[int, bool] = field(default_factory=dict)
    check_messages: dict[int, list[str]] = field(default_factory=dict)
    indices: dict[int, dict[str, float]] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def label(self) -> str:
        return "defaults" if self.alternative is None else self.alternative.label

    @property
    def failed(self) -> list[int]:
        return [n for n, r in self.results.items() if isinstance(r, Exception)]

    def total(self, plan: int) -> float:
        """Total cost of a plan, NaN if it was not solved."""
        return float(self.costs[plan]["total"]) if plan in self.costs else float("nan")

    def saving_pct(self, plan: int, baseline: int = 1) -> float:
        """Saving of ``plan`` in % of ``baseline``'s cost (NaN if either failed)."""
        base = self.total(baseline)
        return 100.0 * (base - self.total(plan)) / base

    def sop_kva(self, plan: int) -> float:
        r = self.results.get(plan)
        return float(sum(r.sop_capacity_kva.values())) if isinstance(r, PlanResult) else np.nan


def _solve_run(
    alt: Alternative | None,
    params: Params,
    inputs: PlanInputs,
    cache: ModelCache,
    plans: Sequence[int],
    overrides: dict[str, Any],
) -> AlternativeRun:
    start = time.perf_counter()
    run = AlternativeRun(alternative=alt, overrides=overrides, results={})
    soft = alt.soft_voltage_penalty if alt is not None else None
    for n in plans:
        try:
            if soft is None:
                res = solve_plan(n, inputs, cache=cache)
            else:
                model = cache.model(n, inputs, soft_voltage_penalty=soft)
                res = PlanResult(spec=PLANS[n], inputs=inputs, solution=model.solve())
                run.penalty[n] = float(res.solution.costs.get("C_PEN", 0.0))
                run.violations[n] = model.voltage_violations()
        except InfeasiblePlanError as exc:
            run.results[n] = exc
            continue
        run.results[n] = res
        run.costs[n] = cost_breakdown(res)
        ix = flexibility_indices(res).as_dict()
        run.indices[n] = {k: float(ix[k]) for k in INDEX_KEYS}
        check = verify(res, ac=False)
        run.verified[n] = bool(check.passed)
        if not check.passed:
            run.check_messages[n] = list(check.messages)
    run.seconds = time.perf_counter() - start
    return run


def run_alternatives(
    alternatives: Sequence[Alternative] = ALTERNATIVES,
    *,
    params: Params | None = None,
    base_inputs: PlanInputs | None = None,
    cache: ModelCache | None = None,
    plans: Sequence[int] = (1, 2, 3, 4),
) -> tuple[AlternativeRun, list[AlternativeRun]]:
    """Solve ``plans`` at the defaults and once per alternative (one at a time).

    Args:
        params: the defaults (default ``load_params()``); each alternative overrides them.
        base_inputs: inputs of the defaults, re-used where an alternative does not change them.
        cache: compiled models, shared by all runs.

    Returns:
        The run at the defaults and one run per alternative, in order. A plan that an
        alternative makes infeasible holds its :class:`InfeasiblePlanError`; an alternative
        whose overrides are rejected by :func:`load_params` holds that ``ValueError`` for every
        plan.
    """
    params = params if params is not None else load_params()
    base_inputs = base_inputs if base_inputs is not None else prepare_inputs(params)
    cache = cache if cache is not None else ModelCache()
    current = {key: value for key, value, _, _ in params.provenance}
    default = _solve_run(None, params, base_inputs, cache, plans, {})
    runs = []
    for alt in alternatives:
        try:
            ov = alt.resolve(params)
            inputs = rebuild_inputs(base_inputs, ov) if ov else base_inputs
            p_alt = inputs.params
        except ValueError as exc:
            runs.append(
                AlternativeRun(alternative=alt, overrides={}, results={n: exc for n in plans})
            )
            continue
        changed = {k: v for k, v in ov.items() if current.get(k) != v}
        runs.append(_solve_run(alt, p_alt, inputs, cache, plans, changed))
    return default, runs


# ----- tables -----------------------------------------------------------------------------------
def _error_text(exc: Exception) -> str:
    return str(exc).replace("\n", " ")


def _status(run: AlternativeRun) -> str:
    if not run.failed:
        return "ok"
    kind = (
        "infeasible"
        if all(isinstance(run.results[n], InfeasiblePlanError) for n in run.failed)
        else "failed"
    )
    return f"{kind}: Plan{'s' if len(run.failed) > 1 else ''} " + ", ".join(map(str, run.failed))


def _note(run: AlternativeRun, v_min: float | None = None) -> str:
    parts = []
    if run.failed:
        first = run.results[run.failed[0]]
        parts.append(_error_text(first))  # type: ignore[arg-type]
    for n, viol in run.violations.items():
        if viol:
            worst = min(viol, key=lambda x: x[2])
            parts.append(
                f"Plan {n}: {len(viol)} bus-hours outside the band, lowest {worst[2]:.4f} p.u. "
                f"at bus {worst[0]}, hour {worst[1]} (penalty {run.penalty[n]:,.0f}, left out)"
            )
    for n, ok in run.verified.items():
        if not ok:
            msgs = "; ".join(run.check_messages.get(n, [])) or "a check failed"
            parts.append(f"Plan {n} not verified: {msgs}")
    return "; ".join(parts)


def alternatives_table(
    default: AlternativeRun, runs: Sequence[AlternativeRun], *, plans: Sequence[int] = (1, 2, 3, 4)
) -> pd.DataFrame:
    """One row per run (the defaults first): status, the costs of Plans 1 and 4, the savings of
    Plans 2-4 (% of the same run's Plan 1), the change of Plan 4's saving against the defaults
    (percentage points), the change of Plan 1's cost (%), Plan 4's SOP capacity (kVA), a note
    (the solver's diagnosis, voltage violations in soft mode, failed checks)."""
    first, last = plans[0], plans[-1]
    rows = []
    for run in (default, *runs):
        alt = run.alternative
        row: dict[str, Any] = {
            "key": "defaults" if alt is None else alt.key,
            "alternative": run.label,
            "parameters": "" if alt is None else ", ".join(alt.parameters),
            "values": ", ".join(f"{k} = {_fmt(v)}" for k, v in run.overrides.items()),
            "status": _status(run),
            f"Plan {first} cost": run.total(first),
            f"Plan {last} cost": run.total(last),
        }
        for n in plans[1:]:
            row[f"Plan {n} saving (%)"] = run.saving_pct(n, first)
        row[f"change of Plan {last} saving (pp)"] = run.saving_pct(
            last, first
        ) - default.saving_pct(last, first)
        row[f"change of Plan {first} cost (%)"] = 100.0 * (
            run.total(first) / default.total(first) - 1.0
        )
        row[f"Plan {last} SOP (kVA)"] = run.sop_kva(last)
        row["note"] = _note(run)
        row["seconds"] = run.seconds
        rows.append(row)
    return pd.DataFrame(rows)


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _effect_text(
    alt: Alternative, run: AlternativeRun | None, default: AlternativeRun | None
) -> str:
    """One alternative's measured effect: the savings of Plans 2-4 and Plan 1's cost against
    the defaults (``effect = "costs"``) or the indices of Table 6 (``"flexibility"``)."""
    if run is None:
        return f"{alt.label}: not run in this build"
    if run.failed:
        return f"{alt.label}: {_status(run)}"
    plans = sorted(run.costs)
    if alt.effect == "flexibility":
        parts = []
        for key in ("I_BF", "I_F"):
            text = f"{key} of Plans {'/'.join(map(str, plans))} " + "/".join(
                f"{run.indices[n][key]:.3g}" for n in plans
            )
            if default is not None:
                text += (
                    " (defaults "
                    + "/".join(
                        f"{default.indices[n][key]:.3g}" for n in plans if n in default.indices
                    )
                    + ")"
                )
            parts.append(text)
        return f"{alt.label}: " + "; ".join(parts)
    others = [n for n in plans if n != 1]
    text = (
        f"{alt.label}: savings of Plans {'/'.join(map(str, others))} "
        + "/".join(f"{run.saving_pct(n):.1f}" for n in others)
        + " %"
    )
    if default is not None:
        base = "/".join(f"{default.saving_pct(n):.1f}" for n in others)
        d1 = 100 * (run.total(1) / default.total(1) - 1)
        text += f" (defaults {base}), Plan 1 cost {d1:+.1f} %"
    return text


def assumption_table(
    params: Params | None = None,
    runs: Sequence[AlternativeRun] = (),
    default: AlternativeRun | None = None,
) -> pd.DataFrame:
    """Every parameter whose provenance kind is "assumed" (also when overridden in this run),
    with its reason and its effect.

    Columns: ``parameter``, ``value``, ``reason`` (the provenance text without "assumed: "),
    ``alternative`` (labels of the registered alternatives that test it, or "none"), ``effect``
    (the savings of Plans 2-4 and Plan 1's cost under each alternative that was run, the
    status of an infeasible one, "not run in this build" for a registered alternative outside
    ``runs``, or the reason of :data:`NOT_VARIED`; "no alternative registered" otherwise).
    """
    params = params if params is not None else load_params()
    prov = provenance_table(params)
    # an overridden parameter keeps its default's provenance in its source text
    overridden = prov["kind"].isin(["override", "preset"]) & prov["source"].str.contains("assumed:")
    assumed = prov[(prov["kind"] == "assumed") | overridden]
    by_param: dict[str, list[Alternative]] = {}
    for alt in ALTERNATIVES:
        for p in alt.parameters:
            by_param.setdefault(p, []).append(alt)
    run_of = {r.alternative.key: r for r in runs if r.alternative is not None}
    rows = []
    for _, row in assumed.iterrows():
        name = row["parameter"]
        alts = by_param.get(name, [])
        effects = [_effect_text(alt, run_of.get(alt.key), default) for alt in alts]
        if not alts:
            effects.append(NOT_VARIED.get(name, "no alternative registered"))
        source = row["source"]
        reason = (
            source.split("assumed:", 1)[1].strip().removesuffix(")")
            if row["kind"] in ("override", "preset")
            else source.removeprefix("assumed:").strip()
        )
        rows.append(
            {
                "parameter": name,
                "value": row["value"]
                + {"override": " (overridden in this build)", "preset": " (preset)"}.get(
                    row["kind"], ""
                ),
                "reason": reason,
                "alternative": "; ".join(a.label for a in alts) if alts else "none",
                "effect": "; ".join(effects),
            }
        )
    return pd.DataFrame(rows, columns=["parameter", "value", "reason", "alternative", "effect"])
