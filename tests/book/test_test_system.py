"""sopev_lib.book.test_system: the tables and phrases of chapter 1."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sopev_lib.book.test_system import (
    BASE_CASE_ROWS,
    base_case_table,
    base_case_values,
    base_case_verdict,
    changed_overrides,
    export_phrase,
    hour_ranges,
    kind_counts,
    parameter_table,
    power_of_ten,
    published_base_case,
    table1_rows,
    typeset,
    upper_limit_phrase,
    voltage_limit_phrase,
)
from sopev_lib.system.grids import load_feeder
from sopev_lib.system.params import load_params, provenance_table
from sopev_lib.system.powerflow import run_ac_power_flow


@pytest.fixture(scope="module")
def params():
    return load_params()


def test_changed_overrides_keep_only_changes(params) -> None:
    chosen = {"profiles.load_scale": 1.0, "network.v_min_pu": 0.95, "ev.forecast_days": 200}
    assert changed_overrides(chosen, params) == {"network.v_min_pu": 0.95}
    assert changed_overrides({}, params) == {}


def test_base_case_reproduces_the_published_values(params) -> None:
    feeder = load_feeder(params)
    reference = published_base_case(params.network.feeder)
    assert reference.v_substation_pu == 1.0
    assert reference.decimals("active_loss_kw") == 2
    assert reference.decimals("min_voltage_bus") == 0
    ac = run_ac_power_flow(feeder, feeder.p_load_kw, feeder.q_load_kvar, 1.0)
    ours = base_case_values(feeder, ac)
    assert set(ours) == {key for key, _, _ in BASE_CASE_ROWS}
    table, agree = base_case_table(reference, ours)
    assert all(agree.values())
    assert list(table.columns) == ["quantity", "published", "this book (difference)"]
    row = table.set_index("quantity").loc["active power loss (kW)"]
    assert row["published"] == "202.68" and row["this book (difference)"].startswith("202.6")
    assert row["this book (difference)"].endswith("(-0.003)")
    assert base_case_verdict(agree) == (
        "agree with every published value to its last printed digit"
    )
    # a heavier load differs, and the verdict names what differs
    scaled = base_case_values(
        feeder, run_ac_power_flow(feeder, 1.1 * feeder.p_load_kw, 1.1 * feeder.q_load_kvar), 1.1
    )
    _, agree = base_case_table(reference, scaled)
    verdict = base_case_verdict(agree, 1.1)
    assert "active power loss" in verdict and verdict.endswith("as expected for a scaled load")


def test_hour_ranges_and_phrases() -> None:
    assert hour_ranges([9, 10, 11, 14, 15, 16, 17, 18]) == "09-11, 14-18"
    assert hour_ranges([23, 0, 1]) == "00-01, 23"
    assert hour_ranges([]) == "none"
    assert voltage_limit_phrase([], 0.93) == "stays above the lower limit of 0.93 p.u. all day"
    assert "in 2 hour(s) (19-20)" in voltage_limit_phrase(np.array([19, 20]), 0.93)
    assert "changes nothing" in upper_limit_phrase([], 1.07)
    assert "(12)" in upper_limit_phrase([12], 1.07)
    assert export_phrase([]) == "the rule is not active"
    assert export_phrase([11, 12]) == "the rule would cut DG output in 2 hour(s) (11-12)"


def test_power_of_ten_bounds_the_value() -> None:
    assert power_of_ten(3.2e-13) == "10\u207b\u00b9\u00b2"
    assert power_of_ten(-2e-6) == "10\u207b\u2075"
    assert power_of_ten(7.0) == "10\u00b9"


def test_typeset_symbols_and_identifiers() -> None:
    assert typeset("C_NLC and C_PC") == "$C_{NLC}$ and $C_{PC}$"
    assert typeset("(W_SOP^LOSS);") == "($W_{SOP}^{LOSS}$);"
    assert typeset("N(mu, sigma^2) in h^2") == "N(mu, $\\sigma^{2}$) in $h^{2}$"
    assert typeset("see v_min_pu, and numpy.random.default_rng") == (
        "see `v_min_pu`, and `numpy.random.default_rng`"
    )
    assert typeset("Option 'cigre_mv': benchmark") == "Option `cigre_mv`: benchmark"
    assert typeset("plain text, 0.93 p.u.") == "plain text, 0.93 p.u."
    assert typeset("eta of Eq. (13); eta_ch") == "$\\eta$ of Eq. (13); `eta_ch`"


def test_parameter_table_fits_and_keeps_every_row(params) -> None:
    provenance = provenance_table(params)
    table = parameter_table(provenance)
    assert list(table.columns) == ["parameter", "kind", "value and source"]
    assert len(table) == len(provenance)
    row = table[table["parameter"] == "`network.`<br>`v_min_pu`"].iloc[0]
    assert row["kind"] == "assumed"
    assert row["value and source"].startswith("**0.93 p.u.**: GB/T 12325-2008")
    # no raw symbol or snake_case identifier outside math and code
    for text in table["value and source"]:
        bare = " ".join(text.split("`")[::2])  # outside code spans
        bare = " ".join(bare.split("$")[::2])  # outside math
        assert "^" not in bare and not any(
            "_" in w.strip("*(),.;:'") for w in bare.split() if not w.startswith("data/")
        ), text
    # an extra column of the provenance table (e.g. recorded defaults) is left out
    extra = provenance.assign(default="")
    assert list(parameter_table(extra).columns) == list(table.columns)


def test_kind_counts_and_table1(params) -> None:
    provenance = provenance_table(params)
    counts = kind_counts(provenance)
    assert counts["paper"] + counts["ref"] + counts["assumed"] == len(provenance)
    assert counts["override"] == counts["modified"] == 0
    changed = provenance_table(load_params(overrides={"network.v_min_pu": 0.95}))
    assert kind_counts(changed)["override"] == 1
    modified = provenance.assign(kind=np.where(provenance.index == 0, "modified", provenance.kind))
    assert kind_counts(pd.DataFrame(modified))["modified"] == 1
    table1 = table1_rows(provenance)
    assert list(table1.columns) == ["parameter and value", "where the paper gives it"]
    assert "`sop.`<br>`unit_cost_rmb_per_kva`<br>**1000.0 RMB/kVA**" in set(
        table1["parameter and value"]
    )
    assert table1["where the paper gives it"].str.contains("Table 1").all()
