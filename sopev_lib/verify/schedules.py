"""Can the vehicles behind Plan 4's stations follow the schedules Plan 4 gives them?

Plan 4 treats each charging station as one generalised storage unit, Eqs. (1), (4)-(6). That
model is an *outer* approximation of the fleet behind it (``sopev_lib.verify.disaggregate``): a
schedule feasible for the aggregate can still ask for energy that sits in a car which has left,
or leave cars short of their departure energy. :func:`check_plan4_schedules` takes Plan 4's
station schedules and asks the per-vehicle linear program of
:func:`~sopev_lib.verify.disaggregate.disaggregate` to realise them on sampled days of the fleet
behind the planning envelopes, in two modes (:data:`MODES`):

- ``planning``: Plan 4's own schedule (planned on the mean envelope of many days) on one sampled
  day: what operating the plan's schedule would meet. The mismatch mixes the day's difference
  from the mean with the aggregation error.
- ``own_day``: Plan 4 re-dispatched on that day's own envelope (SOP capacities fixed at Plan 4's)
  and that schedule disaggregated on the same day: the aggregation error alone.

The LP follows the schedule first (``priority="schedule"``): ``mismatch`` is the part of the
schedule no set of individual schedules can follow, ``shortfall`` the departure energy the
vehicles then miss. :func:`saving_at_risk` turns both into annual money, to set beside Plan 4's
saving. Each LP takes 0.5-5 s of CPU (a station of 400-700 vehicles); the modes of one station
and day share one LP model, warm-started from mode to mode. Keep ``days`` small.

Energies in kWh (shortfall battery side, schedules and mismatch grid side), money in
10^4 RMB per year.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sopev_lib.core.economics import cost_breakdown
from sopev_lib.core.ev.envelopes import StationEnvelopes, station_envelopes
from sopev_lib.core.ev.fleet import Fleet, sample_fleet
from sopev_lib.core.inputs import prepare_inputs
from sopev_lib.core.model import InfeasiblePlanError
from sopev_lib.core.model.costs import RMB_PER_UNIT
from sopev_lib.core.plans import ModelCache, solve_plan
from sopev_lib.core.results import PlanResult
from sopev_lib.verify.disaggregate import Disaggregation, disaggregate_many

__all__ = [
    "MODES",
    "StationCheck",
    "check_plan4_schedules",
    "saving_at_risk",
    "schedule_check_table",
]

#: Which schedule is disaggregated (see the module docstring).
MODES = ("planning", "own_day")


@dataclass(frozen=True, eq=False)
class StationCheck:
    """One station on one sampled day.

    Attributes:
        mode: one of :data:`MODES`; day: index of the sampled day; station: 0-based.
        name, bus: the station's name (``"station k"``) and bus.
        n_vehicles: vehicles of that day at the station.
        need_kwh: departure energy the vehicles need, ``sum(s_lea - s_arr)`` (battery side).
        charged_kwh, discharged_kwh: the schedule's charging and discharging energy (grid side).
        plan_cost: annual cost of the schedule's plan (10^4 RMB/yr): Plan 4's for ``planning``,
            the re-dispatch's for ``own_day``.
        result: the :class:`~sopev_lib.verify.disaggregate.Disaggregation`.
        seconds: wall time of the LP (s).
    """

    mode: str
    day: int
    station: int
    name: str
    bus: int
    n_vehicles: int
    need_kwh: float
    charged_kwh: float
    discharged_kwh: float
    plan_cost: float
    result: Disaggregation
    seconds: float

    @property
    def mismatch_kwh(self) -> float:
        return self.result.mismatch_kwh

    @property
    def shortfall_kwh(self) -> float:
        return self.result.total_shortfall_kwh


def _check_days(days: Sequence[int], n_days: int) -> list[int]:
    out = [int(d) for d in days]
    if not out:
        raise ValueError("days: give at least one sampled day")
    bad = [d for d in out if not 0 <= d < n_days]
    if bad:
        raise ValueError(
            f"days = {bad} are outside the allowed range [0, {n_days - 1}] "
            f"(the fleet behind the envelopes has {n_days} days)"
        )
    return out


def check_plan4_schedules(
    result: PlanResult,
    days: Sequence[int] = (0,),
    *,
    stations: Sequence[int] | None = None,
    modes: Sequence[str] = MODES,
    fleet: Fleet | None = None,
    cache: ModelCache | None = None,
) -> list[StationCheck]:
    """Disaggregate Plan 4's station schedules on sampled days (see the module docstring).

    Args:
        result: a solved plan with EV stations as storage (Plan 4).
        days: indices of sampled days of ``fleet``.
        stations: 0-based stations to check (default all).
        modes: subset of :data:`MODES`.
        fleet: default: the fleet behind the planning envelopes,
            ``sample_fleet(params, params.ev.forecast_days, seed=params.ev.seed)``.
        cache: compiled models for the ``own_day`` re-dispatch. A day whose re-dispatch has no
            solution is skipped with a ``RuntimeWarning`` (its ``planning`` check stays).

    Raises:
        ValueError: a plan without stations, an unknown mode, a day or station out of range.
    """
    fleet, days, stations = _check_request(result, days, stations, modes, fleet)
    cache = cache if cache is not None else ModelCache()
    env_days = station_envelopes(fleet) if "own_day" in modes else None
    plan = (result.device("stations")["p_net_kw"], float(cost_breakdown(result)["total"]))
    out: list[StationCheck] = []
    for d in days:
        schedules: dict[str, tuple[np.ndarray, float]] = {}
        if "planning" in modes:
            schedules["planning"] = plan
        if env_days is not None:
            own = _own_day_schedule(result, env_days, d, cache)
            if own is not None:
                schedules["own_day"] = own
        done = {s: _station_checks(result, fleet, d, s, schedules) for s in stations}
        out += [done[s][mode] for mode in MODES if mode in schedules for s in stations]
    return out


def _check_request(
    result: PlanResult,
    days: Sequence[int],
    stations: Sequence[int] | None,
    modes: Sequence[str],
    fleet: Fleet | None,
) -> tuple[Fleet, list[int], list[int]]:
    """The fleet (default: the one behind the planning envelopes), days and stations of
    :func:`check_plan4_schedules`, checked against the plan."""
    if not result.device("stations"):
        raise ValueError(f"{result.name} has no EV stations as storage; give Plan 4's result")
    unknown = [m for m in modes if m not in MODES]
    if unknown:
        raise ValueError(f"modes = {unknown}: allowed values are {list(MODES)}")
    params, inputs = result.inputs.params, result.inputs
    if inputs.n_days != 1:
        raise ValueError(
            f"{result.name}: only single-day plans can be checked "
            f"(this one has {inputs.n_days} days)"
        )
    fleet = (
        fleet
        if fleet is not None
        else sample_fleet(params, params.ev.forecast_days, seed=params.ev.seed)
    )
    n_st = len(inputs.envelopes)
    if fleet.n_stations != n_st:
        raise ValueError(f"fleet has {fleet.n_stations} stations, the plan {n_st}")
    days = _check_days(days, fleet.n_days)
    stations = list(range(n_st)) if stations is None else [int(s) for s in stations]
    bad = [s for s in stations if not 0 <= s < n_st]
    if bad:
        raise ValueError(f"stations = {bad} are outside the allowed range [0, {n_st - 1}]")
    return fleet, days, stations


def _own_day_schedule(
    result: PlanResult, env_days: StationEnvelopes, day: int, cache: ModelCache
) -> tuple[np.ndarray, float] | None:
    """The plan re-dispatched on the envelopes of sampled day ``day`` (SOP sizes fixed): its
    station schedules (kW) and total cost; ``None`` (with a ``RuntimeWarning``) if that day
    has no solution."""
    inputs = result.inputs
    day_inputs = prepare_inputs(
        inputs.params,
        feeder=inputs.feeder,
        profiles=inputs.profiles,
        envelopes=env_days.to_storage(day=day),
    )
    try:
        own = solve_plan(
            result.spec, day_inputs, cache=cache, fixed_sop_kva=result.sop_capacity_kva
        )
    except InfeasiblePlanError as exc:  # recorded, not fatal: the other checks stand
        warnings.warn(
            f"own_day re-dispatch of day {day} has no solution, skipped: {exc}",
            RuntimeWarning,
            stacklevel=3,
        )
        return None
    return own.device("stations")["p_net_kw"], float(cost_breakdown(own)["total"])


def _station_checks(
    result: PlanResult,
    fleet: Fleet,
    day: int,
    station: int,
    schedules: dict[str, tuple[np.ndarray, float]],
) -> dict[str, StationCheck]:
    """Disaggregate station ``station``'s schedule of every mode (rows of each mode's p_net,
    kW, and the plan's cost) on ``day``: one LP model, warm-started from mode to mode
    (:func:`~sopev_lib.verify.disaggregate.disaggregate_many`)."""
    env = result.inputs.envelopes[station]
    sub = fleet.select(day=day, station=station)
    rows = [p_net[station] for p_net, _ in schedules.values()]
    solved = disaggregate_many(fleet, rows, day=day, station=station)
    return {
        mode: StationCheck(
            mode=mode,
            day=day,
            station=station,
            name=env.name,
            bus=env.bus,
            n_vehicles=sub.n_vehicles,
            need_kwh=float(sub.energy_need_kwh.sum()),
            charged_kwh=float(np.maximum(row, 0.0).sum()),
            discharged_kwh=float(np.maximum(-row, 0.0).sum()),
            plan_cost=cost,
            result=res,
            seconds=res.seconds,
        )
        for (mode, (_, cost)), row, res in zip(schedules.items(), rows, solved, strict=True)
    }


def schedule_check_table(checks: Sequence[StationCheck]) -> pd.DataFrame:
    """One row per mode, day and station: vehicles, energy needed, the schedule's charging and
    discharging energy, the mismatch (kWh and % of the scheduled throughput), the departure
    energy missed (kWh and % of the need), the vehicles left short (indicative, see
    :attr:`~sopev_lib.verify.disaggregate.Disaggregation.n_missed`) and the LP time."""
    rows = []
    for c in checks:
        throughput = c.charged_kwh + c.discharged_kwh
        rows.append(
            {
                "mode": c.mode,
                "day": c.day,
                "station": c.name,
                "bus": c.bus,
                "vehicles": c.n_vehicles,
                "need (kWh)": c.need_kwh,
                "charged (kWh)": c.charged_kwh,
                "discharged (kWh)": c.discharged_kwh,
                "mismatch (kWh)": c.mismatch_kwh,
                "mismatch (%)": 100.0 * c.mismatch_kwh / throughput if throughput > 0 else 0.0,
                "missed (kWh)": c.shortfall_kwh,
                "missed (%)": 100.0 * c.shortfall_kwh / c.need_kwh if c.need_kwh > 0 else 0.0,
                "vehicles short": c.result.n_missed,
                "LP (s)": c.seconds,
            }
        )
    return pd.DataFrame(rows)


def saving_at_risk(
    checks: Sequence[StationCheck],
    tariff_rmb_per_kwh: np.ndarray,
    *,
    eta_ch: float,
    days_per_year: float,
) -> pd.DataFrame:
    """What the disaggregation costs a year, per mode (first-order, dispatch not re-optimised).

    Per mode, the daily sums over the checked stations are averaged over the checked days and
    repeated ``days_per_year`` times:

    - ``missed (kWh/day)``: departure energy missed (battery side); delivering it takes
      ``missed / eta_ch`` kWh from the grid, priced at the day's lowest and highest tariff:
      ``cost of missed energy, low / high`` (10^4 RMB/yr);
    - ``mismatch (kWh/day)`` and its value at the hour's tariff, ``sum_t c_t |mismatch_t|``:
      the largest change of the purchase bill the unfollowable part of the schedule can make.

    Raises:
        ValueError: a tariff that is not one finite, non-negative price per hour, or a bad
            ``eta_ch``.
    """
    tariff = np.asarray(tariff_rmb_per_kwh, dtype=float)
    if tariff.ndim != 1 or not np.all(np.isfinite(tariff)) or np.any(tariff < 0):
        raise ValueError("tariff_rmb_per_kwh: expected one finite price >= 0 per hour")
    if not 0.0 < eta_ch <= 1.0:
        raise ValueError(f"eta_ch = {eta_ch!r} is outside the allowed range (0, 1]")
    rows = []
    for mode in MODES:
        cs = [c for c in checks if c.mode == mode]
        if not cs:
            continue
        days = sorted({c.day for c in cs})
        missed = np.mean([sum(c.shortfall_kwh for c in cs if c.day == d) for d in days])
        mism = np.mean([sum(c.mismatch_kwh for c in cs if c.day == d) for d in days])
        mism_value = np.mean(
            [
                sum(float(np.sum(tariff * np.abs(c.result.mismatch_kw))) for c in cs if c.day == d)
                for d in days
            ]
        )
        scale = days_per_year / RMB_PER_UNIT
        rows.append(
            {
                "mode": mode,
                "days": len(days),
                "stations": len({c.station for c in cs}),
                "missed (kWh/day)": float(missed),
                "cost of missed energy, low": float(missed / eta_ch * tariff.min() * scale),
                "cost of missed energy, high": float(missed / eta_ch * tariff.max() * scale),
                "mismatch (kWh/day)": float(mism),
                "mismatch at the tariff": float(mism_value * scale),
            }
        )
    return pd.DataFrame(rows)
