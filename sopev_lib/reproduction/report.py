"""The tables of the reproduction report (chapter 6 and its appendices), ready for the book.

Every function takes computed results (the comparisons of :mod:`.paper`, the checks of
:mod:`.audit`, the verdicts of :mod:`.claims`, the runs of :mod:`.assumptions`) and returns a
small DataFrame whose cells are text: numbers formatted (noise shown as 0), symbols typeset as
MyST math (:func:`typeset`: ``C_SI`` -> ``$C_{SI}$``, ``10^4`` -> ``$10^4$``) and no more
columns than fit a phone's text column (paper and ours share a cell, ``"1644.0/1252.7"``,
which may wrap after the slash).
Nothing here solves or decides anything.

Money in 10^4 RMB per year, capacities in kVA, savings in % of Plan 1's cost.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from sopev_lib.reproduction.assumptions import AlternativeRun
from sopev_lib.reproduction.audit import AuditCheck
from sopev_lib.reproduction.claims import ClaimResult
from sopev_lib.system.params import Params, provenance_table

__all__ = [
    "SYMBOLS",
    "alternatives_overview",
    "assumptions_reference",
    "audit_findings",
    "audit_overview",
    "audit_reference",
    "beside",
    "breakable",
    "claims_reference",
    "flexibility_effects",
    "headline_readings",
    "heat_cells",
    "num",
    "parameters_reference",
    "phrase_counts",
    "table4_beside",
    "table4_readings",
    "table5_beside",
    "table6_beside",
    "typeset",
    "verified_word",
]

#: Plain-text symbols of the library's messages and their MyST math (longest first).
SYMBOLS: dict[str, str] = {
    "I_F_cov_local": r"$I_F^{cov,loc}$",
    "I_F_cov": r"$I_F^{cov}$",
    "F_cov": r"$F^{cov}$",
    "F_loc": r"$F^{loc}$",
    "C_OMS": r"$C_{OMS}$",
    "C_NLC": r"$C_{NLC}$",
    "C_SI": r"$C_{SI}$",
    "C_PC": r"$C_{PC}$",
    "I_BF": r"$I_{BF}$",
    "I_max": r"$I_{max}$",
    "I_F": r"$I_F$",
    "S_max": r"$S_{max}$",
    "P_loss": r"$P_{loss}$",
}
_SYMBOL_RE = re.compile(r"(?<![\w$\\{])(" + "|".join(re.escape(k) for k in SYMBOLS) + r")(?![\w}])")
_POWER_RE = re.compile(r"(?<![\w$^{])10\^(-?\d+)")
_ETA_RE = re.compile(r"(?<![\w$\\])eta(?=\s*=|\s+of\b|\))")


def typeset(text: Any) -> str:
    """``text`` with the library's plain symbols as MyST math: ``C_SI`` -> ``$C_{SI}$``,
    ``I_F`` -> ``$I_F$``, ``10^4`` -> ``$10^4$``, ``eta =`` -> ``$\\eta$ =``. Text already in
    math (``$...$``) is left alone."""
    parts = re.split(r"(\$[^$]*\$)", str(text))
    for k, part in enumerate(parts):
        if part.startswith("$") and part.endswith("$") and len(part) > 1:
            continue
        part = _SYMBOL_RE.sub(lambda m: SYMBOLS[m.group(1)], part)
        part = _POWER_RE.sub(lambda m: f"$10^{{{m.group(1)}}}$", part)
        parts[k] = _ETA_RE.sub(r"$\\eta$", part)
    return "".join(parts)


def breakable(name: str) -> str:
    """``name`` with a zero-width space after every ``_`` and ``.``, so that a narrow column can
    wrap a long identifier (``loss_price_flat_rmb_per_kwh``) without showing anything."""
    return str(name).replace("_", "_\u200b").replace(".", ".\u200b")


def num(value: Any, digits: int = 1) -> str:
    """A number with ``digits`` decimals and no thousands separator (narrow columns); noise
    (|x| < 1e-6 of 1) as 0, a NaN or missing value as an en dash."""
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "–"
    x = float(value)
    x = 0.0 if abs(x) < 1e-6 else x
    return f"{round(x, digits) + 0.0:.{digits}f}"


#: Between two values of one cell: a slash after which a narrow column may wrap.
SLASH = "/\u200b"


def verified_word(passed: Any) -> str:
    """One table cell for a plan's verification: ``"yes"`` or ``"NO"`` (capitals, so that a
    failed plan stands out in a row of yeses; its numbers beside it are not results)."""
    return "yes" if bool(passed) else "NO"


def beside(paper: Any, ours: Any, digits: int = 1) -> str:
    """``"paper/ours"`` for one cell (a narrow column may wrap after the slash)."""
    return f"{num(paper, digits)}{SLASH}{num(ours, digits)}"


# ----- the paper's tables beside ours --------------------------------------------------------
def table4_beside(t4: pd.DataFrame, sites: Sequence[str]) -> pd.DataFrame:
    """The paper's Table 4 beside ours (:func:`.paper.table4_comparison`): one row per
    quantity, one column per plan, cells ``paper / ours``."""
    rows: list[dict[str, str]] = []
    if "verified" in t4:
        rows.append(
            {"quantity": "verified"}
            | {plan: verified_word(ok) for plan, ok in t4["verified"].items()}
        )
    for site in sites:
        rows.append(
            {"quantity": f"SOP {site} (kVA)"}
            | {
                plan: beside(r[f"{site} paper (kVA)"], r[f"{site} ours (kVA)"], 0)
                for plan, r in t4.iterrows()
            }
        )
    for label, key in (("cost", "cost"), ("benefit", "benefit")):
        rows.append(
            {"quantity": f"{label} ($10^4$ RMB)"}
            | {plan: beside(r[f"{key} paper"], r[f"{key} ours"]) for plan, r in t4.iterrows()}
        )
    rows.append(
        {"quantity": "saving (%)"}
        | {plan: beside(r["benefit paper (%)"], r["benefit ours (%)"]) for plan, r in t4.iterrows()}
    )
    return pd.DataFrame(rows)


def table5_beside(t5: pd.DataFrame, digits: int = 1) -> pd.DataFrame:
    """The paper's Table 5 beside ours (:func:`.paper.table5_comparison`, long format): one
    row per cost term (and their sum), one column per plan, cells ``paper/ours`` with
    ``digits`` decimals (the paper prints one)."""
    out = []
    for term, group in t5.groupby("term", sort=False):
        label = "sum of the terms" if term == "total" else typeset(term)
        cells = {r.plan: beside(r.paper, r.ours, digits) for r in group.itertuples()}
        out.append({"term": label} | cells)
    return pd.DataFrame(out)


def table6_beside(t6: pd.DataFrame) -> pd.DataFrame:
    """The paper's Table 6 beside ours (:func:`.paper.table6_comparison`): rows $I_F$ (Eq. 18
    as printed), $I_{BF}$, $F$ and our well-defined variant (no paper value), cells
    ``paper / ours``."""
    rows = []
    if "verified" in t6:
        rows.append(
            {"index": "verified"} | {plan: verified_word(ok) for plan, ok in t6["verified"].items()}
        )
    for key in ("I_F", "I_BF", "F"):
        rows.append(
            {"index": f"${key[0]}_{{{key[2:]}}}$" if "_" in key else f"${key}$"}
            | {plan: beside(r[f"{key} paper"], r[f"{key} ours"], 3) for plan, r in t6.iterrows()}
        )
    rows.append(
        {"index": "coverage (ours)"}
        | {plan: num(r["I_F_cov_local ours"], 3) for plan, r in t6.iterrows()}
    )
    return pd.DataFrame(rows)


def heat_cells(t4: pd.DataFrame, t5: pd.DataFrame, t6: pd.DataFrame, sites: Sequence[str]):
    """Long table (``table``, ``quantity``, ``plan``, ``paper``, ``ours``) of every entry of
    Tables 4-6, for :func:`sopev_lib.book.figures.report.plot_relative_differences`."""
    rows = []
    for plan, r in t4.iterrows():
        for site in sites:
            rows.append(
                ("Table 4", f"SOP {site}", plan, r[f"{site} paper (kVA)"], r[f"{site} ours (kVA)"])
            )
        rows.append(("Table 4", "cost", plan, r["cost paper"], r["cost ours"]))
        rows.append(("Table 4", "benefit", plan, r["benefit paper"], r["benefit ours"]))
    for r in t5[t5["term"] != "total"].itertuples():
        rows.append(("Table 5", f"${r.term[0]}_{{{r.term[2:]}}}$", r.plan, r.paper, r.ours))
    for plan, r in t6.iterrows():
        for key, label in (("I_F", "$I_F$"), ("I_BF", "$I_{BF}$"), ("F", "$F$")):
            rows.append(("Table 6", label, plan, r[f"{key} paper"], r[f"{key} ours"]))
    return pd.DataFrame(rows, columns=["table", "quantity", "plan", "paper", "ours"])


def table4_readings(
    variants: pd.DataFrame, sizes: Mapping[int, Mapping[str, float]]
) -> pd.DataFrame:
    """SOP capacities per reading of :func:`.table4.table4_variants` beside the paper's: one row
    per reading (the paper's Table 4 first), one column per plan with the sites' kVA
    (``"311/787/119"``, in the order of the sites), and Plan 4's saving (%)."""
    plans = sorted(sizes)
    rows = [
        {"reading": "paper (Table 4)"}
        | {f"Plan {n}": SLASH.join(num(v, 0) for v in sizes[n].values()) for n in plans}
    ]
    for reading, group in variants.groupby("reading", sort=False):
        row: dict[str, str] = {"reading": str(reading)}
        for n in plans:
            g = group[group["plan"] == n].set_index("site")
            row[f"Plan {n}"] = SLASH.join(num(g.loc[s, "kVA"], 0) for s in sizes[n])
        row["Plan 4 saving (%)"] = num(group.loc[group["plan"] == plans[-1], "saving"].iloc[0])
        rows.append(row)
    return pd.DataFrame(rows).fillna("–")


# ----- audit, claims ---------------------------------------------------------------------------
def audit_reference(checks: Sequence[AuditCheck], topic: str | None = None) -> pd.DataFrame:
    """The audit's checks (of one ``topic``, or all): ``check`` (the relation), ``arithmetic``
    (with the printed numbers), ``difference`` (with the tolerance that rounding explains) and
    ``verdict``; symbols typeset."""
    rows = []
    for c in checks:
        if topic is not None and c.topic != topic:
            continue
        d = c.difference
        if np.isfinite(d) and abs(d) < 1e-9 * max(1.0, abs(c.reference)):
            d = 0.0  # round-off of the arithmetic, not a difference
        diff = "–" if not np.isfinite(d) else f"{d:+.3g} (±{c.tolerance:.2g})"
        verdict = c.verdict + (f": {c.note}" if c.note and c.verdict != "consistent" else "")
        rows.append(
            {
                "check": typeset(c.statement),
                "arithmetic": typeset(c.arithmetic),
                "difference": diff,
                "verdict": typeset(verdict),
            }
        )
    return pd.DataFrame(rows, columns=["check", "arithmetic", "difference", "verdict"])


def audit_overview(checks: Sequence[AuditCheck]) -> pd.DataFrame:
    """The audit by topic (in the audit's order): ``topic`` (typeset), ``checks`` (how many),
    ``hold`` (consistent), ``fail`` (inconsistent or implausible) and ``other`` (a derived
    number shown for reference, or not testable)."""
    rows: dict[str, dict[str, Any]] = {}
    for c in checks:
        row = rows.setdefault(
            c.topic, {"topic": typeset(c.topic), "checks": 0, "hold": 0, "fail": 0, "other": 0}
        )
        row["checks"] += 1
        key = {"consistent": "hold", "inconsistent": "fail", "implausible": "fail"}
        row[key.get(c.verdict, "other")] += 1
    return pd.DataFrame(list(rows.values()), columns=["topic", "checks", "hold", "fail", "other"])


def audit_findings(checks: Sequence[AuditCheck]) -> list[str]:
    """The checks that fail (``inconsistent``) or hold only under unreported conditions
    (``implausible``), one short typeset line each: the relation and its arithmetic."""
    return [
        typeset(f"{c.statement} ({c.verdict}: {c.arithmetic})")
        for c in checks
        if c.verdict in ("inconsistent", "implausible")
    ]


def headline_readings(checks: Sequence[AuditCheck]) -> list[str]:
    """The readings of the conclusion's headline saving that the paper's tables do give
    (the consistent ``conclusion_reading_*`` checks) in plain words for an inline phrase, e.g.
    ``["the cut of Plan 4's purchase cost (Table 5)"]``."""
    out = []
    for c in checks:
        if c.id.startswith("conclusion_reading_") and c.verdict == "consistent":
            m = re.search(r"read as (the cut of .+?) against", c.statement)
            text = m.group(1) if m else c.statement
            out.append(re.sub(r"\s+" + _SYMBOL_RE.pattern, "", text))
    return out


def claims_reference(results: Sequence[ClaimResult]) -> pd.DataFrame:
    """Every evaluated claim: ``claim`` (label and where it stands), ``paper / ours``,
    ``verdict`` and ``evidence`` (the numbers and the threshold applied); symbols typeset."""
    return pd.DataFrame(
        [
            {
                "claim": f"{r.label} ({r.where})",
                "paper / ours": typeset(f"{r.paper} / {r.ours or '–'}"),
                "verdict": r.verdict,
                "evidence": typeset(r.evidence),
            }
            for r in results
        ]
    )


# ----- assumptions and parameters ------------------------------------------------------------
def assumptions_reference(table: pd.DataFrame, section: str = "") -> pd.DataFrame:
    """:func:`.assumptions.assumption_table` in two columns: ``our reading`` (the parameter in
    bold, without the ``section.`` prefix, its value and the reason) and ``alternative and its
    effect``; symbols typeset."""
    names = table["parameter"].str.removeprefix(f"{section}." if section else "")
    return pd.DataFrame(
        {
            "our reading": [
                f"**{breakable(n)}** = " + typeset(f"{v}: {r}")
                for n, v, r in zip(names, table["value"], table["reason"], strict=True)
            ],
            "alternative and its effect": [typeset(e).replace("/", SLASH) for e in table["effect"]],
        }
    )


def alternatives_overview(table: pd.DataFrame) -> pd.DataFrame:
    """:func:`.assumptions.alternatives_table` in five narrow columns: ``alternative``,
    ``savings 2 / 3 / 4 (%)``, ``Plan 4 (pp)`` (change of its saving), ``Plan 1 (%)`` (change
    of its cost) and ``status``."""
    plans = [c for c in table.columns if c.endswith("saving (%)")]
    d4 = next(c for c in table.columns if c.startswith("change of Plan") and "saving" in c)
    d1 = next(c for c in table.columns if c.startswith("change of Plan") and "cost" in c)
    return pd.DataFrame(
        {
            "alternative": table["alternative"].map(typeset),
            "savings 2 / 3 / 4 (%)": [
                " / ".join(num(r[c]) for c in plans) for _, r in table.iterrows()
            ],
            "Plan 4 (pp)": [num(v, 2) for v in table[d4]],
            "Plan 1 (%)": [num(v, 2) for v in table[d1]],
            "status": table["status"],
        }
    )


def flexibility_effects(
    default: AlternativeRun, runs: Sequence[AlternativeRun], keys: Sequence[str] = ("I_BF", "I_F")
) -> pd.DataFrame:
    """Table 6's indices of every plan under the defaults and each run (``index``, one column
    per plan): the effect of the readings that change Table 6 only."""
    rows = []
    for run in (default, *runs):
        for key in keys:
            rows.append(
                {"reading": run.label, "index": typeset(key)}
                | {f"Plan {n}": num(ix[key], 3) for n, ix in sorted(run.indices.items())}
            )
    return pd.DataFrame(rows)


def parameters_reference(params: Params, section: str) -> pd.DataFrame:
    """The parameters of one section of ``data/params.yaml`` in two columns: ``parameter``
    (the field name in bold, breakable in a narrow column, its value and unit) and ``source``
    (kind and reason); symbols typeset."""
    table = provenance_table(params)
    table = table[table["parameter"].str.startswith(f"{section}.")]
    names = table["parameter"].str.split(".", n=1).str[1]
    values = [
        _wrappable(f"{v} {u}" if u not in ("-", "") else v)
        for v, u in zip(table["value"], table["unit"], strict=True)
    ]
    return pd.DataFrame(
        {
            "parameter": [f"**{breakable(n)}** = {v}" for n, v in zip(names, values, strict=True)],
            "source": [typeset(s) for s in table["source"]],
        }
    )


def _wrappable(text: str) -> str:
    """Long values broken where a narrow column may wrap them (``a=1,b=2`` -> ``a = 1, b = 2``)."""
    text = text.replace("=", " = ").replace(",", ", ").replace(",  ", ", ")
    return typeset(breakable(text).replace(".\u200b", "."))


def phrase_counts(counts: Mapping[str, int]) -> str:
    """``"16 consistent, 12 inconsistent and 1 implausible"`` (zero counts left out)."""
    items = [f"{n} {k}" for k, n in counts.items() if n]
    if not items:
        return "none"
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
