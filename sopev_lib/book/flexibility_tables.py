"""Tables and result-dependent phrases of the flexibility chapter (Section 4.1.2 and the second
stage of Section 4.2 of the paper; chapter 5 of the book).

The tables take computed results (:mod:`sopev_lib.core.flexibility`,
:mod:`sopev_lib.core.stage2`, :mod:`sopev_lib.verify.checks`) and return DataFrames of
formatted strings that fit the book's text column (at most six columns, symbols typeset); the
phrases are the few words of a sentence that depend on a result ("holds here too", "falls").
Nothing here solves a model. Indices are dimensionless, costs in 10^4 RMB per year, powers in
MW where stated.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from sopev_lib.book.tables import fmt
from sopev_lib.core.flexibility import FlexibilityIndices, FlexibilitySupply
from sopev_lib.core.stage2 import Stage2Result
from sopev_lib.reproduction.paper import table6_comparison
from sopev_lib.reproduction.report import verified_word
from sopev_lib.studies.sensitivity import limit_binds
from sopev_lib.verify.checks import Verification

__all__ = [
    "INDEX_LABELS",
    "INDEX_WORDS",
    "claim_above_plan2",
    "claim_below_plan1",
    "coverage_table",
    "direction",
    "full_coverage_epsilon",
    "hhmm",
    "indices_frame",
    "limit_binds",
    "range_phrase",
    "stage2_printed_table",
    "stage2_table",
    "supply_table",
    "table6_beside_ours",
    "verified_phrase",
]

#: Names of the indices in words, for the outputs of code cells (where no math is typeset).
INDEX_WORDS: dict[str, str] = {
    "I_F": "adaptation rate, Eq. (18)",
    "I_BF": "branch load margin, Eq. (20)",
    "F": "F, Eq. (21)",
    "I_F_cov": "ramps covered",
    "I_F_cov_local": "ramps covered locally",
    "F_cov": "ramps covered - load margin",
    "F_loc": "ramps covered locally - load margin",
}
#: Typeset symbols of the indices (Eqs. 18-21 and our well-defined variant); short, so that a
#: table of six columns fits a phone (the captions give the equations).
INDEX_LABELS: dict[str, str] = {
    "I_F": "$I_F$",
    "I_BF": "$I_{BF}$",
    "F": "$F$",
    "I_F_cov": "$I_F^{cov}$",
    "I_F_cov_local": "$I_F^{cov,local}$",
    "F_cov": "$F^{cov}$",
    "F_loc": "$F^{loc}$",
}


def hhmm(slot: int) -> str:
    """Clock time of an hour slot of the day: ``7`` -> ``"07:00"`` (slots wrap at 24)."""
    return f"{int(slot) % 24:02d}:00"


def _plan_columns(indices: Mapping[int, FlexibilityIndices]) -> list[str]:
    return [f"Plan {n}" for n in indices]


def indices_frame(indices: Mapping[str, FlexibilityIndices], digits: int = 3) -> pd.DataFrame:
    """Every index of :data:`INDEX_WORDS` (rows, in words) per plan (columns), with ``digits``
    decimals: the output of a code cell."""
    return pd.DataFrame(
        {
            name: [fmt(getattr(ix, key), digits) for key in INDEX_WORDS]
            for name, ix in indices.items()
        },
        index=list(INDEX_WORDS.values()),
    )


def table6_beside_ours(
    indices: Mapping[int, FlexibilityIndices],
    paper: Mapping[str, object] | None = None,
    verified: Mapping[int, bool] | None = None,
) -> pd.DataFrame:
    """The paper's Table 6 beside ours, transposed to fit the column: one row per index and
    source (``"$I_F$, paper"``, ``"$I_F$, ours"``, ...), one column per plan; three decimals.

    Args:
        indices: plan number -> its indices (:func:`~sopev_lib.core.flexibility.
            flexibility_indices`).
        paper: the paper's tables (:func:`~sopev_lib.reproduction.paper.load_paper_results`).
        verified: plan number -> passed its checks
            (:attr:`~sopev_lib.reproduction.pipeline.Reproduction.verified`), shown as the first
            row: the indices of an unverified plan describe no power flow.
    """
    wide = table6_comparison(indices, paper)
    rows = []
    if verified is not None:
        words = [verified_word(verified.get(n, False)) for n in indices]
        rows.append({"index": "verified"} | dict(zip(wide.index, words, strict=True)))
    for key in ("I_F", "I_BF", "F"):
        for source in ("paper", "ours"):
            row = {"index": f"{INDEX_LABELS[key]}, {source}"}
            for plan in wide.index:
                row[plan] = fmt(wide.loc[plan, f"{key} {source}"], 3)
            rows.append(row)
    return pd.DataFrame(rows)


def coverage_table(indices: Mapping[int, FlexibilityIndices]) -> pd.DataFrame:
    """Our well-defined variant per plan: ramp coverage with all and with local resources,
    I_BF (Eq. 20) and the two differences ``F_cov``, ``F_loc``; three decimals."""
    rows = []
    for key in ("I_F_cov", "I_F_cov_local", "I_BF", "F_cov", "F_loc"):
        row = {"index": INDEX_LABELS[key]}
        for col, ix in zip(_plan_columns(indices), indices.values(), strict=True):
            row[col] = fmt(getattr(ix, key), 3)
        rows.append(row)
    return pd.DataFrame(rows)


def supply_table(supplies: Mapping[str, FlexibilitySupply]) -> pd.DataFrame:
    """Eq. (19) per plan (index) in four numbers (MW): the smallest upward and downward
    headroom of the upstream grid over the day, the largest upward and downward flexibility of
    the feeder's own resources (stations, batteries; 0 without them)."""
    rows = []
    for sup in supplies.values():
        local = sup.local()
        rows.append(
            {
                "grid up, min (MW)": fmt(sup.up_kw["grid"].min() / 1e3, 2),
                "grid down, min (MW)": fmt(sup.down_kw["grid"].min() / 1e3, 2),
                "local up, max (MW)": fmt(local.f_up.max() / 1e3, 2),
                "local down, max (MW)": fmt(local.f_down.max() / 1e3, 2),
            }
        )
    return pd.DataFrame(rows, index=list(supplies))


def _step(before: float, after: float, digits: int) -> str:
    return f"{fmt(before, digits)} → {fmt(after, digits)}"


def stage2_table(at_eps: Mapping[str, Stage2Result], *, math: bool = True) -> pd.DataFrame:
    """Stage 1 beside stage 2, one column per plan, cells ``stage 1 → stage 2``: annual cost
    (10^4 RMB), the local ramp coverage that stage 2 maximises, the exact I_BF (Eq. 20) and
    their difference ``F_loc``.

    ``math``: row names typeset (a table of the book) or in words (a code cell's output).
    """
    names = INDEX_LABELS if math else INDEX_WORDS
    rows = {
        "cost" if math else "cost (10⁴ RMB)": [(s.stage1_cost, s.cost, 1) for s in at_eps.values()],
        **{
            names[key]: [
                (getattr(s.indices_stage1, key), getattr(s.indices, key), d)
                for s in at_eps.values()
            ]
            for key, d in (("I_F_cov_local", 3), ("I_BF", 4), ("F_loc", 3))
        },
    }
    frame = pd.DataFrame(
        {plan: [_step(*cells[k]) for cells in rows.values()] for k, plan in enumerate(at_eps)},
        index=list(rows),
    )
    return frame.rename_axis("index").reset_index() if math else frame


def stage2_printed_table(
    at_eps: Mapping[str, Stage2Result], checks: Mapping[str, Verification]
) -> pd.DataFrame:
    """Stage 1 beside stage 2 on the paper's printed indices (Eqs. 18 and 21), one column per
    plan, cells ``stage 1 → stage 2``, with the checks of the stage-2 solution: the largest
    relative cone gap and the largest voltage error of the AC power flow (p.u.); stage-1 checks
    are in chapter 4."""
    rows = {
        INDEX_LABELS["I_F"]: [
            _step(s.indices_stage1.I_F, s.indices.I_F, 3) for s in at_eps.values()
        ],
        INDEX_LABELS["F"]: [_step(s.indices_stage1.F, s.indices.F, 3) for s in at_eps.values()],
        "cone gap, stage 2": [f"{checks[n].max_relaxation_gap_rel:.1e}" for n in at_eps],
        "AC error, stage 2": [f"{checks[n].ac_max_voltage_error_pu:.1e}" for n in at_eps],
    }
    frame = pd.DataFrame(
        {plan: [cells[k] for cells in rows.values()] for k, plan in enumerate(at_eps)},
        index=list(rows),
    )
    return frame.rename_axis("index").reset_index()


# ----- phrases -------------------------------------------------------------------------------
def claim_below_plan1(indices: Mapping[int, FlexibilityIndices]) -> str:
    """Section 5.2: "Scenarios 2, 3, and 4 all have smaller [I_BF]" than Scenario 1."""
    below = all(indices[n].I_BF < indices[1].I_BF for n in (2, 3, 4) if n in indices)
    return "holds here too" if below else "does not hold here"


def claim_above_plan2(indices: Mapping[int, FlexibilityIndices]) -> str:
    """Section 5.2: I_BF "increases for Options 3 and 4 compared to Option 2"."""
    above = [n for n in (3, 4) if n in indices and indices[n].I_BF > indices[2].I_BF]
    if len(above) == 2:
        return "holds for both"
    if not above:
        return "holds for neither"
    return f"holds for Plan {above[0]} only"


def verified_phrase(checks: Mapping[str, Verification] | Mapping[int, Verification]) -> str:
    """``"all verified"``, or which plans failed which check."""
    failed = [c for c in checks.values() if not c.passed]
    if not failed:
        return "all verified"
    return "not all verified: " + "; ".join(f"{c.plan}: {', '.join(c.messages)}" for c in failed)


def direction(before: float, after: float, tol: float = 1e-9) -> str:
    """``"rises"``, ``"falls"`` or ``"stays"`` from ``before`` to ``after``."""
    if after > before + tol:
        return "rises"
    if after < before - tol:
        return "falls"
    return "stays"


def full_coverage_epsilon(curve: pd.DataFrame, plan: str, tol: float = 1e-6) -> float:
    """The smallest cost slack epsilon at which ``plan`` covers every ramp with its own
    resources (``I_F_cov_local >= 1 - tol``) in a trade-off table (rows of
    :meth:`~sopev_lib.core.stage2.Stage2Result.as_dict` with ``plan``); NaN if none."""
    rows = curve[(curve["plan"] == plan) & (curve["I_F_cov_local"] >= 1.0 - tol)]
    return float(rows["epsilon"].min()) if len(rows) else float("nan")


def range_phrase(values: np.ndarray | list[float], digits: int = 3) -> str:
    """``"1.000"`` if the values agree to ``digits`` decimals, else ``"between 0.998 and
    1.000"``."""
    lo, hi = fmt(float(np.min(values)), digits), fmt(float(np.max(values)), digits)
    return lo if lo == hi else f"between {lo} and {hi}"
