"""The schema of ``data/params.yaml``: one frozen pydantic model per section.

Each field carries its allowed range (``Field(ge=..., gt=..., le=..., lt=...)``) or its choices
(``Literal``); ``model_validator`` methods hold the rules between fields (``@`` in their messages
stands for the section's dotted path, see :mod:`sopev_lib.system.schema`). Build the models with
:func:`sopev_lib.system.params.load_params`, which reads the file, checks it against this schema and
keeps every value's provenance.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BeforeValidator, Field, model_validator
from pydantic_core import PydanticCustomError

from sopev_lib.system.schema import Flag, FrozenModel, Real, Whole, distinct

__all__ = [
    "DGParams",
    "ESSParams",
    "EVParams",
    "EVTypeParams",
    "EconomicsParams",
    "FlexibilityParams",
    "NetworkParams",
    "Params",
    "ProfilesParams",
    "SOPParams",
    "TariffParams",
]

#: Value types of the fields (``Real`` and ``Whole`` take YAML's and numpy's numbers).
Positive = Annotated[Real, Field(gt=0.0)]
NonNegative = Annotated[Real, Field(ge=0.0)]
Fraction = Annotated[Real, Field(ge=0.0, le=1.0)]
Efficiency = Annotated[Real, Field(gt=0.0, le=1.0)]
Scale = Annotated[Real, Field(ge=0.0, le=10.0)]
Bus = Annotated[Whole, Field(ge=1)]


def _site_list(value: Any) -> Any:
    """``"stations"`` or a list of whole bus numbers >= 1 (a clear message for anything else,
    instead of pydantic's report on both members of the union)."""
    if isinstance(value, str):
        if value != "stations":
            raise ValueError(f'{value!r}: expected "stations" or a list of buses')
        return value
    if isinstance(value, list | tuple):
        value = [b.item() if isinstance(b, np.integer) else b for b in value]
    if not isinstance(value, list | tuple) or any(
        isinstance(b, bool) or not isinstance(b, int) or b < 1 for b in value
    ):
        raise ValueError(f'{value!r}: expected "stations" or a list of whole bus numbers >= 1')
    return tuple(value)


# ----- the schema ----------------------------------------------------------------------------
class NetworkParams(FrozenModel):
    """Feeder, voltage limits (p.u.) and substation limits (kW, kvar) of ref [28]; the limits
    are assumptions, see the YAML."""

    feeder: Literal["ieee33", "cigre_mv"]
    base_kv: Positive
    base_kva: Positive
    v_substation_pu: Real = Field(ge=0.9, le=1.1)
    v_min_pu: Real = Field(gt=0.5, le=1.0)
    v_max_pu: Real = Field(ge=1.0, lt=1.5)
    substation_p_max_kw: Positive
    substation_p_min_kw: Real
    substation_q_max_kvar: Real
    substation_q_min_kvar: Real
    tie_lines: tuple[str, ...]
    sop_sites: tuple[str, ...]

    @model_validator(mode="after")
    def _check(self) -> NetworkParams:
        if self.v_min_pu >= self.v_max_pu:
            raise ValueError(
                f"@v_min_pu = {self.v_min_pu} must be below @v_max_pu = {self.v_max_pu}"
            )
        if not self.v_min_pu <= self.v_substation_pu <= self.v_max_pu:
            raise ValueError(
                f"@v_substation_pu = {self.v_substation_pu} must lie in "
                f"[v_min_pu, v_max_pu] = [{self.v_min_pu}, {self.v_max_pu}]"
            )
        for low, high in (("p_min_kw", "p_max_kw"), ("q_min_kvar", "q_max_kvar")):
            lo, hi = getattr(self, f"substation_{low}"), getattr(self, f"substation_{high}")
            if lo > hi:
                raise ValueError(f"@substation_{low} = {lo} exceeds substation_{high} = {hi}")
        distinct(self, "tie_lines", "sop_sites")  # Eq. (8): one SOP per tie line
        missing = set(self.sop_sites) - set(self.tie_lines)
        if missing:
            raise ValueError(
                f"@sop_sites: {sorted(missing)} are not tie lines; allowed: {list(self.tie_lines)}"
            )
        return self


class DGParams(FrozenModel):
    """Distributed generation of Section 5: 1-based buses and ratings (kW)."""

    pv_buses: tuple[Bus, ...]
    pv_rating_kw: tuple[NonNegative, ...]
    wind_buses: tuple[Bus, ...]
    wind_rating_kw: tuple[NonNegative, ...]
    power_factor: Efficiency
    curtailable: Flag

    @model_validator(mode="after")
    def _check(self) -> DGParams:
        distinct(self, "pv_buses", "wind_buses")
        for kind in ("pv", "wind"):
            buses, ratings = getattr(self, f"{kind}_buses"), getattr(self, f"{kind}_rating_kw")
            if len(buses) != len(ratings):
                raise ValueError(
                    f"@{kind}_rating_kw: {len(ratings)} ratings for {len(buses)} buses in "
                    f"@{kind}_buses"
                )
        return self


class SOPParams(FrozenModel):
    """Soft open point data of Table 1 and Eqs. (8), (12), (13) (RMB/kVA, years, kVA).

    The unit cost must be positive: the paper audit divides by it (C_SI per RMB of Table 1)."""

    loss_coefficient: Real = Field(ge=0.0, lt=0.5)
    unit_cost_rmb_per_kva: Positive
    lifetime_years: Positive
    discount_rate: Real = Field(ge=0.0, lt=1.0)
    annualisation: Literal["straight_line", "crf"]
    om_factor: Fraction
    max_capacity_kva: Positive


class TariffParams(FrozenModel):
    """Time-of-use purchase tariff of Table 1 / Section 5 (RMB/kWh); at least one price must be
    positive, since the savings against Plan 1 and the stage-2 cost bound divide by the cost."""

    peak_rmb_per_kwh: NonNegative
    flat_rmb_per_kwh: NonNegative
    valley_rmb_per_kwh: NonNegative

    @model_validator(mode="after")
    def _check(self) -> TariffParams:
        if max(self.peak_rmb_per_kwh, self.flat_rmb_per_kwh, self.valley_rmb_per_kwh) <= 0.0:
            raise ValueError(
                "@peak_rmb_per_kwh, @flat_rmb_per_kwh and @valley_rmb_per_kwh are all 0: at "
                "least one price must be > 0 (with free energy every plan costs nothing, and the "
                "savings of Table 4 and the stage-2 cost bound are undefined)"
            )
        return self


class EconomicsParams(FrozenModel):
    """Annualisation (days) and loss pricing (RMB/kWh) of Eqs. (14)-(17)."""

    days_per_year: Real = Field(gt=0.0, le=366.0)
    loss_price: Literal["tariff", "flat"]
    loss_price_flat_rmb_per_kwh: NonNegative
    sop_loss_in_nlc: Flag


#: A SimBench grid code (checked against the installed package when profiles are read).
SimbenchCode = Annotated[
    str, Field(pattern=r"^1-[A-Za-z]+-[A-Za-z0-9.]+-[A-Za-z0-9.]*-[012]-(sw|no_sw)$")
]
#: A SimBench profile name (checked against the data set when the profiles are read).
ProfileName = Annotated[str, Field(min_length=1)]


def _day_of_year(value: Any) -> Any:
    """``"mean"`` or a whole day of the year 1-366 (numpy integers unwrapped)."""
    value = value.item() if hasattr(value, "item") and not isinstance(value, str) else value
    if value == "mean" and isinstance(value, str):
        return value
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 366:
        raise PydanticCustomError("day_of_year", "expected 'mean' or a day of the year 1-366")
    return value


#: The planning day of a year of profiles: "mean" or a day of the year 1-366.
SimbenchDay = Annotated[str | int, BeforeValidator(_day_of_year)]


class ProfilesParams(FrozenModel):
    """Where the 24 h curves come from and how they are scaled.

    ``source``: ``"ours"`` reads ``file`` of ``data/``; ``"simbench"`` maps SimBench's 2016
    profiles (the data set of ``simbench_code``'s scenario) onto the feeder: bus loads of at
    least ``simbench_commercial_kw`` (kW) follow ``simbench_commercial``, the others
    ``simbench_residential``; PV and wind follow ``simbench_pv`` and ``simbench_wind`` per unit
    of rating; ``simbench_day`` is the planning day (``"mean"``: the year's mean day, or a day
    of the year 1-366); see :func:`sopev_lib.system.profiles.simbench_year`.
    """

    file: str
    load_scale: Scale
    pv_scale: Scale
    wind_scale: Scale
    source: Literal["ours", "simbench"]
    simbench_code: SimbenchCode
    simbench_residential: ProfileName
    simbench_commercial: ProfileName
    simbench_commercial_kw: NonNegative
    simbench_pv: ProfileName
    simbench_wind: ProfileName
    simbench_day: SimbenchDay


class EVTypeParams(FrozenModel):
    """One vehicle type of Table 2 (times in hours, SOC as a fraction of the battery)."""

    name: str
    arrival_mean_h: Real = Field(ge=0.0, le=24.0)
    arrival_spread: Real = Field(gt=0.0, le=24.0)
    departure_mean_h: Real = Field(ge=0.0, le=24.0)
    departure_spread: Real = Field(gt=0.0, le=24.0)
    arrival_soc_low: Fraction
    arrival_soc_high: Fraction

    @model_validator(mode="after")
    def _check(self) -> EVTypeParams:
        if self.arrival_soc_low > self.arrival_soc_high:
            raise ValueError(
                f"@arrival_soc_low = {self.arrival_soc_low} exceeds "
                f"arrival_soc_high = {self.arrival_soc_high}"
            )
        return self


class EVParams(FrozenModel):
    """EV fleet of Tables 1-3 (kW, kWh, SOC fractions, vehicle counts, 1-based buses) and the
    generalised-storage data of Eqs. (1)-(6).

    ``baseline_charging``: how the fleet charges in Plans 1-3, which do not plan the stations:
    ``uncontrolled`` (every car at rated power on arrival) or ``smart`` (the stations as
    generalised storage without discharge, i.e. smart charging without V2G). ``eta_ref``: the
    discharge compensation factor of Eq. (1) (1 = none)."""

    seed: Whole = Field(ge=0)
    rated_power_kw: Positive
    battery_kwh: Positive
    eta_ch: Efficiency
    eta_dis: Efficiency
    soc_min: Fraction
    soc_max: Fraction
    station_power_limit_kw: NonNegative
    departure_soc_target: Fraction
    spread_reading: Literal["variance", "std"]
    types: tuple[EVTypeParams, ...]
    station_counts: tuple[tuple[tuple[Annotated[Whole, Field(ge=0)], ...], ...], ...]
    station_buses: tuple[Bus, ...]
    forecast_days: Whole = Field(ge=1, le=100000)
    baseline_charging: Literal["uncontrolled", "smart"] = "uncontrolled"
    eta_ref: Real = Field(default=1.0, gt=0.0, le=2.0)
    forecast_band: tuple[Annotated[Real, Field(ge=0.0, le=100.0)], ...] = Field(
        min_length=2, max_length=2
    )

    @model_validator(mode="after")
    def _check_soc(self) -> EVParams:
        if not self.types:
            raise ValueError("@types: at least one vehicle type is needed")
        if self.soc_min >= self.soc_max:
            raise ValueError(f"@soc_min = {self.soc_min} must be below soc_max = {self.soc_max}")
        limits = f"[soc_min, soc_max] = [{self.soc_min}, {self.soc_max}]"
        if not self.soc_min <= self.departure_soc_target <= self.soc_max:
            raise ValueError(
                f"@departure_soc_target = {self.departure_soc_target} must lie in {limits}"
            )
        for k, vt in enumerate(self.types):
            for name in ("arrival_soc_low", "arrival_soc_high"):
                value = getattr(vt, name)
                if not self.soc_min <= value <= self.soc_max:
                    raise ValueError(
                        f"@types[{k}].{name} = {value} is outside the allowed range {limits}: "
                        "a car must arrive within the SOC limits of Eq. (5)"
                    )
        return self

    @model_validator(mode="after")
    def _check_stations(self) -> EVParams:
        if len(self.station_counts) != len(self.station_buses):
            raise ValueError(
                f"@station_counts has {len(self.station_counts)} stations but "
                f"@station_buses has {len(self.station_buses)}"
            )
        distinct(self, "station_buses")  # Eq. (1): one generalised storage unit per bus
        for s, row in enumerate(self.station_counts):
            if len(row) != len(self.types):
                raise ValueError(
                    f"@station_counts[{s}] has {len(row)} entries; expected one [low, high] "
                    f"range per vehicle type ({len(self.types)})"
                )
            for k, rng in enumerate(row):
                if len(rng) != 2 or rng[0] > rng[1]:
                    raise ValueError(
                        f"@station_counts[{s}][{k}] = {list(rng)}: expected [low, high] with "
                        "0 <= low <= high"
                    )
        if self.forecast_band[0] >= self.forecast_band[1]:
            raise ValueError(f"@forecast_band = {list(self.forecast_band)}: low >= high")
        return self


class ESSParams(FrozenModel):
    """Conventional battery storage of Plan 3 (RMB/kWh, RMB/kW, years, fractions, kWh; all
    assumptions: the paper gives none). ``buses``: where the batteries sit, ``"stations"`` (one
    at each charging-station bus) or a list of 1-based buses."""

    energy_cost_rmb_per_kwh: NonNegative
    power_cost_rmb_per_kw: NonNegative
    lifetime_years: Positive
    om_factor: Fraction
    eta_ch: Efficiency
    eta_dis: Efficiency
    soc_min: Fraction
    soc_max: Fraction
    max_energy_kwh: Positive
    buses: Annotated[Literal["stations"] | tuple[Bus, ...], BeforeValidator(_site_list)] = (
        "stations"
    )

    @model_validator(mode="after")
    def _check(self) -> ESSParams:
        if not isinstance(self.buses, str):
            if not self.buses:
                raise ValueError('@buses: give at least one bus, or "stations"')
            distinct(self, "buses")
        if self.soc_min >= self.soc_max:
            raise ValueError(f"@soc_min = {self.soc_min} must be below soc_max = {self.soc_max}")
        return self


class FlexibilityParams(FrozenModel):
    """Flexibility indices, Eqs. (18)-(21), and the second stage of Section 4.2.

    ``epsilon``: stage 2 may raise the stage-1 cost by at most this fraction. ``branch_ampacity_a``:
    I_max of Eq. (20) (A). ``ramp_tol_kw``: guard of Eq. (18), net-load ramps smaller than this
    (kW) are dropped. ``stage2_cost_weight``: weight of the (normalised) cost in the stage-2
    objective, a tie-breaker that keeps losses priced so that the cone relaxation stays exact.
    """

    epsilon: Fraction
    branch_ampacity_a: Positive
    ramp_tol_kw: Positive
    stage2_cost_weight: Fraction


class Params(FrozenModel):
    """All parameters of the study; build with :func:`load_params`.

    ``provenance`` holds ``(dotted path, value, unit, source)`` of every leaf as read (with
    overrides applied); ``source_file`` the YAML file; ``preset`` the name of the preset applied
    (:func:`sopev_lib.system.params.load_params`), or ``None``."""

    network: NetworkParams
    dg: DGParams
    sop: SOPParams
    tariff: TariffParams
    economics: EconomicsParams
    profiles: ProfilesParams
    ev: EVParams
    ess: ESSParams
    flexibility: FlexibilityParams
    source_file: Path = Path()
    provenance: tuple[tuple[str, Any, str, str], ...] = Field(default=(), repr=False)
    preset: str | None = None

    def replace(self, **overrides: Any) -> Params:
        """A copy with dotted-path overrides, e.g. ``p.replace(**{"network.v_min_pu": 0.95})``
        (earlier overrides are not kept: the file is read again, with the same preset)."""
        from sopev_lib.system.params import load_params  # the loader builds Params

        return load_params(self.source_file, overrides=overrides, preset=self.preset)


#: The sections of :class:`Params` by name (the top-level keys of the YAML file).
SECTIONS: dict[str, type[FrozenModel]] = {
    name: f.annotation
    for name, f in Params.model_fields.items()
    if name not in ("source_file", "provenance", "preset")
}
