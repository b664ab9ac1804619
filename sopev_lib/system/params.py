"""Load and validate the model parameters of ``data/params.yaml``.

Every leaf of the YAML file is ``{value, unit, source}``. The schema lives in the frozen dataclasses
below: each field carries its allowed range (or choices) in its metadata, and :func:`load_params`
checks every value against it, raising :class:`ValueError` that names the field, the value and the
allowed range. :func:`provenance_table` lists every value with its unit and source for the book.
"""

from __future__ import annotations

import copy
import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, get_args, get_origin, get_type_hints

import pandas as pd
import yaml

from sopev_lib.system.paths import data_dir

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
    "load_params",
    "provenance_table",
    "revalidate",
]


def _spec(
    lo: float | None = None,
    hi: float | None = None,
    *,
    lo_open: bool = False,
    hi_open: bool = False,
    choices: tuple[str, ...] | None = None,
    length: int | None = None,
) -> Any:
    """A dataclass field whose metadata holds its allowed range."""
    return field(
        metadata={
            "lo": lo,
            "hi": hi,
            "lo_open": lo_open,
            "hi_open": hi_open,
            "choices": choices,
            "length": length,
        }
    )


def _range_text(meta: Mapping[str, Any]) -> str:
    if meta.get("choices"):
        return "one of " + ", ".join(repr(c) for c in meta["choices"])
    lo, hi = meta.get("lo"), meta.get("hi")
    left = "(" if meta.get("lo_open") else "["
    right = ")" if meta.get("hi_open") else "]"
    lo_s = "-inf" if lo is None else f"{lo:g}"
    hi_s = "inf" if hi is None else f"{hi:g}"
    if lo is None:
        left = "("
    if hi is None:
        right = ")"
    return f"{left}{lo_s}, {hi_s}{right}"


def _check_scalar(name: str, value: Any, typ: type, meta: Mapping[str, Any]) -> Any:
    """Coerce ``value`` to ``typ`` and check it against the range in ``meta``."""
    allowed = _range_text(meta)
    if typ is bool:
        if not isinstance(value, bool):
            raise ValueError(f"{name} = {value!r}: expected true or false")
        return value
    if typ is str:
        if not isinstance(value, str):
            raise ValueError(f"{name} = {value!r}: expected text, {allowed}")
        if meta.get("choices") and value not in meta["choices"]:
            raise ValueError(f"{name} = {value!r}: allowed values are {allowed}")
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{name} = {value!r}: expected a number in {allowed}")
    if typ is int and float(value) != int(value):
        raise ValueError(f"{name} = {value!r}: expected a whole number in {allowed}")
    number = typ(value)
    if not math.isfinite(number):
        raise ValueError(f"{name} = {value!r}: expected a finite number in {allowed}")
    lo, hi = meta.get("lo"), meta.get("hi")
    too_low = lo is not None and (number <= lo if meta.get("lo_open") else number < lo)
    too_high = hi is not None and (number >= hi if meta.get("hi_open") else number > hi)
    if too_low or too_high:
        raise ValueError(f"{name} = {value!r} is outside the allowed range {allowed}")
    return number


def _coerce(name: str, value: Any, hint: Any, meta: Mapping[str, Any]) -> Any:
    """Validate ``value`` against the type hint ``hint`` (scalars, tuples, nested dataclasses)."""
    origin = get_origin(hint)
    if origin is tuple:
        args = get_args(hint)
        if not isinstance(value, list | tuple):
            raise ValueError(f"{name} = {value!r}: expected a list")
        if meta.get("length") is not None and len(value) != meta["length"]:
            raise ValueError(f"{name}: expected {meta['length']} entries, got {len(value)}")
        inner = args[0]
        return tuple(_coerce(f"{name}[{i}]", v, inner, meta) for i, v in enumerate(value))
    if dataclasses.is_dataclass(hint):
        if not isinstance(value, Mapping):
            raise ValueError(f"{name} = {value!r}: expected a mapping of {hint.__name__} fields")
        return _build(hint, value, name, leaves=False)
    return _check_scalar(name, value, hint, meta)


def _build(cls: type, raw: Mapping[str, Any], prefix: str, *, leaves: bool) -> Any:
    """Build dataclass ``cls`` from ``raw``; with ``leaves`` each value is a YAML leaf."""
    hints = get_type_hints(cls)
    names = {f.name for f in fields(cls)}
    unknown = set(raw) - names
    if unknown:
        raise ValueError(f"{prefix}: unknown field(s) {sorted(unknown)}; known: {sorted(names)}")
    kwargs = {}
    for f in fields(cls):
        path = f"{prefix}.{f.name}" if prefix else f.name
        if f.name not in raw:
            raise ValueError(f"{path}: missing from the parameter file")
        entry = raw[f.name]
        if leaves:
            if not _is_leaf(entry):
                raise ValueError(f"{path}: expected a mapping with keys value, unit, source")
            entry = entry["value"]
        kwargs[f.name] = _coerce(path, entry, hints[f.name], f.metadata)
    obj = cls(**kwargs)
    validate = getattr(obj, "_validate", None)
    if validate is not None:
        validate(prefix)
    return obj


def revalidate(obj: Any, prefix: str) -> None:
    """Re-run the loader's checks on a parameter dataclass built by hand or with
    :func:`dataclasses.replace` (which skip them): every field against its range, nested
    dataclasses, and the cross-field ``_validate``. ``ValueError`` names the field."""
    if not dataclasses.is_dataclass(obj):
        raise ValueError(f"{prefix}: expected a parameter dataclass, got {type(obj).__name__}")
    hints = get_type_hints(type(obj))
    for f in fields(obj):
        _check_instance(f"{prefix}.{f.name}", getattr(obj, f.name), hints[f.name], f.metadata)
    validate = getattr(obj, "_validate", None)
    if validate is not None:
        validate(prefix)


def _check_instance(name: str, value: Any, hint: Any, meta: Mapping[str, Any]) -> None:
    if get_origin(hint) is tuple:
        if not isinstance(value, list | tuple):
            raise ValueError(f"{name} = {value!r}: expected a list")
        if meta.get("length") is not None and len(value) != meta["length"]:
            raise ValueError(f"{name}: expected {meta['length']} entries, got {len(value)}")
        for i, v in enumerate(value):
            _check_instance(f"{name}[{i}]", v, get_args(hint)[0], meta)
    elif dataclasses.is_dataclass(hint):
        if not isinstance(value, hint):
            raise ValueError(f"{name}: expected {hint.__name__}, got {type(value).__name__}")
        revalidate(value, name)
    else:
        _check_scalar(name, value, hint, meta)


def _is_leaf(entry: Any) -> bool:
    return isinstance(entry, Mapping) and {"value", "unit", "source"} <= set(entry)


@dataclass(frozen=True)
class NetworkParams:
    """Feeder, voltage limits and substation (ref [28]; limits are assumptions, see YAML)."""

    feeder: str = _spec(choices=("ieee33", "cigre_mv"))
    base_kv: float = _spec(0.0, None, lo_open=True)
    base_kva: float = _spec(0.0, None, lo_open=True)
    v_substation_pu: float = _spec(0.9, 1.1)
    v_min_pu: float = _spec(0.5, 1.0, lo_open=True)
    v_max_pu: float = _spec(1.0, 1.5, hi_open=True)
    substation_p_max_kw: float = _spec(0.0, None, lo_open=True)
    substation_p_min_kw: float = _spec(None, None)
    substation_q_max_kvar: float = _spec(None, None)
    substation_q_min_kvar: float = _spec(None, None)
    tie_lines: tuple[str, ...] = _spec()
    sop_sites: tuple[str, ...] = _spec()

    def _validate(self, prefix: str) -> None:
        if self.v_min_pu >= self.v_max_pu:
            raise ValueError(
                f"{prefix}.v_min_pu = {self.v_min_pu} must be below "
                f"{prefix}.v_max_pu = {self.v_max_pu}"
            )
        if not self.v_min_pu <= self.v_substation_pu <= self.v_max_pu:
            raise ValueError(
                f"{prefix}.v_substation_pu = {self.v_substation_pu} must lie in "
                f"[v_min_pu, v_max_pu] = [{self.v_min_pu}, {self.v_max_pu}]"
            )
        if self.substation_p_min_kw > self.substation_p_max_kw:
            raise ValueError(
                f"{prefix}.substation_p_min_kw = {self.substation_p_min_kw} exceeds "
                f"substation_p_max_kw = {self.substation_p_max_kw}"
            )
        if self.substation_q_min_kvar > self.substation_q_max_kvar:
            raise ValueError(
                f"{prefix}.substation_q_min_kvar = {self.substation_q_min_kvar} exceeds "
                f"substation_q_max_kvar = {self.substation_q_max_kvar}"
            )
        missing = set(self.sop_sites) - set(self.tie_lines)
        if missing:
            raise ValueError(
                f"{prefix}.sop_sites: {sorted(missing)} are not tie lines; "
                f"allowed: {list(self.tie_lines)}"
            )


@dataclass(frozen=True)
class DGParams:
    """Distributed generation of Section 5 (sites and ratings)."""

    pv_buses: tuple[int, ...] = _spec(1, None)
    pv_rating_kw: tuple[float, ...] = _spec(0.0, None)
    wind_buses: tuple[int, ...] = _spec(1, None)
    wind_rating_kw: tuple[float, ...] = _spec(0.0, None)
    power_factor: float = _spec(0.0, 1.0, lo_open=True)
    curtailable: bool = _spec()

    def _validate(self, prefix: str) -> None:
        for kind in ("pv", "wind"):
            buses, ratings = getattr(self, f"{kind}_buses"), getattr(self, f"{kind}_rating_kw")
            if len(buses) != len(ratings):
                raise ValueError(
                    f"{prefix}.{kind}_rating_kw: {len(ratings)} ratings for "
                    f"{len(buses)} buses in {prefix}.{kind}_buses"
                )


@dataclass(frozen=True)
class SOPParams:
    """Soft open point data of Table 1 and Eqs. (8), (12), (13)."""

    loss_coefficient: float = _spec(0.0, 0.5, hi_open=True)
    unit_cost_rmb_per_kva: float = _spec(0.0, None)
    lifetime_years: float = _spec(0.0, None, lo_open=True)
    discount_rate: float = _spec(0.0, 1.0, hi_open=True)
    annualisation: str = _spec(choices=("straight_line", "crf"))
    om_factor: float = _spec(0.0, 1.0)
    max_capacity_kva: float = _spec(0.0, None, lo_open=True)


@dataclass(frozen=True)
class TariffParams:
    """Time-of-use purchase tariff of Table 1 / Section 5 (RMB/kWh)."""

    peak_rmb_per_kwh: float = _spec(0.0, None)
    flat_rmb_per_kwh: float = _spec(0.0, None)
    valley_rmb_per_kwh: float = _spec(0.0, None)


@dataclass(frozen=True)
class EconomicsParams:
    """Annualisation and loss pricing of Eqs. (14)-(17)."""

    days_per_year: float = _spec(0.0, 366.0, lo_open=True)
    loss_price: str = _spec(choices=("tariff", "flat"))
    loss_price_flat_rmb_per_kwh: float = _spec(0.0, None)
    sop_loss_in_nlc: bool = _spec()


@dataclass(frozen=True)
class ProfilesParams:
    """Where the 24 h curves come from and how they are scaled."""

    file: str = _spec()
    load_scale: float = _spec(0.0, 10.0)
    pv_scale: float = _spec(0.0, 10.0)
    wind_scale: float = _spec(0.0, 10.0)


@dataclass(frozen=True)
class EVTypeParams:
    """One vehicle type of Table 2 (times in hours, SOC as a fraction of the battery)."""

    name: str = _spec()
    arrival_mean_h: float = _spec(0.0, 24.0)
    arrival_spread: float = _spec(0.0, 24.0, lo_open=True)
    departure_mean_h: float = _spec(0.0, 24.0)
    departure_spread: float = _spec(0.0, 24.0, lo_open=True)
    arrival_soc_low: float = _spec(0.0, 1.0)
    arrival_soc_high: float = _spec(0.0, 1.0)

    def _validate(self, prefix: str) -> None:
        if self.arrival_soc_low > self.arrival_soc_high:
            raise ValueError(
                f"{prefix}.arrival_soc_low = {self.arrival_soc_low} exceeds "
                f"arrival_soc_high = {self.arrival_soc_high}"
            )


@dataclass(frozen=True)
class EVParams:
    """EV fleet of Tables 1-3 and the generalised-storage data of Eqs. (1)-(6)."""

    seed: int = _spec(0, None)
    rated_power_kw: float = _spec(0.0, None, lo_open=True)
    battery_kwh: float = _spec(0.0, None, lo_open=True)
    eta_ch: float = _spec(0.0, 1.0, lo_open=True)
    eta_dis: float = _spec(0.0, 1.0, lo_open=True)
    soc_min: float = _spec(0.0, 1.0)
    soc_max: float = _spec(0.0, 1.0)
    station_power_limit_kw: float = _spec(0.0, None)
    departure_soc_target: float = _spec(0.0, 1.0)
    spread_reading: str = _spec(choices=("variance", "std"))
    types: tuple[EVTypeParams, ...] = _spec()
    station_counts: tuple[tuple[tuple[int, ...], ...], ...] = _spec(0, None)
    station_buses: tuple[int, ...] = _spec(1, None)
    forecast_days: int = _spec(1, 100000)
    forecast_band: tuple[float, ...] = _spec(0.0, 100.0, length=2)

    def _validate(self, prefix: str) -> None:
        if not self.types:
            raise ValueError(f"{prefix}.types: at least one vehicle type is needed")
        if self.soc_min >= self.soc_max:
            raise ValueError(
                f"{prefix}.soc_min = {self.soc_min} must be below soc_max = {self.soc_max}"
            )
        if not self.soc_min <= self.departure_soc_target <= self.soc_max:
            raise ValueError(
                f"{prefix}.departure_soc_target = {self.departure_soc_target} must lie in "
                f"[soc_min, soc_max] = [{self.soc_min}, {self.soc_max}]"
            )
        for k, vt in enumerate(self.types):
            for name in ("arrival_soc_low", "arrival_soc_high"):
                value = getattr(vt, name)
                if not self.soc_min <= value <= self.soc_max:
                    raise ValueError(
                        f"{prefix}.types[{k}].{name} = {value} is outside the allowed range "
                        f"[soc_min, soc_max] = [{self.soc_min}, {self.soc_max}]: a car must "
                        f"arrive within the SOC limits of Eq. (5)"
                    )
        if len(self.station_counts) != len(self.station_buses):
            raise ValueError(
                f"{prefix}.station_counts has {len(self.station_counts)} stations but "
                f"{prefix}.station_buses has {len(self.station_buses)}"
            )
        for s, row in enumerate(self.station_counts):
            if len(row) != len(self.types):
                raise ValueError(
                    f"{prefix}.station_counts[{s}] has {len(row)} entries; expected one "
                    f"[low, high] range per vehicle type ({len(self.types)})"
                )
            for k, rng in enumerate(row):
                if len(rng) != 2 or rng[0] > rng[1]:
                    raise ValueError(
                        f"{prefix}.station_counts[{s}][{k}] = {list(rng)}: expected "
                        f"[low, high] with 0 <= low <= high"
                    )
        lo, hi = self.forecast_band
        if lo >= hi:
            raise ValueError(f"{prefix}.forecast_band = {list(self.forecast_band)}: low >= high")


@dataclass(frozen=True)
class ESSParams:
    """Conventional battery storage of Plan 3 (all assumptions: the paper gives none)."""

    energy_cost_rmb_per_kwh: float = _spec(0.0, None)
    power_cost_rmb_per_kw: float = _spec(0.0, None)
    lifetime_years: float = _spec(0.0, None, lo_open=True)
    om_factor: float = _spec(0.0, 1.0)
    eta_ch: float = _spec(0.0, 1.0, lo_open=True)
    eta_dis: float = _spec(0.0, 1.0, lo_open=True)
    soc_min: float = _spec(0.0, 1.0)
    soc_max: float = _spec(0.0, 1.0)
    max_energy_kwh: float = _spec(0.0, None, lo_open=True)

    def _validate(self, prefix: str) -> None:
        if self.soc_min >= self.soc_max:
            raise ValueError(
                f"{prefix}.soc_min = {self.soc_min} must be below soc_max = {self.soc_max}"
            )


@dataclass(frozen=True)
class FlexibilityParams:
    """Flexibility indices, Eqs. (18)-(21), and the second stage of Section 4.2.

    ``epsilon``: stage 2 may raise the stage-1 cost by at most this fraction. ``branch_ampacity_a``:
    I_max of Eq. (20). ``ramp_tol_kw``: guard of Eq. (18), net-load ramps smaller than this are
    dropped. ``stage2_cost_weight``: weight of the (normalised) cost in the stage-2 objective, a
    tie-breaker that keeps losses priced so that the cone relaxation stays exact.
    """

    epsilon: float = _spec(0.0, 1.0)
    branch_ampacity_a: float = _spec(0.0, None, lo_open=True)
    ramp_tol_kw: float = _spec(0.0, None, lo_open=True)
    stage2_cost_weight: float = _spec(0.0, 1.0)


@dataclass(frozen=True)
class Params:
    """All parameters of the study; build with :func:`load_params`."""

    network: NetworkParams
    dg: DGParams
    sop: SOPParams
    tariff: TariffParams
    economics: EconomicsParams
    profiles: ProfilesParams
    ev: EVParams
    ess: ESSParams
    flexibility: FlexibilityParams
    source_file: Path = field(compare=False, default=Path())
    provenance: tuple[tuple[str, Any, str, str], ...] = field(compare=False, default=())

    def replace(self, **overrides: Any) -> Params:
        """A copy with dotted-path overrides, e.g. ``p.replace(**{"network.v_min_pu": 0.95})``."""
        return load_params(self.source_file, overrides=overrides)


_SECTIONS = {f.name: f.type for f in fields(Params) if f.name not in ("source_file", "provenance")}


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
        with path.open(encoding="utf-8") as fh:
            raw = yaml.safe_load(fh)
        if not isinstance(raw, dict):
            raise ValueError(f"parameter file {path}: expected a mapping of sections at the top")
        _RAW_CACHE.clear()  # one file at a time is the common case; keep memory bounded
        _RAW_CACHE[key] = raw
    return copy.deepcopy(_RAW_CACHE[key])


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


def _collect_provenance(
    raw: Mapping[str, Any], prefix: str = ""
) -> list[tuple[str, Any, str, str]]:
    rows = []
    for key, entry in raw.items():
        path = f"{prefix}.{key}" if prefix else key
        if _is_leaf(entry):
            rows.append((path, entry["value"], str(entry["unit"]), str(entry["source"])))
        elif isinstance(entry, Mapping):
            rows.extend(_collect_provenance(entry, path))
    return rows


def load_params(
    path: str | Path | None = None, overrides: Mapping[str, Any] | None = None
) -> Params:
    """Load, validate and freeze the parameters.

    Args:
        path: YAML file; default ``data/params.yaml``.
        overrides: dotted paths to leaf values, e.g. ``{"ev.seed": 7, "network.v_min_pu": 0.95}``.

    Raises:
        ValueError: a missing or unknown field, a wrong type, or a value outside its range; the
            message names the field, the value and the allowed range.
    """
    file = Path(path) if path is not None else data_dir() / "params.yaml"
    raw = _read_raw(file)
    if overrides:
        _apply_overrides(raw, overrides)
    unknown = set(raw) - set(_SECTIONS)
    if unknown:
        raise ValueError(f"unknown section(s) {sorted(unknown)}; known: {sorted(_SECTIONS)}")
    hints = get_type_hints(Params)
    sections = {}
    for name in _SECTIONS:
        if name not in raw or not isinstance(raw[name], Mapping):
            raise ValueError(f"{name}: section missing from {file}")
        sections[name] = _build(hints[name], raw[name], name, leaves=True)
    return Params(
        **sections,
        source_file=file,
        provenance=tuple(_collect_provenance(raw)),
    )


def provenance_table(params: Params) -> pd.DataFrame:
    """Every parameter with its value, unit, provenance kind and source text (for the book)."""
    rows = []
    for path, value, unit, source in params.provenance:
        kind = source.split(":", 1)[0].strip() if ":" in source else "other"
        kind = "override" if source.startswith("override") else kind
        rows.append(
            {
                "parameter": path,
                "value": _format_value(value),
                "unit": unit,
                "kind": kind,
                "source": source,
            }
        )
    return pd.DataFrame(rows, columns=["parameter", "value", "unit", "kind", "source"])


def _format_value(value: Any) -> str:
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return "; ".join(", ".join(f"{k}={v}" for k, v in item.items()) for item in value)
    return str(value)
