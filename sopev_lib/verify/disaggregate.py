"""Disaggregation check: can the vehicles of a station realise an aggregate schedule?

The generalised storage of Eqs. (1), (4)-(6) is an *outer* approximation of the fleet behind it:
it pools the energy and the power of every vehicle plugged in, so a schedule feasible for the
aggregate may still need energy in a car that has already left, or push a car past its own
battery limits. The paper does not check this. :func:`disaggregate` solves a linear program
(HiGHS through highspy, dual simplex) that looks for individual charging and
discharging powers realising a station's hourly net schedule and reports what cannot be done:

* ``mismatch_kw[t]``: aggregate power that no individual schedule can follow (kW);
* ``shortfall_kwh[n]``: departure energy that vehicle n does not receive (kWh, battery side).

The per-vehicle model is Eq. (1) for one car: for each plugged-in hour k of vehicle n,
``e_{n,k} = e_{n,k-1} + eta_ch p^ch_{n,k} - p^dis_{n,k} / eta_dis`` with ``e_{n,-1} = s_arr``,
``p^ch, p^dis >= 0``, ``p^ch + p^dis <= P_rated`` (one charger, time-shared within the hour),
``s_min <= e <= s_max`` and ``e_{n,L-1} + shortfall_n >= s_lea``; the station sums
``sum_n (p^ch - p^dis) + m^+_t - m^-_t`` must equal the schedule in every hour t.

:func:`valley_filling_schedule` and :func:`arbitrage_schedule` build representative aggregate
schedules on an envelope (a stand-in for the planning model's output; any (T,) array works).
"""

from __future__ import annotations

import ctypes
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Literal

import numpy as np
import scipy.sparse as sp

from sopev_lib.core.ev.fleet import T_HOURS, Fleet
from sopev_lib.core.storage import StorageEnvelope

__all__ = [
    "Disaggregation",
    "arbitrage_schedule",
    "disaggregate",
    "disaggregate_many",
    "valley_filling_schedule",
]


@dataclass(frozen=True, eq=False)
class Disaggregation:
    """Result of :func:`disaggregate` for one station and day.

    Attributes:
        schedule_kw: the aggregate net schedule asked for (+ = charging), shape (T,).
        realised_kw: sum of the individual net powers found, shape (T,).
        mismatch_kw: ``schedule_kw - realised_kw`` (kW), shape (T,).
        shortfall_kwh: departure energy missed per vehicle (kWh), shape (N,).
        p_ch_kw, p_dis_kw, energy_kwh: individual schedules per plugged-in vehicle-hour, shape
            (M,) with M = sum of stays; ``vehicle`` and ``slot`` give the vehicle index and the
            clock hour of each entry.
        cycling_kwh: energy charged and discharged in the same vehicle-hour (kWh), a sign that
            the schedule can only be followed by burning energy in conversion losses.
        priority: which violation was minimised first.
        status: HiGHS status message of the last solve.
        seconds: wall time of the LP (both stages), s.
    """

    schedule_kw: np.ndarray
    realised_kw: np.ndarray
    mismatch_kw: np.ndarray
    shortfall_kwh: np.ndarray
    p_ch_kw: np.ndarray
    p_dis_kw: np.ndarray
    energy_kwh: np.ndarray
    vehicle: np.ndarray
    slot: np.ndarray
    cycling_kwh: float
    priority: str
    status: str
    seconds: float = 0.0

    @property
    def mismatch_kwh(self) -> float:
        """Sum over hours of |mismatch| x 1 h (kWh, grid side)."""
        return float(np.abs(self.mismatch_kw).sum())

    @property
    def total_shortfall_kwh(self) -> float:
        """Departure energy missed by all vehicles (kWh, battery side)."""
        return float(self.shortfall_kwh.sum())

    @property
    def n_missed(self) -> int:
        """Vehicles leaving more than 1 Wh short of their departure energy.

        The totals (mismatch, missed energy) are optimal values and unique; how the missed
        energy is shared among the cars is not (the simplex solver returns a vertex, which tends
        to concentrate it on few cars), so this count is indicative only.
        """
        return int(np.count_nonzero(self.shortfall_kwh > 1e-3))


def disaggregate(
    fleet: Fleet,
    schedule_kw: np.ndarray,
    *,
    day: int = 0,
    station: int = 0,
    priority: Literal["schedule", "targets"] = "schedule",
    allow_v2g: bool = True,
) -> Disaggregation:
    """Find individual schedules that realise a station's hourly net schedule (an LP).

    Two lexicographic stages: with ``priority="schedule"`` the station first follows the
    schedule as closely as possible (minimum sum |mismatch|), then, among those, misses as little
    departure energy as possible; ``"targets"`` swaps the order (users first). A last tie-break
    term of 1e-6 per kWh of throughput removes needless simultaneous charge and discharge.

    Args:
        fleet: a sampled fleet; the vehicles of ``day`` and ``station`` are used.
        schedule_kw: net station power per hour (+ = charging, grid side, kW), shape (T,).
        allow_v2g: if False, vehicles may only charge.

    Raises:
        ValueError: a schedule of the wrong shape or non-finite, an unknown priority, or a
            day/station out of range.
        RuntimeError: the solver fails (it should not: the LP is always feasible).
    """
    return disaggregate_many(
        fleet, [schedule_kw], day=day, station=station, priority=priority, allow_v2g=allow_v2g
    )[0]


def disaggregate_many(
    fleet: Fleet,
    schedules_kw: Sequence[np.ndarray],
    *,
    day: int = 0,
    station: int = 0,
    priority: Literal["schedule", "targets"] = "schedule",
    allow_v2g: bool = True,
) -> list[Disaggregation]:
    """:func:`disaggregate` for several schedules of the same station and day, in order.

    The LPs differ only in the schedule's rows (their bounds), so one HiGHS model is built and
    each schedule after the first starts from the previous one's optimal basis (dual simplex,
    warm): on Plan 4's own and re-dispatched schedules of one station-day this took a quarter
    off the LP time (27.8 s of CPU for 24 LPs cold, 20.6 s warm; the totals, mismatch and missed
    energy, are the same, the split between the cars may differ, as with any vertex).
    """
    checked = [_check_hourly("schedule_kw", s, T_HOURS) for s in schedules_kw]
    if priority not in ("schedule", "targets"):
        raise ValueError(f"priority = {priority!r}: allowed values are 'schedule', 'targets'")
    sub = fleet.select(day=day, station=station)
    lay = _Layout.of(sub)
    m, n = lay.m, lay.n
    matrix = _lp_matrix(lay, sub.eta_ch, sub.eta_dis, allow_v2g)
    zero = np.zeros(T_HOURS)
    row_lo, row_hi, col_lo, col_hi = _lp_bounds(lay, sub, zero, matrix.shape[0], allow_v2g)
    c_mismatch = np.zeros(lay.n_var)
    c_mismatch[lay.i_mp :] = 1.0
    c_short = np.zeros(lay.n_var)
    c_short[lay.i_u : lay.i_u + n] = 1.0
    first_c, second_c = (c_mismatch, c_short) if priority == "schedule" else (c_short, c_mismatch)
    second_c = second_c.copy()
    second_c[: 2 * m] += 1e-6  # throughput tie-break (kWh): no needless charge-and-discharge
    lp = _LexicographicLP(matrix, row_lo, row_hi, col_lo, col_hi)
    out = []
    for schedule in checked:
        start = time.perf_counter()
        x, status = lp.solve(np.arange(m, m + T_HOURS), schedule, first_c, second_c)
        p_ch, p_dis = x[lay.i_ch : lay.i_ch + m], x[lay.i_dis : lay.i_dis + m]
        net = np.bincount(lay.slot, weights=p_ch - p_dis, minlength=T_HOURS)
        out.append(
            Disaggregation(
                schedule_kw=schedule,
                realised_kw=net,
                mismatch_kw=schedule - net,
                shortfall_kwh=np.maximum(x[lay.i_u : lay.i_u + n], 0.0),
                p_ch_kw=p_ch,
                p_dis_kw=p_dis,
                energy_kwh=x[lay.i_e : lay.i_e + m],
                vehicle=lay.vehicle,
                slot=lay.slot,
                cycling_kwh=float(np.minimum(p_ch, p_dis).sum()),
                priority=priority,
                status=status,
                seconds=time.perf_counter() - start,
            )
        )
    return out


@dataclass(frozen=True)
class _Layout:
    """The plugged-in vehicle-hours of one station and day, and the LP's variable layout:
    ``p_ch (m) | p_dis (m) | e (m) | shortfall (n) | m_plus (T) | m_minus (T)``.

    ``vehicle``, ``k`` (hour of the stay) and ``slot`` (clock hour) per vehicle-hour j;
    ``first`` and ``last`` vehicle-hour of each vehicle."""

    n: int
    m: int
    vehicle: np.ndarray
    k: np.ndarray
    slot: np.ndarray
    first: np.ndarray
    last: np.ndarray

    @classmethod
    def of(cls, sub: Fleet) -> _Layout:
        n = sub.n_vehicles
        stay = sub.stay_h.astype(np.int64)
        m = int(stay.sum())
        first = np.concatenate(([0], np.cumsum(stay)[:-1])) if n else np.zeros(0, dtype=np.int64)
        vehicle = np.repeat(np.arange(n), stay)
        k = np.arange(m) - np.repeat(first, stay)
        slot = (sub.arrival_slot.astype(np.int64)[vehicle] + k) % T_HOURS
        return cls(n, m, vehicle, k, slot, first, first + stay - 1)

    #: first column of p_ch (the others follow in the layout's order)
    i_ch = 0

    @property
    def i_dis(self) -> int:
        return self.m

    @property
    def i_e(self) -> int:
        return 2 * self.m

    @property
    def i_u(self) -> int:
        return 3 * self.m

    @property
    def i_mp(self) -> int:
        return 3 * self.m + self.n

    @property
    def i_mm(self) -> int:
        return self.i_mp + T_HOURS

    @property
    def n_var(self) -> int:
        return self.i_mm + T_HOURS


def _lp_matrix(lay: _Layout, eta_c: float, eta_d: float, allow_v2g: bool) -> sp.csc_matrix:
    """The constraint matrix of the disaggregation LP.

    Rows 0..m-1, Eq. (1) per vehicle: ``e_j - e_{j-1} - eta_c p_ch_j + p_dis_j / eta_d`` (=
    s_arr at k = 0, else 0); rows m..m+T-1: sum of net powers + m_plus - m_minus (= schedule);
    rows m+T..m+T+n-1: e_last + shortfall (>= s_lea); with V2G, rows m+T+n..2m+T+n-1:
    p_ch + p_dis (<= P_rated: one charger per car, time-shared within the hour).
    """
    m, n, slot = lay.m, lay.n, lay.slot
    j = np.arange(m)
    cont = j[lay.k > 0]
    hours = np.arange(T_HOURS)
    veh = np.arange(n)
    rows = [j, j, j, cont, m + slot, m + slot, m + hours, m + hours]
    rows += [m + T_HOURS + veh, m + T_HOURS + veh]
    cols = [lay.i_e + j, lay.i_ch + j, lay.i_dis + j, lay.i_e + cont - 1, lay.i_ch + j]
    cols += [lay.i_dis + j, lay.i_mp + hours, lay.i_mm + hours, lay.i_e + lay.last, lay.i_u + veh]
    vals = [np.ones(m), np.full(m, -eta_c), np.full(m, 1.0 / eta_d), -np.ones(cont.size)]
    vals += [np.ones(m), -np.ones(m), np.ones(T_HOURS), -np.ones(T_HOURS), np.ones(n), np.ones(n)]
    n_row = m + T_HOURS + n
    if allow_v2g:
        rows += [n_row + j, n_row + j]
        cols += [lay.i_ch + j, lay.i_dis + j]
        vals += [np.ones(m), np.ones(m)]
        n_row += m
    return sp.csc_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
        shape=(n_row, lay.n_var),
    )


def _lp_bounds(
    lay: _Layout, sub: Fleet, schedule: np.ndarray, n_row: int, allow_v2g: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Row and column bounds of the LP (kW, kWh): see :func:`_lp_matrix` for the rows; powers
    within [0, P_rated] (no discharge without V2G), energies within [s_min, s_max]."""
    m, n, p = lay.m, lay.n, sub.rated_power_kw
    rhs = np.concatenate((np.where(lay.k == 0, sub.s_arr_kwh[lay.vehicle], 0.0), schedule))
    row_lo = np.concatenate((rhs, sub.s_lea_kwh, np.full(n_row - m - T_HOURS - n, -np.inf)))
    row_hi = np.concatenate((rhs, np.full(n, np.inf), np.full(n_row - m - T_HOURS - n, p)))
    col_lo = np.concatenate((np.zeros(2 * m), np.full(m, sub.s_min_kwh), np.zeros(n + 2 * T_HOURS)))
    col_hi = np.concatenate(
        (
            np.full(m, p),
            np.full(m, p if allow_v2g else 0.0),
            np.full(m, sub.s_max_kwh),
            np.full(n + 2 * T_HOURS, np.inf),
        )
    )
    return row_lo, row_hi, col_lo, col_hi


def _quiet_highs(highspy: ModuleType) -> Any:
    """A ``highspy.Highs`` instance without the copyright banner its C++ constructor prints to
    file descriptor 1 (which Jupyter kernels forward into the notebook)."""
    sys.stdout.flush()
    libc = ctypes.CDLL(None)
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            try:
                h = highspy.Highs()
                libc.fflush(None)  # the banner may sit in the C stdout buffer
            finally:
                os.dup2(saved, 1)
    finally:
        os.close(saved)
    return h


class _LexicographicLP:
    """One HiGHS model of the disaggregation LP, solved for schedule after schedule:
    min second_c x over the minimisers of first_c x, with the schedule rows' bounds set each
    time (both stages warm-started from the previous optimal basis)."""

    def __init__(
        self,
        matrix: sp.csc_matrix,
        row_lo: np.ndarray,
        row_hi: np.ndarray,
        col_lo: np.ndarray,
        col_hi: np.ndarray,
    ) -> None:
        import highspy

        self.hs = highspy
        inf = highspy.kHighsInf
        h = _quiet_highs(highspy)
        h.setOptionValue("output_flag", False)
        # Dual simplex without presolve: the first stage's optimal basis stays valid when the
        # second stage adds a row and changes the costs, and when the next schedule changes
        # the bounds of its rows, so both start warm (re-presolving made it 2-6x slower on a
        # 700-vehicle station). Interior point (with or without crossover) and primal simplex
        # took as long over Plan 4's 24 station-days (within 10 %, measured); interior point
        # returns non-vertex solutions. Simplex is used throughout.
        h.setOptionValue("presolve", "off")
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = matrix.shape[1], matrix.shape[0]
        lp.col_cost_ = np.zeros(matrix.shape[1])
        lp.col_lower_ = col_lo
        lp.col_upper_ = np.where(np.isinf(col_hi), inf, col_hi)
        lp.row_lower_ = np.where(np.isinf(row_lo), -inf, row_lo)
        lp.row_upper_ = np.where(np.isinf(row_hi), inf, row_hi)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = matrix.indptr
        lp.a_matrix_.index_ = matrix.indices
        lp.a_matrix_.value_ = matrix.data
        h.passModel(lp)
        self.h, self.n_row = h, matrix.shape[0]

    def _run(self, stage: str) -> None:
        self.h.run()
        status = self.h.getModelStatus()
        if status != self.hs.HighsModelStatus.kOptimal:
            text = self.h.modelStatusToString(status)
            raise RuntimeError(f"disaggregation LP ({stage}) failed: {text}")

    def solve(
        self, rows: np.ndarray, values: np.ndarray, first_c: np.ndarray, second_c: np.ndarray
    ) -> tuple[np.ndarray, str]:
        """Rows ``rows`` fixed at ``values`` (the schedule), then the two stages; the model is
        left as it was (no stage-2 row) for the next schedule."""
        h, inf, cols = self.h, self.hs.kHighsInf, np.arange(first_c.size)
        h.changeRowsBounds(rows.size, rows, values, values)
        h.changeColsCost(first_c.size, cols, first_c)
        self._run("first stage")
        best = h.getInfo().objective_function_value
        nz = np.flatnonzero(first_c)
        # the second stage keeps the first objective at its optimum, within the solver's accuracy
        h.addRow(-inf, best + 1e-6 * max(1.0, abs(best)), nz.size, nz, first_c[nz])
        h.changeColsCost(second_c.size, cols, second_c)
        self._run("second stage")
        x = np.asarray(h.getSolution().col_value)
        status = h.modelStatusToString(h.getModelStatus())
        h.deleteRows(1, np.array([self.n_row]))
        return x, status


def _storage_problem(env: StorageEnvelope, allow_v2g: bool):
    """cvxpy variables and Eq. (1) constraints of one envelope on the cyclic day."""
    import cvxpy as cp

    t = env.n_hours
    p_ch = cp.Variable(t, nonneg=True)
    p_dis = cp.Variable(t, nonneg=True)
    s = cp.Variable(t)
    s_prev = cp.hstack([s[t - 1], s[: t - 1]])
    cons = [
        s == s_prev + env.delta_s_kwh + env.eta_ch * p_ch - p_dis / env.eta_dis,
        p_ch <= env.p_ch_max_kw,
        p_dis <= (env.p_dis_max_kw if allow_v2g else 0.0),
        s >= env.s_min_kwh,
        s <= env.s_max_kwh,
        cp.abs(p_ch - p_dis) <= env.power_limit_kw,
    ]
    return cp, p_ch, p_dis, cons


def _check_hourly(name: str, values: np.ndarray, t: int) -> np.ndarray:
    arr = np.asarray(values, dtype=float)
    if arr.shape != (t,) or not np.all(np.isfinite(arr)):
        raise ValueError(f"{name}: expected {t} finite hourly values, got shape {arr.shape}")
    return arr


def valley_filling_schedule(
    env: StorageEnvelope, base_load_kw: np.ndarray, *, allow_v2g: bool = False
) -> np.ndarray:
    """Net schedule (kW, (T,)) that flattens ``base_load_kw + schedule`` (min sum of squares)
    subject to the envelope's Eq. (1); a small throughput penalty removes idle cycling."""
    base = _check_hourly("base_load_kw", base_load_kw, env.n_hours)
    cp, p_ch, p_dis, cons = _storage_problem(env, allow_v2g)
    scale = max(float(np.abs(base).max()), 1.0)
    obj = cp.sum_squares((base + p_ch - p_dis) / scale) + 1e-6 * cp.sum(p_ch + p_dis) / scale
    prob = cp.Problem(cp.Minimize(obj), cons)
    prob.solve(solver="CLARABEL")
    if prob.status not in ("optimal", "optimal_inaccurate"):
        raise RuntimeError(f"valley filling on {env.name}: solver status {prob.status}")
    return np.asarray(p_ch.value - p_dis.value, dtype=float)


def arbitrage_schedule(env: StorageEnvelope, price_rmb_per_kwh: np.ndarray) -> np.ndarray:
    """Net schedule (kW, (T,)) that minimises the energy bill ``sum_t price_t (p_ch - p_dis)``
    with vehicle-to-grid allowed: charge in the valley, discharge at the peak as hard as the
    envelope lets it (an aggressive V2G schedule)."""
    price = _check_hourly("price_rmb_per_kwh", price_rmb_per_kwh, env.n_hours)
    cp, p_ch, p_dis, cons = _storage_problem(env, True)
    obj = price @ (p_ch - p_dis) + 1e-6 * cp.sum(p_ch + p_dis)
    prob = cp.Problem(cp.Minimize(obj), cons)
    prob.solve(solver="CLARABEL")
    if prob.status not in ("optimal", "optimal_inaccurate"):
        raise RuntimeError(f"arbitrage on {env.name}: solver status {prob.status}")
    return np.asarray(p_ch.value - p_dis.value, dtype=float)
