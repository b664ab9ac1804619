"""Validated YAML inputs: the machinery shared by the parameter file (:mod:`.params`) and the
sweep configs (:mod:`sopev_lib.studies.sweep`).

- :func:`read_yaml` parses with PyYAML's safe loader, refuses a key repeated within one mapping,
  and names the file and line of every error.
- :class:`FrozenModel` is the pydantic base of every schema: frozen, no unknown key, finite
  numbers. :data:`Real`, :data:`Whole` and :data:`Flag` take numbers and flags as YAML and numpy
  give them (``"1e6"``, which PyYAML reads as text; ``np.int64(7)``), but never ``true`` as 1.
- :func:`validating` turns pydantic's ``ValidationError`` into a ``ValueError`` that names each
  field by its dotted path (``network.v_min_pu``, ``ev.types[0].name``), its value and what is
  allowed: ``network.v_min_pu = 1.2 is outside the allowed range (0.5, 1]``. A rule between
  fields (a ``model_validator``) raises ``ValueError`` with :data:`AT` standing for the dotted
  path of its model.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import numpy as np
import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, StrictBool, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import PydanticCustomError

__all__ = ["AT", "Flag", "FrozenModel", "Real", "Whole", "distinct", "read_yaml", "validating"]


# ----- YAML ----------------------------------------------------------------------------------
class _UniqueKeyLoader(yaml.SafeLoader):
    """The safe loader, but a repeated key is an error (the plain loader keeps the last value
    silently, so an edited entry could be overridden by a forgotten copy further down)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        first: dict[Any, int] = {}
        for key_node, _ in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                continue
            key = self.construct_object(key_node, deep=deep)
            if key in first:
                problem = f"duplicate key {key!r} (first at line {first[key]})"
                raise yaml.constructor.ConstructorError(None, None, problem, key_node.start_mark)
            first[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep=deep)


def read_yaml(path: str | Path, what: str = "parameter file") -> Any:
    """Parse the YAML file ``path`` (safe loader, no repeated keys); ``what`` names the file in
    messages (``"sweep config"``).

    Raises:
        ValueError: a missing file, a syntax error or a repeated key, naming the file and line.
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{what} {path} does not exist")
    with path.open(encoding="utf-8") as fh:
        loader = _UniqueKeyLoader(fh)
        try:
            return loader.get_single_data()
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = f", line {mark.line + 1}" if mark is not None else ""
            problem = ": ".join(p for p in (exc.context, exc.problem) if p) or str(exc)
            raise ValueError(f"{what} {path}{line}: {problem}") from None
        except yaml.YAMLError as exc:
            raise ValueError(f"{what} {path}: not valid YAML ({exc})") from None
        finally:
            loader.dispose()


# ----- value types and the base model ----------------------------------------------------------
def _plain(value: Any) -> Any:
    """A numpy scalar as the Python value it holds (``np.int64(7)`` -> ``7``)."""
    return value.item() if isinstance(value, np.generic) else value


def _number(value: Any) -> Any:
    """Numbers only: numpy scalars unwrapped, true/false refused; text such as ``"1e6"`` is
    left for pydantic to parse."""
    value = _plain(value)
    if isinstance(value, bool):
        raise PydanticCustomError("number_type", "expected a number")
    return value


Real = Annotated[float, BeforeValidator(_number)]
Whole = Annotated[int, BeforeValidator(_number)]
Flag = Annotated[StrictBool, BeforeValidator(_plain)]

#: In the message of a rule between fields, ``@`` stands for the dotted path of the model.
AT = "@"


def distinct(model: BaseModel, *names: str) -> None:
    """Refuse a repeated entry in the list fields ``names``, naming the field and the entry."""
    for name in names:
        seen: set[Any] = set()
        for entry in getattr(model, name):
            if entry in seen:
                raise ValueError(f"{AT}{name}: {entry!r} is repeated; every entry must be distinct")
            seen.add(entry)


class FrozenModel(BaseModel):
    """Frozen, closed (an unknown key is an error), finite numbers; nested models are checked
    again when a model is validated from another one (``Model.model_validate(obj)``)."""

    model_config = ConfigDict(
        frozen=True, extra="forbid", allow_inf_nan=False, revalidate_instances="always"
    )

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__}.{name}: frozen; make a changed copy instead")


# ----- error messages ------------------------------------------------------------------------
#: Errors named in one message (a list of wrong entries can fail dozens of fields).
_MAX_ERRORS = 5
_RANGE_ERRORS = ("greater_than", "greater_than_equal", "less_than", "less_than_equal")


@contextmanager
def validating(model: type[BaseModel], where: str = "") -> Iterator[None]:
    """Within the block, pydantic's ``ValidationError`` (of ``model``, found at the dotted path
    ``where``) becomes a ``ValueError`` naming every failing field, its value and what is
    allowed (the first few fields, and how many more)."""
    try:
        yield
    except ValidationError as exc:
        texts = [_describe(e, model, where) for e in exc.errors(include_url=False)]
        more = f"; and {len(texts) - _MAX_ERRORS} more" if len(texts) > _MAX_ERRORS else ""
        raise ValueError("; ".join(texts[:_MAX_ERRORS]) + more) from None


def _describe(err: Mapping[str, Any], model: type[BaseModel], where: str) -> str:
    loc, kind, ctx = tuple(err["loc"]), err["type"], err.get("ctx", {})
    path, value = _dotted(where, loc), err.get("input")
    if kind == "value_error":  # ``@``: a rule between the fields of the model at ``path``
        text = str(ctx["error"])
        return text.replace(AT, f"{path}." if path else "") if AT in text else f"{path}: {text}"
    if kind == "missing":
        return f"{path}: missing (required)"
    if kind == "extra_forbidden":
        parent, _ = _hint_at(model, loc[:-1])
        return f"{path}: unknown key; allowed: {list(getattr(parent, 'model_fields', {}))}"
    if kind in ("too_short", "too_long"):
        n = ctx["min_length" if kind == "too_short" else "max_length"]
        return f"{path}: expected {n} entries, got {ctx.get('actual_length')}"
    hint, meta = _hint_at(model, loc)
    allowed = _allowed(hint, meta)
    if kind.startswith(("int_", "float_", "number_", "finite_")):
        what = "whole number" if hint is int else "number"
        what = f"finite {what}" if kind == "finite_number" else what
        return f"{path} = {value!r}: expected a {what} in {allowed}"
    if kind in _RANGE_ERRORS:
        return f"{path} = {value!r} is outside the allowed range {allowed}"
    expected = {
        "literal_error": f"allowed values are {allowed}",
        "bool_type": "expected true or false",
        "bool_parsing": "expected true or false",
        "string_type": "expected text",
        "string_pattern_mismatch": f"expected text matching {ctx.get('pattern')!r}",
        "tuple_type": "expected a list",
        "list_type": "expected a list",
        "dict_type": "expected a mapping (key: value)",
        "model_type": "expected a mapping (key: value)",
    }
    return f"{path} = {value!r}: {expected.get(kind, err['msg'])}"


def _dotted(where: str, loc: Sequence[Any]) -> str:
    """``("types", 0, "name")`` below ``"ev"`` -> ``"ev.types[0].name"``."""
    path = where
    for part in loc:
        path = f"{path}[{part}]" if isinstance(part, int) else f"{path}.{part}" if path else part
    return path


def _unwrap(hint: Any) -> tuple[Any, list[Any]]:
    """The type inside ``Annotated[...]`` layers and ``X | None``, and the metadata of the
    layers (bounds, validators)."""
    meta: list[Any] = []
    while True:
        if get_origin(hint) is Annotated:
            meta += hint.__metadata__
            hint = get_args(hint)[0]
        elif get_origin(hint) in (Union, UnionType) and type(None) in get_args(hint):
            hint = next(a for a in get_args(hint) if a is not type(None))
        else:
            return hint, meta


def _hint_at(model: type[BaseModel], loc: Sequence[Any]) -> tuple[Any, list[Any]]:
    """The type of the value at ``loc`` in ``model`` and the metadata that constrains it."""
    hint, meta = _unwrap(model)
    for part in loc:
        if isinstance(part, int) and get_origin(hint) is tuple:
            args = get_args(hint)  # (X, ...) or one type per entry
            hint, meta = _unwrap(args[0] if args[-1] is Ellipsis else args[part])
        elif isinstance(hint, type) and issubclass(hint, BaseModel) and part in hint.model_fields:
            field = hint.model_fields[part]
            hint, inner = _unwrap(field.annotation)
            meta = [*field.metadata, *inner]
        else:
            return None, []
    return hint, meta


def _allowed(hint: Any, meta: Sequence[Any]) -> str:
    """The allowed values as text: ``'a', 'b'`` for choices, else ``(0.5, 1]``-style ranges."""
    if get_origin(hint) is Literal:
        return ", ".join(repr(c) for c in get_args(hint))
    flat = [m for item in meta for m in (item.metadata if isinstance(item, FieldInfo) else [item])]
    bound = {k: getattr(m, k) for m in flat for k in ("gt", "ge", "lt", "le") if hasattr(m, k)}
    lo, hi = bound.get("gt", bound.get("ge")), bound.get("lt", bound.get("le"))
    left = "(" if lo is None or "gt" in bound else "["
    right = ")" if hi is None or "lt" in bound else "]"
    lo_text = "-inf" if lo is None else f"{lo:g}"
    hi_text = "inf" if hi is None else f"{hi:g}"
    return f"{left}{lo_text}, {hi_text}{right}"
