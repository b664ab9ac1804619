"""Load and validate the model parameters of ``data/params.yaml``.

Every leaf of the YAML file is ``{value, unit, source}``. The schema is the frozen pydantic models
below: each field carries its allowed range (``Field(ge=..., gt=..., le=..., lt=...)``) or its
choices (``Literal``); ``model_validator`` methods hold the rules between fields (``@`` in their
messages stands for the section's dotted path, see :mod:`sopev_lib.core.schema`).
:func:`load_params` raises :class:`ValueError` naming the field by its dotted path, the value and
the allowed range. :func:`provenance_table` lists every value with its unit and source for the
book, and marks a value of the parameter file that differs from the default recorded in
``data/params_defaults.json`` (written by :func:`record_defaults`) as ``modified``.
"""

from __future__ import annotations

import copy
import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import pandas as pd
from pydantic import Field, model_validator

from sopev_lib.core.paths import data_dir
from sopev_lib.core.schema import Flag, FrozenModel, Real, Whole, distinct, read_yaml, validating

__all__ = [
    "DEFAULTS_FILE",
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
    "defaults_of",
    "load_params",
    "provenance_table",
    "record_defaults",
    "replace_section",
    "revalidate",
]

#: The recorded defaults of ``data/params.yaml`` (dotted path -> {value, source}), in ``data/``.
DEFAULTS_FILE = "params_defaults.json"


Positive = Annotated[Real, Field(gt=0.0)]
NonNegative = Annotated[Real, Field(ge=0.0)]
Fraction = Annotated[Real, Field(ge=0.0, le=1.0)]
Efficiency = Annotated[Real, Field(gt=0.0, le=1.0)]
Scale = Annotated[Real, Field(ge=0.0, le=10.0)]
Bus = Annotated[Whole, Field(ge=1)]


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


class ProfilesParams(FrozenModel):
    """Where the 24 h curves come from (a file of ``data/``) and how they are scaled."""

    file: str
    load_scale: Scale
    pv_scale: Scale
    wind_scale: Scale


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
    generalised-storage data of Eqs. (1)-(6)."""

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
    assumptions: the paper gives none)."""

    energy_cost_rmb_per_kwh: NonNegative
    power_cost_rmb_per_kw: NonNegative
    lifetime_years: Positive
    om_factor: Fraction
    eta_ch: Efficiency
    eta_dis: Efficiency
    soc_min: Fraction
    soc_max: Fraction
    max_energy_kwh: Positive

    @model_validator(mode="after")
    def _check(self) -> ESSParams:
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
    overrides applied); ``source_file`` the YAML file."""

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

    def replace(self, **overrides: Any) -> Params:
        """A copy with dotted-path overrides, e.g. ``p.replace(**{"network.v_min_pu": 0.95})``."""
        return load_params(self.source_file, overrides=overrides)


_SECTIONS: dict[str, type[FrozenModel]] = {
    name: f.annotation
    for name, f in Params.model_fields.items()
    if name not in ("source_file", "provenance")
}
_SECTION_NAMES = {cls: name for name, cls in _SECTIONS.items()}
M = TypeVar("M", bound=FrozenModel)


def revalidate(obj: Any, prefix: str) -> None:
    """Check a parameter model again (every field, nested models and the cross-field rules):
    for objects changed with ``model_copy(update=...)``, which skips validation. ``ValueError``
    names the field by its dotted path below ``prefix``."""
    if not isinstance(obj, FrozenModel):
        raise ValueError(f"{prefix}: expected a parameter model, got {type(obj).__name__}")
    with validating(type(obj), prefix):
        type(obj).model_validate(obj)


def replace_section(section: M, where: str = "", **changes: Any) -> M:
    """A validated copy of a parameter section (``params.ev``, ``params.ev.types[0]``, ...) with
    ``changes`` applied, e.g. ``replace_section(params.ev, soc_min=0.2)``.

    Args:
        section: the model to copy.
        where: dotted path named in error messages (default: the section's name in
            :class:`Params`, or the class name).
        changes: field values (raw values are validated like the YAML's).

    Raises:
        ValueError: an unknown field or a value the schema refuses, naming the field.
    """
    cls = type(section)
    with validating(cls, where or _SECTION_NAMES.get(cls, cls.__name__)):
        return cls.model_validate({**dict(section), **changes})


# ----- reading the file ----------------------------------------------------------------------
#: Parsed parameter files keyed by (path, modification time, size): parsing the YAML is most of
#: the time of :func:`load_params`, which sweeps call once per point.
_RAW_CACHE: dict[tuple[str, int, int], dict[str, Any]] = {}


def _read_raw(path: Path) -> dict[str, Any]:
    """The parsed YAML of ``path`` (a fresh deep copy; the parse is cached until the file
    changes)."""
    if not path.is_file():
        raise ValueError(f"parameter file {path} does not exist")
    stat = path.stat()
    key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size)
    if key not in _RAW_CACHE:
        raw = read_yaml(path)
        if not isinstance(raw, dict):
            raise ValueError(f"parameter file {path}: expected a mapping of sections at the top")
        _RAW_CACHE.clear()  # one file at a time is the common case; keep memory bounded
        _RAW_CACHE[key] = raw
    return copy.deepcopy(_RAW_CACHE[key])


def _is_leaf(entry: Any) -> bool:
    return isinstance(entry, Mapping) and {"value", "unit", "source"} <= set(entry)


def _apply_overrides(raw: dict[str, Any], overrides: Mapping[str, Any]) -> None:
    for dotted, value in overrides.items():
        keys = dotted.split(".")
        node: Any = raw
        for k in keys[:-1]:
            if not isinstance(node, dict) or k not in node:
                raise ValueError(f"override {dotted!r}: unknown parameter (no section {k!r})")
            node = node[k]
        leaf = keys[-1]
        if not isinstance(node, dict) or leaf not in node or not _is_leaf(node[leaf]):
            raise ValueError(f"override {dotted!r}: unknown parameter")
        node[leaf] = {
            "value": value,
            "unit": node[leaf]["unit"],
            "source": f"override (default {node[leaf]['value']!r}: {node[leaf]['source']})",
        }


def _leaf_values(raw: Mapping[str, Any], file: Path) -> tuple[dict[str, Any], list[tuple]]:
    """The ``value`` of every ``{value, unit, source}`` leaf by section, and the provenance rows
    ``(dotted path, value, unit, source)`` in file order (the layout is checked here, the values
    by the schema)."""
    unknown = sorted(set(raw) - set(_SECTIONS))
    if unknown:
        raise ValueError(f"unknown section(s) {unknown}; known: {sorted(_SECTIONS)}")
    for name in _SECTIONS:
        if not isinstance(raw.get(name), Mapping):
            raise ValueError(f"{name}: section missing from {file}")
        for key, entry in raw[name].items():
            if not _is_leaf(entry):
                raise ValueError(f"{name}.{key}: expected a mapping with keys value, unit, source")
    values = {name: {k: e["value"] for k, e in section.items()} for name, section in raw.items()}
    rows = [
        (f"{name}.{key}", e["value"], str(e["unit"]), str(e["source"]))
        for name, section in raw.items()
        for key, e in section.items()
    ]
    return values, rows


def load_params(
    path: str | Path | None = None, overrides: Mapping[str, Any] | None = None
) -> Params:
    """Load, validate and freeze the parameters.

    Args:
        path: YAML file; default ``data/params.yaml``.
        overrides: dotted paths to leaf values, e.g. ``{"ev.seed": 7, "network.v_min_pu": 0.95}``
            (numpy scalars are taken as the numbers they hold).

    Raises:
        ValueError: a missing file, a YAML syntax error or repeated key (file and line), a
            missing or unknown field, a wrong type, or a value outside its range; the message
            names the field by its dotted path, the value and the allowed range.
    """
    file = Path(path) if path is not None else data_dir() / "params.yaml"
    raw = _read_raw(file)
    if overrides:
        _apply_overrides(raw, overrides)
    values, rows = _leaf_values(raw, file)
    with validating(Params):
        return Params.model_validate({**values, "source_file": file, "provenance": tuple(rows)})


# ----- provenance ----------------------------------------------------------------------------
def _json_values(params: Params) -> dict[str, Any]:
    """Every leaf value of ``params`` by dotted path, as JSON data (lists, dicts, numbers)."""
    dump = params.model_dump(mode="json", include=set(_SECTIONS))
    return {f"{name}.{key}": v for name, section in dump.items() for key, v in section.items()}


def defaults_of(params: Params) -> dict[str, dict[str, Any]]:
    """``{dotted path: {"value": ..., "source": ...}}`` of every leaf of ``params``: what
    :func:`record_defaults` writes to ``data/params_defaults.json``."""
    values = _json_values(params)
    return {
        path: {"value": values[path], "source": source} for path, _, _, source in params.provenance
    }


def record_defaults(path: str | Path | None = None, out: str | Path | None = None) -> Path:
    """Record the values and sources of a parameter file (default ``data/params.yaml``) as the
    defaults that :func:`provenance_table` compares against; writes ``out`` (default
    ``data/params_defaults.json``) and returns its path. Run it after a deliberate change of a
    default: ``python -m sopev_lib.core.params --record-defaults``."""
    target = Path(out) if out is not None else data_dir() / DEFAULTS_FILE
    text = json.dumps(defaults_of(load_params(path)), indent=2, ensure_ascii=False)
    target.write_text(text + "\n", encoding="utf-8")
    return target


def _recorded(defaults: str | Path | Mapping[str, Any] | None) -> Mapping[str, Any]:
    if isinstance(defaults, Mapping):
        return defaults
    file = Path(defaults) if defaults is not None else data_dir() / DEFAULTS_FILE
    if not file.is_file():
        raise ValueError(
            f"recorded defaults {file} do not exist; write them with "
            "'python -m sopev_lib.core.params --record-defaults'"
        )
    return json.loads(file.read_text(encoding="utf-8"))


def provenance_table(
    params: Params, defaults: str | Path | Mapping[str, Any] | None = None
) -> pd.DataFrame:
    """Every parameter with its value, unit, provenance kind, source text and recorded default.

    ``kind`` is the source's prefix (``paper``, ``ref [n]``, ``assumed``), ``override`` for a
    value set in code (``load_params(overrides=...)``), or ``modified`` for a value of the
    parameter file that differs from its recorded default (``defaults``: a mapping like
    :func:`defaults_of` or a JSON file, default ``data/params_defaults.json``); a modified row's
    source reads ``modified (recorded default X: <its source>)``. ``default`` is the recorded
    default of every row whose value differs from it, else empty.
    """
    recorded = _recorded(defaults)
    current = _json_values(params)
    rows = []
    for path, value, unit, source in params.provenance:
        kind = source.split(":", 1)[0].strip() if ":" in source else "other"
        kind = "override" if source.startswith("override") else kind
        default = recorded.get(path)
        changed = default is not None and current.get(path) != default["value"]
        if changed and kind != "override":
            kind = "modified"
            note = "" if source == default["source"] else f"; the file says: {source}"
            source = f"modified (recorded default {_format_value(default['value'])}: "
            source += f"{default['source']}){note}"
        rows.append(
            {
                "parameter": path,
                "value": _format_value(value),
                "unit": unit,
                "kind": kind,
                "source": source,
                "default": _format_value(default["value"]) if changed else "",
            }
        )
    return pd.DataFrame(rows, columns=["parameter", "value", "unit", "kind", "source", "default"])


def _format_value(value: Any) -> str:
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return "; ".join(", ".join(f"{k}={v}" for k, v in item.items()) for item in value)
    return str(value)


if __name__ == "__main__":  # python -m sopev_lib.core.params --record-defaults
    if sys.argv[1:] != ["--record-defaults"]:
        raise SystemExit("usage: python -m sopev_lib.core.params --record-defaults")
    print(f"recorded {record_defaults()}")
