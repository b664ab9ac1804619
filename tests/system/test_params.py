"""sopev_lib.system.params: defaults, provenance, and the error messages of bad inputs."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from typing import Any

import numpy as np
import pytest
import yaml

from sopev_lib.system.params import (
    DEFAULTS_FILE,
    Params,
    defaults_of,
    load_params,
    provenance_table,
    record_defaults,
    replace_section,
    revalidate,
)
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
    with pytest.raises(
        ValueError, match=r"sop\.colour: unknown key; allowed: \['loss_coefficient'"
    ):
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


# ----- input bugs: each of these was accepted silently (or crashed) before -------------------
@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"network.sop_sites": ["12-22", "12-22"]}, r"network\.sop_sites: '12-22' is repeated"),
        (
            {"network.tie_lines": ["8-21", "9-15", "12-22", "18-33", "25-29", "9-15"]},
            r"network\.tie_lines: '9-15' is repeated",
        ),
        ({"ev.station_buses": [2, 19, 23, 19]}, r"ev\.station_buses: 19 is repeated"),
        ({"dg.pv_buses": [7, 15, 7, 26]}, r"dg\.pv_buses: 7 is repeated"),
        ({"dg.wind_buses": [9, 23, 23]}, r"dg\.wind_buses: 23 is repeated"),
    ],
)
def test_repeated_entries_are_refused(overrides: dict[str, Any], expected: str) -> None:
    with pytest.raises(ValueError, match=expected):
        load_params(overrides=overrides)


def test_pv_and_wind_may_share_a_bus() -> None:
    """Only a repeat within one list is refused: a PV and a wind unit may share a bus."""
    p = load_params(overrides={"dg.wind_buses": [7, 23, 30]})
    assert p.dg.wind_buses[0] in p.dg.pv_buses


def test_all_tariffs_zero_is_refused() -> None:
    zero = {f"tariff.{k}_rmb_per_kwh": 0.0 for k in ("peak", "flat", "valley")}
    with pytest.raises(
        ValueError,
        match=r"tariff\.peak_rmb_per_kwh, tariff\.flat_rmb_per_kwh and "
        r"tariff\.valley_rmb_per_kwh are all 0",
    ):
        load_params(overrides=zero)
    # one positive price is enough
    assert (
        load_params(overrides={**zero, "tariff.flat_rmb_per_kwh": 0.4}).tariff.peak_rmb_per_kwh == 0
    )


def test_zero_sop_unit_cost_is_refused() -> None:
    """The paper audit divides by Table 1's unit cost (ZeroDivisionError before)."""
    with pytest.raises(ValueError, match=r"sop\.unit_cost_rmb_per_kva = 0\.0 .*\(0, inf\)"):
        load_params(overrides={"sop.unit_cost_rmb_per_kva": 0.0})


def test_bools_are_not_numbers() -> None:
    with pytest.raises(ValueError, match=r"ev\.seed = True: expected a whole number"):
        load_params(overrides={"ev.seed": True})
    with pytest.raises(ValueError, match=r"sop\.om_factor = False: expected a number in \[0, 1\]"):
        load_params(overrides={"sop.om_factor": False})


def test_numpy_overrides_and_yaml_exponent_text(tmp_path) -> None:
    """PyYAML reads ``1e6`` as text, and sweeps pass numpy scalars: both are numbers."""
    p = load_params(
        overrides={
            "ev.seed": np.int64(7),
            "network.v_min_pu": np.float64(0.95),
            "dg.curtailable": np.bool_(False),
            "dg.pv_rating_kw": np.array([800.0, 800.0, 500.0, 400.0]),
        }
    )
    assert p.ev.seed == 7 and type(p.ev.seed) is int
    assert p.network.v_min_pu == 0.95 and type(p.network.v_min_pu) is float
    assert p.dg.curtailable is False
    assert p.dg.pv_rating_kw == (800.0, 800.0, 500.0, 400.0)
    text = (data_dir() / "params.yaml").read_text(encoding="utf-8")
    assert "value: 10000.0\n" in text
    path = tmp_path / "params.yaml"
    path.write_text(text.replace("value: 10000.0\n", "value: 1e6\n", 1), encoding="utf-8")
    assert (
        yaml.safe_load(path.read_text(encoding="utf-8"))["network"]["substation_p_max_kw"]["value"]
        == "1e6"
    )
    assert load_params(path).network.substation_p_max_kw == 1e6


def test_repeated_yaml_key_names_file_key_and_line(tmp_path) -> None:
    text = (data_dir() / "params.yaml").read_text(encoding="utf-8")
    lines = text.splitlines()
    first = lines.index("  v_min_pu:") + 1
    twice = '  v_min_pu:\n    value: 0.9\n    unit: p.u.\n    source: "assumed: again"\n'
    path = tmp_path / "params.yaml"
    path.write_text(text.replace("  v_max_pu:\n", twice + "  v_max_pu:\n", 1), encoding="utf-8")
    second = first + 4
    with pytest.raises(ValueError) as info:
        load_params(path)
    message = str(info.value)
    assert str(path) in message
    assert f"line {second}: duplicate key 'v_min_pu' (first at line {first})" in message


def test_yaml_syntax_error_names_file_and_line(tmp_path) -> None:
    text = (data_dir() / "params.yaml").read_text(encoding="utf-8")
    path = tmp_path / "params.yaml"
    path.write_text(text.replace("    value: 1.07\n", "    value: [1.07\n", 1), encoding="utf-8")
    with pytest.raises(ValueError, match=rf"parameter file {re.escape(str(path))}, line \d+: "):
        load_params(path)


def test_replace_section_validates_and_revalidate_catches_model_copy(params: Params) -> None:
    ev = replace_section(params.ev, seed=11, station_buses=[3, 19, 23, 26])
    assert ev.seed == 11 and ev.station_buses == (3, 19, 23, 26)
    assert params.ev.seed == 2025  # the original is untouched
    with pytest.raises(ValueError, match=r"ev\.station_buses: 3 is repeated"):
        replace_section(params.ev, station_buses=[3, 3, 23, 26])
    with pytest.raises(ValueError, match=r"network\.colour: unknown key"):
        replace_section(params.network, colour="red")
    unchecked = params.network.model_copy(update={"v_min_pu": 1.3})  # skips validation
    with pytest.raises(ValueError, match=r"network\.v_min_pu = 1\.3 is outside"):
        revalidate(unchecked, "network")


# ----- recorded defaults: provenance follows edits --------------------------------------------
def test_recorded_defaults_match_params_yaml(params: Params) -> None:
    """data/params_defaults.json is the record of the committed data/params.yaml; after a
    deliberate change of a default run ``python -m sopev_lib.system.params --record-defaults``."""
    recorded = json.loads((data_dir() / DEFAULTS_FILE).read_text(encoding="utf-8"))
    assert recorded == defaults_of(params)
    assert set(provenance_table(params)["kind"]) & {"modified", "override"} == set()
    assert provenance_table(params)["default"].eq("").all()


def test_edited_default_is_marked_modified(tmp_path) -> None:
    text = (data_dir() / "params.yaml").read_text(encoding="utf-8")
    old = "  unit_cost_rmb_per_kva:\n    value: 1000.0\n"
    assert old in text
    path = tmp_path / "params.yaml"
    path.write_text(text.replace(old, old.replace("1000.0", "3000"), 1), encoding="utf-8")
    p = load_params(path=path)
    table = provenance_table(p).set_index("parameter")
    row = table.loc["sop.unit_cost_rmb_per_kva"]
    assert row["kind"] == "modified"
    assert row["value"] == "3000"
    assert row["default"] == "1000.0"
    assert row["source"] == "modified (recorded default 1000.0: paper: Table 1)"
    assert (table.drop(index="sop.unit_cost_rmb_per_kva")["kind"] != "modified").all()
    # an override keeps its own marking, with the file's value as its default
    q = load_params(path=path, overrides={"sop.unit_cost_rmb_per_kva": 500.0})
    row = provenance_table(q).set_index("parameter").loc["sop.unit_cost_rmb_per_kva"]
    assert row["kind"] == "override"
    assert row["source"].startswith("override (default 3000: paper: Table 1)")


def test_record_defaults_writes_the_record(tmp_path, params: Params) -> None:
    out = record_defaults(out=tmp_path / "defaults.json")
    written = json.loads(out.read_text(encoding="utf-8"))
    assert written == defaults_of(params)
    assert written["ev.types"]["value"][0]["name"] == "I (private)"
    # a table against another record marks what differs from it
    other = {**written, "ev.seed": {"value": 1, "source": "assumed: another seed"}}
    row = provenance_table(params, defaults=other).set_index("parameter").loc["ev.seed"]
    assert row["kind"] == "modified" and row["default"] == "1"
    source = {path: src for path, _, _, src in params.provenance}["ev.seed"]
    assert row["source"].endswith("; the file says: " + source)


def test_record_defaults_command(tmp_path) -> None:
    """``python -m sopev_lib.system.params --record-defaults`` writes the data folder's record."""
    shutil.copy(data_dir() / "params.yaml", tmp_path / "params.yaml")
    env = {**os.environ, "SOPEV_DATA_DIR": str(tmp_path)}
    cmd = [sys.executable, "-m", "sopev_lib.system.params", "--record-defaults"]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / DEFAULTS_FILE).read_text(encoding="utf-8") == (
        data_dir() / DEFAULTS_FILE
    ).read_text(encoding="utf-8")
    wrong = subprocess.run(cmd[:-1], env=env, capture_output=True, text=True, check=False)
    assert wrong.returncode != 0 and "usage" in wrong.stderr
