"""Results keyed so nothing can collapse: SOP sizes and storage ratings refuse a repeated key,
the summary's sizes come from the same table as ``sops.csv``, and the reported totals are the
solver's objective (sopev_lib.reproduction.paper, sopev_lib.system.io)."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from sopev_lib.core.results import PlanResult
from sopev_lib.reproduction.paper import plan_summary, sop_sizes, write_results
from sopev_lib.reproduction.pipeline import Reproduction
from sopev_lib.system.io import strict_json, unique_dict


def with_sites(result: PlanResult, sites: tuple[str, ...]) -> PlanResult:
    """``result`` whose parameters list ``sites`` as SOP sites, past the parameter validation
    (which refuses repeats) as a buggy caller or a future code path might."""
    net = result.inputs.params.network.model_copy(update={"sop_sites": sites})
    params = result.inputs.params.model_copy(update={"network": net})
    return replace(result, inputs=replace(result.inputs, params=params))


def with_station_buses(result: PlanResult, buses: list[int]) -> PlanResult:
    envelopes = tuple(
        replace(e, bus=b) for e, b in zip(result.inputs.envelopes, buses, strict=True)
    )
    return replace(result, inputs=replace(result.inputs, envelopes=envelopes))


def test_a_repeated_sop_site_raises_instead_of_collapsing(reproduction: Reproduction) -> None:
    plan2 = reproduction.results[2]
    repeated = with_sites(plan2, ("12-22", "12-22", "8-21"))
    with pytest.raises(ValueError, match="SOP site '12-22' appears more than once"):
        _ = repeated.sop_capacity_kva
    with pytest.raises(ValueError, match="SOP site '12-22'"):
        plan_summary(repeated)


def test_a_repeated_station_bus_raises_instead_of_collapsing(
    reproduction: Reproduction, tmp_path
) -> None:
    plan3 = reproduction.results[3]
    buses = plan3.inputs.station_buses
    repeated = with_station_buses(plan3, [buses[0], buses[0], *buses[2:]])
    with pytest.raises(ValueError, match=f"storage at station 'bus {buses[0]}'"):
        _ = repeated.ess_rating
    out = tmp_path / "results"
    with pytest.raises(ValueError, match="appears more than once"):
        write_results({3: repeated}, out)
    assert not out.exists()  # nothing half-written
    assert list(tmp_path.iterdir()) == []


def test_unique_dict() -> None:
    assert unique_dict([("a", 1), ("b", 2)], "key") == {"a": 1, "b": 2}
    with pytest.raises(ValueError, match="key 'a' appears more than once"):
        unique_dict([("a", 1), ("a", 2)], "key")


def test_summary_sizes_and_totals_match_the_tables_and_the_solver(
    reproduction: Reproduction, tmp_path
) -> None:
    path = write_results(reproduction.results, tmp_path / "r", reproduction.checks)
    summary = json.loads(path.read_text())
    assert summary["verified"] is True and summary["failed"] == []
    for n, r in reproduction.results.items():
        entry = summary["plans"][f"plan{n}"]
        assert entry["verified"] is True
        # the reported total is the solver's objective (10^4 RMB per year)
        assert entry["costs"]["total"] == pytest.approx(r.objective, rel=1e-9, abs=1e-9)
        sops = pd.read_csv(path.parent / f"plan{n}" / "sops.csv")
        per_tie = sops.groupby("tie")["capacity_kva"].agg(["min", "max", "size"])
        assert dict(per_tie["max"]) == pytest.approx(entry["sop_kva"])
        assert (per_tie["min"] == per_tie["max"]).all()
        assert (per_tie["size"] == r.n_hours).all()
        assert entry["sop_total_kva"] == pytest.approx(sum(entry["sop_kva"].values()))
    plan2 = summary["plans"]["plan2"]
    assert len(plan2["sop_kva"]) == 3
    assert plan2["costs"]["total"] == pytest.approx(reproduction.results[2].objective, rel=1e-9)


def test_sop_sizes_of_a_plan_without_sops_is_empty(reproduction: Reproduction) -> None:
    sizes = sop_sizes(reproduction.results[1])
    assert list(sizes.columns) == ["tie", "capacity_kva"] and sizes.empty


def test_strict_json_writes_null_for_numbers_that_are_not_finite() -> None:
    text = strict_json(
        {"a": float("nan"), "b": [np.float64("inf"), 1.5], "c": np.array([np.nan, 2.0])}
    )
    assert "NaN" not in text and "Infinity" not in text
    assert json.loads(text) == {"a": None, "b": [None, 1.5], "c": [None, 2.0]}
    with pytest.raises(TypeError, match="cannot write object"):
        strict_json({"x": object()})
