"""24 h profiles: load multiplier, PV and wind per-unit output, time-of-use tariff (Section 5).

The paper's Figure 4 prints no numbers; ``data/profiles.csv`` holds defensible curves whose
shapes are documented in ``data/README.md``. Tariff periods come from the CSV, prices from
``params.tariff`` (Table 1).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sopev_lib.system.feeder import Feeder
from sopev_lib.system.params import Params
from sopev_lib.system.paths import data_dir

__all__ = [
    "Profiles",
    "bus_dg_available_kw",
    "bus_load_kvar",
    "bus_load_kw",
    "dg_units",
    "load_profiles",
    "read_profiles_csv",
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
    """
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
