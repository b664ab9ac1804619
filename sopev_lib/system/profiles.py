"""24 h profiles: load multiplier, PV and wind per-unit output, time-of-use tariff (Section 5).

The paper's Figure 4 prints no numbers; ``data/profiles.csv`` holds defensible curves whose
shapes are documented in ``data/README.md``. Tariff periods come from the CSV, prices from
``params.tariff`` (Table 1).

With ``profiles.source = "simbench"`` the curves come from SimBench's year 2016 instead
(:func:`simbench_year`, chapter 9): one load multiplier mixed from SimBench load profiles by the
rule of :func:`simbench_bus_profiles`, PV and wind per unit of rating, every day of the year;
the planning day is ``profiles.simbench_day`` (the year's mean day by default).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sopev_lib.system.feeder import Feeder
from sopev_lib.system.params import Params
from sopev_lib.system.paths import data_dir

__all__ = [
    "Profiles",
    "YearProfiles",
    "bus_dg_available_kw",
    "bus_load_kvar",
    "bus_load_kw",
    "dg_units",
    "file_profiles",
    "load_profiles",
    "read_profiles_csv",
    "simbench_bus_profiles",
    "simbench_year",
]

PERIODS = ("peak", "flat", "valley")
COLUMNS = ("hour", "load_pu", "pv_pu", "wind_pu", "tariff_period")


@dataclass(frozen=True, eq=False)
class Profiles:
    """Hourly curves of one planning day (hour h is the interval [h, h+1)).

    Attributes:
        hour: 0..T-1.
        load_pu: multiplier of the nominal (peak) bus loads, already scaled by load_scale.
        pv_pu, wind_pu: available output per unit of rating, already scaled.
        tariff_period: "peak" / "flat" / "valley" per hour.
        tariff_rmb_per_kwh: purchase price c_g of Eq. (16) per hour.
    """

    hour: np.ndarray
    load_pu: np.ndarray
    pv_pu: np.ndarray
    wind_pu: np.ndarray
    tariff_period: np.ndarray
    tariff_rmb_per_kwh: np.ndarray

    @property
    def n_hours(self) -> int:
        return len(self.hour)

    def table(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "hour": self.hour,
                "load_pu": self.load_pu,
                "pv_pu": self.pv_pu,
                "wind_pu": self.wind_pu,
                "tariff_period": self.tariff_period,
                "tariff_rmb_per_kwh": self.tariff_rmb_per_kwh,
            }
        )


def read_profiles_csv(path: str | Path) -> pd.DataFrame:
    """The profiles table of ``path`` (CSV with a header row).

    Raises:
        FileNotFoundError: no file at ``path`` (naming it and the parameter ``profiles.file``).
        ValueError: a file that is empty, has no header or is not CSV (naming the file).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"profiles file {path} does not exist (parameter profiles.file, relative to "
            f"{data_dir()})"
        )
    try:
        df = pd.read_csv(path)
    except pd.errors.EmptyDataError:
        raise ValueError(
            f"profiles file {path} is empty: expected a CSV with columns {', '.join(COLUMNS)}"
        ) from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise ValueError(f"profiles file {path} is not a readable CSV table: {exc}") from None
    if len(df) == 0:
        raise ValueError(f"profiles file {path} has a header but no rows (expected 24 hours)")
    return df


def _numeric(df: pd.DataFrame, col: str, where: str) -> np.ndarray:
    """Column ``col`` as floats; ``ValueError`` naming the column, rows and values that are not
    numbers (empty cells included)."""
    values = pd.to_numeric(df[col], errors="coerce").to_numpy(dtype=float)
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        shown = ", ".join(f"row {i + 1}: {str(df[col].iloc[i])!r}" for i in bad[:5])
        raise ValueError(f"{where}: profiles.{col} must hold finite numbers; got {shown}")
    return values


def load_profiles(params: Params, frame: pd.DataFrame | None = None) -> Profiles:
    """Read ``data/<params.profiles.file>`` (or use ``frame``) and apply scales and prices.

    Raises ``FileNotFoundError`` for a missing file and ``ValueError`` naming the file and the
    column for an empty file, a missing column, a value that is not a number, a negative value,
    a per-unit output above 1.5, an unknown tariff period, or hours that are not 0..T-1.

    With ``params.profiles.source = "simbench"`` (and no ``frame``) the curves are the day
    ``profiles.simbench_day`` of :func:`simbench_year` (tariff periods still from the file).
    """
    if frame is None and params.profiles.source == "simbench":
        year = simbench_year(params)
        day = params.profiles.simbench_day
        return year.mean_day() if day == "mean" else year.day(int(day))
    if frame is None:
        path = data_dir() / params.profiles.file
        where, df = f"profiles file {path}", read_profiles_csv(path)
    else:
        where, df = "profiles", frame
    for col in COLUMNS:
        if col not in df:
            raise ValueError(f"{where}: missing column {col!r} (expected {', '.join(COLUMNS)})")
    hour = _numeric(df, "hour", where)
    if len(df) == 0 or not np.array_equal(hour, np.arange(len(df))):
        raise ValueError(f"{where}: profiles.hour must be 0, 1, ..., T-1; got {hour.tolist()}")
    hour = hour.astype(int)
    curves = {}
    for col in ("load_pu", "pv_pu", "wind_pu"):
        values = _numeric(df, col, where)
        if np.any(values < 0) or np.any(values > 1.5):
            raise ValueError(
                f"{where}: profiles.{col} must lie in [0, 1.5] (per unit); got {values}"
            )
        curves[col] = values
    period = df["tariff_period"].astype(str).to_numpy()
    bad = sorted(set(period) - set(PERIODS))
    if bad:
        raise ValueError(f"{where}: profiles.tariff_period: {bad} not in {list(PERIODS)}")
    price = {
        "peak": params.tariff.peak_rmb_per_kwh,
        "flat": params.tariff.flat_rmb_per_kwh,
        "valley": params.tariff.valley_rmb_per_kwh,
    }
    return Profiles(
        hour=hour,
        load_pu=curves["load_pu"] * params.profiles.load_scale,
        pv_pu=curves["pv_pu"] * params.profiles.pv_scale,
        wind_pu=curves["wind_pu"] * params.profiles.wind_scale,
        tariff_period=period,
        tariff_rmb_per_kwh=np.array([price[p] for p in period]),
    )


def bus_load_kw(feeder: Feeder, profiles: Profiles) -> np.ndarray:
    """Active load per bus and hour (kW), shape (n_bus, T)."""
    return np.outer(feeder.p_load_kw, profiles.load_pu)


def bus_load_kvar(feeder: Feeder, profiles: Profiles) -> np.ndarray:
    """Reactive load per bus and hour (kvar), shape (n_bus, T)."""
    return np.outer(feeder.q_load_kvar, profiles.load_pu)


def dg_units(
    params: Params, feeder: Feeder, profiles: Profiles
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """The DG units of Section 5, PV first, then wind: their 0-based bus indices, their
    available output (kW, shape (n_dg, T): rating times the per-unit curve of ``profiles``)
    and their labels ("PV 7", "WT 9")."""
    dg = params.dg
    bus_index = feeder.indices_of([*dg.pv_buses, *dg.wind_buses])
    available_kw = np.vstack(
        [
            np.outer(np.asarray(dg.pv_rating_kw), profiles.pv_pu),
            np.outer(np.asarray(dg.wind_rating_kw), profiles.wind_pu),
        ]
    )
    labels = [f"PV {b}" for b in dg.pv_buses] + [f"WT {b}" for b in dg.wind_buses]
    return bus_index, available_kw, labels


def bus_dg_available_kw(feeder: Feeder, profiles: Profiles, params: Params) -> np.ndarray:
    """Available DG output per bus and hour (kW), shape (n_bus, T): the units of
    :func:`dg_units` summed at their buses."""
    bus_index, available_kw, _ = dg_units(params, feeder, profiles)
    out = np.zeros((feeder.n_bus, profiles.n_hours))
    np.add.at(out, bus_index, available_kw)
    return out


# ----- a year of SimBench profiles ----------------------------------------------------------
@dataclass(frozen=True, eq=False)
class YearProfiles:
    """Hourly curves of every day of a year (chapter 9), each of shape (n_days, 24), day d of
    the year in row d-1; already scaled by ``profiles.*_scale`` like :class:`Profiles`.

    Attributes:
        load_pu, pv_pu, wind_pu: load multiplier and PV and wind output per unit of rating.
        tariff_period, tariff_rmb_per_kwh: the 24 h tariff (the same every day).
        dates: the days of the year.
        load_profiles: the SimBench load profile of every feeder bus (``""`` at the substation).
        source: where the curves come from (one line).
    """

    load_pu: np.ndarray
    pv_pu: np.ndarray
    wind_pu: np.ndarray
    tariff_period: np.ndarray
    tariff_rmb_per_kwh: np.ndarray
    dates: pd.DatetimeIndex
    load_profiles: tuple[str, ...]
    source: str

    def __post_init__(self) -> None:
        for name in ("load_pu", "pv_pu", "wind_pu"):
            arr = getattr(self, name)
            if arr.ndim != 2 or arr.shape[1] != 24 or arr.shape != self.load_pu.shape:
                raise ValueError(
                    f"YearProfiles.{name}: expected shape (n_days, 24), got {arr.shape}"
                )
            if not np.all(np.isfinite(arr)) or np.any(arr < 0):
                raise ValueError(f"YearProfiles.{name}: values must be finite and >= 0")

    @property
    def n_days(self) -> int:
        return self.load_pu.shape[0]

    def _profiles(self, load: np.ndarray, pv: np.ndarray, wind: np.ndarray) -> Profiles:
        k = len(load) // 24
        return Profiles(
            hour=np.arange(24 * k),
            load_pu=load,
            pv_pu=pv,
            wind_pu=wind,
            tariff_period=np.tile(self.tariff_period, k),
            tariff_rmb_per_kwh=np.tile(self.tariff_rmb_per_kwh, k),
        )

    def day(self, day: int) -> Profiles:
        """The 24 h curves of day ``day`` of the year (1 = 1 January)."""
        return self.days([day])

    def days(self, days: Sequence[int]) -> Profiles:
        """The curves of several days of the year back to back (24 hours each)."""
        idx = np.asarray(days, dtype=int)
        if idx.size == 0 or idx.min() < 1 or idx.max() > self.n_days:
            raise ValueError(f"days must lie in 1..{self.n_days}; got {idx.tolist()}")
        pick = idx - 1
        return self._profiles(
            self.load_pu[pick].ravel(), self.pv_pu[pick].ravel(), self.wind_pu[pick].ravel()
        )

    def mean_day(self) -> Profiles:
        """The hourly mean over the year's days: the expected day."""
        return self._profiles(
            self.load_pu.mean(axis=0), self.pv_pu.mean(axis=0), self.wind_pu.mean(axis=0)
        )


def simbench_bus_profiles(feeder: Feeder, params: Params) -> tuple[str, ...]:
    """The SimBench load profile of every bus (the mapping rule of ``profiles.simbench_*``):
    ``simbench_commercial`` for a nominal load of at least ``simbench_commercial_kw``,
    ``simbench_residential`` for any other load, ``""`` for a bus without load."""
    pr = params.profiles
    names = np.where(
        feeder.p_load_kw >= pr.simbench_commercial_kw,
        pr.simbench_commercial,
        pr.simbench_residential,
    )
    return tuple(str(n) if p > 0 else "" for n, p in zip(names, feeder.p_load_kw, strict=True))


def simbench_year(params: Params, feeder: Feeder | None = None) -> YearProfiles:
    """SimBench's 2016 as hourly curves for ``feeder`` (default the parameters' feeder).

    - *Load*: every bus follows its profile of :func:`simbench_bus_profiles`, each profile
      divided by its own annual maximum (a bus's nominal load is its own peak); the feeder's
      multiplier is the nominal-load-weighted mix, divided by its annual maximum, so that the
      year's highest hour carries exactly the nominal load (3715 kW on the IEEE 33 feeder:
      the book reads the nominal load as the peak), times ``profiles.load_scale``.
    - *PV, wind*: SimBench's ``simbench_pv`` and ``simbench_wind`` per unit of installed
      power (their own peaks stay below 1), times ``pv_scale`` and ``wind_scale``.

    Hourly values are the means of SimBench's four quarter-hours (generation clipped at 0: the
    wind profile has a few values of -1e-6 p.u.). One multiplier for all
    buses and for active and reactive power (each bus keeps its power factor), as with the
    planning day of ``profiles.csv``.

    Raises:
        ValueError: an unknown SimBench code or profile name (naming the valid ones).
    """
    from sopev_lib.system.grids import load_feeder
    from sopev_lib.system.simbench import hourly_profiles, scenario_of, year_dates

    pr = params.profiles
    feeder = feeder or load_feeder(params)
    scenario = scenario_of(pr.simbench_code)
    # the load mix: every bus's profile, each divided by its own annual peak
    by_bus = simbench_bus_profiles(feeder, params)
    names = sorted({n for n in by_bus if n})
    curves = hourly_profiles(scenario, "load", names)  # (n, 366, 24)
    curves /= curves.max(axis=(1, 2), keepdims=True)
    # weighted by the nominal load of the buses that follow it, then scaled to peak 1
    weight = np.array([feeder.p_load_kw[[n == m for n in by_bus]].sum() for m in names])
    mix = np.tensordot(weight, curves, axes=1)
    load = mix / mix.max() * pr.load_scale
    # generation per unit of rating; the profiles hold a few tiny negatives (a wind turbine's
    # own use at standstill, at most 5e-6 p.u. in WP4): available output is never below zero
    res = np.maximum(hourly_profiles(scenario, "res", (pr.simbench_pv, pr.simbench_wind)), 0.0)
    tariff = file_profiles(params)
    return YearProfiles(
        load_pu=load,
        pv_pu=res[0] * pr.pv_scale,
        wind_pu=res[1] * pr.wind_scale,
        tariff_period=tariff.tariff_period,
        tariff_rmb_per_kwh=tariff.tariff_rmb_per_kwh,
        dates=year_dates(),
        load_profiles=by_bus,
        source=f"SimBench {pr.simbench_code} data set: load {', '.join(names)}; "
        f"PV {pr.simbench_pv}; wind {pr.simbench_wind}",
    )


def file_profiles(params: Params) -> Profiles:
    """The planning day of ``profiles.file`` whatever ``profiles.source`` says (the book's own
    curves; its tariff periods serve every day of :func:`simbench_year`)."""
    return load_profiles(params, read_profiles_csv(data_dir() / params.profiles.file))
