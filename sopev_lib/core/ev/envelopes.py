"""Each charging station as generalised storage, Eqs. (4)-(6), and the uncontrolled charging
of Plans 1-3 (Section 2.2, following ref. [2]).

The vehicles sampled by :mod:`sopev_lib.core.ev.fleet` are summed per station and hour into the
bounds of Eq. (5); :func:`planning_envelopes` is what the planning model consumes, and
:func:`aggregate_feasibility` checks a station schedule against the aggregate model, Eq. (1).
:func:`plugged_in` spells out X of Eq. (4) for a few vehicles (the book's chapter 2 builds
Eq. (5) from it by hand and compares with :func:`station_envelopes`).

Chapter 2 of the book includes parts of these functions by the marker comments ``# Eq. (N)``,
``# end of Eqs. (4)-(5)`` and ``# uncontrolled charging (Plans 1-3)``: keep them when editing.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from sopev_lib.core.ev.fleet import T_HOURS, Fleet, check_index, ev_params_of, sample_fleet
from sopev_lib.core.storage import HOURLY_FIELDS, StorageEnvelope
from sopev_lib.system.params import Params

__all__ = [
    "ENVELOPE_FIELDS",
    "FeasibilityReport",
    "StationEnvelopes",
    "aggregate_feasibility",
    "envelope_feasibility",
    "planning_envelopes",
    "plugged_in",
    "station_envelopes",
]

ENVELOPE_FIELDS = (*HOURLY_FIELDS, "uncontrolled_s_kwh", "n_present")
"""Hourly arrays of a :class:`StationEnvelopes`, each of shape (n_days, n_stations, T)."""

# --------------------------------------------------------------------------------------------
# aggregation into generalised storage (Eqs. 4-6) and uncontrolled charging
# --------------------------------------------------------------------------------------------


def plugged_in(fleet: Fleet) -> np.ndarray:
    """X_{n,t} of Eq. (4) on the cyclic day: True where vehicle n is plugged in during hour t.

    Vehicle n arrives at the start of slot a_n and stays L_n hours, so it is plugged in during
    the slots a_n, a_n + 1, ..., a_n + L_n - 1 taken modulo T (module docstring of
    :mod:`sopev_lib.core.ev.fleet`). Returns a bool array of shape (n_vehicles, T); summed over
    the vehicles of one station and day it is ``StationEnvelopes.n_present``. Meant for one
    station and day: :func:`station_envelopes` never builds this matrix (it accumulates the
    same sums on an unrolled timeline, :func:`doubled_timeline`).
    """
    hours = np.arange(T_HOURS)
    since_arrival = (hours[None, :] - fleet.arrival_slot.astype(np.int64)[:, None]) % T_HOURS
    return since_arrival < fleet.stay_h[:, None]


def doubled_timeline(fleet: Fleet, group: np.ndarray, n_groups: int) -> dict[str, np.ndarray]:
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

    # Eq. (4): X_{n,t} = 1 from the arrival slot a to a + L - 1; +1 at a, -1 at a + L, summed
    present = np.cumsum((acc(base + a) - acc(base + end)).reshape(n_groups, w), axis=1)
    # Eq. (5), Delta S: +s_arr where X steps up (arrival), -s_lea where it steps down (departure)
    delta = (acc(base + a, fleet.s_arr_kwh) - acc(base + end, fleet.s_lea_kwh)).reshape(n_groups, w)
    # end of Eqs. (4)-(5)

    # uncontrolled charging (Plans 1-3): rated power from the arrival until s_lea is reached
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
        eta_ref: the discharge compensation factor of Eq. (1) (``ev.eta_ref``; 1 = none).
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
    eta_ref: float = 1.0

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
        d = check_index("day", d, self.n_days)
        return self._map(lambda x: x[d : d + 1])

    def to_storage(self, day: int | None = None) -> tuple[StorageEnvelope, ...]:
        """One :class:`~sopev_lib.core.storage.StorageEnvelope` per station.

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
                eta_ref=self.eta_ref,
            )
            for s in range(self.n_stations)
        )


def derive_envelopes(
    n_present: np.ndarray,
    delta_s: np.ndarray,
    uncontrolled: np.ndarray,
    fleet: Fleet,
) -> dict[str, np.ndarray]:
    """Eq. (5) bounds from the count of vehicles plugged in (uniform vehicles of Table 1).

    Every vehicle has the same limits (Table 1), so each sum of Eq. (5) is the per-vehicle limit
    times ``n_present``, the number of vehicles plugged in (the sum of X_{n,t}, Eq. 4). The
    power bounds are capped at the station limit of Table 1. Returns the arrays of Eq. (6).
    """
    # Eq. (5): P^ch,max = sum_n p^ch_n,max X_n,t (and P^dis,max), capped at Table 1's limit
    p_max = np.minimum(fleet.rated_power_kw * n_present, fleet.power_limit_kw)
    return {  # Eq. (6): the dispatchable potential Lambda_v
        "p_ch_max_kw": p_max,
        "p_dis_max_kw": p_max.copy(),
        # Eq. (5): S^min = sum_n s^min_n X_n,t and S^max = sum_n s^max_n X_n,t
        "s_min_kwh": fleet.s_min_kwh * n_present,
        "s_max_kwh": fleet.s_max_kwh * n_present,
        "delta_s_kwh": delta_s,
        "uncontrolled_kw": uncontrolled,
        "n_present": n_present,
    }


def station_envelopes(fleet: Fleet, eta_ref: float = 1.0) -> StationEnvelopes:
    """Aggregate a fleet into the generalised storage of each station and day, Eqs. (4)-(6);
    ``eta_ref`` is the discharge compensation factor of Eq. (1).

    Also computes the uncontrolled charging load and its stored-energy trajectory
    ``uncontrolled_s_kwh``: S_t of Eq. (1) with ``p_ch = uncontrolled_kw``, ``p_dis = 0``, whose
    level is fixed by the energy of the vehicles plugged in at the end of the day (the cyclic
    condition S_{-1} = S_{T-1}).
    """
    # one group per (day, station): Eqs. (4)-(5) summed on the unrolled timeline, then folded
    n_groups = fleet.n_days * fleet.n_stations
    group = fleet.day.astype(np.int64) * fleet.n_stations + fleet.station
    tl = doubled_timeline(fleet, group, n_groups)
    shape = (fleet.n_days, fleet.n_stations, T_HOURS)
    folded = {k: _fold(v).reshape(shape) for k, v in tl.items()}
    out = derive_envelopes(
        folded["n_present"], folded["delta_s_kwh"], folded["uncontrolled_kw"], fleet
    )

    # Eq. (1) under uncontrolled charging (p_ch = uncontrolled load, p_dis = 0).
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
        eta_ref=eta_ref,
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
    eta_ref: float = 1.0,
) -> FeasibilityReport:
    """Check a schedule against the generalised storage model, Eq. (1), on the cyclic day
    (``eta_ref``: the discharge compensation factor of Eq. 1).

    All arrays broadcast together with the hour as the last axis (e.g. (n_days, n_stations, T)).
    The check is exact: no solver, the free level of S is eliminated analytically (see
    :class:`FeasibilityReport`).
    """
    p_ch = np.asarray(p_ch_kw, dtype=float)
    p_dis = np.zeros_like(p_ch) if p_dis_kw is None else np.asarray(p_dis_kw, dtype=float)
    # Eq. (1), dt = 1 h: S_t = S_{t-1} + dS_t + eta_ch p_ch_t - eta_ref p_dis_t / eta_dis, so
    # that S_t = c + C_t with C_t the cumulated increments and c = S_{-1} free
    inc = delta_s_kwh + eta_ch * p_ch - eta_ref * p_dis / eta_dis
    cum = np.cumsum(inc, axis=-1)
    closure = cum[..., -1]  # cyclic day: S_{T-1} = S_{-1} needs C_{T-1} = 0
    # S^min_t <= c + C_t <= S^max_t for every t: c in [max(S^min - C), min(S^max - C)]
    lower = np.max(s_min_kwh - cum, axis=-1)
    upper = np.min(s_max_kwh - cum, axis=-1)
    level = 0.5 * (lower + upper)  # mid-interval; when empty, the least-violating level
    # power bounds of Eq. (1) and the station limit of Table 1
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
        eta_ref=env.eta_ref,
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
    ev = ev_params_of(params)
    fleet = sample_fleet(ev, ev.forecast_days, seed=ev.seed, count_scale=count_scale)
    return station_envelopes(fleet, eta_ref=ev.eta_ref).to_storage()
