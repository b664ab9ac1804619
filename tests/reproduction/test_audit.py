"""The audit of the paper's own consistency (sopev_lib.reproduction.audit), checked by hand-made
arithmetic."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from sopev_lib.core.model.costs import annuity_factor
from sopev_lib.reproduction.audit import (
    VERDICTS,
    AuditCheck,
    audit_summary,
    audit_table,
    implied_discount_rate,
    paper_audit,
    paper_number,
    printed,
)
from sopev_lib.reproduction.paper import load_paper_results


@pytest.fixture(scope="module")
def paper():
    return load_paper_results()


def by_id(checks: list[AuditCheck]) -> dict[str, AuditCheck]:
    return {c.id: c for c in checks}


@pytest.fixture(scope="module")
def audit(paper):
    return by_id(paper_audit(paper))


def test_printed_precision() -> None:
    assert printed(1255.7, 1).half_width == pytest.approx(0.05)
    # more digits in the value than the table's default win (Table 5's 1.74)
    p = printed(1.74, 1)
    assert p.decimals == 2 and p.half_width == pytest.approx(0.005)
    assert printed(21.0, 1).text() == "21.0"
    assert printed(0.62, 3).text() == "0.620"
    with pytest.raises(ValueError, match="finite"):
        printed(float("nan"))


def test_paper_number_errors(paper) -> None:
    assert paper_number(paper, "table5", 3, "C_OMS").value == 1.74
    assert paper_number(paper, "table4", 4, "sop_kva").value == 190 + 380 + 500
    for args, match in (
        (("table9", 1, "C_SI"), "not a table"),
        (("table5", 7, "C_SI"), "plan = 7"),
        (("table5", 1, "C_XX"), "no column"),
        (("table4", 2, "sop_kva", "9-15"), "no SOP at site"),
    ):
        with pytest.raises(ValueError, match=match):
            paper_number(paper, *args)


def test_table5_plan4_does_not_sum_to_table4(audit) -> None:
    c = audit["t5_sum_plan4"]
    # 11.5 + 2.7 + 1214.2 + 27.8 = 1256.2 against Table 4's 1255.7
    assert c.value == pytest.approx(11.5 + 2.7 + 1214.2 + 27.8)
    assert c.value == pytest.approx(1256.2)
    assert c.reference == 1255.7
    assert c.difference == pytest.approx(0.5)
    # four terms and the total, each exact to +-0.05: at most 0.25 is rounding
    assert c.tolerance == pytest.approx(0.25)
    assert c.verdict == "inconsistent"
    assert "1256.2 vs 1255.7" in c.arithmetic


def test_other_sums_within_rounding(audit) -> None:
    assert audit["t5_sum_plan1"].value == pytest.approx(1644.0)
    assert audit["t5_sum_plan2"].difference == pytest.approx(-0.1)  # 1434.4 vs 1434.5
    # Plan 3's C_OMS has two digits: tolerance 3 x 0.05 + 0.005 + 0.05
    assert audit["t5_sum_plan3"].tolerance == pytest.approx(0.205)
    for n in (1, 2, 3):
        assert audit[f"t5_sum_plan{n}"].verdict == "consistent"


def test_benefits_and_f(audit) -> None:
    assert audit["t4_benefit_plan4"].value == pytest.approx(1644.0 - 1255.7)
    assert audit["t6_f_plan4"].value == pytest.approx(11.046 - 0.341)
    for key in (
        "t4_benefit_plan2",
        "t4_benefit_plan3",
        "t4_benefit_plan4",
        "t6_f_plan1",
        "t6_f_plan2",
        "t6_f_plan3",
        "t6_f_plan4",
    ):
        assert audit[key].verdict == "consistent", key


def test_headline_saving_and_its_readings(audit) -> None:
    c = audit["saving_table4_vs_conclusion"]
    assert c.value == pytest.approx(100 * 388.3 / 1644.0)  # 23.62 %
    assert c.reference == 24.8
    assert c.verdict == "inconsistent"
    pc = audit["conclusion_reading_pc"]
    assert pc.value == pytest.approx(100 * (1615.7 - 1214.2) / 1615.7)  # 24.85 %
    assert pc.verdict == "consistent"
    op = audit["conclusion_reading_op"]
    assert op.value == pytest.approx(100 * (1644.0 - 1242.0) / 1644.0)  # 24.45 %
    assert op.verdict == "inconsistent"


def test_csi_against_table1(audit) -> None:
    # Eq. (12): 1000 RMB/kVA x 900 kVA / 20 years = 45 000 RMB = 4.5 (10^4 RMB)
    c = audit["csi_eq12_plan2"]
    assert c.value == pytest.approx(4.5)
    assert c.reference == 11.6
    assert c.verdict == "inconsistent"
    assert audit["csi_eq12_both_ends_plan4"].value == pytest.approx(1000 * 1070 * 2 / 20 / 1e4)
    crf = annuity_factor("crf", 0.08, 20.0)
    assert audit["csi_crf_plan4"].value == pytest.approx(1000 * 1070 * crf / 1e4)
    assert audit["csi_eq12_plan3"].verdict == "not testable"
    # the batteries of Plan 3 would cost 16.2 - 840 x 1000 / 20 / 10^4 = 12.0
    assert audit["csi_eq12_plan3"].value == pytest.approx(12.0)


def test_plan4_more_kva_but_lower_csi(audit) -> None:
    c = audit["csi_per_kva_plans_2_4"]
    assert c.reference == pytest.approx(1e4 * 11.6 / 900)
    assert c.value == pytest.approx(1e4 * 11.5 / 1070)
    assert c.verdict == "inconsistent"
    assert "more SOP capacity" in c.note
    eta = audit["eta_plans_2_4"]
    assert eta.reference == pytest.approx(2.3 / 11.6)
    assert eta.value == pytest.approx(2.7 / 11.5)
    assert eta.verdict == "inconsistent"
    om = audit["oms_per_kva_plans_2_4"]  # 25.6 vs 25.2 RMB/kVA: within rounding
    assert om.verdict == "consistent"
    rate = audit["implied_rate_plan4"].value / 100
    assert annuity_factor("crf", rate, 20.0) == pytest.approx(1e4 * 11.5 / (1000 * 1070))


def test_text_and_plausibility(audit) -> None:
    for key in (
        "text_ibf_below_plan1",
        "text_ibf_above_plan2",
        "text_storage_scaled_down",
        "text_losses_sop",
    ):
        assert audit[key].verdict == "consistent", key
    pp = audit["plan2_purchase_vs_losses"]
    assert pp.value == pytest.approx(1615.7 - 1399.5)
    assert pp.reference == 28.3
    assert pp.verdict == "implausible"


def test_verdicts_follow_the_numbers(paper) -> None:
    """Change the published numbers and the verdicts change: nothing is typed."""
    fixed = copy.deepcopy(paper)
    fixed["table4"]["plans"][4]["consolidated_cost"] = 1256.2
    fixed["table4"]["plans"][4]["economic_benefit"] = 387.8
    fixed["table5"]["plans"][4]["C_SI"] = 13.8  # 128.97 RMB/kVA, as Plan 2's 128.9
    next(c for c in fixed["claims"] if c["id"] == "cost_cut_conclusion")["value"] = 23.6
    a = by_id(paper_audit(fixed))
    assert a["t5_sum_plan4"].verdict == "inconsistent"  # 13.8 + ... = 1258.5 now
    fixed["table5"]["plans"][4]["C_SI"] = 11.5
    a = by_id(paper_audit(fixed))
    assert a["t5_sum_plan4"].verdict == "consistent"
    assert a["saving_table4_vs_conclusion"].verdict == "consistent"
    assert a["t4_benefit_plan4"].verdict == "consistent"
    fixed["table5"]["plans"][4]["C_SI"] = 13.8
    fixed["table5"]["plans"][4]["C_PC"] = 1211.9  # keep the sum at 1256.2
    assert by_id(paper_audit(fixed))["csi_per_kva_plans_2_4"].verdict == "consistent"


def test_implied_discount_rate() -> None:
    assert implied_discount_rate(annuity_factor("crf", 0.08, 20), 20) == pytest.approx(0.08)
    assert np.isnan(implied_discount_rate(0.04, 20))  # below the straight-line 1/20
    with pytest.raises(ValueError, match="years"):
        implied_discount_rate(0.1, 0)


def test_tables_and_summary(paper) -> None:
    checks = paper_audit(paper)
    table = audit_table(checks)
    assert len(table) == len(checks)
    assert set(table["verdict"]) <= set(VERDICTS)
    counts = audit_summary(checks)
    assert sum(counts.values()) == len(checks)
    assert list(counts) == list(VERDICTS)
    with pytest.raises(ValueError, match="verdict"):
        AuditCheck("x", "t", "w", "s", "a", 1.0, 1.0, 0.0, 0.0, "fine")
