"""sopev_lib.system.params: defaults, provenance, and the error messages of bad inputs."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from sopev_lib.system.params import Params, load_params, provenance_table
from sopev_lib.system.paths import data_dir

SOURCE_PREFIXES = ("paper:", "ref [", "assumed:")


def _leaf_paths(node: Any, prefix: str = "") -> list[str]:
    """Dotted paths of every {value, unit, source} leaf of a parsed params.yaml."""
    paths = []
    for key, entry in node.items():
        path = f"{prefix}.{key}" if prefix else key
        if isinstance(entry, dict) and {"value", "unit", "source"} <= set(entry):
            paths.append(path)
        elif isinstance(entry, dict):
            paths.extend(_leaf_paths(entry, path))
    return paths


@pytest.fixture(scope="module")
def params() -> Params:
    return load_params()


def test_defaults_load(params: Params) -> None:
    assert params.network.feeder == "ieee33"
    assert params.network.v_min_pu < params.network.v_max_pu
    assert len(params.dg.pv_buses) == len(params.dg.pv_rating_kw)
    assert len(params.ev.station_buses) == len(params.ev.station_counts)
    assert params.source_file == data_dir() / "params.yaml"


def test_provenance_covers_every_leaf(params: Params) -> None:
    raw = yaml.safe_load((data_dir() / "params.yaml").read_text(encoding="utf-8"))
    table = provenance_table(params)
    assert sorted(table["parameter"]) == sorted(_leaf_paths(raw))
    assert table["parameter"].is_unique
    for row in table.itertuples():
        assert row.source.startswith(SOURCE_PREFIXES), f"{row.parameter}: {row.source!r}"
        assert row.unit.strip(), f"{row.parameter}: empty unit"
    kinds = set(table["kind"])
    assert kinds <= {"paper", "assumed"} | {k for k in kinds if re.fullmatch(r"ref \[\d+\]", k)}


def test_override_changes_value_and_provenance() -> None:
    p = load_params(overrides={"network.v_min_pu": 0.95})
    assert p.network.v_min_pu == 0.95
    table = provenance_table(p).set_index("parameter")
    assert table.loc["network.v_min_pu", "kind"] == "override"
    assert table.loc["network.v_min_pu", "value"] == "0.95"
    assert table.loc["network.v_max_pu", "kind"] != "override"


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        # wrong type: field, value and allowed range
        ({"network.base_kv": "high"}, ["network.base_kv", "'high'", "(0, inf)"]),
        ({"dg.curtailable": "yes"}, ["dg.curtailable", "'yes'", "true or false"]),
        ({"ev.seed": 1.5}, ["ev.seed", "1.5", "whole number", "[0, inf)"]),
        # negative rating
        (
            {"dg.pv_rating_kw": [800.0, -800.0, 500.0, 400.0]},
            ["dg.pv_rating_kw[1]", "-800.0", "[0, inf)"],
        ),
        # a limit outside its range
        ({"network.v_min_pu": 1.2}, ["network.v_min_pu", "1.2", "(0.5, 1]"]),
        ({"network.v_max_pu": 1.6}, ["network.v_max_pu", "1.6", "[1, 1.5)"]),
        ({"sop.annualisation": "annuity"}, ["sop.annualisation", "'annuity'", "'crf'"]),
        # efficiency 0 or above 1
        ({"ev.eta_ch": 0.0}, ["ev.eta_ch", "0.0", "(0, 1]"]),
        ({"ev.eta_dis": 1.1}, ["ev.eta_dis", "1.1", "(0, 1]"]),
        ({"ess.eta_ch": 0}, ["ess.eta_ch", "0", "(0, 1]"]),
    ],
)
def test_out_of_range_names_field_value_range(
    overrides: dict[str, Any], expected: list[str]
) -> None:
    with pytest.raises(ValueError) as info:
        load_params(overrides=overrides)
    message = str(info.value)
    for part in expected:
        assert part in message, f"{part!r} missing from {message!r}"


def test_v_min_not_below_v_max() -> None:
    with pytest.raises(ValueError, match=r"network\.v_min_pu = 1\.0 must be below .*v_max_pu"):
        load_params(overrides={"network.v_min_pu": 1.0, "network.v_max_pu": 1.0})


def test_soc_limits_reversed() -> None:
    with pytest.raises(ValueError, match=r"ev\.soc_min = 0\.9 must be below soc_max = 0\.15"):
        load_params(overrides={"ev.soc_min": 0.9, "ev.soc_max": 0.15})
    with pytest.raises(ValueError, match=r"ess\.soc_min = 0\.9 must be below soc_max = 0\.1"):
        load_params(overrides={"ess.soc_min": 0.9, "ess.soc_max": 0.1})


def test_unknown_override() -> None:
    with pytest.raises(ValueError, match=r"override 'network\.v_minimum_pu': unknown parameter"):
        load_params(overrides={"network.v_minimum_pu": 0.9})
    with pytest.raises(ValueError, match=r"override 'grid\.v_min_pu'.*no section 'grid'"):
        load_params(overrides={"grid.v_min_pu": 0.9})


def test_unknown_tie_in_sop_sites() -> None:
    with pytest.raises(ValueError, match=r"network\.sop_sites: \['1-2'\] are not tie lines"):
        load_params(overrides={"network.sop_sites": ["12-22", "1-2"]})


def test_mismatched_dg_lists() -> None:
    with pytest.raises(
        ValueError, match=r"dg\.pv_rating_kw: 3 ratings for 4 buses in dg\.pv_buses"
    ):
        load_params(overrides={"dg.pv_rating_kw": [800.0, 800.0, 500.0]})
    with pytest.raises(ValueError, match=r"dg\.wind_rating_kw: 3 ratings for 2 buses"):
        load_params(overrides={"dg.wind_buses": [9, 23]})


def test_missing_and_unknown_fields(tmp_path) -> None:
    raw = yaml.safe_load((data_dir() / "params.yaml").read_text(encoding="utf-8"))
    del raw["sop"]["lifetime_years"]
    raw["sop"]["colour"] = {"value": "red", "unit": "-", "source": "assumed: test"}
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    with pytest.raises(ValueError, match=r"sop: unknown field\(s\) \['colour'\]"):
        load_params(path)
    del raw["sop"]["colour"]
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    with pytest.raises(ValueError, match=r"sop\.lifetime_years: missing"):
        load_params(path)


def test_missing_file(tmp_path) -> None:
    with pytest.raises(ValueError, match="does not exist"):
        load_params(tmp_path / "nowhere.yaml")


def test_params_are_frozen(params: Params) -> None:
    with pytest.raises(AttributeError):
        params.network.v_min_pu = 0.9  # type: ignore[misc]


def test_parsed_file_cache_follows_edits(tmp_path) -> None:
    """load_params caches the parsed YAML, but an edited file is read again."""
    import os

    path = tmp_path / "params.yaml"
    text = (data_dir() / "params.yaml").read_text(encoding="utf-8")
    path.write_text(text, encoding="utf-8")
    assert load_params(path).ev.seed == 2025
    path.write_text(text.replace("value: 2025", "value: 7", 1), encoding="utf-8")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert load_params(path).ev.seed == 7
    # a returned object never shares state with the cache
    assert load_params(path).ev.seed == 7
