"""Audit of the paper's own consistency: do its tables and its text agree with each other?

Every check is computed from the published numbers of ``data/paper_results.yaml`` (and, for the
SOP cost, Table 1's unit cost, service life and discount rate, which ``data/params.yaml`` holds
with the provenance "paper: Table 1"). Nothing here uses our model: the audit asks only whether
the paper's numbers fit its own equations.

**Rounding.** A printed value is exact only to half a unit of its last digit: 1255.7 stands for
any number in [1255.65, 1255.75]. Each check evaluates its formula at every corner of the input
intervals (the formulas are monotone in each input, so the corners bound the result) and calls
the check *consistent* when the derived interval overlaps the interval of the value it is
compared with. The reported ``tolerance`` is the half-width of the derived interval plus that of
the reference: for a sum it is exactly the largest difference that rounding can explain.
Digits per table are the ``printed_decimals`` of ``paper_results.yaml`` (a value written with
more digits, like Table 5's 1.74, keeps its own).

**Verdicts** (:data:`VERDICTS`):

- ``consistent``: the paper's numbers satisfy the relation within their printed precision;
- ``inconsistent``: they do not, whatever the unprinted digits are;
- ``implausible``: the arithmetic is possible only under conditions the paper does not report
  (stated in the check's note);
- ``not testable``: the relation involves numbers the paper does not give;
- ``info``: a derived number shown for reference (no relation to test).

Money in 10^4 RMB per year (the unit of Tables 4-5), capacities in kVA, unit costs in RMB per kVA.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import brentq

from sopev_lib.core.model.costs import RMB_PER_UNIT, annuity_factor
from sopev_lib.core.plans import PLANS
from sopev_lib.reproduction.paper import load_paper_results
from sopev_lib.system.params import Params, load_params

__all__ = [
    "VERDICTS",
    "AuditCheck",
    "Printed",
    "audit_summary",
    "audit_table",
    "implied_discount_rate",
    "paper_audit",
    "paper_number",
    "printed",
    "sop_cost_per_kva",
]

#: The verdicts of an audit check, in the order the book lists them.
VERDICTS = ("consistent", "inconsistent", "implausible", "not testable", "info")

_COST_TERMS = ("C_SI", "C_OMS", "C_PC", "C_NLC")


# ----- printed numbers ----------------------------------------------------------------------
@dataclass(frozen=True)
class Printed:
    """A number as printed in the paper: its value and the half-width of its last digit."""

    value: float
    half_width: float = 0.0
    decimals: int = 0

    @property
    def lo(self) -> float:
        return self.value - self.half_width

    @property
    def hi(self) -> float:
        return self.value + self.half_width

    def text(self) -> str:
        """The number with the digits it was printed with."""
        return f"{self.value:.{self.decimals}f}"


def _repr_decimals(value: float) -> int:
    text = repr(float(value))
    if "e" in text or "E" in text:
        return 0
    return len(text.split(".")[1].rstrip("0")) if "." in text else 0


def printed(value: float, decimals: int | None = None) -> Printed:
    """A :class:`Printed` number exact to half a unit of its ``decimals``-th digit.

    ``decimals`` defaults to the digits of ``repr(value)``; more digits in the value than
    ``decimals`` win (the paper prints Table 5's 1.74 with two where the rest have one).

    Raises:
        ValueError: a non-finite value or negative ``decimals``.
    """
    v = float(value)
    if not np.isfinite(v):
        raise ValueError(f"printed value = {value!r}: expected a finite number")
    if decimals is not None and decimals < 0:
        raise ValueError(f"decimals = {decimals!r}: expected a whole number >= 0")
    d = max(_repr_decimals(v), decimals or 0)
    return Printed(v, 0.5 * 10.0 ** (-d), d)


def exact(value: float) -> Printed:
    """A number without rounding (Table 1's parameters, counts)."""
    v = float(value)
    return Printed(v, 0.0, _repr_decimals(v))


def paper_number(
    paper: Mapping[str, Any], table: str, plan: int, key: str, site: str | None = None
) -> Printed:
    """One value of Table 4, 5 or 6 with its printed precision.

    Args:
        table: ``"table4"``, ``"table5"`` or ``"table6"``.
        key: the column (``consolidated_cost``, ``C_SI``, ``I_F``...); ``sop_kva`` with ``site``.

    Raises:
        ValueError: an unknown table, plan, column or site.
    """
    if table not in paper or "plans" not in paper[table]:
        raise ValueError(f"table = {table!r}: not a table of paper_results.yaml")
    plans = paper[table]["plans"]
    if plan not in plans:
        raise ValueError(f"{table}: plan = {plan!r} not among {sorted(plans)}")
    row = plans[plan]
    decimals = paper[table].get("printed_decimals", {}).get(key)
    if key == "sop_kva":
        sites = row.get("sop_kva", {})
        if site is None:
            return printed(sum(sites.values()), decimals)
        if site not in sites:
            raise ValueError(f"{table} plan {plan}: no SOP at site {site!r}; sites {list(sites)}")
        return printed(sites[site], decimals)
    if key not in row:
        raise ValueError(f"{table} plan {plan}: no column {key!r}; columns {sorted(row)}")
    return printed(row[key], decimals)


def _sop_total(paper: Mapping[str, Any], plan: int) -> Printed:
    """Total SOP capacity of a plan: the sum of its sites, each exact to +-0.5 kVA."""
    sites = paper["table4"]["plans"][plan].get("sop_kva", {})
    parts = [paper_number(paper, "table4", plan, "sop_kva", s) for s in sites]
    return Printed(
        float(sum(p.value for p in parts)),
        float(sum(p.half_width for p in parts)),
        min((p.decimals for p in parts), default=0),
    )


def _span(fn: Callable[..., float], *args: Printed) -> tuple[float, float, float]:
    """(central, lo, hi) of ``fn`` over the corners of the inputs' rounding intervals."""
    central = float(fn(*(a.value for a in args)))
    corners = [float(fn(*c)) for c in itertools.product(*((a.lo, a.hi) for a in args))]
    return central, min(corners), max(corners)


# ----- one check ----------------------------------------------------------------------------
@dataclass(frozen=True)
class AuditCheck:
    """One relation between the paper's numbers.

    Attributes:
        id: short key, e.g. ``"t5_sum_plan4"``.
        topic: the group in the book's table, e.g. ``"Table 5 vs Table 4"``.
        where: where the numbers stand in the paper.
        statement: the relation checked, in words.
        arithmetic: the computation with the printed numbers, to redo by hand.
        value: the derived number (central value).
        reference: what it is compared with (NaN for ``info`` and ``not testable``).
        difference: ``value - reference``.
        tolerance: the largest ``|difference|`` that the printed precision explains.
        verdict: one of :data:`VERDICTS`.
        note: what the verdict means.
        unit: unit of ``value``.
    """

    id: str
    topic: str
    where: str
    statement: str
    arithmetic: str
    value: float
    reference: float
    difference: float
    tolerance: float
    verdict: str
    note: str = ""
    unit: str = ""

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:
            raise ValueError(f"AuditCheck {self.id}: verdict = {self.verdict!r} not in {VERDICTS}")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _compare(
    id: str,
    topic: str,
    where: str,
    statement: str,
    fn: Callable[..., float],
    args: Sequence[Printed],
    reference: Printed,
    arithmetic: str,
    *,
    unit: str = "",
    note_ok: str = "",
    note_bad: str = "",
    bad_verdict: str = "inconsistent",
) -> AuditCheck:
    """A check of ``fn(*args) == reference`` within the printed precision of both sides."""
    central, lo, hi = _span(fn, *args)
    ok = hi >= reference.lo - 1e-12 and lo <= reference.hi + 1e-12
    return AuditCheck(
        id=id,
        topic=topic,
        where=where,
        statement=statement,
        arithmetic=arithmetic,
        value=central,
        reference=reference.value,
        difference=central - reference.value,
        tolerance=0.5 * (hi - lo) + reference.half_width,
        verdict="consistent" if ok else bad_verdict,
        note=note_ok if ok else note_bad,
        unit=unit,
    )


def _info(
    id: str,
    topic: str,
    where: str,
    statement: str,
    value: float,
    arithmetic: str,
    *,
    unit: str = "",
    note: str = "",
    verdict: str = "info",
) -> AuditCheck:
    return AuditCheck(
        id=id,
        topic=topic,
        where=where,
        statement=statement,
        arithmetic=arithmetic,
        value=float(value),
        reference=float("nan"),
        difference=float("nan"),
        tolerance=float("nan"),
        verdict=verdict,
        note=note,
        unit=unit,
    )


def implied_discount_rate(annuity: float, years: float) -> float:
    """The discount rate r whose capital recovery factor over ``years`` equals ``annuity``.

    Returns NaN when ``annuity`` is at or below the straight-line share ``1 / years`` (no
    positive rate gives it) or at or above 1.

    Raises:
        ValueError: ``years`` not positive.
    """
    if years <= 0:
        raise ValueError(f"years = {years!r} is outside the allowed range (0, inf)")
    if not 1.0 / years < annuity < 1.0:
        return float("nan")
    return float(brentq(lambda r: annuity_factor("crf", r, years) - annuity, 1e-9, 10.0))


# ----- the audit ----------------------------------------------------------------------------
def paper_audit(
    paper: Mapping[str, Any] | None = None, params: Params | None = None
) -> list[AuditCheck]:
    """Every consistency check of Tables 1, 4, 5, 6 and the text of Sections 5-6.

    Args:
        paper: :func:`sopev_lib.reproduction.paper.load_paper_results` (default: the repository's
            file).
        params: source of Table 1's SOP unit cost, service life and discount rate (default:
            ``data/params.yaml``, where they carry the provenance "paper: Table 1").

    Returns:
        The checks in the order of the book: Table 5 against Table 4, Table 4's benefits,
        Table 6's F, the headline saving, Table 5's C_SI and C_OMS against Eqs. (12)-(13) and
        Table 1, and the text of Section 5 against the tables.
    """
    paper = paper if paper is not None else load_paper_results()
    params = params if params is not None else load_params()
    sop = params.sop
    plans = sorted(paper["table4"]["plans"])
    sop_plans = [n for n in plans if paper["table4"]["plans"][n].get("sop_kva")]
    return [
        *_table_checks(paper, plans),
        # the headline saving: Table 4 against the conclusion's "about 24.8 %"
        *_headline_checks(paper, plans),
        # C_SI and C_OMS against Table 1 and Eqs. (12)-(13)
        *_sop_cost_checks(
            paper, sop_plans, sop.unit_cost_rmb_per_kva, sop.lifetime_years, sop.discount_rate
        ),
        # the text of Section 5 against the tables
        *_text_checks(paper, plans),
    ]


def _table_checks(paper: Mapping[str, Any], plans: Sequence[int]) -> list[AuditCheck]:
    """Table 5's terms against Table 4's consolidated cost (Eq. 15), Table 4's economic benefit
    against the costs, and Table 6's F = I_F - I_BF (Eq. 21)."""
    checks: list[AuditCheck] = []

    def num(table: str, n: int, key: str) -> Printed:
        return paper_number(paper, table, n, key)

    for n in plans:
        terms = [num("table5", n, k) for k in _COST_TERMS]
        total = num("table4", n, "consolidated_cost")
        checks.append(
            _compare(
                f"t5_sum_plan{n}",
                "Table 5 vs Table 4",
                "Tables 4 and 5",
                f"Plan {n}: C_SI + C_OMS + C_PC + C_NLC (Table 5) equals the consolidated cost "
                "(Table 4), Eq. (15)",
                lambda *x: sum(x),
                terms,
                total,
                " + ".join(t.text() for t in terms)
                + f" = {sum(t.value for t in terms):.{max(t.decimals for t in terms)}f}"
                + f" vs {total.text()}",
                unit="10^4 RMB/yr",
                note_bad="the terms do not add up to the total, beyond rounding",
            )
        )
    base = num("table4", plans[0], "consolidated_cost")
    for n in plans[1:]:
        cost = num("table4", n, "consolidated_cost")
        benefit = num("table4", n, "economic_benefit")
        checks.append(
            _compare(
                f"t4_benefit_plan{n}",
                "Table 4 benefit",
                "Table 4",
                f"Plan {n}: economic benefit = Plan {plans[0]}'s cost - Plan {n}'s cost",
                lambda a, b: a - b,
                [base, cost],
                benefit,
                f"{base.text()} - {cost.text()} = {base.value - cost.value:.1f} vs "
                f"{benefit.text()}",
                unit="10^4 RMB/yr",
            )
        )
    for n in sorted(paper["table6"]["plans"]):
        i_f, i_bf, f = (num("table6", n, k) for k in ("I_F", "I_BF", "F"))
        checks.append(
            _compare(
                f"t6_f_plan{n}",
                "Table 6 F",
                "Table 6",
                f"Plan {n}: F = I_F - I_BF, Eq. (21)",
                lambda a, b: a - b,
                [i_f, i_bf],
                f,
                f"{i_f.text()} - {i_bf.text()} = {i_f.value - i_bf.value:.3f} vs {f.text()}",
            )
        )
    return checks


def _headline_checks(paper: Mapping[str, Any], plans: Sequence[int]) -> list[AuditCheck]:
    claims = {c["id"]: c for c in paper["claims"]}
    out: list[AuditCheck] = []
    first, last = plans[0], plans[-1]
    concl = claims.get("cost_cut_conclusion")
    if concl is None:
        return out
    target = printed(concl["value"])
    where = f"{concl['where']}; Tables 4-5"
    c1 = paper_number(paper, "table4", first, "consolidated_cost")
    benefit = paper_number(paper, "table4", last, "economic_benefit")
    t5 = {n: [paper_number(paper, "table5", n, k) for k in _COST_TERMS] for n in (first, last)}

    def pct(a: float, b: float) -> float:
        return 100.0 * (a - b) / a

    # Table 4's own figure: benefit / Plan 1's cost
    out.append(
        _compare(
            "saving_table4_vs_conclusion",
            "Headline saving",
            where,
            f"Plan {last}'s saving in Table 4 (benefit / Plan {first}'s cost) equals the "
            f"conclusion's "
            f"'about {target.text()} %'",
            lambda b, a: 100.0 * b / a,
            [benefit, c1],
            target,
            f"100 x {benefit.text()} / {c1.text()} = {100 * benefit.value / c1.value:.2f} % vs "
            f"{target.text()} %",
            unit="%",
            note_bad="the conclusion's figure is not Table 4's saving; see the readings below",
        )
    )
    # which quantity of the tables does give the conclusion's figure?
    readings: list[tuple[str, str, list[Printed], list[Printed]]] = [
        ("sum of Table 5's terms", "t5", t5[first], t5[last]),
        ("operating cost C_PC + C_NLC (Table 5)", "op", t5[first][2:], t5[last][2:]),
        ("purchase cost C_PC (Table 5)", "pc", t5[first][2:3], t5[last][2:3]),
    ]
    for label, key, a_parts, b_parts in readings:
        k = len(a_parts)

        def fn(*x: float, k: int = k) -> float:
            return pct(sum(x[:k]), sum(x[k:]))

        a_text = " + ".join(p.text() for p in a_parts)
        b_text = " + ".join(p.text() for p in b_parts)
        a_val, b_val = sum(p.value for p in a_parts), sum(p.value for p in b_parts)
        out.append(
            _compare(
                f"conclusion_reading_{key}",
                "Headline saving",
                where,
                f"'about {target.text()} %' read as the cut of Plan {last}'s {label} against "
                f"Plan {first}'s",
                fn,
                [*a_parts, *b_parts],
                target,
                f"100 x (({a_text}) - ({b_text})) / ({a_text}) = {pct(a_val, b_val):.2f} % vs "
                f"{target.text()} %",
                unit="%",
                note_ok="this reading gives the conclusion's figure",
                note_bad="this reading does not give the conclusion's figure",
            )
        )
    return out


@dataclass(frozen=True)
class _SopCosts:
    """Table 1's SOP data and, per plan with SOPs, Table 5's C_SI and C_OMS and Table 4's
    total SOP capacity (kVA). ``storage_plans`` also buy batteries (Plan 3), so their C_SI is
    not the SOP's alone; the others are ``pure`` (Plan 4's stations are the users' cars)."""

    w: Printed
    years: float
    rate: float
    terms: dict[int, dict[str, Printed]]
    kva: dict[int, Printed]
    storage_plans: list[int]
    pure: list[int]
    where: str = "Table 1 (unit cost, years of use, discount rate), Table 4 (kVA), Table 5"

    @classmethod
    def of(
        cls,
        paper: Mapping[str, Any],
        sop_plans: Sequence[int],
        unit_cost: float,
        years: float,
        rate: float,
    ) -> _SopCosts:
        terms = {
            n: {k: paper_number(paper, "table5", n, k) for k in ("C_SI", "C_OMS")}
            for n in sop_plans
        }
        kva = {n: _sop_total(paper, n) for n in sop_plans}
        storage_plans = [n for n in sop_plans if n in PLANS and PLANS[n].storage == "ess"]
        pure = [n for n in sop_plans if n not in storage_plans]
        return cls(exact(unit_cost), years, rate, terms, kva, storage_plans, pure)


def _sop_cost_checks(
    paper: Mapping[str, Any],
    sop_plans: Sequence[int],
    unit_cost: float,
    years: float,
    rate: float,
) -> list[AuditCheck]:
    """C_SI and C_OMS of Table 5 against Table 1 and Eqs. (12)-(13): C_SI under three
    annualisations, the linearity in the capacity between plans, and the implied figures."""
    data = _SopCosts.of(paper, sop_plans, unit_cost, years, rate)
    out = [check for n in sop_plans for check in _csi_checks(data, n)]
    if len(data.pure) >= 2:
        out += _linearity_checks(data, data.pure[0], data.pure[-1])
    out += [check for n in sop_plans for check in _implied_checks(data, n)]
    return out


def _csi_checks(data: _SopCosts, n: int) -> list[AuditCheck]:
    """Plan ``n``'s C_SI from Table 4's kVA and Table 1 under Eq. (12) as printed, Eq. (12)
    with each SOP counted at both ends, and a capital recovery factor."""
    w, s, csi = data.w, data.kva[n], data.terms[n]["C_SI"]
    a_sl = annuity_factor("straight_line", data.rate, data.years)
    a_crf = annuity_factor("crf", data.rate, data.years)
    out = []
    for method, factor, label in (
        ("eq12", a_sl, "Eq. (12) as printed (straight line, w S / y)"),
        (
            "eq12_both_ends",
            2.0 * a_sl,
            "Eq. (12) with each SOP counted at both of its "
            "ends (the double sum over i and j in Omega_i)",
        ),
        ("crf", a_crf, f"a capital recovery factor at Table 1's {100 * data.rate:.0f} %"),
    ):
        arithmetic = (
            f"{w.value:.0f} RMB/kVA x {s.value:.0f} kVA x {factor:.5f} / 10^4 = "
            f"{w.value * s.value * factor / RMB_PER_UNIT:.2f} vs {csi.text()}"
        )
        if n in data.storage_plans:
            sop_part = w.value * s.value * factor / RMB_PER_UNIT
            out.append(
                _info(
                    f"csi_{method}_plan{n}",
                    "C_SI vs Table 1",
                    data.where,
                    f"Plan {n}: C_SI under {label}; Plan {n}'s C_SI also pays for its "
                    f"batteries, "
                    "whose costs the paper does not give",
                    csi.value - sop_part,
                    arithmetic + f"; the batteries would cost {csi.value - sop_part:.2f} a year",
                    unit="10^4 RMB/yr",
                    verdict="not testable",
                    note="value = C_SI minus the SOP's share: what the batteries would cost",
                )
            )
            continue
        out.append(
            _compare(
                f"csi_{method}_plan{n}",
                "C_SI vs Table 1",
                data.where,
                f"Plan {n}: C_SI follows from Table 4's {s.value:.0f} kVA and Table 1 under "
                f"{label}",
                lambda ww, ss, f=factor: ww * ss * f / RMB_PER_UNIT,
                [w, s],
                csi,
                arithmetic,
                unit="10^4 RMB/yr",
            )
        )
    return out


def _overlap(x: tuple[float, float, float], y: tuple[float, float, float]) -> bool:
    """Do the (central, lo, hi) spans of two derived figures overlap?"""
    return x[2] >= y[1] and x[1] <= y[2]


def _pair_check(
    id: str,
    topic: str,
    where: str,
    statement: str,
    spans: dict[int, tuple[float, float, float]],
    a: int,
    b: int,
    arithmetic: str,
    note: str,
    unit: str = "",
) -> AuditCheck:
    """A figure derived for plans ``a`` and ``b`` must be the same (its spans overlap)."""
    x, y = spans[a], spans[b]
    return AuditCheck(
        id=id,
        topic=topic,
        where=where,
        statement=statement,
        arithmetic=arithmetic,
        value=y[0],
        reference=x[0],
        difference=y[0] - x[0],
        tolerance=0.5 * (x[2] - x[1] + y[2] - y[1]),
        verdict="consistent" if _overlap(x, y) else "inconsistent",
        note=note,
        unit=unit,
    )


def _linearity_checks(data: _SopCosts, a: int, b: int) -> list[AuditCheck]:
    """C_SI per kVA and C_OMS per kVA (Eqs. 12-13 are linear in the capacity) and the O&M
    factor eta = C_OMS / C_SI of Eq. (13) must be the same for the plans ``a`` and ``b``."""
    t, kva, w = data.terms, data.kva, data.w
    pair = (a, b)
    per = {n: _span(lambda c, s: RMB_PER_UNIT * c / s, t[n]["C_SI"], kva[n]) for n in pair}
    om = {n: _span(lambda c, s: RMB_PER_UNIT * c / s, t[n]["C_OMS"], kva[n]) for n in pair}
    eta = {n: _span(lambda o, c: o / c, t[n]["C_OMS"], t[n]["C_SI"]) for n in pair}
    more_kva_less_csi = kva[b].value > kva[a].value and t[b]["C_SI"].value < t[a]["C_SI"].value
    return [
        _pair_check(
            f"csi_per_kva_plans_{a}_{b}",
            "C_SI vs Table 1",
            "Tables 4 and 5",
            f"C_SI per kVA is the same for Plans {a} and {b} (Eq. 12 is linear in the capacity)",
            per,
            a,
            b,
            f"10^4 x {t[a]['C_SI'].text()} / {kva[a].value:.0f} = {per[a][0]:.1f} vs 10^4 x "
            f"{t[b]['C_SI'].text()} / {kva[b].value:.0f} = {per[b][0]:.1f} RMB/kVA/yr",
            f"Plan {b} has more SOP capacity than Plan {a} ({kva[b].value:.0f} against "
            f"{kva[a].value:.0f} kVA) but a lower C_SI ({t[b]['C_SI'].text()} against "
            f"{t[a]['C_SI'].text()})"
            if more_kva_less_csi
            else "",
            unit="RMB/kVA/yr",
        ),
        _pair_check(
            f"oms_per_kva_plans_{a}_{b}",
            "C_OMS vs Eq. (13)",
            "Tables 4 and 5",
            f"C_OMS per kVA is the same for Plans {a} and {b} (O&M proportional to the capacity)",
            om,
            a,
            b,
            f"10^4 x {t[a]['C_OMS'].text()} / {kva[a].value:.0f} = {om[a][0]:.1f} vs 10^4 x "
            f"{t[b]['C_OMS'].text()} / {kva[b].value:.0f} = {om[b][0]:.1f} RMB/kVA/yr",
            f"O&M is about {0.5 * (om[a][0] + om[b][0]):.1f} RMB per kVA and year, "
            f"{50.0 * (om[a][0] + om[b][0]) / w.value:.1f} % of Table 1's unit cost"
            if _overlap(om[a], om[b])
            else "",
            unit="RMB/kVA/yr",
        ),
        _pair_check(
            f"eta_plans_{a}_{b}",
            "C_OMS vs Eq. (13)",
            "Table 5, Eq. (13)",
            f"the O&M factor eta = C_OMS / C_SI of Eq. (13) is the same for Plans {a} and {b}",
            eta,
            a,
            b,
            f"{t[a]['C_OMS'].text()} / {t[a]['C_SI'].text()} = {eta[a][0]:.3f} vs "
            f"{t[b]['C_OMS'].text()} / {t[b]['C_SI'].text()} = {eta[b][0]:.3f}",
            "" if _overlap(eta[a], eta[b]) else "Eq. (13) makes C_OMS a fixed share of C_SI",
        ),
    ]


def _implied_checks(data: _SopCosts, n: int) -> list[AuditCheck]:
    """Plan ``n``'s implied figures: the O&M factor eta, the annual cost per kVA and (plans
    without batteries) the discount rate whose capital recovery factor gives its C_SI."""
    csi, oms, s, w = data.terms[n]["C_SI"], data.terms[n]["C_OMS"], data.kva[n], data.w
    years, rate = data.years, data.rate
    batteries = " (C_SI and C_OMS include the batteries)" if n in data.storage_plans else ""
    per_kva = RMB_PER_UNIT * (csi.value + oms.value) / s.value
    out = [
        _info(
            f"eta_plan{n}",
            "C_OMS vs Eq. (13)",
            "Table 5",
            f"Plan {n}: implied O&M factor eta = C_OMS / C_SI{batteries}",
            oms.value / csi.value,
            f"{oms.text()} / {csi.text()} = {oms.value / csi.value:.3f}",
        ),
        _info(
            f"annual_per_kva_plan{n}",
            "C_SI vs Table 1",
            "Tables 4 and 5",
            f"Plan {n}: implied annual cost per kVA of SOP, (C_SI + C_OMS) / kVA{batteries}",
            per_kva,
            f"10^4 x ({csi.text()} + {oms.text()}) / {s.value:.0f} = {per_kva:.1f} RMB/kVA/yr",
            unit="RMB/kVA/yr",
        ),
    ]
    if n in data.pure:
        ann = RMB_PER_UNIT * csi.value / (w.value * s.value)
        r = implied_discount_rate(ann, years)
        out.append(
            _info(
                f"implied_rate_plan{n}",
                "C_SI vs Table 1",
                data.where,
                f"Plan {n}: the annuity C_SI / (w S) and the discount rate whose capital "
                f"recovery factor over {years:.0f} years gives it",
                100.0 * r,
                f"10^4 x {csi.text()} / ({w.value:.0f} x {s.value:.0f}) = {ann:.4f} per year, "
                f"the CRF of {100 * r:.2f} % over {years:.0f} years (Table 1: "
                f"{100 * rate:.0f} %)",
                unit="%",
            )
        )
    return out


def _text_checks(paper: Mapping[str, Any], plans: Sequence[int]) -> list[AuditCheck]:
    """Section 5's statements about the tables, tested on the tables."""
    first = plans[0]
    sop_plans = [n for n in plans if n != first]
    out = [
        _ordering_check(
            paper,
            "text_ibf_below_plan1",
            "Section 5.2, text above Table 6",
            f"'compared to Scenario {first}, Scenarios {', '.join(map(str, sop_plans))} all "
            "have smaller branch flexibility adequacy metrics' (I_BF)",
            "table6",
            "I_BF",
            [(n, first) for n in sop_plans],
        )
    ]
    if {2, 3, 4} <= set(plans):
        out.append(
            _ordering_check(
                paper,
                "text_ibf_above_plan2",
                "Section 5.2, text above Table 6",
                "'the branch circuit flexibility margin indicator increases for Options 3 and 4 "
                "compared to Option 2' (I_BF)",
                "table6",
                "I_BF",
                [(2, 3), (2, 4)],
            )
        )
        out.append(
            _ordering_check(
                paper,
                "text_storage_scaled_down",
                "Section 5.1, text below Table 5",
                "'considering the dispatchable potential of EVs, the investment in energy "
                "storage can be further scaled down' (C_SI of Plan 4 below Plan 3's)",
                "table5",
                "C_SI",
                [(4, 3)],
            )
        )
    out.append(
        _ordering_check(
            paper,
            "text_losses_sop",
            "Section 5.2, text above Table 6",
            "the SOPs of Scenarios 2-4 reduce network losses (C_NLC below Plan 1's)",
            "table5",
            "C_NLC",
            [(n, first) for n in sop_plans],
        )
    )
    if 2 in plans:
        out.append(_purchase_vs_losses(paper, first))
    return out


def _ordering_check(
    paper: Mapping[str, Any],
    id: str,
    where: str,
    statement: str,
    table: str,
    key: str,
    pairs: Sequence[tuple[int, int]],
) -> AuditCheck:
    """A statement that ``key`` of plan a is below that of plan b for every (a, b) in
    ``pairs``, whatever the unprinted digits."""

    def num(n: int) -> Printed:
        return paper_number(paper, table, n, key)

    holds = [num(a).hi < num(b).lo for a, b in pairs]
    text = "; ".join(
        f"Plan {a} {num(a).text()} {'<' if h else 'not <'} Plan {b} {num(b).text()}"
        for (a, b), h in zip(pairs, holds, strict=True)
    )
    return _info(
        id,
        "Text vs tables",
        where,
        statement,
        float(sum(holds)),
        text,
        verdict="consistent" if all(holds) else "inconsistent",
        note=f"{sum(holds)} of {len(holds)} comparisons hold",
    )


def _purchase_vs_losses(paper: Mapping[str, Any], first: int) -> AuditCheck:
    """An SOP moves power; without curtailed DG to release, it cuts purchases only through
    losses: Plan 2's purchase saving must not exceed the cost of Plan ``first``'s losses."""
    pc1, pc2 = (paper_number(paper, "table5", n, "C_PC") for n in (first, 2))
    nlc1 = paper_number(paper, "table5", first, "C_NLC")
    saving, lo, _ = _span(lambda a, b: a - b, pc1, pc2)
    ok = lo <= nlc1.hi
    return AuditCheck(
        id="plan2_purchase_vs_losses",
        topic="Text vs tables",
        where="Table 5, Section 3.1",
        statement=f"Plan 2's purchase saving (SOPs only) is at most the cost of all of Plan "
        f"{first}'s losses, as it must be when losses are priced near the purchase tariff "
        "and no DG is curtailed",
        arithmetic=f"{pc1.text()} - {pc2.text()} = {pc1.value - pc2.value:.1f} vs C_NLC of "
        f"Plan {first} = {nlc1.text()} ({(pc1.value - pc2.value) / nlc1.value:.1f} times)",
        value=saving,
        reference=nlc1.value,
        difference=saving - nlc1.value,
        tolerance=pc1.half_width + pc2.half_width + nlc1.half_width,
        verdict="consistent" if ok else "implausible",
        note=""
        if ok
        else "possible only if the loss price c_loss is far below the tariff "
        f"or Plan {first} curtails DG that the SOPs release; the paper reports neither",
        unit="10^4 RMB/yr",
    )


# ----- tables -------------------------------------------------------------------------------
def audit_table(checks: Sequence[AuditCheck]) -> pd.DataFrame:
    """One row per check: topic, statement, arithmetic, value, reference, difference,
    tolerance, verdict, note (and id, where, unit)."""
    cols = [
        "id",
        "topic",
        "where",
        "statement",
        "arithmetic",
        "value",
        "reference",
        "difference",
        "tolerance",
        "unit",
        "verdict",
        "note",
    ]
    return pd.DataFrame([c.as_dict() for c in checks], columns=cols)


def audit_summary(checks: Sequence[AuditCheck]) -> dict[str, int]:
    """Number of checks per verdict (every verdict of :data:`VERDICTS`, zeros included)."""
    counts = {v: 0 for v in VERDICTS}
    for c in checks:
        counts[c.verdict] += 1
    return counts


def sop_cost_per_kva(
    paper: Mapping[str, Any] | None = None, params: Params | None = None
) -> tuple[pd.DataFrame, dict[str, float]]:
    """The paper's SOP cost per kVA and year, and what Table 1 gives under three readings.

    Returns:
        A frame indexed by plan label (plans with SOPs) with ``csi`` and ``oms`` (Table 5's
        C_SI and C_OMS per kVA of Table 4's total capacity, RMB/kVA/yr), their bounds under the
        printed precision (``*_lo``, ``*_hi``) and ``batteries`` (C_SI also pays for batteries);
        and the annual cost per kVA of Table 1 (RMB/kVA/yr) under Eq. (12) as printed, with
        each SOP counted at both of its ends, and with a capital recovery factor.
    """
    paper = paper if paper is not None else load_paper_results()
    params = params if params is not None else load_params()
    rows = {}
    for n, row in paper["table4"]["plans"].items():
        if not row.get("sop_kva"):
            continue
        kva = _sop_total(paper, n)
        out: dict[str, Any] = {"batteries": n in PLANS and PLANS[n].storage == "ess"}
        for key, term in (("csi", "C_SI"), ("oms", "C_OMS")):
            v = paper_number(paper, "table5", n, term)
            out[key] = RMB_PER_UNIT * v.value / kva.value
            out[f"{key}_lo"] = RMB_PER_UNIT * v.lo / kva.hi
            out[f"{key}_hi"] = RMB_PER_UNIT * v.hi / kva.lo
        rows[f"Plan {n}"] = out
    s = params.sop
    straight = s.unit_cost_rmb_per_kva * annuity_factor("straight_line", 0.0, s.lifetime_years)
    crf = s.unit_cost_rmb_per_kva * annuity_factor("crf", s.discount_rate, s.lifetime_years)
    refs = {
        "Eq. (12), straight line": straight,
        "Eq. (12), both ends": 2.0 * straight,
        f"capital recovery, {100 * s.discount_rate:.0f} %": crf,
    }
    return pd.DataFrame.from_dict(rows, orient="index"), refs
