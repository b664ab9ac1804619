"""The day-ahead forecast (Section 2.3) and the real-time assessment (Section 2.4) of a
station's dispatchable potential.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sopev_lib.core.ev.envelopes import (
    StationEnvelopes,
    derive_envelopes,
    doubled_timeline,
    station_envelopes,
)
from sopev_lib.core.ev.fleet import T_HOURS, Fleet, check_positive_int, ev_params_of, sample_fleet
from sopev_lib.system.params import Params

__all__ = [
    "DayAheadForecast",
    "RealTimeAssessment",
    "arrival_kernels",
    "day_ahead_forecast",
    "mean_arrival_kernels",
    "realtime_assessment",
]


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
    ev = ev_params_of(params)
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
    tl = doubled_timeline(fleet, group, n_groups)
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
    window_h, hours = _check_assessment(realised, kf, day, decision_hours, window_h)
    assessed, truth, prior = _window_sums(arrival_kernels(realised), kf, day, hours, window_h)

    def finish(parts: dict[str, list[np.ndarray]]) -> dict[str, np.ndarray]:
        arr = {k: np.stack(v) for k, v in parts.items()}
        return derive_envelopes(
            arr["n_present"], arr["delta_s_kwh"], arr["uncontrolled_kw"], realised
        )

    return RealTimeAssessment(
        decision_hours=hours,
        window_h=window_h,
        day=day,
        assessed=finish(assessed),
        realised=finish(truth),
        day_ahead=finish(prior),
    )


def _check_assessment(
    realised: Fleet,
    kf: dict[str, np.ndarray],
    day: int,
    decision_hours: np.ndarray | list[int] | range | None,
    window_h: int,
) -> tuple[int, np.ndarray]:
    """The checked window length (h) and decision hours (int64) of
    :func:`realtime_assessment`."""
    n_fc = kf["n_present"].shape[0]
    if n_fc != realised.n_stations:
        raise ValueError(f"forecast has {n_fc} stations but realised has {realised.n_stations}")
    window_h = check_positive_int("window_h", window_h)
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
    return window_h, hours.astype(np.int64)


def _window_sums(
    kr: dict[str, np.ndarray],
    kf: dict[str, np.ndarray],
    day: int,
    hours: np.ndarray,
    window_h: int,
) -> tuple[dict[str, list[np.ndarray]], ...]:
    """Per decision hour, the Eq. (4)-(6) sums over the window of the realised kernels ``kr``
    for vehicles known at the decision time and the forecast kernels ``kf`` for later arrivals
    (assessed), of the realised kernels alone (truth) and of the forecast alone (prior).

    Returns ``(assessed, truth, prior)``, each ``{kernel: [(S, W) per decision hour]}``.
    """
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
    return assessed, truth, prior
