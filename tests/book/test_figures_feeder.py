"""sopev_lib.book.figures.feeder: the generic radial layout and the chapter-1 figures draw what
they are given, at the column width, with legible text."""

from __future__ import annotations

import itertools

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PathCollection
from matplotlib.patches import PathPatch

from sopev_lib.book.figures.feeder import (
    SOP_COLOR,
    draw_feeder,
    feeder_layout,
    legible_font_pt,
    plot_daily_power_flow,
    plot_daily_profiles,
    plot_voltage_profile,
)
from sopev_lib.book.style import COLUMN_IN, MIN_FONT_PT, book_style, displayed_pt, illegible_texts
from sopev_lib.book.tables import markdown_table
from sopev_lib.system.feeder import Feeder
from sopev_lib.system.grids import load_feeder, pandapower_feeder
from sopev_lib.system.params import load_params


@pytest.fixture(scope="module", autouse=True)
def style() -> None:
    book_style()


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


def test_legible_font_shows_at_the_minimum() -> None:
    for width in (4.0, COLUMN_IN, 9.0, 14.0):
        font = legible_font_pt(width)
        assert displayed_pt(font, width) >= MIN_FONT_PT
        assert displayed_pt(font - 0.1, width) < MIN_FONT_PT


def test_draw_feeder(ieee33: Feeder) -> None:
    p = load_params()
    fig = draw_feeder(
        ieee33,
        sop_sites=p.network.sop_sites,
        pv_kw=dict(zip(p.dg.pv_buses, p.dg.pv_rating_kw, strict=True)),
        wind_kw={9: 800.0},
        stations={18: "EV 1"},
    )
    ax = fig.axes[0]
    texts = {t.get_text() for t in ax.texts}
    assert {t.name for t in ieee33.ties} <= texts, "every tie is labelled"
    assert {str(b) for b in ieee33.bus} <= texts, "every bus is numbered"
    assert {"PV 800", "PV 500", "PV 400", "WT 800", "EV 1"} <= texts
    # one circle per bus but the substation (a square), one solid line per branch
    circles, square = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert len(circles.get_offsets()) == ieee33.n_bus - 1
    assert len(square.get_offsets()) == 1
    assert len(ax.lines) == ieee33.n_branch
    ties = [p for p in ax.patches if isinstance(p, PathPatch)]
    assert len(ties) == len(ieee33.ties)
    sop = [t for t in ties if np.allclose(t.get_edgecolor()[:3], SOP_COLOR[:3])]
    assert len(sop) == len(p.network.sop_sites), "the SOP sites are highlighted"
    assert fig.get_figwidth() == pytest.approx(COLUMN_IN)
    assert illegible_texts(fig) == []
    plt.close(fig)
    with pytest.raises(ValueError, match=r"sop_sites \['2-3'\] are not tie lines"):
        draw_feeder(ieee33, sop_sites=["2-3"])
    with pytest.raises(ValueError, match="bus 99"):
        draw_feeder(ieee33, pv_kw={99: 1.0})


def test_draw_feeder_other_grids_and_keeps_its_layout() -> None:
    cigre = pandapower_feeder("cigre_mv", 1000.0)
    fig = draw_feeder(cigre, sop_sites=[cigre.ties[0].name], title="CIGRE MV")
    assert illegible_texts(fig) == []
    assert fig.get_layout_engine() is not None  # a placeholder: no layout engine moves axes
    fig.savefig(__import__("io").BytesIO(), bbox_inches="tight")
    assert fig.get_layout_engine() is not None and fig.axes[0].get_position().x0 == 0.0
    plt.close(fig)


def test_voltage_profile_draws_each_section(ieee33: Feeder) -> None:
    v = np.linspace(1.0, 0.95, ieee33.n_bus)
    lay = feeder_layout(ieee33)
    fig = plot_voltage_profile(ieee33, v, v_min_pu=0.93, v_max_pu=1.07, layout=lay)
    ax = fig.axes[0]
    sections = [ln for ln in ax.lines if ln.get_marker() == "o"]
    assert len(sections) == len(lay.sections)
    for line, sec in zip(sections, lay.sections, strict=True):
        np.testing.assert_allclose(line.get_xdata(), ieee33.bus[list(sec)])
        np.testing.assert_allclose(line.get_ydata(), v[list(sec)])
    assert illegible_texts(fig) == []
    plt.close(fig)
    with pytest.raises(ValueError, match=r"v_pu: expected shape \(33,\)"):
        plot_voltage_profile(ieee33, v[:-1])


def test_daily_profiles_draw_the_curves() -> None:
    h = np.arange(24)
    load = 3000 + 100 * np.sin(h)
    pv = np.clip(800 * np.sin((h - 6) / 12 * np.pi), 0, None)
    wind = 400 + 10 * h
    tariff = np.where((h >= 9) & (h < 12), 0.6, 0.4)
    period = np.where(tariff > 0.5, "peak", "flat")
    fig = plot_daily_profiles(h, load, pv, wind, tariff, period)
    ax, ax2 = fig.axes
    curves = [ln.get_ydata()[:-1] for ln in ax.lines]  # steps hold the last value once more
    for got, expected in zip(curves, (load, pv, wind, pv + wind), strict=True):
        np.testing.assert_allclose(got, expected)
    np.testing.assert_allclose(ax2.lines[0].get_ydata()[:-1], tariff)
    assert len(ax2.patches) == 24, "one shaded span per hour"
    assert illegible_texts(fig) == []
    plt.close(fig)


def test_daily_power_flow_draws_the_results() -> None:
    h = np.arange(24)
    v_lo, v_hi = 0.95 + 0.001 * h, 1.01 + 0.0005 * h
    imp, loss = 2000 - 10 * h, 50 + h
    fig = plot_daily_power_flow(
        h, v_lo, v_hi, imp, loss, v_limits=(0.93, 1.07), p_substation_min_kw=0.0
    )
    ax_v, ax_p, ax_l = fig.axes
    np.testing.assert_allclose(ax_v.lines[0].get_ydata()[:-1], v_hi)
    np.testing.assert_allclose(ax_v.lines[1].get_ydata()[:-1], v_lo)
    np.testing.assert_allclose(ax_p.lines[0].get_ydata()[:-1], imp)
    np.testing.assert_allclose(ax_l.lines[0].get_ydata()[:-1], loss)
    limits = [ln.get_ydata()[0] for ln in ax_v.lines[2:]]
    assert limits == [0.93, 1.07]
    assert illegible_texts(fig) == []
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
