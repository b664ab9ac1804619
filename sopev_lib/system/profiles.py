"""24 h profiles: load multiplier, PV and wind per-unit output, time-of-use tariff (Section 5).

The paper's Figure 4 prints no numbers; ``data/profiles.csv`` holds defensible curves whose
shapes are documented in ``data/README.md``. Tariff periods come from the CSV, prices from
``params.tariff`` (Table 1).
"""

from __future__ import annotations

from dataclasses import dataclass

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
]

PERIODS = ("peak", "flat", "valley")


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


def load_profiles(params: Params, frame: pd.DataFrame | None = None) -> Profiles:
    """Read ``data/<params.profiles.file>`` (or use ``frame``) and apply scales and prices.

    Raises ``ValueError`` naming the column for a missing column, a negative value, a per-unit
    output above 1.5, an unknown tariff period, or hours that are not 0..T-1.
    """
    df = frame if frame is not None else pd.read_csv(data_dir() / params.profiles.file)
    for col in ("hour", "load_pu", "pv_pu", "wind_pu", "tariff_period"):
        if col not in df:
            raise ValueError(f"profiles: missing column {col!r}")
    hour = df["hour"].to_numpy(dtype=int)
    if not np.array_equal(hour, np.arange(len(df))) or len(df) == 0:
        raise ValueError(f"profiles.hour must be 0, 1, ..., T-1; got {hour.tolist()}")
    curves = {}
    for col in ("load_pu", "pv_pu", "wind_pu"):
        values = df[col].to_numpy(dtype=float)
        if not np.all(np.isfinite(values)) or np.any(values < 0) or np.any(values > 1.5):
            raise ValueError(f"profiles.{col} must lie in [0, 1.5] (per unit); got {values}")
        curves[col] = values
    period = df["tariff_period"].astype(str).to_numpy()
    bad = sorted(set(period) - set(PERIODS))
    if bad:
        raise ValueError(f"profiles.tariff_period: {bad} not in {list(PERIODS)}")
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
