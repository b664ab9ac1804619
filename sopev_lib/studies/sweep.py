"""Parameter sweeps: many independent solves in parallel on Dask, resumable, one tidy table.

A sweep is described by a YAML file (``studies/*.yaml``) and run by ``sopev sweep CONFIG.yaml``
or :func:`run_sweep`. Its points are the Cartesian product of its axes; each point is evaluated
by a *point function* (default :func:`sopev_lib.studies.sensitivity.plan_metrics`: the paper's
four plans) on a ``dask.distributed`` cluster: a :class:`~distributed.LocalCluster` on this
machine's cores by default, or any running Dask scheduler (``--scheduler tcp://host:8786``), so
a study of thousands of solves moves to a cluster without a code change (the cluster's workers
need ``sopev`` installed).

Config schema (the pydantic model :class:`SweepFile`; every key is checked, and a bad one raises
``ValueError`` naming it, its value and what is allowed)::

    name: robustness                    # required: letters, digits, '-', '_' (the output folder)
    description: "..."                  # optional text
    function: plan_metrics              # optional: a registered study function ('module:name'
                                        #   or its name), default DEFAULT_FUNCTION
    base:                               # optional: settings shared by every point
      ev.forecast_days: 200             #   a dotted path of data/params.yaml, or a special axis
    axes:                               # required, >= 1 axis; points = product (first slowest)
      ev.seed: {integers: [1, 50]}      #   [v1, v2, ...] | {integers: [first, last]}
      dg_scale: {linspace: [0.5, 2, 7]} #   | {linspace: [a, b, n]} | {geomspace: [a, b, n]}
    options: {plans: [1, 2, 3, 4]}      # optional: passed to the function, which checks them
    output: {dir: _build/sweeps/NAME, format: csv}   # optional: dir relative to the repo root;
                                        #   format csv or parquet (parquet needs pyarrow)
    small:                              # optional: the CI-sized variant (load_config(size="small"))
      base: {...}                       #   entries merged into base / options,
      axes: {...}                       #   axes replaced by name; its output dir is NAME-small
      options: {...}

A point function has the signature ``fn(settings: dict, options: dict) -> list[dict]``: the
settings are ``base`` updated with the point's axis values; every returned dict is one row of
the results table (it may carry its own ``status`` / ``error``). If it has an attribute
``check(settings, options)``, :func:`load_config` calls it to validate the config up front.
Only functions registered with :func:`register_study` (:data:`STUDY_FUNCTIONS`) can be named, so
a config cannot run arbitrary code.

Outputs in the output folder:

- ``points.jsonl``: one JSON line per finished point, appended as soon as it finishes, so an
  interruption loses at most the points that were running. A sweep started again with the same
  config skips every point already there (same point id) and solves only the rest.
- ``results.csv`` (or ``.parquet``): the tidy table, one row per row returned by the function
  (for :func:`~sopev_lib.studies.sensitivity.plan_metrics`: one row per point and plan), in the
  config's
  point order. Columns: ``point`` (index), ``point_id``, one column per axis (named like the
  axis), the function's columns, ``status`` (``ok`` / ``failed``), ``error`` (text, empty if
  ok), and the run metadata ``seconds`` (wall time of the point, s) and ``worker``.
- ``meta.json``: the config, counts, timings, workers and the code fingerprint.

An interrupted and resumed sweep gives the same table as an uninterrupted one to the solver's
precision, exactly as two uninterrupted runs do. Not bit for bit: each worker re-uses its
compiled models (and Clarabel its solver object), so a point's last digits depend on which
points its worker solved before, and Dask hands points to workers as they become free.
Measured on the 33-bus feeder: costs agree to about 1e-8 relative, SOP and battery sizes to
about 1e-5 relative (flat directions of the objective), the cone gap (~1e-6) to ~1e-7
absolute; the run columns (``seconds``, ``worker``, and the point function's own, e.g.
``solve_s`` and ``solver_status`` of :data:`sopev_lib.studies.sensitivity.RUN_COLUMNS`) differ.

A point whose function raises (e.g. an infeasible plan that the function does not catch) is
recorded with ``status = failed`` and the error text; the sweep goes on.
"""

from __future__ import annotations

import ast
import contextlib
import hashlib
import importlib
import importlib.util
import json
import logging
import math
import os
import socket
import sys
import time
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import numpy as np
import pandas as pd
from pydantic import BeforeValidator, Field, model_validator
from pydantic_core import PydanticCustomError

from sopev_lib.system.io import json_default
from sopev_lib.system.paths import REPO_ROOT
from sopev_lib.system.schema import FrozenModel, Real, Whole, read_yaml, validating

__all__ = [
    "DEFAULT_FUNCTION",
    "META_COLUMNS",
    "STUDY_FUNCTIONS",
    "Point",
    "SweepConfig",
    "SweepFile",
    "SweepResult",
    "code_fingerprint",
    "dask_client",
    "execute_point",
    "load_config",
    "model_modules",
    "pending_points",
    "point_id",
    "read_meta",
    "read_records",
    "read_results",
    "register_study",
    "resolve_function",
    "run_cli",
    "run_sweep",
    "sweep_dir",
]

DEFAULT_FUNCTION = "sopev_lib.studies.sensitivity:plan_metrics"
SWEEP_ROOT = REPO_ROOT / "_build" / "sweeps"
#: Columns of the table that describe the run, not the result (they differ between runs).
META_COLUMNS = ("seconds", "worker")
FORMATS = ("csv", "parquet")
#: A point function: ``fn(settings, options) -> rows`` (see the module docstring).
PointFunction = Callable[[dict[str, Any], dict[str, Any]], list[dict[str, Any]]]
F = TypeVar("F", bound=Callable[..., Any])


# ----- values and ids --------------------------------------------------------------------
def _clean(value: Any, key: str) -> Any:
    """A JSON-able, canonical copy of a setting value (floats rounded to 12 significant
    digits, so that 0.1 + 0.2 and 0.3 are the same point)."""
    if isinstance(value, bool | str) or value is None:
        return value
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        v = float(value)
        if not math.isfinite(v):
            raise ValueError(f"{key} = {value!r}: expected a finite number")
        return float(f"{v:.12g}")
    if isinstance(value, list | tuple | np.ndarray):
        return [_clean(v, key) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _clean(v, f"{key}.{k}") for k, v in value.items()}
    raise ValueError(f"{key} = {value!r}: expected a number, text, true/false or a list")


def _canonical(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"))


def point_id(function: str, settings: Mapping[str, Any], options: Mapping[str, Any]) -> str:
    """Stable id of a point: the first 16 hex digits of the SHA-256 of its canonical
    (function, settings, options). The sweep's name and output folder do not enter it."""
    payload = _canonical({"function": function, "settings": settings, "options": options})
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]


#: Modules left out of the code fingerprint: they do not change what a point computes.
_NOT_MODEL = ("sopev_lib.book", "sopev_lib.studies.sweep", "sopev_lib.cli")


def _module_file(name: str) -> Path | None:
    rel = Path(*name.split("."))
    for cand in (REPO_ROOT / rel.with_suffix(".py"), REPO_ROOT / rel / "__init__.py"):
        if cand.is_file():
            return cand
    return None


def model_modules(function: str = DEFAULT_FUNCTION) -> list[str]:
    """The ``sopev_lib`` modules a point function imports, directly or not (read from the
    source, function-level imports included; plotting, the engine and the CLI left out)."""
    start = function.split(":")[0]
    seen: set[str] = set()
    todo = [start]
    while todo:
        name = todo.pop()
        if name in seen or name.startswith(_NOT_MODEL):
            continue
        path = _module_file(name)
        if path is None:
            continue
        seen.add(name)
        if "." in name:
            todo.append(name.rsplit(".", 1)[0])  # the package's __init__
        package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                todo += [a.name for a in node.names if a.name.startswith("sopev_lib")]
            elif isinstance(node, ast.ImportFrom):
                mod = node.module or ""
                if node.level:  # relative import
                    base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                    mod = f"{base}.{mod}" if mod else base
                if mod.startswith("sopev_lib"):
                    todo.append(mod)
                    todo += [f"{mod}.{a.name}" for a in node.names]  # submodules, if any
    return sorted(seen)


def code_fingerprint(function: str = DEFAULT_FUNCTION) -> str:
    """SHA-256 (16 hex digits) of the model code a point function runs
    (:func:`model_modules`) and of the data folder: a table computed with another
    fingerprint may be stale."""
    h = hashlib.sha256()
    files = [_module_file(m) for m in model_modules(function)]
    data = REPO_ROOT / "data"
    files += [p for p in sorted(data.rglob("*")) if p.is_file() and "__pycache__" not in p.parts]
    for path in files:
        if path is None:
            continue
        h.update(str(path.relative_to(REPO_ROOT)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


# ----- study functions -----------------------------------------------------------------------
#: The point functions a sweep may run, by ``'module:name'`` (filled by :func:`register_study`).
STUDY_FUNCTIONS: dict[str, PointFunction] = {}
#: Modules whose import registers the project's study functions.
STUDY_MODULES = (
    "sopev_lib.studies.sensitivity",
    "sopev_lib.studies.readings",
    "sopev_lib.studies.year",
)


def register_study(fn: F) -> F:
    """Decorator: allow ``fn`` as a sweep's ``function`` (spelled ``'module:name'`` or ``name``).

    Only registered functions run, so a config cannot call arbitrary code (``os:system``). On a
    Dask worker the function's module must register it on import (add it to
    :data:`STUDY_MODULES`)."""
    STUDY_FUNCTIONS[f"{fn.__module__}:{fn.__qualname__}"] = fn
    return fn


def resolve_function(name: Any) -> tuple[str, PointFunction]:
    """The registered study function ``name`` (``'module:name'`` or the bare name) and its
    ``'module:name'``.

    Raises:
        ValueError: ``name`` is not registered; the message lists the allowed names.
    """
    for module in STUDY_MODULES:
        importlib.import_module(module)
    found = [k for k in STUDY_FUNCTIONS if isinstance(name, str) and name in (k, k.split(":")[1])]
    if len(found) != 1:
        raise ValueError(
            f"function = {name!r}: not a registered study function; allowed: "
            f"{sorted(STUDY_FUNCTIONS)} (see sopev_lib.studies.sweep.register_study)"
        )
    return found[0], STUDY_FUNCTIONS[found[0]]


# ----- config ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Point:
    """One point of a sweep: its index, its axis values, the settings the function receives
    (base updated with the axis values) and its id."""

    index: int
    values: dict[str, Any]
    settings: dict[str, Any]
    point_id: str


@dataclass(frozen=True)
class SweepConfig:
    """A validated sweep (see the module docstring for the YAML schema, :class:`SweepFile`)."""

    name: str
    function: str
    base: dict[str, Any]
    axes: dict[str, tuple[Any, ...]]
    options: dict[str, Any]
    output_dir: Path
    output_format: str = "csv"
    description: str = ""
    source: Path | None = None
    size: str = "full"
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def n_points(self) -> int:
        return int(np.prod([len(v) for v in self.axes.values()]))

    @property
    def table_path(self) -> Path:
        return self.output_dir / f"results.{self.output_format}"

    def points(self) -> list[Point]:
        """Every point, in order (the first axis varies slowest)."""
        names = list(self.axes)
        out = []
        for index, combo in enumerate(_product([self.axes[n] for n in names])):
            values = dict(zip(names, combo, strict=True))
            settings = {**self.base, **values}
            out.append(
                Point(index, values, settings, point_id(self.function, settings, self.options))
            )
        return out

    def describe(self) -> dict[str, Any]:
        """JSON-able summary written to meta.json."""
        return {
            "name": self.name,
            "description": self.description,
            "function": self.function,
            "base": self.base,
            "axes": {k: list(v) for k, v in self.axes.items()},
            "options": self.options,
            "output_dir": str(self.output_dir),
            "format": self.output_format,
            "size": self.size,
            "source": None if self.source is None else str(self.source),
            "n_points": self.n_points,
        }


def _product(lists: Sequence[Sequence[Any]]) -> Iterator[tuple[Any, ...]]:
    if not lists:
        yield ()
        return
    for head in lists[0]:
        for tail in _product(lists[1:]):
            yield (head, *tail)


def _or_empty(empty: Callable[[], Any]) -> BeforeValidator:
    """A YAML key given without a value (``base:``) is the empty value."""
    return BeforeValidator(lambda value: empty() if value is None else value)


_Settings = dict[str, Any]
#: ``key: value`` settings (base, options, axes): keys are non-empty text.
Settings = Annotated[dict[Annotated[str, Field(min_length=1)], Any], _or_empty(dict)]


class SweepOutput(FrozenModel):
    """``output:`` the folder of the table (relative to the repository root) and its format."""

    dir: str | None = None
    format: Literal["csv", "parquet"] = "csv"


class SweepSmall(FrozenModel):
    """``small:`` the CI-sized variant: entries merged into ``base`` and ``options``, axes
    replaced by name (only axes of the full study)."""

    base: Settings = Field(default_factory=dict)
    axes: Settings = Field(default_factory=dict)
    options: Settings = Field(default_factory=dict)


class SweepFile(FrozenModel):
    """The sweep YAML (schema in the module docstring); every key is checked."""

    name: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]+$")]
    description: Annotated[str, _or_empty(str)] = ""
    function: str = DEFAULT_FUNCTION
    base: Settings = Field(default_factory=dict)
    axes: Settings
    options: Settings = Field(default_factory=dict)
    output: Annotated[SweepOutput, _or_empty(dict)] = SweepOutput()
    small: SweepSmall | None = None

    @model_validator(mode="after")
    def _check(self) -> SweepFile:
        if not self.axes:
            raise ValueError("@axes: required; give at least one axis, e.g. {ev.seed: [1, 2]}")
        return self


def _shape(*names: str) -> BeforeValidator:
    """The list ``[names...]`` of an axis form; another length names the entries expected."""

    def check(value: Any) -> Any:
        if not isinstance(value, list | tuple) or len(value) != len(names):
            shape = ", ".join(names)
            raise PydanticCustomError("axis_shape", "expected [{shape}]", {"shape": shape})
        return value

    return BeforeValidator(check)


Count = Annotated[Whole, Field(ge=1)]
PositiveReal = Annotated[Real, Field(gt=0.0)]


class Integers(FrozenModel):
    """Axis ``{integers: [first, last]}``: every whole number from first to last (included)."""

    integers: Annotated[tuple[Whole, Whole], _shape("first", "last")]

    @model_validator(mode="after")
    def _check(self) -> Integers:
        if self.integers[1] < self.integers[0]:
            raise ValueError(f"@integers = {list(self.integers)}: last must be >= first")
        return self

    def values(self) -> list[int]:
        return list(range(self.integers[0], self.integers[1] + 1))


class Linspace(FrozenModel):
    """Axis ``{linspace: [start, stop, n]}``: n evenly spaced values, both ends included."""

    linspace: Annotated[tuple[Real, Real, Count], _shape("start", "stop", "number of points")]

    def values(self) -> np.ndarray:
        return np.linspace(*self.linspace)


class Geomspace(FrozenModel):
    """Axis ``{geomspace: [start, stop, n]}``: n values evenly spaced on a log scale."""

    geomspace: Annotated[
        tuple[PositiveReal, PositiveReal, Count], _shape("start", "stop", "number of points")
    ]

    def values(self) -> np.ndarray:
        return np.geomspace(*self.geomspace)


AXIS_FORMS: dict[str, type[Integers | Linspace | Geomspace]] = {
    "integers": Integers,
    "linspace": Linspace,
    "geomspace": Geomspace,
}


def _axis_values(key: str, spec: Any) -> tuple[Any, ...]:
    """Expand one axis specification (a list, or one of :data:`AXIS_FORMS`) into its values."""
    where = f"axes.{key}"
    if isinstance(spec, list | tuple):
        if not spec:
            raise ValueError(f"{where}: the list of values is empty")
        values = [_clean(v, where) for v in spec]
    elif isinstance(spec, Mapping) and len(spec) == 1 and next(iter(spec)) in AXIS_FORMS:
        form = AXIS_FORMS[next(iter(spec))]
        with validating(form, where):
            grid = form.model_validate(spec).values()
        values = [_clean(v, where) for v in grid]
    else:
        raise ValueError(
            f"{where} = {spec!r}: expected a list of values or one of "
            + ", ".join(f"{{{f}: [...]}}" for f in AXIS_FORMS)
        )
    if len({_canonical(v) for v in values}) != len(values):
        raise ValueError(f"{where}: values repeat ({values}); every point must be distinct")
    return tuple(values)


def sweep_dir(name: str) -> Path:
    """Default output folder of a sweep: ``<repo>/_build/sweeps/<name>``."""
    return SWEEP_ROOT / name


def _read_source(source: str | Path | Mapping[str, Any]) -> tuple[dict[str, Any], Path | None]:
    """The config as a mapping and the file it came from (``None`` for a mapping)."""
    path = Path(source) if isinstance(source, str | Path) else None
    raw = read_yaml(path, "sweep config") if path is not None else source
    if not isinstance(raw, Mapping):
        keys = list(SweepFile.model_fields)
        raise ValueError(f"sweep config {path or ''}: expected a mapping of {keys}")
    return dict(raw), path


def _sized(file: SweepFile, size: str) -> tuple[str, _Settings, _Settings, _Settings]:
    """Name, base, axes and options of the study at ``size`` (``small``: its small section
    applied, the name suffixed ``-small``)."""
    base, axes, options = dict(file.base), dict(file.axes), dict(file.options)
    if size == "full":
        return file.name, base, axes, options
    small = file.small
    if small is None or not (small.base or small.axes or small.options):
        raise ValueError(f"size = 'small': the config {file.name!r} has no 'small' section")
    extra = sorted(set(small.axes) - set(axes))
    if extra:
        raise ValueError(f"small.axes: {extra} are not axes of the full study {sorted(axes)}")
    return (
        f"{file.name}-small",
        {**base, **small.base},
        {**axes, **small.axes},
        {**options, **small.options},
    )


def _output(
    file: SweepFile, name: str, size: str, output_dir: str | Path | None, fmt: str | None
) -> tuple[Path, str]:
    """The output folder and table format (the arguments override ``output.dir/format``)."""
    fmt = fmt or file.output.format
    if fmt not in FORMATS:
        raise ValueError(f"output.format = {fmt!r}: allowed values are {list(FORMATS)}")
    if fmt == "parquet" and importlib.util.find_spec("pyarrow") is None:
        raise ValueError(
            "output.format = 'parquet': needs pyarrow, which is not installed; use 'csv'"
        )
    if output_dir is not None:
        return Path(output_dir), fmt
    if file.output.dir is None:
        return sweep_dir(name), fmt
    out = Path(file.output.dir)
    out = out if out.is_absolute() else REPO_ROOT / out
    return (out.with_name(out.name + "-small") if size == "small" else out), fmt


def load_config(
    source: str | Path | Mapping[str, Any],
    *,
    size: str = "full",
    output_dir: str | Path | None = None,
    output_format: str | None = None,
    check: bool = True,
) -> SweepConfig:
    """Read and validate a sweep config (a YAML file or an already parsed mapping).

    Args:
        source: path of the YAML file, or its content as a mapping.
        size: ``"full"`` or ``"small"`` (apply the config's ``small`` section; the output
            folder gets the suffix ``-small``).
        output_dir, output_format: override ``output.dir`` / ``output.format``.
        check: call the point function's ``check(settings, options)`` on every axis value.

    Raises:
        ValueError: naming the key, its value and what is allowed.
    """
    if size not in ("full", "small"):
        raise ValueError(f"size = {size!r}: allowed values are 'full' and 'small'")
    raw, path = _read_source(source)
    with validating(SweepFile):
        file = SweepFile.model_validate(raw)
    function, fn = resolve_function(file.function)
    name, base, axes_raw, options = _sized(file, size)
    axes = {k: _axis_values(k, v) for k, v in axes_raw.items()}
    clash = sorted(set(axes) & set(base))
    if clash:
        raise ValueError(f"axes: {clash} also set in base; set each key in one place only")
    out, fmt = _output(file, name, size, output_dir, output_format)
    config = SweepConfig(
        name=name,
        function=function,
        base={k: _clean(v, f"base.{k}") for k, v in base.items()},
        axes=axes,
        options={k: _clean(v, f"options.{k}") for k, v in options.items()},
        output_dir=out,
        output_format=fmt,
        description=file.description.strip(),
        source=path,
        size=size,
        raw=raw,
    )
    if check and hasattr(fn, "check"):
        _check_points(config, fn.check)
    return config


def _check_points(config: SweepConfig, check: Callable[..., None]) -> None:
    """Validate every axis value: row i combines the i-th value of every axis (the last value
    of shorter axes), so each value is checked once, in a combination that is a real point."""
    longest = max(len(v) for v in config.axes.values())
    for i in range(longest):
        values = {k: v[min(i, len(v) - 1)] for k, v in config.axes.items()}
        check({**config.base, **values}, config.options)


# ----- running ----------------------------------------------------------------------------
def _worker_name() -> str:
    try:
        from distributed import get_worker

        w = get_worker()
        return str(w.name)
    except (ImportError, ValueError):
        return f"local-{socket.gethostname()}-{os.getpid()}"


def execute_point(
    function: str, settings: Mapping[str, Any], options: Mapping[str, Any]
) -> dict[str, Any]:
    """Evaluate one point (on a Dask worker or in this process); never raises.

    Returns the record written to ``points.jsonl``: ``status`` ``ok`` or ``failed``, ``error``
    (type and message), ``traceback``, ``rows``, ``seconds`` (wall time, s) and ``worker``.
    """
    start = time.perf_counter()
    record: dict[str, Any] = {"status": "ok", "error": "", "rows": []}
    try:
        rows = resolve_function(function)[1](dict(settings), dict(options))
        if not isinstance(rows, list) or not all(isinstance(r, Mapping) for r in rows):
            raise TypeError(f"{function} returned {type(rows).__name__}, not a list of dicts")
        record["rows"] = [dict(r) for r in rows]
    except Exception as exc:  # a failed point is data, not a crash of the sweep
        record.update(
            status="failed",
            error=f"{type(exc).__name__}: {exc}",
            traceback=traceback.format_exc(limit=8),
        )
    record["seconds"] = time.perf_counter() - start
    record["worker"] = _worker_name()
    return json.loads(json.dumps(record, default=json_default))


def read_records(path: str | Path) -> dict[str, dict[str, Any]]:
    """Finished points of ``points.jsonl`` by point id (the last record of an id wins; a line
    cut short by an interruption is ignored)."""
    path = Path(path)
    out: dict[str, dict[str, Any]] = {}
    if not path.is_file():
        return out
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            line = line.strip()
            if not line:
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(rec, dict) and "point_id" in rec:
                out[rec["point_id"]] = rec
    return out


def build_table(config: SweepConfig, records: Mapping[str, Mapping[str, Any]]) -> pd.DataFrame:
    """The tidy results table of the finished points, in the config's point order."""
    rows: list[dict[str, Any]] = []
    axis_names = list(config.axes)
    for p in config.points():
        rec = records.get(p.point_id)
        if rec is None:
            continue
        head = {"point": p.index, "point_id": p.point_id, **p.values}
        tail = {"seconds": rec.get("seconds", np.nan), "worker": rec.get("worker", "")}
        body = rec.get("rows") or [{}]
        for r in body:
            row = {**head, **{k: v for k, v in r.items() if k not in head}}
            row.setdefault("status", rec.get("status", "ok"))
            row.setdefault("error", rec.get("error", ""))
            if rec.get("status") == "failed":
                row["status"], row["error"] = "failed", rec.get("error", "")
            rows.append({**row, **tail})
    if not rows:
        return pd.DataFrame(
            columns=["point", "point_id", *axis_names, "status", "error", *META_COLUMNS]
        )
    df = pd.DataFrame(rows)
    front = ["point", "point_id", *axis_names]
    back = ["status", "error", *META_COLUMNS]
    middle = [c for c in df.columns if c not in front and c not in back]
    df = df[front + middle + back]
    df["error"] = df["error"].fillna("").astype(str)
    return df.reset_index(drop=True)


def write_table(df: pd.DataFrame, path: Path, fmt: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    if fmt == "parquet":
        df.to_parquet(tmp, index=False)
    else:
        df.to_csv(tmp, index=False)
    tmp.replace(path)
    return path


def read_results(source: SweepConfig | str | Path) -> pd.DataFrame:
    """Read a results table (a config, a sweep folder, or the table file itself)."""
    if isinstance(source, SweepConfig):
        path = source.table_path
    else:
        path = Path(source)
        if path.is_dir():
            found = [path / f"results.{f}" for f in FORMATS if (path / f"results.{f}").is_file()]
            if not found:
                raise ValueError(f"{path}: no results.csv or results.parquet")
            path = found[0]
    if not path.is_file():
        raise ValueError(f"results table {path} does not exist; run the sweep first")
    if path.suffix == ".parquet":
        df = pd.read_parquet(path)
    else:
        df = pd.read_csv(path, keep_default_na=True)
    if "error" in df:
        df["error"] = df["error"].fillna("").astype(str)
    if "worker" in df:
        df["worker"] = df["worker"].astype(str)
    return df


def read_meta(source: SweepConfig | str | Path) -> dict[str, Any]:
    """The ``meta.json`` of a sweep folder (empty if missing)."""
    folder = source.output_dir if isinstance(source, SweepConfig) else Path(source)
    path = folder / "meta.json"
    if not path.is_file():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))


@dataclass
class SweepResult:
    """Outcome of :func:`run_sweep` (times in s)."""

    config: SweepConfig
    table: pd.DataFrame
    path: Path
    n_points: int
    n_run: int
    n_resumed: int
    n_failed: int
    seconds: float
    workers: int
    meta: dict[str, Any] = field(default_factory=dict)
    n_stale: int = 0

    @property
    def n_ok(self) -> int:
        return self.n_points - self.n_failed


def dask_client(
    workers: int | None = None, scheduler: str | None = None
) -> contextlib.AbstractContextManager[tuple[Any, int]]:
    """Context manager giving ``(client, n_workers)`` for several :func:`run_sweep` calls:
    a LocalCluster of ``workers`` single-threaded processes (default: the machine's cores),
    the scheduler at ``scheduler``, or ``(None, 0)`` for ``workers=0`` (no Dask). The cluster
    is closed on exit."""
    if workers == 0 and scheduler is None:
        return contextlib.nullcontext((None, 0))
    return _dask_client(workers, scheduler, None)


@contextlib.contextmanager
def _dask_client(
    workers: int | None, scheduler: str | None, client: Any
) -> Iterator[tuple[Any, int]]:
    """A Dask client: the one given, one connected to ``scheduler``, or a new LocalCluster of
    ``workers`` single-threaded worker processes (default: the machine's cores)."""
    if client is not None:
        yield client, len(client.scheduler_info().get("workers", {}))
        return
    import dask
    from distributed import Client, LocalCluster

    if scheduler:
        try:
            # the connect timeout of the Dask config (default 30 s; DASK_DISTRIBUTED__COMM__
            # TIMEOUTS__CONNECT changes it)
            c = Client(scheduler, timeout=dask.config.get("distributed.comm.timeouts.connect"))
        except OSError as exc:
            raise ConnectionError(
                f"scheduler = {scheduler!r}: cannot connect to a Dask scheduler there ({exc})"
            ) from None
        with c:
            yield c, len(c.scheduler_info().get("workers", {}))
        return
    n = workers or os.cpu_count() or 1
    with (
        LocalCluster(
            n_workers=n,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",  # a free port: no warning when 8787 is taken
            silence_logs=logging.CRITICAL,  # no chatter, nor heartbeat errors at shutdown
        ) as cluster,
        Client(cluster) as c,
    ):
        c.register_plugin(_ignore_interrupt_plugin(), name="sopev-ignore-sigint")
        yield c, n


def _ignore_sigint() -> None:
    """Ignore Ctrl-C in this (worker) process: the process that started the cluster handles
    it and shuts the workers down, which would otherwise each print a traceback."""
    import signal
    import threading

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)


def _ignore_interrupt_plugin() -> Any:
    """A Dask ``WorkerPlugin`` running :func:`_ignore_sigint` in every worker process of a
    LocalCluster (those started now and any the nanny restarts later)."""
    from distributed import WorkerPlugin

    class IgnoreInterrupt(WorkerPlugin):
        idempotent = True

        def setup(self, worker: Any) -> None:
            _ignore_sigint()

    return IgnoreInterrupt()


def run_sweep(
    config: SweepConfig,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    client: Any = None,
    restart: bool = False,
    retry_failed: bool = False,
    rerun_stale: bool = False,
    progress: bool = True,
    on_point: Callable[[dict[str, Any]], None] | None = None,
) -> SweepResult:
    """Run (or resume) a sweep and write its table.

    Args:
        config: from :func:`load_config`.
        workers: worker processes of the LocalCluster (default: the machine's cores); ``0``
            runs every point in this process without Dask (debugging, tiny sweeps).
        scheduler: address of a running Dask scheduler (``tcp://host:8786``); overrides
            ``workers``.
        client: an existing ``distributed.Client`` to use (it is not closed).
        restart: discard earlier results of this sweep instead of resuming.
        retry_failed: solve again the points recorded as failed.
        rerun_stale: solve again the points computed with other model code (another
            :func:`code_fingerprint`); by default they are kept, counted in ``n_stale`` and
            ``meta.json`` then records no fingerprint for the table.
        progress: show a tqdm progress bar (stderr).
        on_point: called with every finished record, after it is written (tests use it to
            interrupt a sweep).

    Returns:
        The table and counts. Points already in ``points.jsonl`` are not solved again.
    """
    _check_workers(workers)
    start = time.perf_counter()
    fingerprint = code_fingerprint(config.function)
    points, finished = _resume(config, fingerprint, restart, retry_failed, rerun_stale)
    todo = [p for p in points if p.point_id not in finished]
    meta = {"config": config.describe(), "started": _now(), "code": fingerprint, "complete": False}
    _write_json(config.output_dir / "meta.json", meta)
    n_workers = 0
    if todo:
        save = _Recorder(config, fingerprint, finished, on_point)
        with save.open(len(points), len(todo), progress):
            if workers == 0 and scheduler is None and client is None:
                for p in todo:
                    save(p, execute_point(config.function, p.settings, config.options))
            else:
                n_workers = _run_dask(config, todo, save, workers, scheduler, client)
    return _finish(config, points, finished, meta, len(todo), n_workers, start)


def _check_workers(workers: Any) -> None:
    """``ValueError`` unless ``workers`` is ``None`` or a whole number >= 0 (a negative count
    would otherwise start a LocalCluster that waits forever for workers)."""
    if workers is None:
        return
    if isinstance(workers, bool) or not isinstance(workers, int | np.integer) or workers < 0:
        raise ValueError(
            f"workers = {workers!r}: expected a whole number >= 0 (0 runs without Dask; "
            "leave it out to use every core)"
        )


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _resume(
    config: SweepConfig, fingerprint: str, restart: bool, retry_failed: bool, rerun_stale: bool
) -> tuple[list[Point], dict[str, dict[str, Any]]]:
    """The sweep's points and the records of those already finished (none after ``restart``,
    which deletes the earlier results; failed or stale ones not counted if asked)."""
    out = config.output_dir
    out.mkdir(parents=True, exist_ok=True)
    jsonl = out / "points.jsonl"
    if restart:
        for p in (jsonl, config.table_path, out / "meta.json"):
            p.unlink(missing_ok=True)
    points = config.points()
    ids = {p.point_id for p in points}
    finished = {
        pid: r
        for pid, r in read_records(jsonl).items()
        if pid in ids
        and not (retry_failed and r.get("status") == "failed")
        and not (rerun_stale and r.get("code") != fingerprint)
    }
    return points, finished


class _Recorder:
    """Appends each finished point's record to ``points.jsonl`` at once (an interruption loses
    only the points still running), keeps it in ``finished`` and advances the progress bar."""

    def __init__(
        self,
        config: SweepConfig,
        fingerprint: str,
        finished: dict[str, dict[str, Any]],
        on_point: Callable[[dict[str, Any]], None] | None,
    ) -> None:
        self.name, self.path = config.name, config.output_dir / "points.jsonl"
        self.fingerprint, self.finished, self.on_point = fingerprint, finished, on_point

    @contextlib.contextmanager
    def open(self, total: int, todo: int, progress: bool) -> Iterator[None]:
        """The file and a progress bar over ``total`` points of which ``todo`` are to run."""
        from tqdm import tqdm

        self.bar = tqdm(
            total=total,
            initial=total - todo,
            desc=self.name,
            unit="pt",
            disable=not progress,
            dynamic_ncols=True,
        )
        _ensure_newline(self.path)
        with self.path.open("a", encoding="utf-8") as self.fh, self.bar:
            yield

    def __call__(self, p: Point, rec: dict[str, Any]) -> None:
        rec = {
            "point_id": p.point_id,
            "index": p.index,
            "values": p.values,
            **rec,
            "finished": _now(),
            "code": self.fingerprint,
        }
        self.fh.write(json.dumps(rec, default=json_default) + "\n")
        self.fh.flush()
        self.finished[p.point_id] = rec
        self.bar.update(1)
        if self.on_point is not None:
            self.on_point(rec)


def _finish(
    config: SweepConfig,
    points: Sequence[Point],
    finished: Mapping[str, Mapping[str, Any]],
    meta: dict[str, Any],
    n_run: int,
    n_workers: int,
    start: float,
) -> SweepResult:
    """Write the table and the completed ``meta.json``; the counts of the run."""
    table = build_table(config, finished)
    write_table(table, config.table_path, config.output_format)
    fingerprint = meta["code"]
    n_stale = sum(1 for p in points if finished[p.point_id].get("code") != fingerprint)
    n_failed = int(sum(1 for p in points if finished[p.point_id].get("status") == "failed"))
    failed_rows = int((table["status"] != "ok").sum()) if len(table) else 0
    seconds = time.perf_counter() - start
    meta.update(
        finished=_now(),
        complete=True,
        n_points=len(points),
        n_run=n_run,
        n_resumed=len(points) - n_run,
        n_failed_points=n_failed,
        n_failed_rows=failed_rows,
        seconds=seconds,
        workers=n_workers,
        table=str(config.table_path),
        n_stale_points=n_stale,
        code=fingerprint if n_stale == 0 else None,
    )
    _write_json(config.output_dir / "meta.json", meta)
    return SweepResult(
        config=config,
        table=table,
        path=config.table_path,
        n_points=len(points),
        n_run=n_run,
        n_resumed=len(points) - n_run,
        n_failed=n_failed,
        seconds=seconds,
        workers=n_workers,
        meta=meta,
        n_stale=n_stale,
    )


def _run_dask(
    config: SweepConfig,
    todo: Sequence[Point],
    save: Callable[[Point, dict[str, Any]], None],
    workers: int | None,
    scheduler: str | None,
    client: Any,
) -> int:
    from distributed import as_completed

    with _dask_client(workers, scheduler, client) as (c, n_workers):
        futures = {}
        for p in todo:
            fut = c.submit(execute_point, config.function, p.settings, config.options, pure=False)
            futures[fut] = p
        try:
            for fut in as_completed(futures):
                p = futures.pop(fut)
                try:
                    rec = fut.result()
                except Exception as exc:  # the worker died (e.g. out of memory): record it
                    rec = {
                        "status": "failed",
                        "error": f"{type(exc).__name__}: {exc}",
                        "rows": [],
                        "seconds": float("nan"),
                        "worker": "",
                    }
                save(p, rec)
        finally:
            for fut in futures:
                fut.cancel()
    return n_workers


def pending_points(
    config: SweepConfig,
    *,
    restart: bool = False,
    retry_failed: bool = False,
    rerun_stale: bool = False,
) -> int:
    """How many points :func:`run_sweep` with these flags would solve."""
    points = config.points()
    if restart:
        return len(points)
    done = read_records(config.output_dir / "points.jsonl")
    code = code_fingerprint(config.function) if rerun_stale else None
    n = 0
    for p in points:
        r = done.get(p.point_id)
        if (
            r is None
            or (retry_failed and r.get("status") == "failed")
            or (rerun_stale and r.get("code") != code)
        ):
            n += 1
    return n


def _ensure_newline(path: Path) -> None:
    """After an interruption the last line may be cut short: start the next on a new line."""
    if path.is_file() and path.stat().st_size:
        with path.open("rb") as fh:
            fh.seek(-1, os.SEEK_END)
            last = fh.read(1)
        if last != b"\n":
            with path.open("a", encoding="utf-8") as fh:
                fh.write("\n")


def _write_json(path: Path, data: Mapping[str, Any]) -> None:
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(data, indent=2, default=json_default), encoding="utf-8")
    tmp.replace(path)


# ----- command line ---------------------------------------------------------------------------
def _print_summary(res: SweepResult) -> None:
    """One line per finished sweep (counts, time, table); stale points warned on stderr."""
    name = res.config.name
    failed_rows = res.meta.get("n_failed_rows", 0)
    print(
        f"{name}: {res.n_points} points ({res.n_run} solved now, {res.n_resumed} resumed), "
        f"{res.n_failed} failed points, {failed_rows} failed rows; {res.seconds:.1f} s -> "
        f"{res.path}",
        flush=True,
    )
    if res.n_stale:
        print(
            f"{name}: warning: {res.n_stale} points were computed with other model code; "
            "--rerun-stale solves them again",
            file=sys.stderr,
        )


def run_cli(
    configs: Sequence[str | Path],
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    size: str = "full",
    out: str | Path | None = None,
    output_format: str | None = None,
    restart: bool = False,
    retry_failed: bool = False,
    rerun_stale: bool = False,
    progress: bool = True,
) -> int:
    """``sopev sweep``: run (or resume) every config on one Dask cluster; print a summary.

    Returns the exit status: 0 when every sweep finished (failed points are results, reported
    in the summary), 130 when interrupted (finished points are kept; run again to resume; the
    workers of a LocalCluster ignore Ctrl-C and are shut down by this process, so no worker
    prints a traceback).

    Raises:
        ValueError: a bad config (naming the key), ``--out`` with several configs, or a
            negative ``workers`` (checked before any cluster starts).
        ConnectionError: no Dask scheduler answers at ``scheduler``.
    """
    _check_workers(workers)
    if out is not None and len(configs) != 1:
        raise ValueError(f"--out names one folder but {len(configs)} configs were given")
    loaded = [
        load_config(c, size=size, output_dir=out, output_format=output_format) for c in configs
    ]
    names = [c.name for c in loaded]
    if len(set(names)) != len(names):
        raise ValueError(f"sweep names repeat: {names}; each sweep needs its own name")
    todo = sum(
        pending_points(c, restart=restart, retry_failed=retry_failed, rerun_stale=rerun_stale)
        for c in loaded
    )
    serial = (workers == 0 and scheduler is None) or todo == 0
    ctx = dask_client(0 if serial else workers, None if serial else scheduler)
    try:
        with ctx as (client, n_workers):
            where = (
                "this process"
                if serial
                else (f"Dask scheduler {scheduler}" if scheduler else "a LocalCluster")
                + f" ({n_workers} workers)"
            )
            print(f"running {len(loaded)} sweep(s) on {where}", flush=True)
            for cfg in loaded:
                before = read_records(cfg.output_dir / "points.jsonl")
                if before and not restart:
                    print(f"{cfg.name}: resuming ({cfg.output_dir})", flush=True)
                res = run_sweep(
                    cfg,
                    workers=0 if serial else None,
                    client=client,
                    restart=restart,
                    retry_failed=retry_failed,
                    rerun_stale=rerun_stale,
                    progress=progress,
                )
                _print_summary(res)
    except KeyboardInterrupt:
        print(
            "\ninterrupted: finished points are kept in points.jsonl; run the same command "
            "again to resume",
            file=sys.stderr,
        )
        return 130
    return 0
