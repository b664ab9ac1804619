"""The report's tables (sopev_lib.reproduction.report): narrow, typeset, made from the results."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from sopev_lib.reproduction.assumptions import (
    alternatives_table,
    assumption_table,
    run_alternatives,
    select_alternatives,
)
from sopev_lib.reproduction.audit import paper_audit
from sopev_lib.reproduction.claims import evaluate_claims, paper_outcome
from sopev_lib.reproduction.paper import (
    load_paper_results,
    table4_comparison,
    table5_comparison,
    table6_comparison,
)
from sopev_lib.reproduction.pipeline import run_reproduction
from sopev_lib.reproduction.report import (
    SLASH,
    alternatives_overview,
    assumptions_reference,
    audit_findings,
    audit_overview,
    audit_reference,
    beside,
    breakable,
    claims_reference,
    flexibility_effects,
    headline_readings,
    heat_cells,
    num,
    parameters_reference,
    table4_beside,
    table4_readings,
    table5_beside,
    table6_beside,
    typeset,
)
from sopev_lib.system.params import load_params, provenance_table


def test_typeset_and_numbers() -> None:
    assert typeset("C_SI + C_OMS (10^4 RMB)") == "$C_{SI}$ + $C_{OMS}$ ($10^{4}$ RMB)"
    assert typeset("I_F_cov_local, I_BF and F_loc") == "$I_F^{cov,loc}$, $I_{BF}$ and $F^{loc}$"
    assert typeset("the factor eta = C_OMS / C_SI") == r"the factor $\eta$ = $C_{OMS}$ / $C_{SI}$"
    assert typeset("already $C_{SI}$ and beta = 2") == "already $C_{SI}$ and beta = 2"
    assert num(-1e-9) == "0.0" and num(float("nan")) == "–" and num(1234.56, 0) == "1235"
    assert beside(1644.0, 1252.66) == "1644.0" + SLASH + "1252.7"
    assert breakable("a_b.c").replace("\u200b", "") == "a_b.c"


@pytest.fixture(scope="module")
def paper():
    return load_paper_results()


@pytest.fixture(scope="module")
def rep():
    """The four plans on a small fleet sample, without the AC check."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return run_reproduction(load_params(overrides={"ev.forecast_days": 5}), ac_check=False)


def test_tables_beside_the_paper(rep, paper) -> None:
    sites = list(rep.inputs.params.network.sop_sites)
    t4 = table4_comparison(rep.results, paper)
    t5 = table5_comparison(rep.results, paper)
    t6 = table6_comparison(rep.flexibility, paper)
    b4 = table4_beside(t4, sites)
    assert list(b4.columns) == ["quantity", "Plan 1", "Plan 2", "Plan 3", "Plan 4"]
    assert len(b4) == len(sites) + 3
    cost = b4.set_index("quantity").loc["cost ($10^4$ RMB)", "Plan 1"]
    assert cost == beside(1644.0, t4.loc["Plan 1", "cost ours"])
    b5 = table5_beside(t5)
    assert b5["term"].tolist() == [
        "$C_{SI}$",
        "$C_{OMS}$",
        "$C_{PC}$",
        "$C_{NLC}$",
        "sum of the terms",
    ]
    assert table6_beside(t6)["index"].tolist()[:3] == ["$I_{F}$", "$I_{BF}$", "$F$"]
    heat = heat_cells(t4, t5, t6, sites)
    assert set(heat["table"]) == {"Table 4", "Table 5", "Table 6"}
    assert len(heat) == 4 * (len(sites) + 2) + 4 * 4 + 4 * 3
    assert all(len(b.columns) <= 6 for b in (b4, b5))


def test_audit_and_claims_tables(paper) -> None:
    checks = paper_audit(paper)
    overview = audit_overview(checks)
    assert overview["checks"].sum() == len(checks)
    assert (overview[["hold", "fail", "other"]].sum(axis=1) == overview["checks"]).all()
    ref = audit_reference(checks, "Table 5 vs Table 4")
    assert len(ref) == sum(c.topic == "Table 5 vs Table 4" for c in checks)
    assert not ref["check"].str.contains(r"\bC_SI\b").any()  # typeset
    benefit = audit_reference(checks, "Table 4 benefit")
    assert not benefit["difference"].str.contains("e-").any()  # no round-off shown
    assert len(audit_findings(checks)) == int(overview["fail"].sum())
    assert headline_readings(checks) == ["the cut of Plan 4's purchase cost (Table 5)"]
    claims = claims_reference(evaluate_claims(paper_outcome(paper), paper, variants=False))
    assert list(claims.columns) == ["claim", "paper / ours", "verdict", "evidence"]
    assert (claims["verdict"] == "reproduced").all()
    assert not claims["claim"].str.contains("_").any()


def test_assumption_and_parameter_tables(rep) -> None:
    params = rep.inputs.params
    default, runs = run_alternatives(
        select_alternatives("crf, ampacity_200"),
        params=params,
        base_inputs=rep.inputs,
        plans=(1, 4),
    )
    overview = alternatives_overview(alternatives_table(default, runs, plans=(1, 4)))
    assert overview.columns[0] == "alternative" and len(overview) == 3
    ref = assumptions_reference(assumption_table(params, runs, default))
    assert list(ref.columns) == ["our reading", "alternative and its effect"]
    assert ref["our reading"].str.startswith("**").all()
    flex = flexibility_effects(default, [r for r in runs if r.alternative.effect == "flexibility"])
    assert set(flex["index"]) == {"$I_{BF}$", "$I_F$"} and "Plan 4" in flex.columns
    table = parameters_reference(load_params(), "network")
    names = provenance_table(load_params())["parameter"]
    assert len(table) == names.str.startswith("network.").sum()
    assert list(table.columns) == ["parameter", "source"]
    assert table["parameter"].str.startswith("**" + breakable("v_min_pu") + "** = 0.93").any()


def test_table4_readings() -> None:
    sizes = {2: {"a": 10.0, "b": 20.0}, 4: {"a": 5.0, "b": 0.0}}
    variants = pd.DataFrame(
        {
            "reading": ["defaults"] * 4,
            "plan": [2, 2, 4, 4],
            "site": ["a", "b", "a", "b"],
            "kVA": [11.0, 19.0, 4.0, 1.0],
            "paper kVA": [10.0, 20.0, 5.0, 0.0],
            "total": [90.0, 90.0, 80.0, 80.0],
            "saving": [10.0, 10.0, 20.0, 20.0],
        }
    )
    t = table4_readings(variants, sizes)
    assert t["reading"].tolist() == ["paper (Table 4)", "defaults"]
    assert t.loc[1, "Plan 2"] == "11" + SLASH + "19"
    assert t.loc[1, "Plan 4 saving (%)"] == "20.0" and t.loc[0, "Plan 4 saving (%)"] == "–"
    assert np.all(t.notna())
