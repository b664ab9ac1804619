"""The paper's claims, each with a verdict computed from a set of results.

``data/paper_results.yaml`` lists the claims (``claims:``), each with the quantity it is about
(``quantity``) and the paper's value. :func:`evaluate_claims` measures the same quantity on an
:class:`Outcome` (our solved plans, the calibrated variant, or the paper's own tables via
:func:`paper_outcome`) and gives a verdict by the documented thresholds below. No verdict is
typed anywhere: change a number of the outcome and the verdict follows.

Verdicts (:data:`VERDICTS`): ``reproduced``, ``partly``, ``not reproduced``, and ``not evaluated``
(a claim whose quantity has no evaluator, or whose inputs are missing, e.g. an infeasible plan).

Thresholds:

- quantities (relative savings, %): :data:`REL_TOL_REPRODUCED` and :data:`REL_TOL_PARTLY` on the
  relative deviation ``|ours - paper| / |paper|``. 10 %: finer agreement is not meaningful when
  the load and DG curves of Figure 4 are unknown; 50 %: the same sign and order of magnitude.
  The sign must agree for ``partly``.
- orderings (of costs or of an index): ``reproduced`` if our order is the paper's and every
  consecutive margin exceeds :data:`NEAR_TIE_REL` of the larger value; ``partly`` if the order
  is the paper's with a near tie, or if only the first plan of the paper's order (the extreme it
  stresses) is also first in ours; else ``not reproduced``.
- sets of comparisons ("Plans 2, 3, 4 below Plan 1"): all hold, some hold, none hold.
- "much higher": plan A's index exceeds plan B's by at least :data:`MUCH_HIGHER_RATIO` - 1 times
  ``|B|`` (for a positive B: A >= 2 B); higher but less is ``partly``.

Flexibility claims are evaluated with the paper's printed indices (I_F of Eq. 18, F of Eq. 21)
and, with ``variants=True``, once more with the well-defined variant of chapter 5 (local ramp
coverage ``I_F_cov_local`` and ``F_loc``), as separate rows whose id ends in ``:variant`` and
whose label ends in :data:`VARIANT_SUFFIX`.

**One source for every summary.** Each claim has a readable ``label`` (``paper_results.yaml``);
the book never shows the id. :func:`verdict_lists` (the labels per verdict, for a summary) and
:func:`verdict_overview` (the table of verdicts) are both computed from the same list of
:class:`ClaimResult`, so a summary cannot list a claim under another verdict than the table.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sopev_lib.core.economics import cost_breakdown
from sopev_lib.core.results import PlanResult
from sopev_lib.reproduction.paper import load_paper_results

__all__ = [
    "MUCH_HIGHER_RATIO",
    "NEAR_TIE_REL",
    "REL_TOL_PARTLY",
    "REL_TOL_REPRODUCED",
    "VARIANT_SUFFIX",
    "VERDICTS",
    "ClaimResult",
    "Outcome",
    "claims_table",
    "evaluate_claims",
    "outcome_from_results",
    "paper_outcome",
    "verdict_counts",
    "verdict_lists",
    "verdict_overview",
    "verdict_phrases",
]

#: Verdicts of a claim, best first.
VERDICTS = ("reproduced", "partly", "not reproduced", "not evaluated")
#: Relative deviation up to which a quantitative claim counts as reproduced.
REL_TOL_REPRODUCED = 0.10
#: Relative deviation up to which (same sign) a quantitative claim counts as partly reproduced.
REL_TOL_PARTLY = 0.50
#: Consecutive plans of an ordering closer than this share of the larger value are a near tie.
NEAR_TIE_REL = 0.005
#: "Much higher" means at least this ratio (for a positive reference).
MUCH_HIGHER_RATIO = 2.0

#: Added to the label of a claim evaluated with the well-defined index of chapter 5.
VARIANT_SUFFIX = ", well-defined index"

#: Index names per flexibility measure: (supply-demand index, combined index).
FLEX_MEASURES = {"printed": ("I_F", "F"), "variant": ("I_F_cov_local", "F_loc")}


# ----- what is evaluated ----------------------------------------------------------------------
@dataclass(frozen=True)
class Outcome:
    """The numbers a claim can be about, for one set of plans.

    Attributes:
        label: e.g. ``"ours (defaults)"``, ``"ours (calibrated)"``, ``"paper"``.
        costs: plan -> ``C_SI``, ``C_OMS``, ``C_PC``, ``C_NLC``, ``total`` (10^4 RMB/yr).
        indices: plan -> flexibility indices (``I_F``, ``I_BF``, ``F``, ``I_F_cov_local``,
            ``F_loc``); a missing key is a missing index.
        site_ranking: tie lines ranked as SOP sites (best first), or ``None``.
        sop_kva: plan -> {site: kVA}.
    """

    label: str
    costs: Mapping[int, Mapping[str, float]]
    indices: Mapping[int, Mapping[str, float]] = field(default_factory=dict)
    site_ranking: tuple[str, ...] | None = None
    sop_kva: Mapping[int, Mapping[str, float]] = field(default_factory=dict)


def outcome_from_results(
    results: Mapping[int, PlanResult],
    *,
    label: str,
    indices: Mapping[int, Any] | None = None,
    site_ranking: Sequence[str] | None = None,
) -> Outcome:
    """An :class:`Outcome` from solved plans.

    Args:
        indices: plan -> :class:`sopev_lib.core.flexibility.FlexibilityIndices` (or a mapping with
            the same keys); e.g. ``Reproduction.flexibility``.
        site_ranking: e.g. ``tie_sensitivities(inputs)["tie"]``.
    """
    ix: dict[int, dict[str, float]] = {}
    for n, v in (indices or {}).items():
        d = v.as_dict() if hasattr(v, "as_dict") else dict(v)
        ix[n] = {k: float(d[k]) for k in ("I_F", "I_BF", "F", "I_F_cov_local", "F_loc") if k in d}
    return Outcome(
        label=label,
        costs={n: cost_breakdown(r) for n, r in results.items()},
        indices=ix,
        site_ranking=None if site_ranking is None else tuple(site_ranking),
        sop_kva={n: dict(r.sop_capacity_kva) for n, r in results.items()},
    )


def paper_outcome(paper: Mapping[str, Any] | None = None) -> Outcome:
    """The paper's own Tables 4-6 as an :class:`Outcome` (the consolidated cost of Table 4 is
    its ``total``; the site ranking is Table 4's sites of Plan 2)."""
    paper = paper if paper is not None else load_paper_results()
    costs = {}
    for n, row in paper["table5"]["plans"].items():
        c = {k: float(row[k]) for k in ("C_SI", "C_OMS", "C_PC", "C_NLC")}
        c["total"] = float(paper["table4"]["plans"][n]["consolidated_cost"])
        costs[n] = c
    indices = {
        n: {k: float(v) for k, v in row.items()} for n, row in paper["table6"]["plans"].items()
    }
    sites = next(
        (tuple(r["sop_kva"]) for r in paper["table4"]["plans"].values() if r.get("sop_kva")), None
    )
    return Outcome(
        label="paper",
        costs=costs,
        indices=indices,
        site_ranking=sites,
        sop_kva={n: dict(r.get("sop_kva", {})) for n, r in paper["table4"]["plans"].items()},
    )


# ----- one verdict ----------------------------------------------------------------------------
@dataclass(frozen=True)
class ClaimResult:
    """A claim with its verdict on one outcome.

    Attributes:
        id, text, where, quantity: from ``paper_results.yaml`` (``id`` gets ``:variant`` for
            the evaluation with the well-defined flexibility index).
        label: the readable name the book shows (``label`` of ``paper_results.yaml``, with
            :data:`VARIANT_SUFFIX` for the variant).
        paper: the paper's value, as text.
        ours: the outcome's value, as text.
        verdict: one of :data:`VERDICTS`.
        evidence: the numbers behind the verdict and the threshold applied.
        measure: ``"printed"`` or ``"variant"`` for flexibility claims, else ``""``.
        outcome: the outcome's label.
    """

    id: str
    text: str
    where: str
    quantity: str
    paper: str
    ours: str
    verdict: str
    evidence: str
    measure: str = ""
    outcome: str = ""
    label: str = ""

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:
            raise ValueError(f"claim {self.id}: verdict = {self.verdict!r} not in {VERDICTS}")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class _Missing(Exception):
    """An input of the evaluation is missing (e.g. an infeasible plan)."""


def _cost(o: Outcome, plan: int, key: str = "total") -> float:
    try:
        value = float(o.costs[plan][key])
    except (KeyError, TypeError) as exc:
        raise _Missing(f"{o.label}: no {key} for Plan {plan}") from exc
    if not np.isfinite(value):
        raise _Missing(f"{o.label}: {key} of Plan {plan} is not finite")
    return value


def _index(o: Outcome, plan: int, key: str) -> float:
    try:
        value = float(o.indices[plan][key])
    except (KeyError, TypeError) as exc:
        raise _Missing(f"{o.label}: no {key} for Plan {plan}") from exc
    if not np.isfinite(value):
        raise _Missing(f"{o.label}: {key} of Plan {plan} is not finite")
    return value


def _quantitative(ours: float, paper: float) -> tuple[str, str]:
    """Verdict and evidence of a number against the paper's."""
    dev = ours - paper
    rel = abs(dev) / abs(paper) if paper != 0 else (0.0 if dev == 0 else np.inf)
    same_sign = np.sign(ours) == np.sign(paper)
    if rel <= REL_TOL_REPRODUCED:
        verdict = "reproduced"
    elif rel <= REL_TOL_PARTLY and same_sign:
        verdict = "partly"
    else:
        verdict = "not reproduced"
    evidence = (
        f"difference {dev:+.2f} ({100 * rel:.0f} % of the paper's value); reproduced within "
        f"{100 * REL_TOL_REPRODUCED:.0f} %, partly within {100 * REL_TOL_PARTLY:.0f} %"
    )
    return verdict, evidence


def _ordering(values: Mapping[int, float], claimed: Sequence[int]) -> tuple[str, str, str]:
    """Verdict, our order (text) and evidence of a claimed order (first = largest value)."""
    plans = [n for n in claimed]
    ours = sorted(plans, key=lambda n: -values[n])
    margins = [
        (a, b, (values[a] - values[b]) / max(abs(values[a]), abs(values[b]), 1e-300))
        for a, b in itertools.pairwise(ours)
    ]
    ties = [(a, b, m) for a, b, m in margins if m < NEAR_TIE_REL]
    if ours == plans and not ties:
        verdict = "reproduced"
    elif ours == plans or ours[0] == plans[0]:
        verdict = "partly"
    else:
        verdict = "not reproduced"
    tie_text = (
        "; near tie: " + ", ".join(f"Plans {a} and {b} ({100 * m:.2f} %)" for a, b, m in ties)
        if ties
        else ""
    )
    evidence = (
        "values "
        + ", ".join(f"Plan {n} {values[n]:.4g}" for n in ours)
        + f"; near tie below {100 * NEAR_TIE_REL:.1f} % of the larger value{tie_text}"
    )
    return verdict, " > ".join(str(n) for n in ours), evidence


def _comparisons(holds: Mapping[int, bool]) -> str:
    n_ok = sum(holds.values())
    if n_ok == len(holds):
        return "reproduced"
    return "partly" if n_ok else "not reproduced"


# ----- evaluators per quantity ------------------------------------------------------------------
Evaluator = Callable[[Mapping[str, Any], Outcome, str], tuple[str, str, str, str]]
"""(claim, outcome, measure) -> (paper text, ours text, verdict, evidence)."""


def _eval_saving(claim: Mapping[str, Any], o: Outcome, measure: str) -> tuple[str, ...]:
    m = re.fullmatch(r"relative_saving_plan(\d+)_pct", claim["quantity"])
    if m is None:
        raise ValueError(f"claim {claim['id']}: quantity {claim['quantity']!r} names no plan")
    plan, base = int(m.group(1)), min(o.costs)
    c0, c = _cost(o, base), _cost(o, plan)
    ours = 100.0 * (c0 - c) / c0
    paper = float(claim["value"])
    verdict, evidence = _quantitative(ours, paper)
    evidence = f"Plan {base} {c0:.1f}, Plan {plan} {c:.1f} (10^4 RMB/yr); " + evidence
    return f"{paper:.1f} %", f"{ours:.1f} %", verdict, evidence


def _eval_sites(claim: Mapping[str, Any], o: Outcome, measure: str) -> tuple[str, ...]:
    if o.site_ranking is None:
        raise _Missing(f"{o.label}: no site ranking")
    claimed = list(claim["value"])
    top = list(o.site_ranking[: len(claimed)])
    common = set(top) & set(claimed)
    verdict = _comparisons({k: s in common for k, s in enumerate(claimed)})
    evidence = (
        f"{len(common)} of the paper's {len(claimed)} sites among our top "
        f"{len(claimed)}; full ranking " + ", ".join(o.site_ranking)
    )
    return ", ".join(claimed), ", ".join(top), verdict, evidence


def _eval_cost_order(claim: Mapping[str, Any], o: Outcome, measure: str) -> tuple[str, ...]:
    claimed = [int(n) for n in claim["value"]]
    values = {n: _cost(o, n) for n in claimed}
    verdict, order, evidence = _ordering(values, claimed)
    return " > ".join(map(str, claimed)), order, verdict, "costs (10^4 RMB/yr): " + evidence


def _eval_index_order(claim: Mapping[str, Any], o: Outcome, measure: str) -> tuple[str, ...]:
    key = FLEX_MEASURES[measure][0]
    claimed = [int(n) for n in claim["value"]]
    values = {n: _index(o, n, key) for n in claimed}
    verdict, order, evidence = _ordering(values, claimed)
    return " > ".join(map(str, claimed)), order, verdict, f"{key}: " + evidence


def _below(
    key_fn: Callable[[int], float], plans: Sequence[int], ref: int, label: str, above: bool = False
) -> tuple[str, ...]:
    r = key_fn(ref)
    vals = {n: key_fn(n) for n in plans}
    holds = {n: (v > r) if above else (v < r) for n, v in vals.items()}
    word = "above" if above else "below"
    ours = [n for n, h in holds.items() if h]
    evidence = f"{label} of Plan {ref} {r:.4g}; " + ", ".join(
        f"Plan {n} {v:.4g} ({'yes' if holds[n] else 'no'})" for n, v in vals.items()
    )
    return (
        f"Plans {', '.join(map(str, plans))} {word} Plan {ref}",
        f"Plans {', '.join(map(str, ours))} {word} Plan {ref}" if ours else "none",
        _comparisons(holds),
        evidence,
    )


def _eval_ibf(claim: Mapping[str, Any], o: Outcome, measure: str) -> tuple[str, ...]:
    ref = 1 if claim["quantity"] == "ibf_below_plan1" else 2
    return _below(
        lambda n: _index(o, n, "I_BF"),
        [int(n) for n in claim["value"]],
        ref,
        "I_BF",
        above=claim["quantity"] == "ibf_above_plan2",
    )


def _eval_cost_below(claim: Mapping[str, Any], o: Outcome, measure: str) -> tuple[str, ...]:
    key = {"nlc_below_plan1": "C_NLC", "pc_below_plan1": "C_PC"}[claim["quantity"]]
    return _below(lambda n: _cost(o, n, key), [int(n) for n in claim["value"]], 1, key)


def _eval_csi(claim: Mapping[str, Any], o: Outcome, measure: str) -> tuple[str, ...]:
    c3, c4 = _cost(o, 3, "C_SI"), _cost(o, 4, "C_SI")
    holds = c4 < c3
    verdict = "reproduced" if holds == bool(claim["value"]) else "not reproduced"
    return (
        "Plan 4 below Plan 3",
        f"Plan 4 {c4:.2f} {'<' if holds else '>='} Plan 3 {c3:.2f}",
        verdict,
        f"C_SI (10^4 RMB/yr): Plan 3 {c3:.2f}, Plan 4 {c4:.2f}",
    )


def _eval_much_higher(claim: Mapping[str, Any], o: Outcome, measure: str) -> tuple[str, ...]:
    key = FLEX_MEASURES[measure][1]
    f1, f4 = _index(o, 1, key), _index(o, 4, key)
    gain = f4 - f1
    need = (MUCH_HIGHER_RATIO - 1.0) * abs(f1)
    if gain > 0 and gain >= need:
        verdict = "reproduced"
    elif gain > 0:
        verdict = "partly"
    else:
        verdict = "not reproduced"
    ratio = f"{f4 / f1:.2f} x" if f1 > 0 else "n/a (Plan 1 <= 0)"
    evidence = (
        f"{key}: Plan 1 {f1:.4g}, Plan 4 {f4:.4g}, ratio {ratio}; 'much higher' = a "
        f"gain of at least {MUCH_HIGHER_RATIO - 1:g} x |Plan 1|"
    )
    return "much higher", f"{ratio}", verdict, evidence


#: The evaluator of each claim quantity; flexibility quantities are marked in FLEX_QUANTITIES.
EVALUATORS: dict[str, Evaluator] = {
    "top3_sop_sites": _eval_sites,
    "cost_order": _eval_cost_order,
    "i_f_order": _eval_index_order,
    "ibf_below_plan1": _eval_ibf,
    "ibf_above_plan2": _eval_ibf,
    "nlc_below_plan1": _eval_cost_below,
    "pc_below_plan1": _eval_cost_below,
    "c_si_plan4_below_plan3": _eval_csi,
    "f_plan4_much_higher_than_plan1": _eval_much_higher,
}
#: Claim quantities that depend on the flexibility measure (evaluated printed and variant).
FLEX_QUANTITIES = frozenset({"i_f_order", "f_plan4_much_higher_than_plan1"})


def _evaluator(quantity: str) -> Evaluator | None:
    if re.fullmatch(r"relative_saving_plan\d+_pct", quantity):
        return _eval_saving
    return EVALUATORS.get(quantity)


def evaluate_claims(
    outcome: Outcome, paper: Mapping[str, Any] | None = None, *, variants: bool = True
) -> list[ClaimResult]:
    """Every claim of ``paper_results.yaml`` with its verdict on ``outcome``.

    Args:
        variants: also evaluate the flexibility claims with the well-defined index of chapter 5
            (rows with ``measure = "variant"``).
    """
    paper = paper if paper is not None else load_paper_results()
    out: list[ClaimResult] = []
    for claim in paper["claims"]:
        q = claim["quantity"]
        fn = _evaluator(q)
        measures = (
            ("printed", "variant")
            if (q in FLEX_QUANTITIES and variants)
            else (("printed",) if q in FLEX_QUANTITIES else ("",))
        )
        for measure in measures:
            cid = claim["id"] + (":variant" if measure == "variant" else "")
            label = str(claim.get("label") or claim["id"])
            label += VARIANT_SUFFIX if measure == "variant" else ""
            paper_text = str(claim["value"])
            if fn is None:
                res = (paper_text, "", "not evaluated", f"no evaluator for quantity {q!r}")
            else:
                try:
                    res = fn(claim, outcome, measure or "printed")
                except _Missing as exc:
                    res = (paper_text, "", "not evaluated", str(exc))
            out.append(
                ClaimResult(
                    id=cid,
                    text=claim["text"],
                    where=claim["where"],
                    quantity=q,
                    paper=res[0],
                    ours=res[1],
                    verdict=res[2],
                    evidence=res[3],
                    measure=measure,
                    outcome=outcome.label,
                    label=label,
                )
            )
    return out


def claims_table(*evaluations: Sequence[ClaimResult]) -> pd.DataFrame:
    """Claims side by side: one row per claim id, ``ours`` and ``verdict`` per outcome.

    Args:
        evaluations: lists from :func:`evaluate_claims` on different outcomes (same claims).
    """
    if not evaluations:
        raise ValueError("claims_table: give at least one list of ClaimResult")
    first = evaluations[0]
    rows = []
    for k, c in enumerate(first):
        row = {
            "id": c.id,
            "label": c.label,
            "claim": c.text,
            "where": c.where,
            "measure": c.measure,
            "paper": c.paper,
        }
        for ev in evaluations:
            if len(ev) != len(first) or ev[k].id != c.id:
                raise ValueError("claims_table: the evaluations list different claims")
            row[f"ours ({ev[k].outcome})"] = ev[k].ours
            row[f"verdict ({ev[k].outcome})"] = ev[k].verdict
            row[f"evidence ({ev[k].outcome})"] = ev[k].evidence
        rows.append(row)
    return pd.DataFrame(rows)


def verdict_counts(results: Sequence[ClaimResult]) -> dict[str, int]:
    """Number of claims per verdict (all of :data:`VERDICTS`, zeros included)."""
    counts = {v: 0 for v in VERDICTS}
    for r in results:
        counts[r.verdict] += 1
    return counts


def verdict_lists(results: Sequence[ClaimResult]) -> dict[str, list[str]]:
    """The labels of the claims per verdict (every verdict of :data:`VERDICTS`, in the order of
    ``results``): what a summary lists as reproduced, partly, not reproduced."""
    out: dict[str, list[str]] = {v: [] for v in VERDICTS}
    for r in results:
        out[r.verdict].append(r.label or r.id)
    return out


def verdict_overview(
    results: Sequence[ClaimResult], calibrated: Sequence[ClaimResult] | None = None
) -> pd.DataFrame:
    """One row per evaluated claim: ``claim`` (the label), ``paper``, ``ours`` and ``verdict``
    (and ``calibrated``, the verdict at the calibrated level, when given). The same objects
    give :func:`verdict_lists`, so the table and a summary always agree.

    Raises:
        ValueError: ``calibrated`` lists other claims than ``results``.
    """
    rows = [
        {"claim": r.label or r.id, "paper": r.paper, "ours": r.ours, "verdict": r.verdict}
        for r in results
    ]
    if calibrated is not None:
        if [c.id for c in calibrated] != [r.id for r in results]:
            raise ValueError("verdict_overview: the calibrated evaluation lists other claims")
        for row, c in zip(rows, calibrated, strict=True):
            row["calibrated"] = c.verdict
    return pd.DataFrame(rows)


def _join(items: Sequence[str]) -> str:
    items = list(items)
    if not items:
        return "none"
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def verdict_phrases(results: Sequence[ClaimResult]) -> dict[str, str]:
    """Per verdict, the claims' labels as one phrase (``"A, B and C"``, ``"none"``): the words
    of a summary, made from the same objects as :func:`verdict_overview`."""
    return {v: _join(labels) for v, labels in verdict_lists(results).items()}
