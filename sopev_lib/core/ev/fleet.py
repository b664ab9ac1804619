"""The Monte Carlo EV fleet of Tables 1-3 (Section 5), the data Eqs. (2)-(3) record per vehicle.

The paper models every charging station as one generalised energy storage unit, Eq. (1), whose
hourly bounds Eqs. (4)-(6) are sums over the vehicles plugged in (following ref. [2]). This module
samples the vehicles; :mod:`sopev_lib.core.ev.envelopes` aggregates them into those bounds and
:mod:`sopev_lib.core.ev.forecast` makes the day-ahead forecast (Section 2.3) and the real-time
assessment (Section 2.4).

Time and discretisation (the paper gives none; these are this project's readings):

* The day is cyclic with ``T = 24`` hourly slots; slot ``t`` is the interval [t, t+1) h.
* Sampled clock times are wrapped into [0, 24) h (a type-I car drawn to arrive at 25.3 h
  arrives at 01:18). The arrival *slot* is the nearest full hour, ``round(T_arr) mod 24``, and
  so is the departure slot; a vehicle is plugged in (``X_{n,t} = 1`` of Eq. 4) in the slots
  ``[a, d)`` taken cyclically, i.e. it arrives at the start of slot ``a`` and leaves at the
  start of slot ``d``. Its stay is ``L = (d - a) mod 24`` hours.
* A stay of zero slots (arrival and departure round to the same hour) is lengthened to the
  1 h minimum (``d = a + 1``). Departure and arrival are drawn independently, so the cyclic
  difference can be long (a commuter drawn to arrive at 10:00 and to leave at 08:00 stays 22 h,
  read as "leaves the next morning"); no draw is rejected. Stays therefore lie in 1..23 h.
* Energies are battery-side kWh, powers grid-side kW: a car charging at ``p`` kW for one hour
  stores ``eta_ch * p`` kWh; discharging at ``p`` kW takes ``p / eta_dis`` kWh from it.
* Departure energy ``s_lea = s_arr + min(max(target - s_arr, 0), eta_ch * P_rated * L)`` with
  ``target = departure_soc_target * battery_kwh``: the target, capped by what the stay can
  deliver at rated power (a car already above the target leaves with what it brought).
* Uncontrolled charging: every car charges at rated power from its arrival slot until it holds
  ``s_lea`` (the last hour partially), then idles.

All functions are vectorised over vehicles (loops run over at most 24 hours, 4 stations or
3 types) and over days: ``n_days`` independent days are drawn in one call.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from sopev_lib.system.params import EVParams, Params, revalidate

__all__ = [
    "T_HOURS",
    "Fleet",
    "count_ranges",
    "fleet_summary",
    "sample_fleet",
    "type_sigmas",
    "validate_ev_params",
]

T_HOURS = 24
"""Slots of the cyclic planning day (hourly resolution, as in the paper)."""


# --------------------------------------------------------------------------------------------
# validation
# --------------------------------------------------------------------------------------------


def ev_params_of(params: Params | EVParams) -> EVParams:
    if isinstance(params, Params):
        return params.ev
    if isinstance(params, EVParams):
        return params
    raise ValueError(f"params: expected Params or EVParams, got {type(params).__name__}")


def validate_ev_params(ev: EVParams) -> None:
    """Re-check the EV parameters this module relies on.

    :func:`sopev_lib.system.params.load_params` already validates them; this guards against objects
    changed with ``model_copy(update=...)``, which skips that check, by re-running the same checks
    (:func:`sopev_lib.system.params.revalidate`).

    Raises:
        ValueError: naming the field, its value and the allowed range.
    """
    revalidate(ev, "ev")


def check_positive_int(name: str, value: Any, lo: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < lo:
        raise ValueError(f"{name} = {value!r}: expected a whole number >= {lo}")
    return int(value)


def check_scale(count_scale: Any) -> float:
    if (
        isinstance(count_scale, bool)
        or not isinstance(count_scale, int | float | np.floating | np.integer)
        or not math.isfinite(count_scale)
        or count_scale < 0
    ):
        raise ValueError(f"count_scale = {count_scale!r} is outside the allowed range [0, inf)")
    return float(count_scale)


# --------------------------------------------------------------------------------------------
# fleet sampling (Tables 1-3)
# --------------------------------------------------------------------------------------------


def type_sigmas(ev: EVParams) -> tuple[np.ndarray, np.ndarray]:
    """Standard deviations (h) of arrival and departure time per type, shape (n_types,).

    Table 2 writes N(mu, sigma^2), which makes its second number a variance, while its note calls
    it a standard deviation. ``ev.spread_reading = "variance"`` takes ``sigma = sqrt(spread)``,
    ``"std"`` takes ``sigma = spread``.
    """
    arr = np.array([t.arrival_spread for t in ev.types], dtype=float)
    dep = np.array([t.departure_spread for t in ev.types], dtype=float)
    if ev.spread_reading == "variance":
        return np.sqrt(arr), np.sqrt(dep)
    return arr, dep


def count_ranges(ev: EVParams, count_scale: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Inclusive [low, high] of the integer uniform M(a, b) of Table 3, scaled.

    Returns two int arrays of shape (n_stations, n_types): ``round(a * count_scale)`` and
    ``round(b * count_scale)`` (halves rounded up).
    """
    scale = check_scale(count_scale)
    rng = np.array(ev.station_counts, dtype=float).reshape(len(ev.station_counts), len(ev.types), 2)
    lo = np.floor(rng[..., 0] * scale + 0.5).astype(np.int64)
    hi = np.floor(rng[..., 1] * scale + 0.5).astype(np.int64)
    return lo, hi


@dataclass(frozen=True, eq=False)
class Fleet:
    """Struct-of-arrays Monte Carlo fleet: one entry per vehicle and day (Eq. 3).

    Vehicles are ordered by (day, station, type). Every vehicle has the same battery and charger
    (Table 1), so the per-vehicle limits of Eq. (3) are the scalars below.

    Attributes:
        day, station, vtype: int arrays (N,): day index, 0-based station, 0-based type.
        arrival_h, departure_h: sampled clock times wrapped into [0, 24) h.
        arrival_slot, departure_slot: int slots (see the module docstring); the vehicle is
            plugged in during ``[arrival_slot, departure_slot)`` cyclically.
        stay_h: plugged-in slots L in 1..23 (h).
        s_arr_kwh: battery energy on arrival (kWh), ``s_{n,arr}`` of Eq. (3).
        s_lea_kwh: battery energy required on departure (kWh), ``s_{n,lea}`` of Eq. (3).
        zero_stay: True where a zero-slot stay was lengthened to 1 h.
        target_capped: True where the stay is too short to reach the departure SOC target.
        counts: vehicles per (day, station, type), shape (n_days, n_stations, n_types).
        battery_kwh, rated_power_kw, s_min_kwh, s_max_kwh, eta_ch, eta_dis: Table 1 scalars
            (``s_min_kwh = soc_min * battery_kwh``, ``s_max_kwh = soc_max * battery_kwh``).
        power_limit_kw: station power cap of Table 1 (kW).
        station_buses: bus of each station (1-based).
        type_names: names of the vehicle types.
    """

    # Eq. (3): the record E_Vn of each vehicle n, one entry per vehicle in each array
    day: np.ndarray
    station: np.ndarray
    vtype: np.ndarray
    arrival_h: np.ndarray
    departure_h: np.ndarray
    arrival_slot: np.ndarray
    departure_slot: np.ndarray
    stay_h: np.ndarray
    s_arr_kwh: np.ndarray
    s_lea_kwh: np.ndarray
    zero_stay: np.ndarray
    target_capped: np.ndarray
    # Table 3: vehicles per day, station and type. Table 1: the same limits for every vehicle,
    # s^min_n = s_min_kwh, s^max_n = s_max_kwh and p^ch_n,max = p^dis_n,max = rated_power_kw
    counts: np.ndarray
    battery_kwh: float
    rated_power_kw: float
    s_min_kwh: float
    s_max_kwh: float
    eta_ch: float
    eta_dis: float
    power_limit_kw: float
    station_buses: tuple[int, ...]
    type_names: tuple[str, ...]

    @property
    def n_vehicles(self) -> int:
        return int(self.day.shape[0])

    @property
    def n_days(self) -> int:
        return int(self.counts.shape[0])

    @property
    def n_stations(self) -> int:
        return int(self.counts.shape[1])

    @property
    def n_types(self) -> int:
        return int(self.counts.shape[2])

    @property
    def energy_need_kwh(self) -> np.ndarray:
        """Battery-side energy each vehicle must receive, ``s_lea - s_arr`` (kWh)."""
        return self.s_lea_kwh - self.s_arr_kwh

    _PER_VEHICLE = (
        "day",
        "station",
        "vtype",
        "arrival_h",
        "departure_h",
        "arrival_slot",
        "departure_slot",
        "stay_h",
        "s_arr_kwh",
        "s_lea_kwh",
        "zero_stay",
        "target_capped",
    )

    def select(self, *, day: int | None = None, station: int | None = None) -> Fleet:
        """The vehicles of one day and/or one station (``counts`` sliced to match).

        The day and station indices of the result are renumbered from 0.
        """
        mask = np.ones(self.n_vehicles, dtype=bool)
        counts = self.counts
        buses = self.station_buses
        if day is not None:
            day = check_index("day", day, self.n_days)
            mask &= self.day == day
            counts = counts[day : day + 1]
        if station is not None:
            station = check_index("station", station, self.n_stations)
            mask &= self.station == station
            counts = counts[:, station : station + 1]
            buses = (buses[station],)
        arrays = {name: getattr(self, name)[mask] for name in self._PER_VEHICLE}
        if day is not None:
            arrays["day"] = np.zeros_like(arrays["day"])
        if station is not None:
            arrays["station"] = np.zeros_like(arrays["station"])
        return replace(self, counts=counts, station_buses=buses, **arrays)


def check_index(name: str, value: Any, n: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or not 0 <= value < n:
        raise ValueError(f"{name} = {value!r} is outside the allowed range [0, {n - 1}]")
    return int(value)


def _wrap_to_slot(t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Clock time wrapped into [0, 24) h and its nearest-hour slot (0..23, int16)."""
    t = t - T_HOURS * np.floor(t * (1.0 / T_HOURS))
    t[t >= T_HOURS] = 0.0  # -1e-17 wraps to 24.0 in floating point
    slot = (t + 0.5).astype(np.int16)  # t >= 0: truncation is the floor
    slot -= T_HOURS * (slot >= T_HOURS)
    return t, slot


def sample_fleet(
    params: Params | EVParams,
    n_days: int = 1,
    *,
    seed: int | None = None,
    count_scale: float = 1.0,
) -> Fleet:
    """Draw ``n_days`` independent days of the fleet of Tables 1-3 in one vectorised call.

    Per day, station and type the number of vehicles is the integer uniform M(a, b) of Table 3
    (inclusive, :func:`count_ranges`); per vehicle the arrival and departure times are normal
    (Table 2, see :func:`type_sigmas` for the spread reading), the arrival SOC uniform. Times are
    discretised as in the module docstring.

    Args:
        params: the study parameters (or their ``ev`` section).
        n_days: number of independent days.
        seed: seed of :func:`numpy.random.default_rng`; default ``params.ev.seed``. The same seed
            gives the same fleet bit for bit.
        count_scale: multiplies both bounds of every M(a, b) (rounded to whole vehicles).

    Raises:
        ValueError: bad parameters, ``n_days < 1`` or ``count_scale < 0``.
    """
    ev = ev_params_of(params)
    validate_ev_params(ev)
    n_days = check_positive_int("n_days", n_days)
    seed = ev.seed if seed is None else check_positive_int("seed", seed, lo=0)
    lo, hi = count_ranges(ev, count_scale)
    rng = np.random.default_rng(seed)
    # the draws in this order (counts, normal times, uniform SOC): the same seed, the same fleet
    counts = rng.integers(lo, hi + 1, size=(n_days, *lo.shape))
    day, station, vtype = _vehicle_index(counts)
    z = rng.standard_normal((2, day.shape[0]))
    u = rng.random(day.shape[0])
    vt = vtype.astype(np.intp)
    arr_h, a_slot, dep_h, d_slot, stay, zero_stay = _plug_times(ev, vt, z)
    s_arr, need, capped = _energies(ev, vt, u, stay)
    battery = float(ev.battery_kwh)
    return Fleet(
        day=day,
        station=station,
        vtype=vtype,
        arrival_h=arr_h,
        departure_h=dep_h,
        arrival_slot=a_slot,
        departure_slot=d_slot,
        stay_h=stay,
        s_arr_kwh=s_arr,
        s_lea_kwh=s_arr + need,
        zero_stay=zero_stay,
        target_capped=capped,
        counts=counts,
        battery_kwh=battery,
        rated_power_kw=float(ev.rated_power_kw),
        s_min_kwh=float(ev.soc_min * battery),
        s_max_kwh=float(ev.soc_max * battery),
        eta_ch=float(ev.eta_ch),
        eta_dis=float(ev.eta_dis),
        power_limit_kw=float(ev.station_power_limit_kw),
        station_buses=tuple(int(b) for b in ev.station_buses),
        type_names=tuple(t.name for t in ev.types),
    )


def _vehicle_index(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Day, station and type of every vehicle, ordered by (day, station, type), from the
    vehicle counts of shape (n_days, n_stations, n_types)."""
    _, n_st, n_ty = counts.shape
    group = np.repeat(np.arange(counts.size), counts.ravel())
    day = (group // (n_st * n_ty)).astype(np.int32)
    station = ((group // n_ty) % n_st).astype(np.int16)
    vtype = (group % n_ty).astype(np.int8)
    return day, station, vtype


def _plug_times(ev: EVParams, vt: np.ndarray, z: np.ndarray) -> tuple[np.ndarray, ...]:
    """Arrival and departure clock times (h) and slots of Table 2 from the standard normal
    draws ``z`` (2, N), the stay in slots (1..23) and where a zero-slot stay was lengthened.

    Returns ``(arrival_h, arrival_slot, departure_h, departure_slot, stay_h, zero_stay)``.
    """
    sig_a, sig_d = type_sigmas(ev)
    mu_a = np.array([t.arrival_mean_h for t in ev.types])
    mu_d = np.array([t.departure_mean_h for t in ev.types])
    arr_h, a_slot = _wrap_to_slot(mu_a[vt] + sig_a[vt] * z[0])
    dep_h, d_slot = _wrap_to_slot(mu_d[vt] + sig_d[vt] * z[1])
    stay = d_slot - a_slot
    stay += T_HOURS * (stay < 0)
    zero_stay = stay == 0
    stay += zero_stay  # the 1 h minimum stay
    d_slot = a_slot + stay
    d_slot -= T_HOURS * (d_slot >= T_HOURS)
    return arr_h, a_slot, dep_h, d_slot, stay, zero_stay


def _energies(
    ev: EVParams, vt: np.ndarray, u: np.ndarray, stay: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Arrival energy (kWh) from the uniform draws ``u`` (Table 2's SOC range), the energy the
    stay can add towards the departure target (kWh, Eq. 3) and where the stay is too short."""
    soc_lo = np.array([t.arrival_soc_low for t in ev.types])
    soc_hi = np.array([t.arrival_soc_high for t in ev.types])
    battery = float(ev.battery_kwh)
    s_arr = (soc_lo[vt] + (soc_hi[vt] - soc_lo[vt]) * u) * battery
    wanted = np.maximum(ev.departure_soc_target * battery - s_arr, 0.0)
    deliverable = ev.eta_ch * ev.rated_power_kw * stay
    return s_arr, np.minimum(wanted, deliverable), wanted > deliverable


def fleet_summary(fleet: Fleet) -> dict[str, float]:
    """Headline numbers of a fleet: vehicles per day, energy per day (kWh), shares (0..1)."""
    n_days = fleet.n_days
    return {
        "vehicles_per_day": fleet.n_vehicles / n_days,
        "energy_kwh_per_day": float(fleet.energy_need_kwh.sum()) / n_days,
        "grid_energy_kwh_per_day": float(fleet.energy_need_kwh.sum()) / fleet.eta_ch / n_days,
        "share_zero_stay": float(fleet.zero_stay.mean()) if fleet.n_vehicles else 0.0,
        "share_target_capped": float(fleet.target_capped.mean()) if fleet.n_vehicles else 0.0,
        "mean_stay_h": float(fleet.stay_h.mean()) if fleet.n_vehicles else 0.0,
    }
