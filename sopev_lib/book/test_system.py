"""Tables and phrases of chapter 1 (the IEEE 33-bus test system, Section 5 of the paper).

- :func:`changed_overrides` keeps the chapter parameters that differ from ``data/params.yaml``;
- :func:`published_base_case` reads the published base case of a feeder
  (``data/<feeder>/reference.yaml``); :func:`base_case_values`, :func:`base_case_table` and
  :func:`base_case_verdict` set our AC power flow beside it;
- :func:`parameter_table`, :func:`kind_counts` and :func:`table1_rows` present the parameters
  of :func:`~sopev_lib.system.params.provenance_table` for the book (columns picked by name);
- :func:`hour_ranges` and the ``*_phrase`` functions are the short result-dependent phrases
  the chapter glues into its prose.

Nothing here solves anything: the chapter runs the power flows and passes their results in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import yaml

from sopev_lib.book.tables import typeset
from sopev_lib.system.feeder import Feeder
from sopev_lib.system.params import Params
from sopev_lib.system.paths import data_dir
from sopev_lib.system.powerflow import ACResult
from sopev_lib.system.text import listing

__all__ = [
    "BASE_CASE_ROWS",
    "BaseCaseReference",
    "base_case_table",
    "base_case_values",
    "base_case_verdict",
    "changed_overrides",
    "export_phrase",
    "hour_ranges",
    "kind_counts",
    "parameter_table",
    "power_of_ten",
    "published_base_case",
    "table1_rows",
    "typeset",
    "upper_limit_phrase",
    "voltage_limit_phrase",
]

#: Rows of the base-case table: key of ``reference.yaml``, quantity, decimals of our value.
BASE_CASE_ROWS: tuple[tuple[str, str, int], ...] = (
    ("total_load_kw", "total active load", 1),
    ("total_load_kvar", "total reactive load", 1),
    ("active_loss_kw", "active power loss", 3),
    ("min_voltage_pu", "lowest bus voltage", 5),
    ("min_voltage_bus", "bus of the lowest voltage", 0),
)


def _leaf(params: Params, path: str) -> Any:
    obj: Any = params
    for part in path.split("."):
        obj = getattr(obj, part)
    return obj


def changed_overrides(chosen: Mapping[str, Any], defaults: Params) -> dict[str, Any]:
    """The entries of ``chosen`` (dotted parameter path -> value) whose value differs from
    ``defaults``: what ``load_params(overrides=...)`` needs, so that the provenance of an
    unchanged parameter keeps its source."""
    return {path: value for path, value in chosen.items() if value != _leaf(defaults, path)}


@dataclass(frozen=True)
class BaseCaseReference:
    """The published base case of a feeder (``data/<feeder>/reference.yaml``).

    Attributes:
        values: published value per key of :data:`BASE_CASE_ROWS`.
        units: unit per key.
        sources: source text per key.
        v_substation_pu: substation voltage of the published case (p.u.).
    """

    values: dict[str, float]
    units: dict[str, str]
    sources: dict[str, str]
    v_substation_pu: float

    def decimals(self, key: str) -> int:
        """Decimals printed in the published value (0 for an integer)."""
        value = self.values[key]
        return len(repr(value).split(".")[1]) if isinstance(value, float) else 0


def published_base_case(feeder_name: str) -> BaseCaseReference:
    """Read ``data/<feeder_name>/reference.yaml`` (the values published for the feeder data)."""
    path = data_dir() / feeder_name / "reference.yaml"
    case = yaml.safe_load(path.read_text(encoding="utf-8"))["base_case"]
    entries = case["values"]
    return BaseCaseReference(
        values={k: e["value"] for k, e in entries.items()},
        units={k: e["unit"] for k, e in entries.items()},
        sources={k: e["source"] for k, e in entries.items()},
        v_substation_pu=float(case["conditions"]["substation_voltage_pu"]["value"]),
    )


def base_case_values(feeder: Feeder, ac: ACResult, load_scale: float = 1.0) -> dict[str, float]:
    """Our values of the base-case quantities from a one-snapshot AC power flow of the nominal
    load times ``load_scale`` (keys of :data:`BASE_CASE_ROWS`)."""
    v = ac.v_pu[:, 0]
    i_min = int(np.argmin(v))
    return {
        "total_load_kw": load_scale * feeder.total_load_kw,
        "total_load_kvar": load_scale * feeder.total_load_kvar,
        "active_loss_kw": float(ac.total_loss_kw[0]),
        "min_voltage_pu": float(v[i_min]),
        "min_voltage_bus": int(feeder.bus[i_min]),
    }


def base_case_table(
    reference: BaseCaseReference, ours: Mapping[str, float]
) -> tuple[pd.DataFrame, dict[str, bool]]:
    """The published base case beside ours, and per quantity whether ours agrees with the
    published value to its last printed digit (half a unit of that digit).

    Returns:
        (table with columns quantity (with its unit), published, and this book with the
        difference ours minus published in brackets; agreement per key)
    """
    rows, agree = [], {}
    for key, quantity, decimals in BASE_CASE_ROWS:
        pub, mine = reference.values[key], float(ours[key])
        printed = reference.decimals(key)
        agree[key] = abs(mine - pub) <= 0.5 * 10.0**-printed + 1e-12
        unit = reference.units[key]
        rows.append(
            {
                "quantity": quantity if unit == "bus" else f"{quantity} ({unit})",
                "published": f"{pub:,.{printed}f}",
                "this book (difference)": (
                    f"{mine:,.{decimals}f} ({mine - pub + 0.0:+.{decimals}f})"
                ),
            }
        )
    return pd.DataFrame(rows), agree


def base_case_verdict(agree: Mapping[str, bool], load_scale: float = 1.0) -> str:
    """``"agree with every published value to its last printed digit"`` or the quantities
    that differ (with a note when the load is scaled, for which nothing was published)."""
    if all(agree.values()):
        return "agree with every published value to its last printed digit"
    names = dict((key, quantity) for key, quantity, _ in BASE_CASE_ROWS)
    text = "differ from the published values in " + listing(
        names[k] for k, ok in agree.items() if not ok
    )
    return text + (", as expected for a scaled load" if load_scale != 1.0 else "")


def hour_ranges(hours: Sequence[int]) -> str:
    """``[9, 10, 11, 14, 15]`` -> ``"09-11, 14-15"`` (each label an hour slot [h, h+1))."""
    runs: list[list[int]] = []
    for h in sorted(int(x) for x in hours):
        if runs and h == runs[-1][-1] + 1:
            runs[-1].append(h)
        else:
            runs.append([h])
    if not runs:
        return "none"
    return ", ".join(f"{r[0]:02d}" if len(r) == 1 else f"{r[0]:02d}-{r[-1]:02d}" for r in runs)


_SUPERSCRIPT = str.maketrans(
    "-0123456789", "\u207b\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079"
)


def power_of_ten(value: float) -> str:
    """The smallest power of ten above ``|value|`` in Unicode, ``"10\u207b\u2076"`` (10^-6), for
    "below 10^-6" in an inline phrase: a bound on round-off, not a number to read."""
    exponent = int(np.floor(np.log10(max(abs(float(value)), 1e-300)))) + 1
    return "10" + str(exponent).translate(_SUPERSCRIPT)


def voltage_limit_phrase(hours_below: Sequence[int], v_min_pu: float) -> str:
    """What the lower voltage limit means for a day without support: ``"stays above ..."``
    or the hours in which it is violated."""
    if not len(hours_below):
        return f"stays above the lower limit of {v_min_pu:g} p.u. all day"
    return (
        f"falls below the lower limit of {v_min_pu:g} p.u. in {len(hours_below)} hour(s) "
        f"({hour_ranges(hours_below)}): since curtailing DG only lowers voltages, a plan "
        "without SOPs, storage or discharging stations cannot meet the limit in those hours"
    )


def upper_limit_phrase(hours_above: Sequence[int], v_max_pu: float) -> str:
    """Whether the upper voltage limit binds in a day: a parameter that changes nothing
    when no hour reaches it."""
    if not len(hours_above):
        return (
            f"no bus reaches the upper limit of {v_max_pu:g} p.u. in any hour, so changing "
            "`v_max_pu` (above the highest voltage) changes nothing here"
        )
    return (
        f"the voltage exceeds the upper limit of {v_max_pu:g} p.u. in {len(hours_above)} "
        f"hour(s) ({hour_ranges(hours_above)})"
    )


def export_phrase(binding_hours: Sequence[int]) -> str:
    """Whether the no-export rule (substation import >= its lower limit) cuts DG in a day."""
    if not len(binding_hours):
        return "the rule is not active"
    return (
        f"the rule would cut DG output in {len(binding_hours)} hour(s) "
        f"({hour_ranges(binding_hours)})"
    )


def _value_with_unit(value: str, unit: str) -> str:
    if unit in ("-", "") or len(unit) > 12:  # long units are explanations: see the source
        return typeset(value)
    return f"{typeset(value)} {unit}"


#: Values longer than this (characters) follow their source instead of leading the cell.
_LONG_VALUE = 40


def _split_path(path: str) -> str:
    """``network.v_min_pu`` as two code spans on two lines, so that a narrow column can hold
    the longest paths (code in the book's tables does not wrap)."""
    section, _, leaf = path.partition(".")
    return f"`{section}.`<br>`{leaf}`" if leaf else f"`{path}`"


def parameter_table(provenance: pd.DataFrame) -> pd.DataFrame:
    """The rows of :func:`~sopev_lib.system.params.provenance_table` for the book, in three
    columns that fit a phone's width: ``parameter`` (the dotted path as code, broken after
    its section), ``kind``, and ``value and source`` (the value in bold with its unit, then
    the source without its kind prefix; a long value follows the source). Columns are
    picked by name, so that columns the provenance table may add are left out. Symbols and
    identifiers in the texts are typeset (:func:`typeset`); a unit longer than a short
    symbol is an explanation and joins the source. Format the glued table with
    ``:format: myst``."""
    rows = []
    for _, r in provenance.iterrows():
        unit, kind = str(r["unit"]), str(r["kind"])
        source = str(r["source"])
        if source.startswith(kind + ":"):
            source = source[len(kind) + 1 :].strip()
        source = typeset(source)
        if len(unit) > 12:
            source += f" (unit: {typeset(unit)})"
        value = _value_with_unit(str(r["value"]), unit)
        if len(str(r["value"])) > _LONG_VALUE:  # a table of values: after its source
            text = f"{source}; value: {value}"
        else:
            text = f"**{value}**: {source}"
        rows.append(
            {"parameter": _split_path(str(r["parameter"])), "kind": kind, "value and source": text}
        )
    return pd.DataFrame(rows, columns=["parameter", "kind", "value and source"])


def kind_counts(provenance: pd.DataFrame) -> dict[str, int]:
    """Number of parameters per provenance kind: ``paper``, ``ref`` (any ``ref [n]``),
    ``assumed``, ``override`` and ``modified`` (a value of the parameter file that differs
    from its recorded default; 0 where the provenance table has no such kind)."""
    kind = provenance["kind"].astype(str)
    return {
        "paper": int((kind == "paper").sum()),
        "ref": int(kind.str.startswith("ref").sum()),
        "assumed": int((kind == "assumed").sum()),
        "override": int((kind == "override").sum()),
        "modified": int((kind == "modified").sum()),
    }


def table1_rows(provenance: pd.DataFrame) -> pd.DataFrame:
    """The parameters whose source is the paper's Table 1, as this book sets them, in two
    columns that fit a phone's width: ``parameter and value`` (the dotted path as code, then
    the value in bold with its unit) and ``where the paper gives it`` (the source). Format
    the glued table with ``:format: myst``."""
    mask = provenance["source"].astype(str).str.contains("Table 1", regex=False)
    mask &= provenance["kind"].astype(str) != "assumed"
    rows = [
        {
            "parameter and value": _split_path(str(r["parameter"]))
            + f"<br>**{_value_with_unit(str(r['value']), str(r['unit']))}**",
            "where the paper gives it": typeset(str(r["source"])),
        }
        for _, r in provenance[mask].iterrows()
    ]
    return pd.DataFrame(rows, columns=["parameter and value", "where the paper gives it"])
