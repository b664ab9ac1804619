"""Load and validate the model parameters of ``data/params.yaml``.

Every leaf of the YAML file is ``{value, unit, source}``. :func:`load_params` reads the file
(safe loader, no repeated keys), applies dotted-path overrides and checks every value against
the schema of :mod:`sopev_lib.system.param_models` (re-exported here), raising :class:`ValueError`
that names the field by its dotted path, the value and the allowed range
(``network.v_min_pu = 1.2 is outside the allowed range (0.5, 1]``). :func:`provenance_table`
lists every value with its unit and source for the book, and marks a value of the parameter file
that differs from the default recorded in ``data/params_defaults.json`` (written by
:func:`record_defaults`) as ``modified``.
"""

from __future__ import annotations

import copy
import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd

from sopev_lib.system.param_models import (
    SECTIONS,
    DGParams,
    EconomicsParams,
    ESSParams,
    EVParams,
    EVTypeParams,
    FlexibilityParams,
    NetworkParams,
    Params,
    ProfilesParams,
    SOPParams,
    TariffParams,
)
from sopev_lib.system.paths import data_dir
from sopev_lib.system.schema import FrozenModel, read_yaml, validating

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
    "load_preset",
    "preset_names",
    "provenance_table",
    "record_defaults",
    "replace_section",
    "revalidate",
]

#: The recorded defaults of ``data/params.yaml`` (dotted path -> {value, source}), in ``data/``.
DEFAULTS_FILE = "params_defaults.json"

_SECTION_NAMES = {cls: name for name, cls in SECTIONS.items()}
M = TypeVar("M", bound=FrozenModel)


# ----- checking hand-made changes ------------------------------------------------------------


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


def _apply_overrides(
    raw: dict[str, Any], overrides: Mapping[str, Any], reasons: Mapping[str, str] | None = None
) -> None:
    """Set leaf values by dotted path; the source becomes ``override (default X: <source>)``,
    or with ``reasons`` (a preset's) ``<reason> (default X: <source>)``."""
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
        was = f"(default {node[leaf]['value']!r}: {node[leaf]['source']})"
        source = f"{reasons[dotted]} {was}" if reasons else f"override {was}"
        node[leaf] = {"value": value, "unit": node[leaf]["unit"], "source": source}


# ----- presets -------------------------------------------------------------------------------
#: Folder of ``data/`` holding the presets, one YAML file per preset.
PRESETS_DIR = "presets"


def preset_names() -> list[str]:
    """The presets of ``data/presets/`` (file names without ``.yaml``)."""
    folder = data_dir() / PRESETS_DIR
    return sorted(p.stem for p in folder.glob("*.yaml")) if folder.is_dir() else []


def load_preset(name: str) -> dict[str, Any]:
    """A preset of ``data/presets/<name>.yaml``: ``{"name", "description", "overrides": {dotted
    path: {"value", "source"}}}``, every source starting with ``preset <name>:``.

    A preset is a named set of overrides with provenance: another reading of several parameters
    at once (e.g. ``paper-evidence``: the SOP costs that the paper's Table 5 implies).

    Raises:
        ValueError: an unknown preset (the message lists the presets) or a malformed file.
    """
    file = data_dir() / PRESETS_DIR / f"{name}.yaml"
    if not file.is_file():
        raise ValueError(
            f"preset {name!r}: no file {PRESETS_DIR}/{name}.yaml; presets: {preset_names()}"
        )
    raw = read_yaml(file, "preset")
    entries = raw.get("overrides") if isinstance(raw, dict) else None
    if not isinstance(entries, dict) or not entries:
        raise ValueError(f"preset {file}: expected a mapping 'overrides' of dotted paths")
    for path, entry in entries.items():
        if not isinstance(entry, dict) or set(entry) != {"value", "source"}:
            raise ValueError(f"preset {file}: {path}: expected the keys value and source")
        if not str(entry["source"]).startswith(f"preset {name}:"):
            raise ValueError(f"preset {file}: {path}: the source must start 'preset {name}:'")
    return {"name": name, "description": str(raw.get("description", "")), "overrides": entries}


def _leaf_values(raw: Mapping[str, Any], file: Path) -> tuple[dict[str, Any], list[tuple]]:
    """The ``value`` of every ``{value, unit, source}`` leaf by section, and the provenance rows
    ``(dotted path, value, unit, source)`` in file order (the layout is checked here, the values
    by the schema)."""
    unknown = sorted(set(raw) - set(SECTIONS))
    if unknown:
        raise ValueError(f"unknown section(s) {unknown}; known: {sorted(SECTIONS)}")
    for name in SECTIONS:
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
    path: str | Path | None = None,
    overrides: Mapping[str, Any] | None = None,
    preset: str | None = None,
) -> Params:
    """Load, validate and freeze the parameters.

    Args:
        path: YAML file; default ``data/params.yaml``.
        overrides: dotted paths to leaf values, e.g. ``{"ev.seed": 7, "network.v_min_pu": 0.95}``
            (numpy scalars are taken as the numbers they hold); applied after the preset.
        preset: a preset of ``data/presets/`` (:func:`load_preset`), e.g. ``"paper-evidence"``;
            its values carry the preset's provenance (kind ``preset``).

    Raises:
        ValueError: a missing file, a YAML syntax error or repeated key (file and line), a
            missing or unknown field, a wrong type, or a value outside its range; the message
            names the field by its dotted path, the value and the allowed range.
    """
    file = Path(path) if path is not None else data_dir() / "params.yaml"
    raw = _read_raw(file)
    if preset is not None:
        entries = load_preset(preset)["overrides"]
        values_of = {k: e["value"] for k, e in entries.items()}
        _apply_overrides(raw, values_of, {k: str(e["source"]) for k, e in entries.items()})
    if overrides:
        _apply_overrides(raw, overrides)
    values, rows = _leaf_values(raw, file)
    with validating(Params):
        return Params.model_validate(
            {**values, "source_file": file, "provenance": tuple(rows), "preset": preset}
        )


# ----- provenance ----------------------------------------------------------------------------
def _json_values(params: Params) -> dict[str, Any]:
    """Every leaf value of ``params`` by dotted path, as JSON data (lists, dicts, numbers)."""
    dump = params.model_dump(mode="json", include=set(SECTIONS))
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
    default: ``python -m sopev_lib.system.params --record-defaults``."""
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
            "'python -m sopev_lib.system.params --record-defaults'"
        )
    return json.loads(file.read_text(encoding="utf-8"))


def provenance_table(
    params: Params, defaults: str | Path | Mapping[str, Any] | None = None
) -> pd.DataFrame:
    """Every parameter with its value, unit, provenance kind, source text and recorded default.

    ``kind`` is the source's prefix (``paper``, ``ref [n]``, ``assumed``), ``override`` for a
    value set in code (``load_params(overrides=...)``), ``preset`` for a value of a preset
    (``load_params(preset=...)``), or ``modified`` for a value of the
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
        kind = "preset" if source.startswith("preset ") else kind
        default = recorded.get(path)
        changed = default is not None and current.get(path) != default["value"]
        if changed and kind not in ("override", "preset"):
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


if __name__ == "__main__":  # python -m sopev_lib.system.params --record-defaults
    if sys.argv[1:] != ["--record-defaults"]:
        raise SystemExit("usage: python -m sopev_lib.system.params --record-defaults")
    print(f"recorded {record_defaults()}")
