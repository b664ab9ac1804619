"""Presets (data/presets/): the paper-evidence preset's values follow from the paper's Table 5,
load_params(preset=...) keeps their provenance, and `sopev reproduce --preset` runs."""

from __future__ import annotations

import pytest

from sopev_lib.cli import main
from sopev_lib.core.inputs import prepare_inputs, rebuild_inputs
from sopev_lib.core.model.costs import sop_annual_investment_per_kva, sop_annual_om_per_kva
from sopev_lib.reproduction.audit import paper_number
from sopev_lib.reproduction.paper import load_paper_results
from sopev_lib.reproduction.presets import preset_inputs, preset_table
from sopev_lib.system.params import load_params, load_preset, preset_names, provenance_table


def test_paper_evidence_follows_from_table5() -> None:
    """The preset's SOP costs are Table 5's C_SI and C_OMS of Plan 2 per kVA of Table 4, within
    the printed precision."""
    paper = load_paper_results()
    kva = sum(paper["table4"]["plans"][2]["sop_kva"].values())
    csi, oms = (paper_number(paper, "table5", 2, k) for k in ("C_SI", "C_OMS"))
    p = load_params(preset="paper-evidence")
    per_kva = 1e4 * sop_annual_investment_per_kva(p)  # RMB per kVA and year
    assert 1e4 * csi.lo / kva <= per_kva <= 1e4 * csi.hi / kva
    assert per_kva == pytest.approx(1e4 * csi.value / kva, rel=1e-3)  # about 129 RMB
    ratio = sop_annual_om_per_kva(p) / sop_annual_investment_per_kva(p)
    assert oms.lo / csi.hi <= ratio <= oms.hi / csi.lo
    assert ratio == pytest.approx(0.198, abs=1e-3)


def test_preset_provenance_and_overrides() -> None:
    assert "paper-evidence" in preset_names()
    p = load_params(preset="paper-evidence", overrides={"sop.om_factor": 0.05})
    assert p.preset == "paper-evidence" and p.sop.om_factor == 0.05
    table = provenance_table(p).set_index("parameter")
    assert table.loc["sop.lifetime_years", "kind"] == "preset"
    assert table.loc["sop.lifetime_years", "source"].startswith("preset paper-evidence:")
    assert table.loc["sop.om_factor", "kind"] == "override"  # the override wins
    # rebuilt inputs keep the preset
    inputs = prepare_inputs(load_params(preset="paper-evidence"))
    assert rebuild_inputs(inputs, {"ev.seed": 3}).params.sop.lifetime_years == 7.759
    with pytest.raises(ValueError, match="presets:"):
        load_params(preset="no-such-preset")


def test_preset_inputs_and_table() -> None:
    base = prepare_inputs(load_params(overrides={"ev.forecast_days": 5}))
    pe = preset_inputs(base, "paper-evidence")
    assert pe.envelopes is base.envelopes and pe.feeder is base.feeder
    assert pe.params.ev.forecast_days == 5 and pe.params.sop.om_factor == 0.198
    t = preset_table("paper-evidence")
    assert set(t["parameter"]) == set(load_preset("paper-evidence")["overrides"])
    assert t.set_index("parameter").loc["sop.lifetime_years", "default"] == "20.0 (paper)"


def test_reproduce_with_a_preset(tmp_path, capsys) -> None:
    rc = main(
        [
            "reproduce",
            "--preset",
            "paper-evidence",
            "--set",
            "ev.forecast_days=5",
            "--plans",
            "1",
            "2",
            "--no-ac",
            "--no-stage2",
            "--out",
            str(tmp_path),
        ]
    )
    assert rc == 0
    assert "Results written" in capsys.readouterr().out
    assert (tmp_path / "summary.json").is_file()
    assert main(["reproduce", "--preset", "nope", "--out", str(tmp_path)]) == 2
