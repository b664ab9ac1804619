"""Tables and result-dependent phrases of the EV chapter (Section 2 of the paper).

The chapter ``02_ev_dispatchable_potential`` samples the fleet of Tables 1-3, aggregates it into
the generalised storage of Eqs. (4)-(6), forecasts it (Sections 2.3-2.4) and checks whether the
vehicles can follow an aggregate schedule. This module turns those results into the tables the
chapter shows (numbers through :func:`~sopev_lib.book.tables.fmt`, symbols typeset) and into the
short phrases it glues (verdicts that depend on the numbers). Nothing here samples a fleet; the
disaggregation table runs :func:`~sopev_lib.verify.disaggregate.disaggregate` per station.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from sopev_lib.book.tables import fmt, transposed
from sopev_lib.core.ev.envelopes import StationEnvelopes
from sopev_lib.core.ev.fleet import Fleet, count_ranges
from sopev_lib.core.storage import StorageEnvelope
from sopev_lib.system.params import EVParams
from sopev_lib.system.text import hhmm
from sopev_lib.verify.disaggregate import (
    Disaggregation,
    arbitrage_schedule,
    disaggregate,
    valley_filling_schedule,
)

__all__ = [
    "SCHEDULES",
    "cap_phrase",
    "clock",
    "count_table",
    "disaggregation_by_station",
    "disaggregation_phrase",
    "disaggregation_table",
    "feasibility_phrase",
    "forecast_gap_phrase",
    "planning_table",
    "realtime_trend_phrase",
    "representative_schedules",
    "spread_phrase",
    "station_hour_table",
    "station_label",
    "vehicle_records",
]

#: The aggregate schedules tried on every station (label: vehicle-to-grid allowed).
SCHEDULES = {"uncontrolled": False, "valley filling": False, "arbitrage V2G": True}


def station_label(station: int, bus: int) -> str:
    """``"2 (bus 19)"`` for the 0-based station 1 at bus 19."""
    return f"{station + 1} (bus {bus})"


def clock(hours: float) -> str:
    """A clock time in hours wrapped into the day, as ``"hh:mm"`` (``25.5`` -> ``"01:30"``)."""
    minutes = round(float(hours) * 60.0) % (24 * 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


# --------------------------------------------------------------------------------------------
# the fleet (Tables 1-3, Eqs. 2-3) and one station's envelope (Eq. 6)
# --------------------------------------------------------------------------------------------


def count_table(fleet: Fleet, ev: EVParams, count_scale: float = 1.0) -> pd.DataFrame:
    """Table 3 as read beside the sampled fleet: per station and type the range M(a, b) (scaled
    by ``count_scale``, :func:`~sopev_lib.core.ev.fleet.count_ranges`) and the mean number of
    vehicles over the sampled days; the last column is the station's mean total."""
    lo, hi = count_ranges(ev, count_scale)
    mean_counts = fleet.counts.mean(axis=0)
    rows = []
    for s, bus in enumerate(ev.station_buses):
        row = {"station": station_label(s, bus)}
        for k, vt in enumerate(ev.types):
            rng = f"M({lo[s, k]}, {hi[s, k]})" if hi[s, k] > 0 else "0"
            row[f"type {vt.name}"] = f"{rng}; mean {fmt(mean_counts[s, k])}"
        row["total (mean)"] = fmt(mean_counts[s].sum())
        rows.append(row)
    return pd.DataFrame(rows)


def vehicle_records(fleet: Fleet, per_type: int = 2) -> pd.DataFrame:
    """The records E_Vn of Eq. (3) of the first ``per_type`` vehicles of each type in ``fleet``
    (one row per car, index ``car`` = its position in the fleet, from 1): type, sampled arrival
    and departure clock times, the hourly slots it is plugged in, and the battery energy on
    arrival and required on departure (kWh). The limits s^min, s^max and p^max of Eq. (3) are
    the same for every vehicle (Table 1) and are not repeated."""
    idx = np.concatenate(
        [np.flatnonzero(fleet.vtype == k)[: int(per_type)] for k in range(fleet.n_types)]
    )
    frame = pd.DataFrame(
        {
            "type": [fleet.type_names[int(k)] for k in fleet.vtype[idx]],
            "arrival": [clock(h) for h in fleet.arrival_h[idx]],
            "departure": [clock(h) for h in fleet.departure_h[idx]],
            "plugged in": [
                f"{hhmm(a)}-{hhmm(d)}"
                for a, d in zip(fleet.arrival_slot[idx], fleet.departure_slot[idx], strict=True)
            ],
            "energy on arrival (kWh)": [fmt(x) for x in fleet.s_arr_kwh[idx]],
            "on departure (kWh)": [fmt(x) for x in fleet.s_lea_kwh[idx]],
        },
        index=pd.Index(idx + 1, name="car"),
    )
    return frame


def station_hour_table(env: StationEnvelopes, station: int, day: int | None = None) -> pd.DataFrame:
    """Eq. (6) of one station hour by hour: vehicles plugged in (the sum of X_{n,t}, Eq. 4),
    P^ch,max (= P^dis,max), S^min, S^max and Delta S (Eq. 5); the mean over the days of ``env``
    when ``day`` is None."""
    one = env.mean() if day is None else env.day(day)
    cols = {
        "cars": (one.n_present, 1),
        "$P^{ch,max}$ (kW)": (one.p_ch_max_kw, 0),
        "$S^{min}$ (kWh)": (one.s_min_kwh, 0),
        "$S^{max}$ (kWh)": (one.s_max_kwh, 0),
        "$\\Delta S$ (kWh)": (one.delta_s_kwh, 0),
    }
    frame = {"hour": [hhmm(t) for t in range(one.n_present.shape[-1])]}
    for name, (values, digits) in cols.items():
        frame[name] = [fmt(v, digits, scale=1e3) for v in values[0, station]]
    return pd.DataFrame(frame)


def planning_table(envelopes: Sequence[StorageEnvelope], daily: StationEnvelopes) -> pd.DataFrame:
    """What the planning model receives (``planning_envelopes``), one column per station: mean
    vehicles, grid energy of uncontrolled charging, its mean peak and the highest peak of any
    sampled day in ``daily``, the largest P^ch,max and the range of S (Eq. 5)."""
    rows = []
    for s, pe in enumerate(envelopes):
        t_pk = int(np.argmax(pe.uncontrolled_kw))
        rows.append(
            {
                "station": pe.name,
                "bus": str(pe.bus),
                "cars (mean)": fmt(pe.n_vehicles),
                "grid energy (MWh/day)": fmt(pe.uncontrolled_kw.sum() / 1e3, 2),
                "uncontrolled peak, mean (kW)": fmt(pe.uncontrolled_kw.max(), 0),
                "hour of that peak": hhmm(t_pk),
                "highest daily peak (kW)": fmt(daily.uncontrolled_kw[:, s].max(), 0),
                "largest $P^{ch,max}$ (kW)": fmt(pe.p_ch_max_kw.max(), 0),
                "$S$ range (MWh)": f"{fmt(pe.s_min_kwh.min() / 1e3, 2)}"
                f"-{fmt(pe.s_max_kwh.max() / 1e3, 2)}",
            }
        )
    return transposed(pd.DataFrame(rows), "station", " ")


# --------------------------------------------------------------------------------------------
# disaggregation (beyond the paper)
# --------------------------------------------------------------------------------------------


def representative_schedules(
    storage: StorageEnvelope,
    uncontrolled_kw: np.ndarray,
    net_load_kw: np.ndarray,
    price_rmb_per_kwh: np.ndarray,
) -> dict[str, np.ndarray]:
    """The aggregate schedules of :data:`SCHEDULES` for one station (kW, + = charging): the
    uncontrolled load, valley filling of the feeder's net load without discharging, and price
    arbitrage with vehicle-to-grid, both on ``storage`` (Eq. 1)."""
    return {
        "uncontrolled": np.asarray(uncontrolled_kw, dtype=float),
        "valley filling": valley_filling_schedule(storage, net_load_kw),
        "arbitrage V2G": arbitrage_schedule(storage, price_rmb_per_kwh),
    }


def disaggregation_by_station(
    fleet: Fleet,
    envelopes: StationEnvelopes,
    day: int,
    net_load_kw: np.ndarray,
    price_rmb_per_kwh: np.ndarray,
    known: Mapping[int, Mapping[str, Disaggregation]] | None = None,
) -> pd.DataFrame:
    """Disaggregate the :data:`SCHEDULES` of every station with vehicles on ``day``.

    Returns one row per station: ``station`` (numbered from 1), ``bus``, ``cars``, ``need_kwh``
    (departure energy the cars need, kWh) and per schedule ``<label>: mismatch`` (kWh not
    followed) and ``<label>: missed`` (departure energy missed, kWh). Results already computed
    for a station can be passed in ``known`` (0-based station -> label -> result) and are not
    solved again.
    """
    storages = envelopes.to_storage(day=day)
    rows = []
    for s in range(fleet.n_stations):
        cars = int(fleet.counts[day, s].sum())
        if cars == 0:
            continue
        done = (known or {}).get(s, {})
        scheds = representative_schedules(
            storages[s], envelopes.uncontrolled_kw[day, s], net_load_kw, price_rmb_per_kwh
        )
        row: dict[str, object] = {
            "station": s + 1,
            "bus": int(fleet.station_buses[s]),
            "cars": cars,
            "need_kwh": float(fleet.select(day=day, station=s).energy_need_kwh.sum()),
        }
        for label, v2g in SCHEDULES.items():
            res = done.get(label) or disaggregate(
                fleet, scheds[label], day=day, station=s, allow_v2g=v2g
            )
            row[f"{label}: mismatch"] = res.mismatch_kwh
            row[f"{label}: missed"] = res.total_shortfall_kwh
        rows.append(row)
    return pd.DataFrame(rows)


def disaggregation_table(frame: pd.DataFrame) -> pd.DataFrame:
    """The table the chapter shows from :func:`disaggregation_by_station`: per station and
    schedule "mismatch ; missed" in kWh (solver round-off shown as 0)."""
    out = pd.DataFrame(
        {
            "station": [
                station_label(s - 1, b) for s, b in zip(frame.station, frame.bus, strict=True)
            ],
            "cars": frame.cars.astype(int).astype(str),
        }
    )
    for label in SCHEDULES:
        out[label] = [
            f"{fmt(m, 0, scale=1e3)} ; {fmt(x, 0, scale=1e3)}"
            for m, x in zip(frame[f"{label}: mismatch"], frame[f"{label}: missed"], strict=True)
        ]
    return out


# --------------------------------------------------------------------------------------------
# phrases glued into the prose
# --------------------------------------------------------------------------------------------


def cap_phrase(p_ch_max_kw: np.ndarray, limit_kw: float) -> str:
    """Whether the station power limit of Table 1 caps the Eq. (5) power bound anywhere."""
    p = np.asarray(p_ch_max_kw, dtype=float)
    n_capped = int((p >= limit_kw - 1e-9).sum())
    if n_capped == 0:
        return "the cap never binds"
    return f"the cap binds in {100 * n_capped / p.size:.1f} % of the station-hours"


def feasibility_phrase(feasible: np.ndarray | bool) -> str:
    """``"feasible for every station"`` when every entry of ``feasible`` holds."""
    return "feasible for every station" if bool(np.all(feasible)) else "not feasible everywhere"


def realtime_trend_phrase(error_kwh: np.ndarray, lead: int = 1) -> str:
    """Whether the real-time error (per lead time) grows from ``lead`` to the window's end."""
    err = np.asarray(error_kwh, dtype=float)
    if err[-1] > err[min(lead, err.size - 1)]:
        return (
            "The gain fades with the lead time, because more and more of the cars in the window "
            "have not arrived yet."
        )
    return "The error does not grow with the lead time in this run."


def disaggregation_phrase(label: str, res: Disaggregation, need_kwh: float) -> str:
    """One sentence on whether the cars can carry a schedule (``label``), with the departure
    energy missed as a share of ``need_kwh``, what the station's cars need that day."""
    if res.mismatch_kwh < 0.5 and res.total_shortfall_kwh < 0.5:
        return f"The cars can carry the {label} schedule: it is followed exactly."
    share = 100 * res.total_shortfall_kwh / max(need_kwh, 1e-9)
    return (
        f"The {label} schedule misses {fmt(res.total_shortfall_kwh, 0)} kWh of departure energy "
        f"({share:.1f} % of what the station's cars need that day) and cannot be followed by "
        f"{fmt(res.mismatch_kwh, 0)} kWh."
    )


def forecast_gap_phrase(same_day: Disaggregation, planned: Disaggregation) -> str:
    """Whether a schedule planned on the day-ahead envelope is harder to follow (mismatch plus
    missed energy) than the same kind of schedule fitted to the realised day."""
    gap_same = same_day.mismatch_kwh + same_day.total_shortfall_kwh
    gap_planned = planned.mismatch_kwh + planned.total_shortfall_kwh
    if gap_planned > gap_same:
        return "the error of the forecast adds to the gap of the approximation."
    return (
        "on this day the schedule planned on the forecast is no harder to follow than the one "
        "fitted to the realised day, so the forecast error does not add to the gap."
    )


def spread_phrase(uncontrolled_peak: Mapping[str, float], capped: Mapping[str, float]) -> str:
    """What the ``std`` reading of Table 2's spread changes against ``variance``: the peak of
    uncontrolled charging and the share of cars whose stay is too short for their target."""
    lower_peak = uncontrolled_peak["std"] < uncontrolled_peak["variance"]
    more_capped = capped["std"] > capped["variance"]
    return (
        "The wider spreads of the std reading "
        + (
            "smear the evening peak of uncontrolled charging, which makes Plans 1-3 look better"
            if lower_peak
            else "do not lower the uncontrolled peak"
        )
        + ", and "
        + (
            "leave more cars with stays too short for their target, and the stations less to offer."
            if more_capped
            else "do not leave more stays too short."
        )
    )
