"""Monte Carlo EV fleet and the generalised storage of its charging stations (Section 2).

The paper models every charging station as one generalised energy storage unit, Eq. (1), whose
hourly bounds Eqs. (4)-(6) are sums over the vehicles plugged in (following ref. [2]). This module
samples the fleet of Tables 1-3, aggregates it into those bounds, computes the uncontrolled
charging load that Plans 1-3 see, the day-ahead forecast (Section 2.3) and the real-time
assessment (Section 2.4). :func:`planning_envelopes` is what the planning model consumes.

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

from sopev_lib.params import EVParams, Params, revalidate
from sopev_lib.storage import HOURLY_FIELDS, StorageEnvelope

__all__ = [
    "ENVELOPE_FIELDS",
    "T_HOURS",
    "DayAheadForecast",
    "FeasibilityReport",
    "Fleet",
    "RealTimeAssessment",
    "StationEnvelopes",
    "aggregate_feasibility",
    "arrival_kernels",
    "count_ranges",
    "day_ahead_forecast",
    "envelope_feasibility",
    "fleet_summary",
    "mean_arrival_kernels",
    "planning_envelopes",
    "realtime_assessment",
    "sample_fleet",
    "station_envelopes",
    "type_sigmas",
    "validate_ev_params",
]

T_HOURS = 24
"""Slots of the cyclic planning day (hourly resolution, as in the paper)."""

ENVELOPE_FIELDS = (*HOURLY_FIELDS, "uncontrolled_s_kwh", "n_present")
"""Hourly arrays of a :class:`StationEnvelopes`, each of shape (n_days, n_stations, T)."""


# --------------------------------------------------------------------------------------------
# validation
# --------------------------------------------------------------------------------------------


def _ev_of(params: Params | EVParams) -> EVParams:
    if isinstance(params, Params):
        return params.ev
    if isinstance(params, EVParams):
        return params
    raise ValueError(f"params: expected Params or EVParams, got {type(params).__name__}")


def validate_ev_params(ev: EVParams) -> None:
    """Re-check the EV parameters this module relies on.

    :func:`sopev_lib.params.load_params` already validates them; this guards against objects
    built by hand or with :func:`dataclasses.replace`, which skip that check, by re-running the
    same checks (:func:`sopev_lib.params.revalidate`).

    Raises:
        ValueError: naming the field, its value and the allowed range.
    """
    revalidate(ev, "ev")


def _check_positive_int(name: str, value: Any, lo: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < lo:
        raise ValueError(f"{name} = {value!r}: expected a whole number >= {lo}")
    return int(value)


def _check_scale(count_scale: Any) -> float:
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
    scale = _check_scale(count_scale)
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
            day = _check_index("day", day, self.n_days)
            mask &= self.day == day
            counts = counts[day : day + 1]
        if station is not None:
            station = _check_index("station", station, self.n_stations)
            mask &= self.station == station
            counts = counts[:, station : station + 1]
            buses = (buses[station],)
        arrays = {name: getattr(self, name)[mask] for name in self._PER_VEHICLE}
        if day is not None:
            arrays["day"] = np.zeros_like(arrays["day"])
        if station is not None:
            arrays["station"] = np.zeros_like(arrays["station"])
        return replace(self, counts=counts, station_buses=buses, **arrays)


def _check_index(name: str, value: Any, n: int) -> int:
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
    ev = _ev_of(params)
    validate_ev_params(ev)
    n_days = _check_positive_int("n_days", n_days)
    seed = ev.seed if seed is None else _check_positive_int("seed", seed, lo=0)
    lo, hi = count_ranges(ev, count_scale)
    n_st, n_ty = lo.shape
    rng = np.random.default_rng(seed)

    counts = rng.integers(lo, hi + 1, size=(n_days, n_st, n_ty))
    group = np.repeat(np.arange(n_days * n_st * n_ty), counts.ravel())
    n = group.shape[0]
    day = (group // (n_st * n_ty)).astype(np.int32)
    station = ((group // n_ty) % n_st).astype(np.int16)
    vtype = (group % n_ty).astype(np.int8)

    sig_a, sig_d = type_sigmas(ev)
    mu_a = np.array([t.arrival_mean_h for t in ev.types])
    mu_d = np.array([t.departure_mean_h for t in ev.types])
    soc_lo = np.array([t.arrival_soc_low for t in ev.types])
    soc_hi = np.array([t.arrival_soc_high for t in ev.types])
    z = rng.standard_normal((2, n))
    u = rng.random(n)

    vt = vtype.astype(np.intp)
    arr_h, a_slot = _wrap_to_slot(mu_a[vt] + sig_a[vt] * z[0])
    dep_h, d_slot = _wrap_to_slot(mu_d[vt] + sig_d[vt] * z[1])
    stay = d_slot - a_slot
    stay += T_HOURS * (stay < 0)
    zero_stay = stay == 0
    stay += zero_stay  # the 1 h minimum stay
    d_slot = a_slot + stay
    d_slot -= T_HOURS * (d_slot >= T_HOURS)

    battery = float(ev.battery_kwh)
    s_arr = (soc_lo[vt] + (soc_hi[vt] - soc_lo[vt]) * u) * battery
    wanted = np.maximum(ev.departure_soc_target * battery - s_arr, 0.0)
    deliverable = ev.eta_ch * ev.rated_power_kw * stay
    need = np.minimum(wanted, deliverable)

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
        target_capped=wanted > deliverable,
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


# --------------------------------------------------------------------------------------------
# aggregation into generalised storage (Eqs. 4-6) and uncontrolled charging
# --------------------------------------------------------------------------------------------


def _doubled_timeline(fleet: Fleet, group: np.ndarray, n_groups: int) -> dict[str, np.ndarray]:
    """Per group, the vehicle sums on a 48-slot unrolled timeline, shape (n_groups, 48).

    A vehicle occupies the unrolled slots [a, a + L) with a + L <= 46, so nothing wraps here;
    folding slot 24 + t onto t gives the cyclic day. Returns ``n_present`` (Eq. 4 summed),
    ``delta_s_kwh`` (Eq. 5: +s_arr at a, -s_lea at a + L) and ``uncontrolled_kw`` (rated power
    from a for the charging time, the last hour partial).
    """
    w = 2 * T_HOURS
    a = fleet.arrival_slot.astype(np.int64)
    end = a + fleet.stay_h
    base = group.astype(np.int64) * w
    size = n_groups * w

    def acc(idx: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        return np.bincount(idx, weights=weights, minlength=size).astype(float)

    present = np.cumsum((acc(base + a) - acc(base + end)).reshape(n_groups, w), axis=1)
    delta = (acc(base + a, fleet.s_arr_kwh) - acc(base + end, fleet.s_lea_kwh)).reshape(n_groups, w)

    p = fleet.rated_power_kw
    # charging time at rated power (h); never beyond the stay (guards round-off when capped)
    hours = np.minimum(fleet.energy_need_kwh / (fleet.eta_ch * p), fleet.stay_h)
    full = np.floor(hours).astype(np.int64)
    frac = hours - full
    # rated power in slots [a, a + full), frac * rated power in slot a + full (if frac > 0);
    # a + full <= a + L <= 46 stays inside the 48-slot timeline.
    # counts of cars at full power (exact integer cumsum) plus the partial last hours: no
    # floating-point differencing, so the load is exactly zero where nobody charges.
    at_full = np.cumsum((acc(base + a) - acc(base + a + full)).reshape(n_groups, w), axis=1)
    unc = p * at_full + acc(base + a + full, frac * p).reshape(n_groups, w)
    return {"n_present": present, "delta_s_kwh": delta, "uncontrolled_kw": unc}


def _fold(x: np.ndarray) -> np.ndarray:
    """Fold a 48-slot unrolled timeline onto the cyclic day: slot t + 24 adds to slot t."""
    return x[..., :T_HOURS] + x[..., T_HOURS:]


@dataclass(frozen=True, eq=False)
class StationEnvelopes:
    """Generalised-storage data of every station and day, Eqs. (4)-(6).

    All hourly arrays have shape (n_days, n_stations, T); the mean over days (``.mean()``) or
    percentiles (``.percentile(q)``) keep that layout with n_days = 1.

    Attributes:
        p_ch_max_kw, p_dis_max_kw: Eq. (5) sums of rated power of the vehicles plugged in, capped
            at the station limit of Table 1 (kW, grid side).
        s_min_kwh, s_max_kwh: Eq. (5) sums of ``soc_min * battery`` and ``soc_max * battery``
            over the vehicles plugged in (kWh).
        delta_s_kwh: Eq. (5) energy of vehicles arriving at the start of hour t minus the
            departure energy of vehicles leaving at the start of hour t (kWh).
        uncontrolled_kw: load when every car charges at rated power on arrival (kW).
        uncontrolled_s_kwh: stored energy S_t at the end of hour t under uncontrolled charging
            (kWh): a trajectory of Eq. (1) that respects every bound (tested invariant).
        n_present: vehicles plugged in during hour t (the sum of X_{n,t}, Eq. 4).
        n_vehicles: vehicles per day and station, shape (n_days, n_stations).
        eta_ch, eta_dis, power_limit_kw, station_buses: as in :class:`Fleet`.
    """

    p_ch_max_kw: np.ndarray
    p_dis_max_kw: np.ndarray
    s_min_kwh: np.ndarray
    s_max_kwh: np.ndarray
    delta_s_kwh: np.ndarray
    uncontrolled_kw: np.ndarray
    uncontrolled_s_kwh: np.ndarray
    n_present: np.ndarray
    n_vehicles: np.ndarray
    eta_ch: float
    eta_dis: float
    power_limit_kw: float
    station_buses: tuple[int, ...]

    @property
    def n_days(self) -> int:
        return int(self.p_ch_max_kw.shape[0])

    @property
    def n_stations(self) -> int:
        return int(self.p_ch_max_kw.shape[1])

    def _map(self, fn: Any) -> StationEnvelopes:
        arrays = {name: fn(getattr(self, name)) for name in (*ENVELOPE_FIELDS, "n_vehicles")}
        return replace(self, **arrays)

    def mean(self) -> StationEnvelopes:
        """The expected envelope: every array averaged over days (n_days = 1).

        Eq. (1) is linear, so the mean of feasible daily trajectories is a feasible trajectory
        of the mean envelope: the averaged uncontrolled schedule stays feasible.
        """
        return self._map(lambda x: x.mean(axis=0, keepdims=True))

    def percentile(self, q: float) -> StationEnvelopes:
        """Every array's q-th percentile over days, hour by hour (n_days = 1).

        A percentile envelope describes the spread of each bound separately; unlike the mean it
        is not itself a consistent storage model (its delta_s does not close over the day).
        """
        if not 0.0 <= q <= 100.0:
            raise ValueError(f"q = {q!r} is outside the allowed range [0, 100]")
        return self._map(lambda x: np.percentile(x, q, axis=0, keepdims=True))

    def day(self, d: int) -> StationEnvelopes:
        """The envelope of one day (n_days = 1)."""
        d = _check_index("day", d, self.n_days)
        return self._map(lambda x: x[d : d + 1])

    def to_storage(self, day: int | None = None) -> tuple[StorageEnvelope, ...]:
        """One :class:`~sopev_lib.storage.StorageEnvelope` per station.

        Args:
            day: which day; ``None`` averages over days first (the day-ahead expectation).
        """
        env = self.mean() if day is None else self.day(day)
        return tuple(
            StorageEnvelope(
                name=f"station {s + 1}",
                bus=int(self.station_buses[s]),
                p_ch_max_kw=env.p_ch_max_kw[0, s].copy(),
                p_dis_max_kw=env.p_dis_max_kw[0, s].copy(),
                s_min_kwh=env.s_min_kwh[0, s].copy(),
                s_max_kwh=env.s_max_kwh[0, s].copy(),
                delta_s_kwh=env.delta_s_kwh[0, s].copy(),
                eta_ch=self.eta_ch,
                eta_dis=self.eta_dis,
                power_limit_kw=self.power_limit_kw,
                uncontrolled_kw=env.uncontrolled_kw[0, s].copy(),
                n_vehicles=float(env.n_vehicles[0, s]),
            )
            for s in range(self.n_stations)
        )


def _derive(
    n_present: np.ndarray,
    delta_s: np.ndarray,
    uncontrolled: np.ndarray,
    fleet: Fleet,
) -> dict[str, np.ndarray]:
    """Eq. (5) bounds from the count of vehicles plugged in (uniform vehicles of Table 1)."""
    p_max = np.minimum(fleet.rated_power_kw * n_present, fleet.power_limit_kw)
    return {
        "p_ch_max_kw": p_max,
        "p_dis_max_kw": p_max.copy(),
        "s_min_kwh": fleet.s_min_kwh * n_present,
        "s_max_kwh": fleet.s_max_kwh * n_present,
        "delta_s_kwh": delta_s,
        "uncontrolled_kw": uncontrolled,
        "n_present": n_present,
    }


def station_envelopes(fleet: Fleet) -> StationEnvelopes:
    """Aggregate a fleet into the generalised storage of each station and day, Eqs. (4)-(6).

    Also computes the uncontrolled charging load and its stored-energy trajectory
    ``uncontrolled_s_kwh``: S_t of Eq. (1) with ``p_ch = uncontrolled_kw``, ``p_dis = 0``, whose
    level is fixed by the energy of the vehicles plugged in at the end of the day (the cyclic
    condition S_{-1} = S_{T-1}).
    """
    n_groups = fleet.n_days * fleet.n_stations
    group = fleet.day.astype(np.int64) * fleet.n_stations + fleet.station
    tl = _doubled_timeline(fleet, group, n_groups)
    shape = (fleet.n_days, fleet.n_stations, T_HOURS)
    folded = {k: _fold(v).reshape(shape) for k, v in tl.items()}
    out = _derive(folded["n_present"], folded["delta_s_kwh"], folded["uncontrolled_kw"], fleet)

    # Stored energy at the end of hour T-1: vehicles plugged in then are those whose unrolled
    # stay covers slot T-1 (a <= T-1 < a + L); each holds s_arr plus what it has charged so far.
    a = fleet.arrival_slot.astype(np.int64)
    overnight = a + fleet.stay_h >= T_HOURS
    hours_in = (T_HOURS - a[overnight]).astype(float)
    e_end = fleet.s_arr_kwh[overnight] + np.minimum(
        fleet.eta_ch * fleet.rated_power_kw * hours_in, fleet.energy_need_kwh[overnight]
    )
    s_last = np.bincount(group[overnight], weights=e_end, minlength=n_groups).reshape(shape[:2])
    increments = out["delta_s_kwh"] + fleet.eta_ch * out["uncontrolled_kw"]
    out["uncontrolled_s_kwh"] = s_last[..., None] + np.cumsum(increments, axis=-1)

    return StationEnvelopes(
        **out,
        n_vehicles=fleet.counts.sum(axis=2).astype(float),
        eta_ch=fleet.eta_ch,
        eta_dis=fleet.eta_dis,
        power_limit_kw=fleet.power_limit_kw,
        station_buses=fleet.station_buses,
    )


# --------------------------------------------------------------------------------------------
# feasibility of a schedule for the aggregate model (Eq. 1)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class FeasibilityReport:
    """How far a station schedule is from satisfying Eq. (1) with its bounds (cyclic day).

    Arrays have the leading shape of the inputs (everything but the hour axis).

    Attributes:
        closure_kwh: ``sum_t (dS_t + eta_ch p_ch_t - p_dis_t / eta_dis)``; zero for a cyclic
            trajectory (kWh).
        power_violation_kw: largest excess of p_ch, p_dis or |p_ch - p_dis| over its bound, or
            of a negative power below zero (kW); zero when feasible.
        energy_violation_kwh: Eq. (1) fixes S up to a constant c (S_t = c + C_t); the bounds
            need max_t(s_min_t - C_t) <= c <= min_t(s_max_t - C_t). This is the amount by which
            that interval is empty (kWh); zero when some cyclic S respects the bounds.
        s_kwh: the trajectory with c at the middle of its feasible interval (or, when empty,
            the least-violating c), shape (..., T).
    """

    closure_kwh: np.ndarray
    power_violation_kw: np.ndarray
    energy_violation_kwh: np.ndarray
    s_kwh: np.ndarray

    def feasible(self, tol: float = 1e-6) -> np.ndarray:
        """True where closure, power and energy violations are all within ``tol``."""
        return (
            (np.abs(self.closure_kwh) <= tol)
            & (self.power_violation_kw <= tol)
            & (self.energy_violation_kwh <= tol)
        )


def aggregate_feasibility(
    *,
    p_ch_max_kw: np.ndarray,
    p_dis_max_kw: np.ndarray,
    s_min_kwh: np.ndarray,
    s_max_kwh: np.ndarray,
    delta_s_kwh: np.ndarray,
    eta_ch: float,
    eta_dis: float,
    power_limit_kw: float,
    p_ch_kw: np.ndarray,
    p_dis_kw: np.ndarray | None = None,
) -> FeasibilityReport:
    """Check a schedule against the generalised storage model, Eq. (1), on the cyclic day.

    All arrays broadcast together with the hour as the last axis (e.g. (n_days, n_stations, T)).
    The check is exact: no solver, the free level of S is eliminated analytically (see
    :class:`FeasibilityReport`).
    """
    p_ch = np.asarray(p_ch_kw, dtype=float)
    p_dis = np.zeros_like(p_ch) if p_dis_kw is None else np.asarray(p_dis_kw, dtype=float)
    inc = delta_s_kwh + eta_ch * p_ch - p_dis / eta_dis
    cum = np.cumsum(inc, axis=-1)
    closure = cum[..., -1]
    lower = np.max(s_min_kwh - cum, axis=-1)
    upper = np.min(s_max_kwh - cum, axis=-1)
    level = 0.5 * (lower + upper)  # mid-interval; when empty, the least-violating level
    viol = np.stack(
        np.broadcast_arrays(
            p_ch - p_ch_max_kw,
            p_dis - p_dis_max_kw,
            -p_ch,
            -p_dis,
            np.abs(p_ch - p_dis) - power_limit_kw,
        )
    )
    return FeasibilityReport(
        closure_kwh=closure,
        power_violation_kw=np.maximum(np.max(viol, axis=(0, -1)), 0.0),
        energy_violation_kwh=np.maximum(lower - upper, 0.0),
        s_kwh=level[..., None] + cum,
    )


def envelope_feasibility(
    env: StorageEnvelope | StationEnvelopes,
    p_ch_kw: np.ndarray | None = None,
    p_dis_kw: np.ndarray | None = None,
) -> FeasibilityReport:
    """:func:`aggregate_feasibility` for an envelope; default schedule: its uncontrolled load."""
    p_ch = env.uncontrolled_kw if p_ch_kw is None else p_ch_kw
    return aggregate_feasibility(
        p_ch_max_kw=env.p_ch_max_kw,
        p_dis_max_kw=env.p_dis_max_kw,
        s_min_kwh=env.s_min_kwh,
        s_max_kwh=env.s_max_kwh,
        delta_s_kwh=env.delta_s_kwh,
        eta_ch=env.eta_ch,
        eta_dis=env.eta_dis,
        power_limit_kw=env.power_limit_kw,
        p_ch_kw=p_ch,
        p_dis_kw=p_dis_kw,
    )


# --------------------------------------------------------------------------------------------
# what the planning model consumes, and the day-ahead forecast (Section 2.3)
# --------------------------------------------------------------------------------------------


def planning_envelopes(params: Params, *, count_scale: float = 1.0) -> tuple[StorageEnvelope, ...]:
    """The day-ahead expected generalised storage of every station, for the planning model.

    ``params.ev.forecast_days`` days are sampled with ``params.ev.seed`` and every hourly array
    (Eq. 5 bounds, delta_s and the uncontrolled load) is averaged over days. Station k (1-based
    in the name, ``"station k"``) sits at bus ``params.ev.station_buses[k-1]``. Plan 4 uses the
    bounds; Plans 1-3 add ``uncontrolled_kw`` as a fixed load. Because Eq. (1) is linear, the
    mean uncontrolled schedule is a feasible schedule of the mean envelope, so Plan 4 can always
    do at least as well as uncontrolled charging (as long as the uncontrolled load stays below
    the station power limit, which it does with Table 3's counts).
    """
    ev = _ev_of(params)
    fleet = sample_fleet(ev, ev.forecast_days, seed=ev.seed, count_scale=count_scale)
    return station_envelopes(fleet).to_storage()


@dataclass(frozen=True, eq=False)
class DayAheadForecast:
    """Day-ahead forecast of a station's dispatchable potential (Section 2.3).

    Attributes:
        envelopes: the sampled days, (n_days, n_stations, T) per array.
        mean: expected envelope (what the planning model receives).
        low, high: per-hour percentiles ``band`` of every array over the sampled days.
        band: the two percentiles (e.g. (5, 95)).
    """

    envelopes: StationEnvelopes
    mean: StationEnvelopes
    low: StationEnvelopes
    high: StationEnvelopes
    band: tuple[float, float]


def day_ahead_forecast(
    params: Params,
    *,
    n_days: int | None = None,
    seed: int | None = None,
    count_scale: float = 1.0,
    band: tuple[float, float] | None = None,
) -> DayAheadForecast:
    """Expected envelope and percentile band over many sampled days (Section 2.3, Eq. 2).

    The Monte Carlo days play the role of the station's historical records Omega_v of Eq. (2):
    each day is a set of records E_Vn (Eq. 3); the forecast of each bound of Eq. (6) is its
    mean over the days, with the ``band`` percentiles as its spread.

    Args:
        n_days, seed: default ``params.ev.forecast_days`` and ``params.ev.seed``.
        band: default ``params.ev.forecast_band``.
    """
    ev = _ev_of(params)
    n_days = ev.forecast_days if n_days is None else n_days
    lo, hi = ev.forecast_band if band is None else band
    if not 0.0 <= lo < hi <= 100.0:
        raise ValueError(f"band = {(lo, hi)!r}: expected 0 <= low < high <= 100")
    env = station_envelopes(sample_fleet(ev, n_days, seed=seed, count_scale=count_scale))
    return DayAheadForecast(
        envelopes=env,
        mean=env.mean(),
        low=env.percentile(lo),
        high=env.percentile(hi),
        band=(float(lo), float(hi)),
    )


# --------------------------------------------------------------------------------------------
# real-time assessment (Section 2.4)
# --------------------------------------------------------------------------------------------


def arrival_kernels(fleet: Fleet) -> dict[str, np.ndarray]:
    """Contributions of the vehicles grouped by arrival slot, shape (n_days, n_stations, T, T).

    ``K[q][d, s, a, k]`` is the sum over the vehicles of day d and station s that arrive in slot
    a of quantity q, k hours after that arrival (k = 0..T-1): ``n_present`` (plugged in),
    ``delta_s_kwh`` (+s_arr at k = 0, -s_lea at k = L) and ``uncontrolled_kw``. Folding k onto the
    cyclic day reproduces :func:`station_envelopes`; the real-time assessment mixes the kernels
    of known arrivals with the expected kernels of future ones.
    """
    n_groups = fleet.n_days * fleet.n_stations * T_HOURS
    group = (
        fleet.day.astype(np.int64) * fleet.n_stations + fleet.station
    ) * T_HOURS + fleet.arrival_slot
    tl = _doubled_timeline(fleet, group, n_groups)
    a = np.arange(n_groups) % T_HOURS
    idx = a[:, None] + np.arange(T_HOURS)[None, :]
    shape = (fleet.n_days, fleet.n_stations, T_HOURS, T_HOURS)
    return {k: np.take_along_axis(v, idx, axis=1).reshape(shape) for k, v in tl.items()}


@dataclass(frozen=True, eq=False)
class RealTimeAssessment:
    """Rolling real-time assessment of one realised day (Section 2.4).

    At the start of hour h (``decision_hours``) the station knows every vehicle that has
    plugged in by then, with its departure time and energy need (the paper assumes users share
    them), and uses the day-ahead expectation for vehicles arriving later. It assesses the
    Eq. (6) bounds for the window of hours h, h+1, ..., h+W-1 (W = ``window_h``), which may run
    into the next day.

    Arrays are keyed by the Eq. (5)/(6) names of :class:`StationEnvelopes` (without
    ``uncontrolled_s_kwh``), each of shape (n_decisions, n_stations, W): ``assessed`` (known +
    expected), ``realised`` (every vehicle of the realised days known: the oracle) and
    ``day_ahead`` (the mean envelope of the forecast, read at the same clock hours).
    """

    decision_hours: np.ndarray
    window_h: int
    day: int
    assessed: dict[str, np.ndarray]
    realised: dict[str, np.ndarray]
    day_ahead: dict[str, np.ndarray]

    def mean_abs_error(self, name: str, which: str = "assessed") -> np.ndarray:
        """Mean absolute error against the realised values per lead time (W,), averaged over
        decision hours and stations."""
        if which not in ("assessed", "day_ahead"):
            raise ValueError(f"which = {which!r}: allowed values are 'assessed', 'day_ahead'")
        est = getattr(self, which)[name]
        return np.mean(np.abs(est - self.realised[name]), axis=(0, 1))


def mean_arrival_kernels(fleet: Fleet) -> dict[str, np.ndarray]:
    """:func:`arrival_kernels` averaged over days, shape (n_stations, T, T): the expected
    contribution of the vehicles arriving in each slot (the day-ahead knowledge of Section 2.3)."""
    return {k: v.mean(axis=0) for k, v in arrival_kernels(fleet).items()}


def realtime_assessment(
    realised: Fleet,
    forecast: Fleet | dict[str, np.ndarray],
    *,
    day: int = 1,
    decision_hours: np.ndarray | list[int] | range | None = None,
    window_h: int = T_HOURS,
) -> RealTimeAssessment:
    """Refresh the station envelopes hour by hour on one realised day (Section 2.4).

    Times are unrolled: the vehicle of realised day d arriving in slot a arrives at absolute hour
    ``24 d + a`` and stays L hours, so overnight vehicles of day ``day - 1`` are plugged in at
    the start of ``day`` and the window may reach into day ``day + 1``. At decision hour h the
    absolute decision time is ``tau0 = 24 day + h``; a vehicle is *known* if it arrived at or
    before tau0 (it plugged in at the start of hour h at the latest), and its exact Eq. (5)
    contributions are used. For every later arrival hour u the expected contribution of the
    vehicles arriving at u is taken from the forecast fleet's mean arrival kernels
    (:func:`arrival_kernels`). The assessed bounds of hour tau in the window are the sums of both.

    Args:
        realised: consecutive realised days (at least ``day + 2`` of them).
        forecast: many sampled days (the historical records of Eq. 2), or their
            :func:`mean_arrival_kernels` computed once; same stations.
        day: which realised day is operated (1 <= day <= realised.n_days - 2).
        decision_hours: hours of the day at which the station refreshes (default 0..23).
        window_h: rolling window length W in hours, 1..24.
    """
    kf = mean_arrival_kernels(forecast) if isinstance(forecast, Fleet) else forecast
    n_fc = kf["n_present"].shape[0]
    if n_fc != realised.n_stations:
        raise ValueError(f"forecast has {n_fc} stations but realised has {realised.n_stations}")
    window_h = _check_positive_int("window_h", window_h)
    if window_h > T_HOURS:
        raise ValueError(f"window_h = {window_h} is outside the allowed range [1, {T_HOURS}]")
    if not 1 <= day <= realised.n_days - 2:
        raise ValueError(
            f"day = {day!r} is outside the allowed range [1, {realised.n_days - 2}] (the realised "
            f"fleet needs the day before and the day after)"
        )
    hours = np.arange(T_HOURS) if decision_hours is None else np.asarray(decision_hours)
    if hours.ndim != 1 or hours.size == 0 or np.any((hours < 0) | (hours >= T_HOURS)):
        raise ValueError(f"decision_hours = {hours.tolist()}: expected hours in [0, {T_HOURS})")
    hours = hours.astype(np.int64)

    kr = arrival_kernels(realised)
    first_day = day - 1
    # realised kernels on the absolute arrival timeline u = 24 * first_day + i, i = 0..71
    kr_lin = {
        k: np.concatenate([v[first_day + j] for j in range(3)], axis=1) for k, v in kr.items()
    }  # (S, 72, k)
    kf_lin = {k: np.concatenate([v] * 3, axis=1) for k, v in kf.items()}
    u0 = T_HOURS * first_day
    lags = np.arange(T_HOURS)

    assessed: dict[str, list[np.ndarray]] = {}
    truth: dict[str, list[np.ndarray]] = {}
    prior: dict[str, list[np.ndarray]] = {}
    for h in hours:
        tau0 = T_HOURS * day + h
        tau = tau0 + np.arange(window_h)
        u = tau[:, None] - lags[None, :]  # arrival hour contributing at lag k, (W, T)
        col = u - u0
        known = (u <= tau0)[None, :, :]
        for name in kr_lin:
            real = kr_lin[name][:, col, lags[None, :]]  # (S, W, T)
            fc = kf_lin[name][:, col, lags[None, :]]
            assessed.setdefault(name, []).append(np.where(known, real, fc).sum(axis=-1))
            truth.setdefault(name, []).append(real.sum(axis=-1))
            prior.setdefault(name, []).append(fc.sum(axis=-1))

    def finish(parts: dict[str, list[np.ndarray]]) -> dict[str, np.ndarray]:
        arr = {k: np.stack(v) for k, v in parts.items()}
        return _derive(arr["n_present"], arr["delta_s_kwh"], arr["uncontrolled_kw"], realised)

    return RealTimeAssessment(
        decision_hours=hours,
        window_h=window_h,
        day=day,
        assessed=finish(assessed),
        realised=finish(truth),
        day_ahead=finish(prior),
    )


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
