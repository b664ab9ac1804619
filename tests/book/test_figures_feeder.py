"""sopev_lib.book.figures.feeder: the generic radial layout and the chapter-1 figures."""

from __future__ import annotations

import itertools

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from sopev_lib.book.figures.feeder import (
    draw_feeder,
    feeder_layout,
    plot_daily_power_flow,
    plot_daily_profiles,
    plot_voltage_profile,
)
from sopev_lib.book.tables import markdown_table
from sopev_lib.system.feeder import Feeder
from sopev_lib.system.grids import load_feeder
from sopev_lib.system.params import load_params


@pytest.fixture(scope="module")
def ieee33() -> Feeder:
    return load_feeder(load_params())


def random_tree(n: int, seed: int) -> Feeder:
    """A random radial feeder of n buses (bus k > 1 hangs from a random earlier bus)."""
    rng = np.random.default_rng(seed)
    parents = [int(rng.integers(1, k)) for k in range(2, n + 1)]
    buses = pd.DataFrame({"bus": np.arange(1, n + 1), "p_kw": 1.0, "q_kvar": 0.0})
    branches = pd.DataFrame(
        {
            "from_bus": parents,
            "to_bus": np.arange(2, n + 1),
            "r_ohm": 0.1,
            "x_ohm": 0.1,
            "in_service": 1,
        }
    )
    return Feeder.from_tables(buses, branches, base_kv=10.0, base_kva=1000.0)


def check_layout(feeder: Feeder) -> None:
    lay = feeder_layout(feeder)
    xy = lay.xy
    assert xy.shape == (feeder.n_bus, 2)
    assert len({(float(x), float(y)) for x, y in xy}) == feeder.n_bus, "two buses share a spot"
    covered = sorted(i for sec in lay.sections for i in sec)
    assert covered == list(range(feeder.n_bus)), "every bus is in exactly one section"
    parent_of = dict(zip(feeder.to_idx.tolist(), feeder.from_idx.tolist(), strict=True))
    for sec, attach in zip(lay.sections, lay.attach, strict=True):
        steps = np.diff(xy[list(sec)], axis=0)
        assert np.all(steps == [1.0, 0.0]), "a section runs one unit per branch to the right"
        if attach < 0:
            assert sec[0] == 0 and np.all(xy[0] == 0.0)
        else:
            assert parent_of[sec[0]] == attach
            assert xy[sec[0], 0] == xy[attach, 0], "a lateral starts right above/below its bus"
            assert xy[sec[0], 1] != xy[attach, 1]
    # sections on the same row keep at least one empty unit between them
    rows: dict[float, list[tuple[float, float]]] = {}
    for sec in lay.sections:
        y = xy[sec[0], 1]
        rows.setdefault(y, []).append((xy[sec[0], 0], xy[sec[-1], 0]))
    for spans in rows.values():
        spans.sort()
        for (_, end), (start, _) in itertools.pairwise(spans):
            assert start - end >= 2.0


def test_ieee33_layout(ieee33: Feeder) -> None:
    lay = feeder_layout(ieee33)
    trunk = ieee33.bus[list(lay.sections[0])]
    assert trunk.tolist() == list(range(1, 19)), "the main trunk is the longest path 1-18"
    laterals = sorted(
        (int(ieee33.bus[s[0]]), int(ieee33.bus[s[-1]]), int(ieee33.bus[a]))
        for s, a in zip(lay.sections[1:], lay.attach[1:], strict=True)
    )
    assert laterals == [(19, 22, 2), (23, 25, 3), (26, 33, 6)]
    assert set(lay.row[ieee33.indices_of([19, 23, 26])]) == set(lay.row[[18, 22, 25]])
    assert lay.row[ieee33.index_of(19)] * lay.row[ieee33.index_of(23)] < 0  # opposite sides
    check_layout(ieee33)


@pytest.mark.parametrize("seed", range(6))
def test_random_radial_layouts(seed: int) -> None:
    check_layout(random_tree(40, seed))


def test_draw_feeder(ieee33: Feeder) -> None:
    p = load_params()
    fig = draw_feeder(
        ieee33,
        sop_sites=p.network.sop_sites,
        pv_kw=dict(zip(p.dg.pv_buses, p.dg.pv_rating_kw, strict=True)),
        wind_kw={9: 800.0},
        stations={18: "EV station 1"},
    )
    texts = {t.get_text() for t in fig.axes[0].texts}
    texts |= {t.get_text() for t in fig.axes[0].get_children() if hasattr(t, "get_text")}
    assert {"12-22", "9-15", "1", "33", "PV 800 kW", "WT 800 kW", "EV station 1"} <= texts
    plt.close(fig)
    with pytest.raises(ValueError, match=r"sop_sites \['2-3'\] are not tie lines"):
        draw_feeder(ieee33, sop_sites=["2-3"])
    with pytest.raises(ValueError, match="bus 99"):
        draw_feeder(ieee33, pv_kw={99: 1.0})


def test_line_plots(ieee33: Feeder) -> None:
    v = np.linspace(1.0, 0.95, ieee33.n_bus)
    plt.close(plot_voltage_profile(ieee33, v, v_min_pu=0.93, v_max_pu=1.07))
    with pytest.raises(ValueError, match=r"v_pu: expected shape \(33,\)"):
        plot_voltage_profile(ieee33, v[:-1])
    h = np.arange(24)
    flat = np.ones(24)
    fig = plot_daily_profiles(h, 3000 * flat, 500 * flat, 400 * flat, 0.4 * flat, ["flat"] * 24)
    assert len(fig.axes) == 2
    plt.close(fig)
    fig = plot_daily_power_flow(
        h,
        0.95 * flat,
        1.01 * flat,
        2000 * flat,
        50 * flat,
        v_limits=(0.93, 1.07),
        p_substation_min_kw=0.0,
    )
    assert len(fig.axes) == 3
    plt.close(fig)


def test_table_markdown() -> None:
    frame = pd.DataFrame({"name": ["a", "b|c"], "value": [1.5, "x\ny"]})
    text = markdown_table(frame, code_columns=["name"])
    assert text.splitlines() == [
        "| name | value |",
        "|---|---|",
        "| `a` | 1.5 |",
        "| `b\\|c` | x y |",
    ]
