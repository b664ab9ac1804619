"""Planning over many days (chapter 8, beyond the paper): SOP capacities chosen once, dispatch
per representative day, as one SOCP.

The paper plans on one expected day repeated 365 times. A year is not one day: sunny and
overcast days, windy and calm ones, busy and quiet days at the charging stations. This module
builds a synthetic year, picks K representative days with weights, and plans on all of them at
once (the SOP capacity is one variable for the whole horizon; storage is cyclic within each day;
each hour is weighted by the days per year its day stands for). Then it asks what planning on
one day costs: the *value of planning under uncertainty* is the annual cost of the single-day
plan's SOP sizes when the K days are dispatched with them, minus the cost of the K-day plan (the
value of the stochastic solution, VSS, of stochastic programming; never negative, because the
single-day sizes are a feasible choice of the K-day plan).

**The synthetic year** (:func:`sample_year`; all our assumptions, the paper has no year). For
day d = 0..n-1 of the year:

- *EV fleet*: an independent day of the Monte Carlo fleet of Tables 1-3
  (:func:`sopev_lib.core.ev.fleet.sample_fleet` with ``n_days = n``), aggregated per day into
  station
  envelopes: a consistent generalised storage per day, not an average.
- *PV*: the planning day's curve times a day factor ``s_pv(d) * c_d``: a seasonal factor
  ``s_pv = 1 + a_pv cos(2 pi (d - 172) / 365)`` (longest days at the June solstice) and a
  cloudiness factor ``c_d ~ Beta(4, 1.5) / E[Beta(4, 1.5)]`` (most days fairly clear, some
  overcast); hourly output is capped at 1 p.u. of rating.
- *Wind*: the planning day's curve times ``s_w(d) * g_d``: seasonal ``s_w = 1 + a_w cos(2 pi
  (d - 15) / 365)`` (windier winters) and a daily energy factor ``g_d ~ Gamma(2, 1/2)`` (mean 1,
  coefficient of variation 0.71, a common fit of daily wind energy); capped at 1 p.u.
- *Load*: the planning day's curve times ``1 - a_l (1 + cos(4 pi (d - 200) / 365)) / 2 - |e_d|``
  with ``e_d ~ N(0, 0.02^2)``: two seasonal peaks (summer and winter) where the factor is near
  1, and shoulder seasons up to ``a_l`` lower. The factor never exceeds 1, since the book reads
  the nominal load as the peak of the design day.

PV and wind factors have mean 1 before the cap, so the paper's expected day stands for the
year's average weather; the load factor averages below 1.

**Representative days** (:func:`representative_days`): k-means (k-means++ start, seeded) on
standardised day features (PV and wind factors, load factor, EV energy demand, EV evening
share); each cluster is represented by its medoid, the real day nearest to the cluster centre
(so that its EV envelope is one consistent day), weighted by the cluster's share of the year
(weights sum to ``economics.days_per_year``). ``method="mean"`` averages the cluster's days
instead (exact annual energy totals, smoother extremes).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, replace

import cvxpy as cp
import numpy as np
import pandas as pd

from sopev_lib.core.economics import cost_breakdown
from sopev_lib.core.ev.envelopes import ENVELOPE_FIELDS, StationEnvelopes, station_envelopes
from sopev_lib.core.ev.fleet import sample_fleet
from sopev_lib.core.inputs import PlanInputs, prepare_inputs
from sopev_lib.core.model import InfeasiblePlanError, ModelSolution, SolveInfo
from sopev_lib.core.plans import ModelCache, build_model, plan_spec, solve_plan
from sopev_lib.core.results import PlanResult
from sopev_lib.core.storage import HOURLY_FIELDS, StorageEnvelope
from sopev_lib.studies.feeders import check_solves, is_verified, solve_once
from sopev_lib.system.feeder import Feeder
from sopev_lib.system.grids import load_feeder
from sopev_lib.system.params import Params
from sopev_lib.system.profiles import Profiles, load_profiles
from sopev_lib.verify.checks import DEFAULT_GAP_TOL, relaxation_gap, verify
from sopev_lib.verify.solve import attempt_ladder

__all__ = [
    "FEATURES",
    "MultiDayStudy",
    "RepresentativeDays",
    "SyntheticYear",
    "WeatherModel",
    "capacity_solve",
    "day_inputs",
    "expected_day",
    "kmeans",
    "multiday_inputs",
    "plan_by_day",
    "plan_multiday",
    "representative_days",
    "sample_year",
    "study_checks",
    "study_table",
    "value_of_planning",
]

#: Day features used to cluster the year (standardised before clustering).
FEATURES = ("pv_factor", "wind_factor", "load_factor", "ev_energy_kwh", "ev_evening_share")

_EVENING = slice(17, 23)  # hours 17-22: the evening peak of the feeder load


@dataclass(frozen=True)
class WeatherModel:
    """Day-level weather and load model of the synthetic year (module docstring).

    Attributes:
        pv_season: a_pv, relative seasonal amplitude of PV (0.25: +-25 %).
        pv_beta: (alpha, beta) of the cloudiness factor's Beta distribution.
        wind_season: a_w, relative seasonal amplitude of wind.
        wind_shape: shape of the Gamma distribution of the daily wind factor (mean 1).
        load_season: a_l, the largest seasonal reduction of the load factor.
        load_noise: standard deviation of the daily load noise e_d.
    """

    pv_season: float = 0.25
    pv_beta: tuple[float, float] = (4.0, 1.5)
    wind_season: float = 0.20
    wind_shape: float = 2.0
    load_season: float = 0.10
    load_noise: float = 0.02

    def __post_init__(self) -> None:
        for name in ("pv_season", "wind_season"):
            if not 0.0 <= getattr(self, name) < 1.0:
                raise ValueError(f"{name} = {getattr(self, name)}: allowed range [0, 1)")
        if not 0.0 <= self.load_season < 0.5:
            raise ValueError(f"load_season = {self.load_season}: allowed range [0, 0.5)")
        if not 0.0 <= self.load_noise < 0.2:
            raise ValueError(f"load_noise = {self.load_noise}: allowed range [0, 0.2)")
        if min(self.pv_beta) <= 0 or self.wind_shape <= 0:
            raise ValueError(
                f"pv_beta = {self.pv_beta}, wind_shape = {self.wind_shape}: must be > 0"
            )


@dataclass(frozen=True, eq=False)
class SyntheticYear:
    """Sampled days of a year.

    Attributes:
        pv_factor, wind_factor, load_factor: day factors of the planning day's curves, (n,).
        envelopes: EV station envelopes of every day, arrays (n, n_stations, 24).
        seed: seed of the draw.
    """

    pv_factor: np.ndarray
    wind_factor: np.ndarray
    load_factor: np.ndarray
    envelopes: StationEnvelopes
    seed: int

    @property
    def n_days(self) -> int:
        return len(self.pv_factor)

    def features(self) -> pd.DataFrame:
        """One row per day: the columns of :data:`FEATURES` (kWh for the EV energy)."""
        unc = self.envelopes.uncontrolled_kw.sum(axis=1)  # (n, 24), kW summed over stations
        energy = unc.sum(axis=1)
        evening = unc[:, _EVENING].sum(axis=1) / np.maximum(energy, 1e-9)
        return pd.DataFrame(
            {
                "pv_factor": self.pv_factor,
                "wind_factor": self.wind_factor,
                "load_factor": self.load_factor,
                "ev_energy_kwh": energy,
                "ev_evening_share": evening,
            }
        )


def sample_year(
    params: Params,
    *,
    n_days: int = 365,
    seed: int | None = None,
    weather: WeatherModel | None = None,
    count_scale: float = 1.0,
) -> SyntheticYear:
    """Draw a synthetic year of ``n_days`` days (module docstring); same seed, same year.

    Args:
        params: the study parameters (EV fleet of Tables 1-3).
        n_days: days to draw; day d sits at day-of-year ``365 d / n_days``.
        seed: seed of :func:`numpy.random.default_rng` (default ``params.ev.seed``); the EV
            fleet uses the same seed.
        weather: the day-level model (default :class:`WeatherModel`).
        count_scale: multiplies the vehicle counts of Table 3.
    """
    if isinstance(n_days, bool) or not isinstance(n_days, int | np.integer) or n_days < 1:
        raise ValueError(f"n_days = {n_days!r}: allowed whole numbers >= 1")
    weather = weather or WeatherModel()
    seed = params.ev.seed if seed is None else int(seed)
    # The year, day by day: day d of n sits at day of the year 365 d / n
    rng = np.random.default_rng(seed)
    doy = 365.0 * np.arange(n_days) / n_days
    # PV: a seasonal factor (longest days in June) times a cloudiness factor of mean 1
    a, b = weather.pv_beta
    cloud = rng.beta(a, b, n_days) / (a / (a + b))
    pv = (1.0 + weather.pv_season * np.cos(2 * np.pi * (doy - 172.0) / 365.0)) * cloud
    # Wind: a seasonal factor (windier winters) times a daily energy factor of mean 1
    gust = rng.gamma(weather.wind_shape, 1.0 / weather.wind_shape, n_days)
    wind = (1.0 + weather.wind_season * np.cos(2 * np.pi * (doy - 15.0) / 365.0)) * gust
    # Load: two seasonal peaks (summer, winter) near 1, shoulder seasons lower, never above 1
    season = weather.load_season * (1.0 + np.cos(4 * np.pi * (doy - 200.0) / 365.0)) / 2.0
    load = 1.0 - season - np.abs(rng.normal(0.0, weather.load_noise, n_days))
    # EV fleet: an independent Monte Carlo day of Tables 1-3 for every day
    fleet = sample_fleet(params, n_days, seed=seed, count_scale=count_scale)
    # End of the year
    return SyntheticYear(
        pv_factor=pv,
        wind_factor=wind,
        load_factor=load,
        envelopes=station_envelopes(fleet),
        seed=seed,
    )


# ----- representative days ------------------------------------------------------------------
def kmeans(
    x: np.ndarray, k: int, *, seed: int = 0, n_init: int = 8, max_iter: int = 100
) -> tuple[np.ndarray, np.ndarray]:
    """k-means with k-means++ starts (best of ``n_init``); every cluster non-empty.

    Returns (labels (n,), centres (k, d)). Raises ``ValueError`` for k outside 1..n.
    """
    x = np.asarray(x, dtype=float)
    n = len(x)
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or not 1 <= k <= n:
        raise ValueError(f"k = {k!r}: allowed whole numbers 1..{n} (the number of days)")
    rng = np.random.default_rng(seed)
    best: tuple[float, np.ndarray, np.ndarray] | None = None
    for _ in range(n_init):
        centres = [x[rng.integers(n)]]
        for _ in range(1, k):  # k-means++: next centre with probability ~ squared distance
            d2 = np.min(((x[:, None, :] - np.array(centres)[None]) ** 2).sum(-1), axis=1)
            p = d2 / d2.sum() if d2.sum() > 0 else np.full(n, 1.0 / n)
            centres.append(x[rng.choice(n, p=p)])
        c = np.array(centres)
        labels = np.full(n, -1)
        for _ in range(max_iter):
            d2 = ((x[:, None, :] - c[None]) ** 2).sum(-1)
            new = np.argmin(d2, axis=1)
            counts = np.bincount(new, minlength=k)
            for j in np.flatnonzero(counts == 0):  # empty cluster: take the worst-fitting point
                dist = d2[np.arange(n), new]
                dist[counts[new] <= 1] = -1.0  # of a cluster that keeps a member
                far = int(np.argmax(dist))
                counts[new[far]] -= 1
                new[far] = j
                counts[j] = 1
            if np.array_equal(new, labels):
                break
            labels = new
            c = np.array([x[labels == j].mean(axis=0) for j in range(k)])
        inertia = float(((x - c[labels]) ** 2).sum())
        if best is None or inertia < best[0] - 1e-12:
            best = (inertia, labels.copy(), c.copy())
    assert best is not None
    return best[1], best[2]


@dataclass(frozen=True, eq=False)
class RepresentativeDays:
    """K representative days with weights (days per year).

    Attributes:
        weights: days per year each stands for, (K,), summing to ``economics.days_per_year``.
        pv_factor, wind_factor, load_factor: day factors of the planning day's curves, (K,).
        envelopes: per day, one :class:`StorageEnvelope` per station (24 h each).
        days: index of each medoid in the year (-1 for a cluster mean or the expected day).
        labels: cluster of every day of the year, (n,) (empty for the expected day).
        name: short description.
    """

    weights: np.ndarray
    pv_factor: np.ndarray
    wind_factor: np.ndarray
    load_factor: np.ndarray
    envelopes: tuple[tuple[StorageEnvelope, ...], ...]
    days: np.ndarray
    labels: np.ndarray
    name: str = "representative days"

    @property
    def k(self) -> int:
        return len(self.weights)

    def table(self) -> pd.DataFrame:
        """One row per representative day: weight, factors, EV energy (kWh) and vehicles."""
        return pd.DataFrame(
            {
                "day": np.arange(1, self.k + 1),
                "year_day": self.days,
                "weight_days": self.weights,
                "pv_factor": self.pv_factor,
                "wind_factor": self.wind_factor,
                "load_factor": self.load_factor,
                "ev_energy_kwh": [sum(e.uncontrolled_kw.sum() for e in d) for d in self.envelopes],
                "vehicles": [sum(e.n_vehicles for e in d) for d in self.envelopes],
            }
        )


def _subset(env: StationEnvelopes, idx: np.ndarray) -> StationEnvelopes:
    arrays = {f: getattr(env, f)[idx] for f in (*ENVELOPE_FIELDS, "n_vehicles")}
    return replace(env, **arrays)


def representative_days(
    year: SyntheticYear,
    k: int,
    *,
    days_per_year: float,
    method: str = "medoid",
    seed: int = 0,
) -> RepresentativeDays:
    """Cluster the year into ``k`` representative days (module docstring).

    Args:
        year: the sampled days.
        k: number of representative days, 1..n.
        days_per_year: the weights sum to this (``params.economics.days_per_year``).
        method: ``"medoid"`` (the real day nearest each cluster centre) or ``"mean"``.
        seed: seed of the k-means starts.
    """
    if method not in ("medoid", "mean"):
        raise ValueError(f"method = {method!r}: allowed 'medoid', 'mean'")
    # Standardise the day features: z = (x - mean) / standard deviation, per feature
    feats = year.features().to_numpy()
    std = feats.std(axis=0)
    z = (feats - feats.mean(axis=0)) / np.where(std > 0, std, 1.0)
    # k-means: K clusters of days with the least squared distance to their centres
    labels, centres = kmeans(z, k, seed=seed)
    counts = np.bincount(labels, minlength=k)
    order = np.argsort([np.flatnonzero(labels == j)[0] for j in range(k)])  # by first day
    weights, days, pv, wind, load, envs = [], [], [], [], [], []
    for j in order:
        members = np.flatnonzero(labels == j)
        if method == "medoid":  # the real day nearest the cluster's centre
            d = int(members[np.argmin(((z[members] - centres[j]) ** 2).sum(axis=1))])
            days.append(d)
            pv.append(year.pv_factor[d])
            wind.append(year.wind_factor[d])
            load.append(year.load_factor[d])
            envs.append(year.envelopes.day(d).to_storage())
        else:
            days.append(-1)
            pv.append(year.pv_factor[members].mean())
            wind.append(year.wind_factor[members].mean())
            load.append(year.load_factor[members].mean())
            envs.append(_subset(year.envelopes, members).to_storage())
        # Weight: the days of the year that the cluster stands for
        weights.append(days_per_year * counts[j] / year.n_days)
    remap = np.empty(k, dtype=int)
    remap[order] = np.arange(k)
    return RepresentativeDays(
        weights=np.array(weights),
        pv_factor=np.array(pv),
        wind_factor=np.array(wind),
        load_factor=np.array(load),
        envelopes=tuple(envs),
        days=np.array(days),
        labels=remap[labels],
        name=f"{k} {method} day(s) of {year.n_days}",
    )


def expected_day(params: Params, inputs: PlanInputs | None = None) -> RepresentativeDays:
    """The paper's single planning day as K = 1 representative day (weight days_per_year):
    the profiles of ``data/profiles.csv`` and the day-ahead mean EV envelopes."""
    inputs = inputs or prepare_inputs(params)
    return RepresentativeDays(
        weights=np.array([params.economics.days_per_year]),
        pv_factor=np.ones(1),
        wind_factor=np.ones(1),
        load_factor=np.ones(1),
        envelopes=(tuple(inputs.envelopes),),
        days=np.array([-1]),
        labels=np.array([], dtype=int),
        name="expected day",
    )


# ----- inputs and plans ---------------------------------------------------------------------
def multiday_inputs(
    params: Params,
    days: RepresentativeDays,
    *,
    feeder: Feeder | None = None,
    profiles: Profiles | None = None,
) -> PlanInputs:
    """Plan inputs of K days back to back (24 K hours, ``day_weights`` = the days' weights).

    Day k's load, PV and wind curves are the planning day's (``profiles``, default
    ``load_profiles(params)``) times its factors, PV and wind capped at 1 p.u. (or at the
    planning day's own maximum if higher); the tariff is
    the same every day; station s of day k is ``days.envelopes[k][s]``.

    Raises:
        ValueError: weights that do not sum to ``economics.days_per_year``, profiles that are
            not one day of 24 hours, or days with different stations.
    """
    days_per_year = params.economics.days_per_year
    if not np.isclose(float(np.sum(days.weights)), days_per_year):
        raise ValueError(
            f"days.weights sum to {float(np.sum(days.weights)):g} days; they must sum to "
            f"economics.days_per_year = {days_per_year:g}"
        )
    feeder = feeder or load_feeder(params)
    base = profiles or load_profiles(params)
    if base.n_hours != 24:
        raise ValueError(f"profiles: expected one day of 24 hours, got {base.n_hours}")
    k = days.k
    # Day k's curves: the planning day's times the day's factors, DG capped at 1 p.u. (or at
    # the planning day's own maximum if that is higher: factor 1 is exact)
    pv_cap = max(1.0, float(base.pv_pu.max()))
    wind_cap = max(1.0, float(base.wind_pu.max()))
    pv = np.minimum(np.outer(days.pv_factor, base.pv_pu), pv_cap).ravel()
    wind = np.minimum(np.outer(days.wind_factor, base.wind_pu), wind_cap).ravel()
    profiles_k = Profiles(
        hour=np.arange(24 * k),
        load_pu=np.outer(days.load_factor, base.load_pu).ravel(),
        pv_pu=pv,
        wind_pu=wind,
        tariff_period=np.tile(base.tariff_period, k),
        tariff_rmb_per_kwh=np.tile(base.tariff_rmb_per_kwh, k),
    )
    # Stations: the K days' envelopes back to back, 24 K hours per station
    n_st = {len(d) for d in days.envelopes}
    if len(n_st) != 1:
        raise ValueError(f"every day needs the same stations; got {sorted(n_st)} per day")
    envelopes = tuple(
        replace(
            days.envelopes[0][s],
            **{
                f: np.concatenate([getattr(d[s], f) for d in days.envelopes]) for f in HOURLY_FIELDS
            },
            n_vehicles=float(np.mean([d[s].n_vehicles for d in days.envelopes])),
        )
        for s in range(n_st.pop())
    )
    # Weights: every hour of day k counts w_k times a year; storage is cyclic within each day
    checked = prepare_inputs(params, feeder=feeder, profiles=profiles_k, envelopes=envelopes)
    return PlanInputs(
        params=checked.params,
        feeder=checked.feeder,
        profiles=checked.profiles,
        envelopes=checked.envelopes,
        day_weights=tuple(float(w) for w in days.weights),
    )


def plan_multiday(
    plan: int,
    inputs: PlanInputs,
    *,
    fixed_sop_kva: dict[str, float] | None = None,
) -> PlanResult:
    """Solve a plan over the days of ``inputs`` (SOP capacity shared by all days), verified.

    With ``fixed_sop_kva`` the SOP capacities are given (kVA per site) and only the dispatch is
    optimised: the cost of those sizes on these days; the days are then independent problems,
    solved one at a time (:func:`plan_by_day`). Otherwise one SOCP of 24 K hours chooses the
    capacities (:func:`capacity_solve`) and the days are then dispatched one at a time with
    them (:func:`plan_by_day`): the same optimum, with each day's cone as tight as a single-day
    plan's. (In one SOCP a day that stands for one day a year prices its losses at 1/365 of the
    single-day plan's, and the solver stops before that day's cone is tight: relative gaps of
    4e-5 on such days at K = 52, above the 1e-5 of the checks, under every setting we tried.)
    ``result.checks`` as for :func:`~sopev_lib.studies.feeders.solve_once`. With free
    capacities ``result.solution.info`` is the K-day SOCP's (its size, times, iterations and
    status; ``objective`` the reported plan's cost) and ``checks["by_day_info"]`` the sums over
    the day solves. One day (K = 1), and Plan 3 (battery ratings shared by the days), are
    solved as one SOCP by ``solve_once``.
    """
    separable = plan_spec(plan).storage != "ess"
    if fixed_sop_kva is not None and separable:
        return plan_by_day(plan, inputs, fixed_sop_kva)
    if inputs.n_days == 1 or not separable:
        return solve_once(plan, inputs, fixed_sop_kva=fixed_sop_kva)
    sized = capacity_solve(plan, inputs)
    info = sized.solution.info
    if info.status != "optimal":
        return replace(sized, checks={"outcome": "failed", "status": info.status, "passed": False})
    result = plan_by_day(plan, inputs, sized.sop_capacity_kva)
    solution = replace(result.solution, info=replace(info, objective=result.objective))
    checks = {**result.checks, "by_day_info": result.solution.info.as_dict()}
    return replace(result, solution=solution, checks=checks)


def capacity_solve(plan: int, inputs: PlanInputs) -> PlanResult:
    """The K-day SOCP of ``plan`` solved for its SOP capacities (not verified: the dispatch is
    solved again day by day). Clarabel's default tolerances (1e-8, the last of
    ``RETRY_OPTIONS``) without iterative refinement first: they end "optimal" on the K-day
    models where 1e-10 stalls, with the same capacities as with refinement and 20-30 % faster
    (K = 4, 12, 52, measured); then the default settings and the retries until "optimal"."""
    rungs = attempt_ladder("exact")
    first = {**rungs[-1].options, "iterative_refinement_enable": False}
    model = build_model(plan, inputs)
    for options in (first, *(r.options for r in rungs)):
        solution = model.solve(ignore_dpp=True, retry=False, **options)
        if solution.info.status == "optimal":
            break
    return PlanResult(spec=plan_spec(plan), inputs=inputs, solution=solution)


#: Quantities of a device that are not hourly (sizes): the first day's is every day's.
_SIZES = ("capacity_kva", "energy_rating_kwh", "power_rating_kw")


def day_inputs(inputs: PlanInputs, day: int) -> PlanInputs:
    """Day ``day`` (0-based) of K-day inputs on its own: its hours, weighted ``days_per_year``."""
    if not 0 <= day < inputs.n_days:
        raise ValueError(f"day = {day}: allowed range [0, {inputs.n_days - 1}]")
    h = inputs.day_length
    hours = slice(day * h, (day + 1) * h)
    pr = inputs.profiles
    profiles = Profiles(
        hour=np.arange(h),
        load_pu=pr.load_pu[hours],
        pv_pu=pr.pv_pu[hours],
        wind_pu=pr.wind_pu[hours],
        tariff_period=pr.tariff_period[hours],
        tariff_rmb_per_kwh=pr.tariff_rmb_per_kwh[hours],
    )
    envelopes = tuple(
        replace(e, **{f: getattr(e, f)[hours] for f in HOURLY_FIELDS}) for e in inputs.envelopes
    )
    return prepare_inputs(
        inputs.params, feeder=inputs.feeder, profiles=profiles, envelopes=envelopes
    )


def plan_by_day(plan: int, inputs: PlanInputs, sop_kva: dict[str, float]) -> PlanResult:
    """The K days of ``inputs`` dispatched one at a time with the SOP capacities ``sop_kva``
    (kVA per site) fixed, joined into one K-day result.

    With the sizes fixed the K-day problem separates by day (storage is cyclic within a day),
    and scaling a day's costs by its weight does not move its optimum: each day is solved as a
    single-day plan (weight ``days_per_year``; one compiled model re-solved with each day's
    data) and the annual costs are summed with the weights ``day_weights / days_per_year``.
    The days are solved with ``SOLVER_OPTIONS``; the joined result is verified (the cone gap
    relative to the K-day plan's largest flow, as for one K-day SOCP), and the days whose
    status is not "optimal" or whose hours fail the cone gap are solved again with the next
    of the ``RETRY_OPTIONS``. ``result.checks`` as for
    :func:`~sopev_lib.studies.feeders.solve_once` (``attempts``: day solves in all). Plans with
    batteries to size (Plan 3) do not separate and are refused.
    """
    if plan_spec(plan).storage == "ess":
        raise ValueError(f"plan = {plan}: battery ratings are shared by the days; not separable")
    cache = ModelCache()
    days = [day_inputs(inputs, d) for d in range(inputs.n_days)]
    results: list[PlanResult | None] = [None] * inputs.n_days
    todo, attempts, start = list(range(inputs.n_days)), 0, time.perf_counter()
    error: InfeasiblePlanError | None = None
    for rung in attempt_ladder("exact"):
        for d in todo:
            attempts += 1
            try:
                results[d] = solve_plan(
                    plan,
                    days[d],
                    cache=cache,
                    fixed_sop_kva=sop_kva,
                    solver_options=rung.options,
                    retry=False,
                )
            except InfeasiblePlanError as exc:  # a solver failure is retried, not infeasibility
                if exc.status in (cp.INFEASIBLE, cp.INFEASIBLE_INACCURATE):
                    raise
                error = exc
        todo = [d for d, r in enumerate(results) if r is None]
        if todo:  # a day without a solution yet: the next rung for those days first
            continue
        joined = _join_days(plan, inputs, results)
        todo = _failed_days(joined, results)
        if not todo:
            break
    if todo and error is not None and any(r is None for r in results):
        raise error
    check = verify(joined, ac=False)
    checks = {
        **check.as_dict(),
        "outcome": "verified" if check.passed and not todo else "failed",
        "status": joined.solution.info.status,
        "attempts": attempts,
        "solve_s": time.perf_counter() - start,
        "lower_bound": joined.objective,
        "by_day": True,
    }
    return replace(joined, checks=checks)


def _failed_days(joined: PlanResult, days: Sequence[PlanResult]) -> list[int]:
    """Days whose solve is not "optimal" or whose hours fail the cone gap of the joined plan."""
    _, rel = relaxation_gap(joined)
    worst = np.abs(rel).reshape(rel.shape[0], len(days), -1).max(axis=(0, 2))
    return [
        d
        for d, r in enumerate(days)
        if r.solution.info.status != "optimal" or worst[d] > DEFAULT_GAP_TOL
    ]


def _join_days(plan: int, inputs: PlanInputs, days: Sequence[PlanResult]) -> PlanResult:
    """One K-day result from the results of its days: hourly arrays side by side, sizes from
    the first day, annual costs weighted by ``day_weights / days_per_year``."""
    weights = inputs.day_weights or (inputs.params.economics.days_per_year,)
    share = np.asarray(weights, dtype=float) / inputs.params.economics.days_per_year
    first = days[0].solution

    def join(key: str, arrays: list[np.ndarray]) -> np.ndarray:
        return arrays[0] if key in _SIZES else np.concatenate(arrays, axis=-1)

    devices = {
        name: {k: join(k, [d.solution.devices[name][k] for d in days]) for k in quantities}
        for name, quantities in first.devices.items()
    }
    network = {k: join(k, [d.solution.network[k] for d in days]) for k in first.network}
    sized = {"C_SI", "C_OMS"}  # the capacity costs, the same every day
    costs = {
        k: v if k in sized else float(share @ [d.solution.costs[k] for d in days])
        for k, v in first.costs.items()
    }
    stats = np.array([[getattr(d.solution.info, f) for f in _SUMMED] for d in days]).sum(axis=0)
    statuses = sorted({d.solution.info.status for d in days})
    info = SolveInfo(
        status=statuses[0] if len(statuses) == 1 else "mixed: " + ", ".join(statuses),
        objective=float(sum(costs.values())),
        **{f: type(getattr(first.info, f))(x) for f, x in zip(_SUMMED, stats, strict=True)},
    )
    solution = ModelSolution(
        plan=first.plan,
        devices=devices,
        network=network,
        costs=costs,
        info=info,
        loss_price_rmb_per_kwh=np.concatenate([d.solution.loss_price_rmb_per_kwh for d in days]),
    )
    return PlanResult(spec=plan_spec(plan), inputs=inputs, solution=solution)


#: Solver statistics of :class:`SolveInfo` that add up over the days of :func:`plan_by_day`.
_SUMMED = (
    "solve_time_s",
    "setup_time_s",
    "compile_time_s",
    "build_time_s",
    "wall_time_s",
    "iterations",
    "n_variables",
    "n_constraints",
)


@dataclass(frozen=True, eq=False)
class MultiDayStudy:
    """The value of planning under uncertainty for one set of K days.

    Attributes:
        plan: plan number (2 or 4: the SOP capacity is the only sizing decision).
        days: the K representative days.
        single: the single-day plan (expected day), sizes S_1.
        multi: the K-day plan, sizes S_K.
        single_on_days: the K days dispatched with S_1 fixed.
        seconds: wall times of the three solves (s), their checks and any retries included.
    """

    plan: int
    days: RepresentativeDays
    single: PlanResult
    multi: PlanResult
    single_on_days: PlanResult
    seconds: dict[str, float]

    @property
    def verified(self) -> bool:
        """All three solves ended optimal and verified (:func:`solve_once`'s ``outcome``)."""
        return all(is_verified(r) for r in self.solves().values())

    @property
    def value_of_planning(self) -> float:
        """Annual cost of S_1 on the K days minus that of the K-day plan (10^4 RMB/yr); NaN
        unless all three solves verified."""
        if not self.verified:
            return float("nan")
        return self.single_on_days.objective - self.multi.objective

    def solves(self) -> dict[str, PlanResult]:
        """The three solved plans: the single-day plan (S_1 on the expected day), the K-day
        plan (S_K) and the single-day sizes S_1 dispatched on the K days."""
        return {
            "single-day plan": self.single,
            "K-day plan": self.multi,
            "single-day sizes on the K days": self.single_on_days,
        }

    def summary(self) -> dict[str, float | int | str]:
        """Sizes (kVA), annual costs (10^4 RMB per year), solve times (s), the solver status
        of the two K-day solves and ``outcome`` ("verified", or "failed:" and the solves that
        did not verify, whose sizes and costs are NaN)."""
        ok = {n: r if is_verified(r) else None for n, r in self.solves().items()}
        single, multi, fixed = ok.values()
        failed = [n for n, r in ok.items() if r is None]
        nan = float("nan")
        info = self.multi.solution.info  # of the K-day SOCP (plan_multiday)
        return {
            "K": self.days.k,
            "hours": self.multi.n_hours,
            "outcome": "failed: " + ", ".join(failed) if failed else "verified",
            "sop_single_kva": sum(single.sop_capacity_kva.values()) if single else nan,
            "sop_multi_kva": sum(multi.sop_capacity_kva.values()) if multi else nan,
            "cost_single_expected": single.objective if single else nan,
            "cost_single_on_days": fixed.objective if fixed else nan,
            "cost_multi": multi.objective if multi else nan,
            "value_of_planning": self.value_of_planning,
            "value_pct": 100.0 * self.value_of_planning / multi.objective if multi else nan,
            "variables": info.n_variables,
            "build_s": info.build_time_s,
            "compile_s": info.compile_time_s,
            "solve_s": info.solve_time_s,
            "multi_wall_s": self.seconds["multi"],
            "iterations": info.iterations,
            "multi_status": info.status,
            "single_on_days_status": self.single_on_days.solution.info.status,
        }

    def costs(self) -> pd.DataFrame:
        """Cost terms (Table 5's columns) of the three solves, 10^4 RMB per year."""
        rows = {
            "single-day plan, expected day": cost_breakdown(self.single),
            "single-day sizes on the K days": cost_breakdown(self.single_on_days),
            "K-day plan": cost_breakdown(self.multi),
        }
        return pd.DataFrame.from_dict(rows, orient="index")


def value_of_planning(
    params: Params,
    days: RepresentativeDays,
    *,
    plan: int = 4,
    feeder: Feeder | None = None,
    single: PlanResult | None = None,
) -> MultiDayStudy:
    """Single-day plan, K-day plan, and the single-day sizes dispatched on the K days.

    Args:
        params: the study parameters.
        days: the K days (e.g. :func:`representative_days`).
        plan: 2 or 4 (plans whose only sizing decision is the SOP capacity).
        feeder: default ``load_feeder(params)``.
        single: a solved single-day plan to reuse (default: solved here on
            ``prepare_inputs(params)``); one not from :func:`solve_once` is verified here.

    Raises:
        ValueError: a plan other than 2 or 4.
    """
    spec = plan_spec(plan)
    if not spec.sop or spec.storage == "ess":
        raise ValueError(
            f"plan = {plan}: the value of planning compares SOP sizes; allowed plans 2, 4"
        )
    feeder = feeder or load_feeder(params)
    # The three solves: S_1 on the expected day, S_K on the K days, S_1 fixed on the K days
    seconds = {}
    if single is None:
        t0 = time.perf_counter()
        single = solve_once(plan, prepare_inputs(params, feeder=feeder))
        seconds["single"] = time.perf_counter() - t0
    elif "outcome" not in single.checks:  # solved elsewhere: verified here, not re-solved
        check = verify(single, ac=False)
        ok = single.solution.info.status == "optimal" and check.passed
        outcome = "verified" if ok else "failed"
        single = replace(single, checks={**check.as_dict(), "outcome": outcome})
    inputs = multiday_inputs(params, days, feeder=feeder)
    t0 = time.perf_counter()
    multi = plan_multiday(plan, inputs)
    seconds["multi"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    fixed = plan_multiday(plan, inputs, fixed_sop_kva=single.sop_capacity_kva)
    seconds["single_on_days"] = time.perf_counter() - t0
    # End of the three solves
    return MultiDayStudy(
        plan=plan, days=days, single=single, multi=multi, single_on_days=fixed, seconds=seconds
    )


def study_table(studies: Sequence[MultiDayStudy]) -> pd.DataFrame:
    """One row per study (:meth:`MultiDayStudy.summary`)."""
    return pd.DataFrame([s.summary() for s in studies])


def study_checks(studies: Sequence[MultiDayStudy], *, ac: bool = False) -> pd.DataFrame:
    """Solver status and checks (:func:`~sopev_lib.studies.feeders.check_solves`) of the two
    K-day solves of every study: one row per solve, with the study's ``K`` first.

    Args:
        ac: also run the AC power flow on every hour (24 K hours: about 15 s at K = 52 on
            the 33-bus feeder); by default the cone gap, SOP loss and storage checks only.
    """
    frames = []
    for study in studies:
        solves = study.solves()
        solves.pop("single-day plan")  # the same for every K: checked once by the caller
        table, _ = check_solves(solves, ac=ac)
        table.insert(0, "K", study.days.k)
        frames.append(table)
    return pd.concat(frames, ignore_index=True)
