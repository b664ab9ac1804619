"""A real year (chapter 9, beyond the paper): plan on SimBench's representative days, then test
every plan on all 366 days of 2016 out of sample.

The paper plans on one expected day and claims that the plans are robust to uncertainty. With a
real year that claim can be measured: a plan's SOP capacities (and Plan 3's battery ratings)
are built once; every day of the year then brings its own load, sun, wind and EVs, and the
plan's operation is re-optimised for that day with the capacities fixed. The mean over the
days is the plan's true annual cost; the plan's own objective is its *design-day estimate*.

**The year** (:func:`real_year`): SimBench's 2016 profiles on the IEEE 33 feeder
(:func:`sopev_lib.system.profiles.simbench_year`, 366 x 24 hourly values) and, for the EVs,
366 independent days of the Monte Carlo fleet of chapter 2
(:func:`sopev_lib.core.ev.fleet.sample_fleet`, seed ``ev.seed + 1``, so that no day of the
year is a day behind the planning envelopes): SimBench has no EV charging profiles.

**Planning bases** (:func:`plan_basis`), each giving the four plans of Section 5.1:

- ``"ours"``: the book's planning day (``data/profiles.csv``), the plans of chapter 4;
- ``"mean"``: SimBench's mean day (the hourly mean of the 366 days), the paper's approach
  (one expected day, counted ``economics.days_per_year`` times) with real data;
- ``"K<k>"``: k representative days of the year (:func:`representative_real_days`): k-means
  (:func:`sopev_lib.studies.multiday.kmeans`) on the days' 72 hourly values of load, PV and
  wind in kW (per unit times the feeder's nominal load and the DG ratings), each cluster
  represented by its medoid, the real day nearest its centre, weighted by its share of the
  year. One SOCP of 24 k hours (:func:`sopev_lib.studies.multiday.plan_multiday`).

Every basis plans with the stations' day-ahead envelopes (:func:`planning_envelopes`, the
forecast of chapter 2).

**The out-of-sample year** (:func:`year_day_costs`, a registered sweep study: one point per
day, ``studies/year_simbench.yaml``): for each day and each plan of each basis, the
capacities are fixed (``fixed_sop_kva``; Plan 3's battery ratings by equality constraints on
the same model) and the day is solved. A day a fixed plan cannot serve within the voltage
limits is solved again with soft limits and counted as infeasible (its cost without the
penalty is kept, the worst voltage reported). The day solves relax Clarabel's duality-gap
tolerance to 1e-9 (:data:`DAY_SOLVER_OPTIONS`). Every day's operating cost C_PC + C_NLC is
annualised as if the whole year were that day (x ``economics.days_per_year``); the true annual
cost is C_SI + C_OMS + the mean of those over the days (a 365-day year of average 2016 days).
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from sopev_lib.core.economics import cost_breakdown
from sopev_lib.core.ev.envelopes import StationEnvelopes, planning_envelopes, station_envelopes
from sopev_lib.core.ev.fleet import sample_fleet
from sopev_lib.core.inputs import PlanInputs, prepare_inputs
from sopev_lib.core.model import InfeasiblePlanError, ModelSolution, PlanningModel
from sopev_lib.core.plans import PLANS, ModelCache
from sopev_lib.core.results import PlanResult
from sopev_lib.core.storage import HOURLY_FIELDS, StorageEnvelope
from sopev_lib.studies.multiday import kmeans, plan_multiday
from sopev_lib.studies.sweep import register_study
from sopev_lib.system.feeder import Feeder
from sopev_lib.system.grids import load_feeder
from sopev_lib.system.params import Params, load_params
from sopev_lib.system.profiles import YearProfiles, file_profiles, simbench_year
from sopev_lib.verify.checks import relaxation_gap

__all__ = [
    "DAY_SOLVER_OPTIONS",
    "OPTION_DEFAULTS",
    "YEAR_SEED_OFFSET",
    "FixedModels",
    "PlanSizes",
    "RealDays",
    "RealYear",
    "basis_inputs",
    "basis_label",
    "curtailed_kwh",
    "kday_inputs",
    "obtain_year_study",
    "plan_basis",
    "real_year",
    "representative_real_days",
    "solve_fixed",
    "value_of_planning_year",
    "year_context",
    "year_day_costs",
    "year_study_config",
    "year_summary",
]

#: The year's EV fleet is drawn with ``ev.seed`` plus this (independent of the forecast's days).
YEAR_SEED_OFFSET = 1
#: Clarabel tolerances of the fixed-capacity day solves. At the book's ``SOLVER_OPTIONS`` (gap
#: and feasibility 1e-10, kept for planning) about a fifth of the days with an SOP held at its
#: built capacity end "almost solved" (Clarabel's reduced accuracy); a duality-gap tolerance of
#: 1e-9 (feasibility still 1e-10) leaves 8 % of the year's solves so, with relative cone gaps of
#: at most 1.3e-4 over the year and costs equal within 1e-8 relative (measured on 31 days).
#: Clarabel's defaults (1e-8) solve every day but let the cone gaps grow to 7e-4.
DAY_SOLVER_OPTIONS = {"tol_gap_abs": 1e-9, "tol_gap_rel": 1e-9, "tol_feas": 1e-10}
#: Options of :func:`year_day_costs` (the sweep config's ``options``) and their defaults.
OPTION_DEFAULTS: dict[str, Any] = {
    "bases": ["ours", "mean", "K4", "K12"],
    "plans": [1, 2, 3, 4],
    "soft_penalty": 1000.0,
    "cluster_seed": 0,
}


# ----- the year -----------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class RealYear:
    """SimBench's 2016 on a feeder, with one Monte Carlo EV day per day of the year.

    Attributes:
        profiles: load, PV and wind of every day, (366, 24) each.
        envelopes: the station envelopes of every day (366 days of the fleet).
        nominal_kw: the scales of the clustering features: nominal feeder load, total PV and
            total wind rating (kW).
        seed: seed of the EV fleet.
    """

    profiles: YearProfiles
    envelopes: StationEnvelopes
    nominal_kw: tuple[float, float, float]
    seed: int

    @property
    def n_days(self) -> int:
        return self.profiles.n_days

    def features(self) -> np.ndarray:
        """(n_days, 72): each day's hourly load, PV and wind in kW (the clustering space)."""
        pr, (load, pv, wind) = self.profiles, self.nominal_kw
        return np.hstack([pr.load_pu * load, pr.pv_pu * pv, pr.wind_pu * wind])

    def day_envelopes(self, day: int) -> tuple[StorageEnvelope, ...]:
        """The stations' envelopes of day ``day`` of the year (1-based)."""
        return self.envelopes.to_storage(int(day) - 1)

    def daily_energy(self) -> pd.DataFrame:
        """Energy per day (kWh): feeder load, available PV and wind, uncontrolled EV charging."""
        pr, (load, pv, wind) = self.profiles, self.nominal_kw
        return pd.DataFrame(
            {
                "day": np.arange(1, self.n_days + 1),
                "date": self.profiles.dates,
                "load_kwh": pr.load_pu.sum(axis=1) * load,
                "pv_kwh": pr.pv_pu.sum(axis=1) * pv,
                "wind_kwh": pr.wind_pu.sum(axis=1) * wind,
                "ev_kwh": self.envelopes.uncontrolled_kw.sum(axis=(1, 2)),
            }
        )


def real_year(params: Params, *, feeder: Feeder | None = None, seed: int | None = None) -> RealYear:
    """The year of the module docstring for ``params`` (its ``profiles.simbench_*`` entries
    choose the profiles, whatever ``profiles.source`` says) on ``feeder`` (default the
    parameters' feeder); EV seed default ``ev.seed + YEAR_SEED_OFFSET``."""
    feeder = feeder or load_feeder(params)
    profiles = simbench_year(params, feeder)
    seed = params.ev.seed + YEAR_SEED_OFFSET if seed is None else int(seed)
    fleet = sample_fleet(params, profiles.n_days, seed=seed)
    dg = params.dg
    nominal = (feeder.total_load_kw, float(sum(dg.pv_rating_kw)), float(sum(dg.wind_rating_kw)))
    return RealYear(profiles, station_envelopes(fleet), nominal, seed)


@dataclass(frozen=True, eq=False)
class RealDays:
    """K representative days of a real year.

    Attributes:
        days: the medoid of each cluster, as day of the year (1-based), ordered by date of
            the cluster's first day.
        weights: days per year each stands for (summing to ``economics.days_per_year``).
        labels: the cluster (0..K-1, same order) of every day of the year.
    """

    days: np.ndarray
    weights: np.ndarray
    labels: np.ndarray

    @property
    def k(self) -> int:
        return len(self.days)

    def table(self, year: RealYear) -> pd.DataFrame:
        """One row per representative day: date, days of the year it stands for, weight and
        its energy (kWh)."""
        energy = year.daily_energy().set_index("day").loc[self.days]
        return pd.DataFrame(
            {
                "day": self.days,
                "date": energy["date"].dt.strftime("%d %b").to_numpy(),
                "members": np.bincount(self.labels, minlength=self.k),
                "weight_days": self.weights,
                "load_kwh": energy["load_kwh"].to_numpy(),
                "pv_kwh": energy["pv_kwh"].to_numpy(),
                "wind_kwh": energy["wind_kwh"].to_numpy(),
            }
        )


def representative_real_days(
    year: RealYear, k: int, *, days_per_year: float, seed: int = 0
) -> RealDays:
    """Cluster the year's days into ``k`` representative days (module docstring)."""
    x = year.features()
    labels, centres = kmeans(x, k, seed=seed)
    order = np.argsort([np.flatnonzero(labels == j)[0] for j in range(k)])  # by first day
    days, weights = [], []
    for j in order:
        members = np.flatnonzero(labels == j)
        medoid = members[np.argmin(((x[members] - centres[j]) ** 2).sum(axis=1))]
        days.append(int(medoid) + 1)
        weights.append(days_per_year * len(members) / year.n_days)
    remap = np.empty(k, dtype=int)
    remap[order] = np.arange(k)
    return RealDays(np.array(days), np.array(weights), remap[labels])


# ----- planning bases -----------------------------------------------------------------------
def basis_label(basis: str) -> str:
    """A reader's name of a planning basis: ``"ours"`` -> ``"design day (ours)"``."""
    if basis == "ours":
        return "design day (ours)"
    if basis == "mean":
        return "mean day"
    return f"K = {_k_of(basis)} days"


def _k_of(basis: str) -> int:
    if not (isinstance(basis, str) and basis.startswith("K") and basis[1:].isdigit()):
        raise ValueError(f"basis {basis!r}: allowed 'ours', 'mean' or 'K<k>' (e.g. 'K4')")
    k = int(basis[1:])
    if not 1 <= k <= 366:
        raise ValueError(f"basis {basis!r}: k must lie in 1..366")
    return k


def kday_inputs(
    params: Params,
    year: RealYear,
    days: RealDays,
    *,
    feeder: Feeder,
    envelopes: Sequence[StorageEnvelope],
) -> PlanInputs:
    """Plan inputs of the representative days back to back (24 K hours, ``day_weights`` = the
    days' weights), every day with the same day-ahead station envelopes."""
    k = days.k
    tiled = tuple(
        replace(e, **{f: np.tile(getattr(e, f), k) for f in HOURLY_FIELDS}) for e in envelopes
    )
    profiles = year.profiles.days(days.days)
    checked = prepare_inputs(params, feeder=feeder, profiles=profiles, envelopes=tiled)
    return replace(checked, day_weights=tuple(float(w) for w in days.weights))


def basis_inputs(
    basis: str,
    params: Params,
    year: RealYear,
    *,
    feeder: Feeder,
    envelopes: Sequence[StorageEnvelope],
    cluster_seed: int = 0,
) -> tuple[PlanInputs, RealDays | None]:
    """The plan inputs of a planning basis (module docstring) and, for ``"K<k>"``, its days."""
    envs = tuple(envelopes)
    if basis == "ours":
        inputs = prepare_inputs(
            params, feeder=feeder, profiles=file_profiles(params), envelopes=envs
        )
        return inputs, None
    if basis == "mean":
        profiles = year.profiles.mean_day()
        return prepare_inputs(params, feeder=feeder, profiles=profiles, envelopes=envs), None
    days_per_year = params.economics.days_per_year
    days = representative_real_days(
        year, _k_of(basis), days_per_year=days_per_year, seed=cluster_seed
    )
    return kday_inputs(params, year, days, feeder=feeder, envelopes=envs), days


def plan_basis(inputs: PlanInputs, plans: Sequence[int] = (1, 2, 3, 4)) -> dict[int, PlanResult]:
    """The plans on a basis's inputs, each solved once (``plan_multiday``)."""
    with warnings.catch_warnings():  # "inaccurate" solves are judged by the checks
        warnings.simplefilter("ignore", UserWarning)
        return {int(n): plan_multiday(int(n), inputs) for n in plans}


@dataclass(frozen=True)
class PlanSizes:
    """What a plan built: SOP capacity per site (kVA), Plan 3's battery energy (kWh) and power
    (kW) per station bus, and the cost terms of its own planning solve (its estimate,
    10^4 RMB per year)."""

    plan: int
    basis: str
    sop_kva: dict[str, float] = field(default_factory=dict)
    ess_kwh: tuple[float, ...] = ()
    ess_kw: tuple[float, ...] = ()
    estimate: dict[str, float] = field(default_factory=dict)

    @classmethod
    def of(cls, result: PlanResult, basis: str) -> PlanSizes:
        ess = result.device("ess")
        return cls(
            plan=result.spec.number,
            basis=basis,
            sop_kva=dict(result.sop_capacity_kva),
            ess_kwh=tuple(_sized(x) for x in ess["energy_rating_kwh"]) if ess else (),
            ess_kw=tuple(_sized(x) for x in ess["power_rating_kw"]) if ess else (),
            estimate={**cost_breakdown(result), "curtailed_kwh": curtailed_kwh(result)},
        )


def _sized(x: float) -> float:
    """A built rating (kWh, kW): solver round-off below 1e-3 is no battery (fixing a rating of
    1e-6 kWh by an equality constraint only makes the solve inaccurate)."""
    return float(x) if x >= 1e-3 else 0.0


def curtailed_kwh(result: PlanResult) -> float:
    """Available DG energy a plan leaves unused, kWh per day (for K days: the weighted mean
    day)."""
    dg = result.device("dg")
    hourly = np.maximum((dg["available_kw"] - dg["p_kw"]).sum(axis=0), 0.0)  # round-off
    days = result.inputs.params.economics.days_per_year
    return float(np.sum(result.inputs.hour_weights * hourly) / days)


# ----- one day with the capacities fixed ----------------------------------------------------
@dataclass
class FixedModels:
    """Compiled models of fixed plans (one per plan and sizes, re-solved with every day's data
    through cvxpy Parameters) and Plan 3's fixing constraints; keep one for many days."""

    cache: ModelCache = field(default_factory=ModelCache)
    ess_fix: dict[int, list] = field(default_factory=dict)


def _solve_sized(model: PlanningModel, sizes: PlanSizes, fixed: FixedModels) -> ModelSolution:
    """Solve ``model`` with Plan 3's battery ratings fixed (equality constraints, made once)."""
    if not sizes.ess_kwh:
        return model.solve(diagnose=False, **DAY_SOLVER_OPTIONS)
    if id(model) not in fixed.ess_fix:
        ess, base = model.devices["ess"], model.feeder.base_kva
        fixed.ess_fix[id(model)] = [
            ess.e_rated == np.asarray(sizes.ess_kwh) / base,
            ess.p_rated == np.asarray(sizes.ess_kw) / base,
        ]
    try:
        return model.solve_with(
            model.problem.objective, fixed.ess_fix[id(model)], **DAY_SOLVER_OPTIONS
        )
    except InfeasiblePlanError as exc:
        raise InfeasiblePlanError(model.plan, exc.status, "fixed battery ratings") from None


def solve_fixed(
    sizes: PlanSizes,
    inputs: PlanInputs,
    *,
    models: FixedModels | None = None,
    soft_penalty: float = 1000.0,
) -> tuple[PlanResult, bool]:
    """Re-optimise a plan's operation on ``inputs`` with its capacities fixed.

    Returns the result and whether the voltage limits held; if they cannot, the day is solved
    with soft limits (``soft_penalty``, 10^4 RMB per p.u.^2 of violation, hour and year).
    """
    models = models if models is not None else FixedModels()
    fixed_sop = sizes.sop_kva if PLANS[sizes.plan].sop else None
    spec = PLANS[sizes.plan]
    try:
        model = models.cache.model(spec, inputs, fixed_sop_kva=fixed_sop)
        return PlanResult(spec, inputs, _solve_sized(model, sizes, models)), True
    except InfeasiblePlanError:
        model = models.cache.model(
            spec, inputs, fixed_sop_kva=fixed_sop, soft_voltage_penalty=soft_penalty
        )
        return PlanResult(spec, inputs, _solve_sized(model, sizes, models)), False


def _day_row(result: PlanResult, sizes: PlanSizes, feasible: bool) -> dict[str, Any]:
    """The row of one fixed plan on one day (money: 10^4 RMB per year)."""
    costs = cost_breakdown(result)
    v = result.solution.network["v_pu"][1:]
    operation = costs["C_PC"] + costs["C_NLC"]
    est = sizes.estimate
    return {
        "basis": sizes.basis,
        "plan": sizes.plan,
        "C_SI": est["C_SI"],
        "C_OMS": est["C_OMS"],
        "C_PC": costs["C_PC"],
        "C_NLC": costs["C_NLC"],
        "operation": operation,
        "total": est["C_SI"] + est["C_OMS"] + operation,
        "estimate": est["total"],
        "estimate_nlc": est["C_NLC"],
        "estimate_curtailed_kwh": est["curtailed_kwh"],
        "feasible": bool(feasible),
        "v_min_pu": float(v.min()),
        "v_max_pu": float(v.max()),
        "gap_rel": float(np.max(np.abs(relaxation_gap(result)[1]))),
        "curtailed_kwh": curtailed_kwh(result),
        "sop_kva": float(sum(sizes.sop_kva.values())),
        "ess_kwh": float(sum(sizes.ess_kwh)),
        "solver_status": result.solution.info.status,
        "solve_s": result.solution.info.solve_time_s,
    }


# ----- the sweep study ----------------------------------------------------------------------
def _check_options(options: Mapping[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(options) - set(OPTION_DEFAULTS))
    if unknown:
        raise ValueError(f"options: unknown key(s) {unknown}; allowed: {sorted(OPTION_DEFAULTS)}")
    opts = {**OPTION_DEFAULTS, **options}
    bases = opts["bases"]
    if not isinstance(bases, list | tuple) or not bases or len(set(bases)) != len(bases):
        raise ValueError(f"options.bases = {bases!r}: expected distinct 'ours', 'mean', 'K<k>'")
    for b in bases:
        if b not in ("ours", "mean"):
            _k_of(b)
    plans = opts["plans"]
    if not isinstance(plans, list | tuple) or not plans or any(p not in PLANS for p in plans):
        raise ValueError(f"options.plans = {plans!r}: expected plans from {sorted(PLANS)}")
    pen = opts["soft_penalty"]
    if isinstance(pen, bool) or not isinstance(pen, int | float) or not pen > 0:
        raise ValueError(f"options.soft_penalty = {pen!r}: expected a number > 0")
    return {**opts, "bases": list(bases), "plans": sorted(int(p) for p in plans)}


def _split_settings(settings: Mapping[str, Any]) -> tuple[int, dict[str, Any]]:
    """The day of the year and the parameter overrides of a point's settings."""
    day = settings.get("day")
    if isinstance(day, bool) or not isinstance(day, int) or not 1 <= day <= 366:
        raise ValueError(f"day = {day!r}: expected a day of the year 1..366")
    overrides = {k: v for k, v in settings.items() if k != "day"}
    for key in overrides:
        if "." not in key:
            raise ValueError(f"{key!r}: not a parameter path (section.field) nor 'day'")
    return day, overrides


@dataclass
class YearContext:
    """What a worker keeps between the days of one study: parameters, feeder, the year, the
    plans of every basis (their sizes) and the compiled fixed models."""

    params: Params
    feeder: Feeder
    year: RealYear
    sizes: dict[str, dict[int, PlanSizes]]
    soft_penalty: float
    models: FixedModels = field(default_factory=FixedModels)

    @classmethod
    def build(cls, overrides: Mapping[str, Any], opts: Mapping[str, Any]) -> YearContext:
        params = load_params(overrides=dict(overrides))
        feeder = load_feeder(params)
        year = real_year(params, feeder=feeder)
        envelopes = planning_envelopes(params)
        sizes = {}
        for basis in opts["bases"]:
            inputs, _ = basis_inputs(
                basis,
                params,
                year,
                feeder=feeder,
                envelopes=envelopes,
                cluster_seed=opts["cluster_seed"],
            )
            planned = plan_basis(inputs, opts["plans"])
            sizes[basis] = {n: PlanSizes.of(r, basis) for n, r in planned.items()}
        return cls(params, feeder, year, sizes, float(opts["soft_penalty"]))

    def day_rows(self, day: int) -> list[dict[str, Any]]:
        """Every plan of every basis on day ``day`` (Plan 1, which builds nothing, is solved
        once and reported under every basis)."""
        inputs = prepare_inputs(
            self.params,
            feeder=self.feeder,
            profiles=self.year.profiles.day(day),
            envelopes=self.year.day_envelopes(day),
        )
        energy = self.year.daily_energy().iloc[day - 1]
        info = {k: float(energy[k]) for k in ("load_kwh", "pv_kwh", "wind_kwh", "ev_kwh")}
        rows, plan1 = [], None
        for by_plan in self.sizes.values():
            for n, sizes in by_plan.items():
                if n == 1 and plan1 is not None:
                    result, ok = plan1
                else:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore", UserWarning)
                        result, ok = solve_fixed(
                            sizes, inputs, models=self.models, soft_penalty=self.soft_penalty
                        )
                    plan1 = (result, ok) if n == 1 else plan1
                rows.append({"day": day, **_day_row(result, sizes, ok), **info})
        return rows


_CONTEXTS: dict[str, YearContext] = {}


def year_context(overrides: Mapping[str, Any], options: Mapping[str, Any]) -> YearContext:
    """This process's :class:`YearContext` for a study's settings (built on first use: the
    plans of every basis are solved then)."""
    opts = _check_options(options)
    key = json.dumps({"o": overrides, "p": opts}, sort_keys=True, default=str)
    if key not in _CONTEXTS:
        _CONTEXTS.clear()  # one study at a time per worker keeps memory bounded
        _CONTEXTS[key] = YearContext.build(overrides, opts)
    return _CONTEXTS[key]


@register_study
def year_day_costs(settings: Mapping[str, Any], options: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One day of the out-of-sample year (module docstring): one row per basis and plan.

    Settings: ``day`` (1..366) and parameter overrides by dotted path. Options:
    :data:`OPTION_DEFAULTS`. Row columns: ``day``, ``basis``, ``plan``, the cost terms
    ``C_SI``, ``C_OMS`` (the plan's, fixed), ``C_PC``, ``C_NLC`` (this day's, annualised),
    ``operation`` (their sum), ``total`` (the annual cost if every day were this one),
    ``estimate`` (the plan's own annual cost), ``feasible``, ``v_min_pu``, ``v_max_pu``,
    ``gap_rel``, ``curtailed_kwh`` (DG energy left unused), ``sop_kva``, ``ess_kwh``,
    ``solver_status``, ``solve_s``, and the day's
    ``load_kwh``, ``pv_kwh``, ``wind_kwh``, ``ev_kwh``.
    """
    day, overrides = _split_settings(settings)
    return year_context(overrides, options).day_rows(day)


def _check(settings: Mapping[str, Any], options: Mapping[str, Any]) -> None:
    """Config check of :func:`year_day_costs` (no solve)."""
    _check_options(options)
    _, overrides = _split_settings(settings)
    load_params(overrides=overrides)


year_day_costs.check = _check  # type: ignore[attr-defined]


# ----- summaries ----------------------------------------------------------------------------
def year_summary(table: pd.DataFrame, *, spread: tuple[float, float] = (5.0, 95.0)) -> pd.DataFrame:
    """Per basis and plan: the design estimate, the true annual cost over the evaluated days,
    the spread of the annualised daily cost, and the days the plan could not serve.

    Columns (money in 10^4 RMB per year): ``basis``, ``plan``, ``days``, ``estimate``,
    ``true_cost`` (C_SI + C_OMS + mean operation), ``error_pct`` (estimate vs true),
    ``lo`` / ``hi`` (the ``spread`` percentiles of ``total`` over the days), ``nlc`` and
    ``nlc_estimate`` (the loss cost C_NLC over the days and in the estimate),
    ``curtailed_kwh`` and ``curtailed_estimate_kwh`` (DG energy left unused, kWh per day),
    ``infeasible`` (days), ``v_min_pu`` (lowest over the days), ``sop_kva``, ``ess_kwh``.
    """
    ok = table[table["status"] == "ok"] if "status" in table else table
    rows = []
    for (basis, plan), grp in ok.groupby(["basis", "plan"], sort=False):
        true = float(grp["C_SI"].iloc[0] + grp["C_OMS"].iloc[0] + grp["operation"].mean())
        est = float(grp["estimate"].iloc[0])
        rows.append(
            {
                "basis": basis,
                "plan": int(plan),
                "days": int(grp["day"].nunique()),
                "estimate": est,
                "true_cost": true,
                "error_pct": 100.0 * (est - true) / true,
                "lo": float(np.percentile(grp["total"], spread[0])),
                "hi": float(np.percentile(grp["total"], spread[1])),
                "nlc": float(grp["C_NLC"].mean()),
                "nlc_estimate": float(grp["estimate_nlc"].iloc[0]),
                "curtailed_kwh": float(grp["curtailed_kwh"].mean()),
                "curtailed_estimate_kwh": float(grp["estimate_curtailed_kwh"].iloc[0]),
                "infeasible": int((~grp["feasible"].astype(bool)).sum()),
                "v_min_pu": float(grp["v_min_pu"].min()),
                "sop_kva": float(grp["sop_kva"].iloc[0]),
                "ess_kwh": float(grp["ess_kwh"].iloc[0]),
            }
        )
    return pd.DataFrame(rows)


def value_of_planning_year(summary: pd.DataFrame, reference: str = "mean") -> pd.DataFrame:
    """What planning on a basis saves, out of sample, against planning on ``reference``: one row
    per basis other than the reference and plan with a size (2-4): ``saving`` (true cost of the
    reference plan minus this basis's, 10^4 RMB per year) and ``saving_pct`` (of the
    reference's true cost)."""
    wide = summary.pivot(index="plan", columns="basis", values="true_cost")
    if reference not in wide:
        raise ValueError(f"reference = {reference!r}: not a basis of the summary {list(wide)}")
    rows = []
    for basis in [b for b in summary["basis"].unique() if b != reference]:
        for plan in [p for p in wide.index if PLANS[int(p)].sop]:
            ref, mine = float(wide.at[plan, reference]), float(wide.at[plan, basis])
            if math.isfinite(ref) and math.isfinite(mine):
                saving = ref - mine
                rows.append(
                    {
                        "basis": basis,
                        "plan": int(plan),
                        "saving": saving,
                        "saving_pct": 100.0 * saving / ref,
                    }
                )
    return pd.DataFrame(rows)


# ----- running the study --------------------------------------------------------------------
def year_study_config(
    overrides: Mapping[str, Any] | None = None,
    bases: Sequence[str] | None = None,
    *,
    size: str = "full",
) -> Any:
    """The sweep of ``studies/year_simbench.yaml`` at ``size``, with parameter ``overrides``
    added to its base settings and its planning ``bases`` replaced (both sizes); a study that
    differs from the file gets its own name (and folder): ``year_simbench-<hash>``."""
    import hashlib

    from sopev_lib.studies.sweep import load_config
    from sopev_lib.system.paths import REPO_ROOT
    from sopev_lib.system.schema import read_yaml

    raw = read_yaml(REPO_ROOT / "studies" / "year_simbench.yaml", "sweep config")
    extra = {k: v for k, v in (overrides or {}).items()}
    if bases is not None and list(bases) != list(raw["options"]["bases"]):
        raw["options"] = {**raw["options"], "bases": list(bases)}
        small = raw.get("small") or {}
        small["options"] = {k: v for k, v in (small.get("options") or {}).items() if k != "bases"}
        raw["small"] = small
        extra["bases"] = list(bases)
    if extra:
        raw["base"] = {
            **(raw.get("base") or {}),
            **{k: v for k, v in extra.items() if k != "bases"},
        }
        digest = hashlib.sha256(json.dumps(extra, sort_keys=True, default=str).encode())
        raw["name"] = f"{raw['name']}-{digest.hexdigest()[:8]}"
    return load_config(raw, size=size)


def obtain_year_study(
    overrides: Mapping[str, Any] | None = None,
    bases: Sequence[str] | None = None,
    *,
    size: str = "small",
    use_full_results: bool = True,
    client: Any = None,
    workers: int | None = None,
) -> Any:
    """The table of the year study (:func:`year_study_config`): a finished full-size table
    computed with the current code if there is one (and ``use_full_results``), else the
    study at ``size`` run now (resumed if earlier points of the same code exist). Returns a
    :class:`sopev_lib.studies.sensitivity.StudyTable`."""
    from sopev_lib.studies.sensitivity import StudyTable
    from sopev_lib.studies.sweep import code_fingerprint, read_meta, read_results, run_sweep

    full = year_study_config(overrides, bases, size="full")
    code = code_fingerprint(full.function)
    meta = read_meta(full)
    if use_full_results and meta.get("complete") and meta.get("code") == code:
        table = read_results(full)
        return StudyTable(full.name, table, "full-size table", "full", meta, full.table_path)
    cfg = full if size == "full" else year_study_config(overrides, bases, size=size)
    restart = read_meta(cfg).get("code") not in (None, code)
    with warnings.catch_warnings():  # e.g. "Port 8787 is already in use" of a LocalCluster
        warnings.simplefilter("ignore", UserWarning)
        res = run_sweep(cfg, client=client, workers=workers, restart=restart, progress=False)
    source = f"{size}, computed here" if res.n_run else f"{size}, computed earlier with this code"
    return StudyTable(cfg.name, res.table, source, size, res.meta, res.path)
