"""sopev_lib.system.feeder: the IEEE 33-bus feeder, its orientation, incidence, bad topologies."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

from sopev_lib.system.feeder import Feeder
from sopev_lib.system.grids import load_feeder, to_pandapower
from sopev_lib.system.params import load_params
from sopev_lib.system.paths import data_dir


@pytest.fixture(scope="module")
def feeder() -> Feeder:
    return load_feeder(load_params())


@pytest.fixture(scope="module")
def published() -> dict:
    path = data_dir() / "ieee33" / "reference.yaml"
    values = yaml.safe_load(path.read_text(encoding="utf-8"))["base_case"]["values"]
    return {key: entry["value"] for key, entry in values.items()}


def _tables(edges: list[tuple[int, int, int]], n_bus: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Bus and branch tables of a small hand-made network: (from, to, in_service) edges."""
    buses = pd.DataFrame(
        {"bus": np.arange(1, n_bus + 1), "p_kw": 10.0 * np.arange(n_bus), "q_kvar": 0.0}
    )
    branches = pd.DataFrame(
        [(a, b, 0.1, 0.1, s) for a, b, s in edges],
        columns=["from_bus", "to_bus", "r_ohm", "x_ohm", "in_service"],
    )
    return buses, branches


def test_sizes_and_ties(feeder: Feeder) -> None:
    assert feeder.n_bus == 33
    assert feeder.n_branch == 32
    assert feeder.bus[0] == 1
    assert sorted(feeder.bus.tolist()) == list(range(1, 34))
    assert sorted(t.name for t in feeder.ties) == sorted(
        ["8-21", "9-15", "12-22", "18-33", "25-29"]
    )
    assert {t.name for t in feeder.ties} == set(load_params().network.tie_lines)
    for t in feeder.ties:
        assert t.bus_a < t.bus_b
        assert t.name == f"{t.bus_a}-{t.bus_b}"
    assert feeder.tie("12-22").bus_b == 22
    with pytest.raises(ValueError, match=r"unknown tie line '1-2'.*'12-22'"):
        feeder.tie("1-2")


def test_total_load(feeder: Feeder, published: dict) -> None:
    assert feeder.total_load_kw == pytest.approx(published["total_load_kw"], abs=1e-9)
    assert feeder.total_load_kvar == pytest.approx(published["total_load_kvar"], abs=1e-9)
    assert feeder.p_load_kw[0] == 0.0  # nothing at the substation


def test_radial_orientation(feeder: Feeder) -> None:
    parents = np.bincount(feeder.to_idx, minlength=feeder.n_bus)
    assert parents[0] == 0
    assert np.all(parents[1:] == 1)
    parent_of = np.full(feeder.n_bus, -1)
    parent_of[feeder.to_idx] = feeder.from_idx
    for start in range(1, feeder.n_bus):  # every bus reaches the substation, without a cycle
        node, steps = start, 0
        while node != 0:
            node = parent_of[node]
            steps += 1
            assert steps < feeder.n_bus
    # parents come before children in branch order (a forward sweep is possible)
    position = {int(t): k for k, t in enumerate(feeder.to_idx)}
    for k, f in enumerate(feeder.from_idx):
        assert f == 0 or position[int(f)] < k
    # the longest branch path is the main trunk 1-...-18
    assert "17-18" in feeder.branch_names and "18-17" not in feeder.branch_names


def test_incidence_matrices(feeder: Feeder) -> None:
    a_from = feeder.from_incidence.toarray()
    a_to = feeder.to_incidence.toarray()
    assert a_from.shape == a_to.shape == (33, 32)
    assert np.all(a_from.sum(axis=0) == 1)
    assert np.all(a_to.sum(axis=0) == 1)
    assert a_to.sum(axis=1).tolist() == [0] + [1] * 32
    assert a_from.sum(axis=1).sum() == 32
    assert np.all((a_to - a_from).sum(axis=0) == 0)
    assert np.array_equal(a_from.argmax(axis=0), feeder.from_idx)
    assert np.array_equal(a_to.argmax(axis=0), feeder.to_idx)
    # children of the substation bus: only bus 2
    assert a_from[0].sum() == 1 and feeder.to_bus[np.flatnonzero(a_from[0])][0] == 2


def test_per_unit_bases(feeder: Feeder) -> None:
    assert feeder.z_base_ohm == pytest.approx(12.66**2 / 1.0)
    assert feeder.i_base_a == pytest.approx(1000.0 / (np.sqrt(3) * 12.66))
    assert np.allclose(feeder.r_pu * feeder.z_base_ohm, feeder.r_ohm)


def test_index_of(feeder: Feeder) -> None:
    assert feeder.index_of(1) == 0
    assert feeder.index_of(33) == 32
    assert feeder.indices_of([18, 2]).tolist() == [17, 1]
    with pytest.raises(ValueError, match=r"bus 34 is not in feeder 'ieee33'"):
        feeder.index_of(34)
    with pytest.raises(ValueError, match=r"bus 'x' is not in feeder"):
        feeder.index_of("x")  # type: ignore[arg-type]


def test_from_tables_orients_reversed_branches() -> None:
    buses, branches = _tables([(2, 1, 1), (3, 2, 1), (2, 4, 1), (4, 3, 0)], 4)
    f = Feeder.from_tables(buses, branches, base_kv=10.0, base_kva=1000.0, name="small")
    assert f.branch_names == ["1-2", "2-3", "2-4"]
    assert [t.name for t in f.ties] == ["3-4"]
    assert f.total_load_kw == pytest.approx(60.0)


def test_meshed_network_names_the_loop() -> None:
    buses, branches = _tables([(1, 2, 1), (2, 3, 1), (3, 4, 1), (4, 2, 1), (1, 5, 1)], 5)
    loop = r"not radial: branch \d+-\d+ closes a loop through buses \["
    with pytest.raises(ValueError, match=loop) as info:
        Feeder.from_tables(buses, branches, base_kv=10.0, base_kva=1000.0)
    listed = info.value.args[0].rsplit("[", 1)[1].rstrip("]")
    assert sorted(int(b) for b in listed.split(",")) == [2, 3, 4]


def test_island_names_the_buses() -> None:
    buses, branches = _tables([(1, 2, 1), (2, 3, 1), (4, 5, 1), (3, 4, 0)], 5)
    with pytest.raises(ValueError, match=r"buses \[4, 5\] are not connected to the substation"):
        Feeder.from_tables(buses, branches, base_kv=10.0, base_kva=1000.0)


def test_bad_tables() -> None:
    buses, branches = _tables([(1, 2, 1)], 2)
    with pytest.raises(ValueError, match=r"branch table: missing column 'r_ohm'"):
        Feeder.from_tables(buses, branches.drop(columns="r_ohm"), base_kv=10.0, base_kva=1000.0)
    with pytest.raises(ValueError, match=r"to_bus \[7\] not in the bus table"):
        bad = pd.concat([branches, branches.assign(to_bus=7)])
        Feeder.from_tables(buses, bad, base_kv=10.0, base_kva=1000.0)
    with pytest.raises(ValueError, match=r"substation bus 9 is not in the bus table"):
        Feeder.from_tables(buses, branches, base_kv=10.0, base_kva=1000.0, substation_bus=9)


def test_to_pandapower(feeder: Feeder) -> None:
    net = to_pandapower(feeder)
    assert len(net.bus) == feeder.n_bus
    assert len(net.line) == feeder.n_branch
    assert len(net.load) == feeder.n_bus
    assert net.load.p_mw.sum() * 1000.0 == pytest.approx(feeder.total_load_kw)
    assert np.allclose(net.line.r_ohm_per_km * net.line.length_km, feeder.r_ohm)
    with_ties = to_pandapower(feeder, include_ties=True)
    assert len(with_ties.line) == feeder.n_branch + len(feeder.ties)
    assert (~with_ties.line.in_service).sum() == len(feeder.ties)
