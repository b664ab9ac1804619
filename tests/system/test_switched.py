"""sopev_lib.system.switched: networks with switches and transformers read exactly.

The acceptance test of chapter 9: a SimBench MV grid, converted, gives pandapower's own power
flow of the grid to 1e-6 p.u. with our AC check (run_ac_power_flow on the feeder's arrays).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandapower as pp
import pytest

from sopev_lib.system.powerflow import run_ac_power_flow
from sopev_lib.system.simbench import simbench_net
from sopev_lib.system.switched import SwitchedNet, from_pandapower_switched


def pandapower_voltages(net, grid: SwitchedNet) -> np.ndarray:
    """pandapower's voltages at the feeder's buses (each the smallest bus of its group)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pp.runpp(net, numba=False, tolerance_mva=1e-11)
    return net.res_bus.vm_pu.to_numpy()[grid.feeder.bus - 1]


def our_voltages(grid: SwitchedNet) -> np.ndarray:
    f = grid.feeder
    ac = run_ac_power_flow(f, f.p_load_kw, f.q_load_kvar, grid.v_substation_pu, tolerance_mva=1e-11)
    return ac.v_pu[:, 0]


@pytest.mark.parametrize(
    ("code", "n_bus", "n_ties", "ratio"),
    [("1-MV-rural--0-sw", 95, 6, 1.0), ("1-MV-urban--0-sw", 139, 11, 0.985)],
)
def test_simbench_grid_matches_pandapower(code: str, n_bus: int, n_ties: int, ratio: float) -> None:
    net = simbench_net(code)
    grid = from_pandapower_switched(net, name=code)
    assert grid.feeder.n_bus == n_bus
    assert len(grid.feeder.ties) == n_ties  # the lines opened by a switch
    assert grid.tap_ratio == pytest.approx(ratio)  # urban: tap -1 of 1.5 % on the HV side
    ext = float(net.ext_grid.vm_pu.iloc[0])
    assert grid.v_substation_pu == pytest.approx(ext / ratio)
    diff = np.abs(our_voltages(grid)[1:] - pandapower_voltages(net, grid)[1:])
    assert diff.max() < 1e-6


def test_rural_grid_fuses_busbars_and_merges_transformers() -> None:
    grid = from_pandapower_switched(simbench_net("1-MV-rural--0-sw"))
    assert grid.fused == ((0, 1), (2, 3))  # HV busbars and the MV sectionaliser
    assert grid.parallel_trafos == ((0, 1),)
    assert grid.bus_of[1] == grid.bus_of[0] == 1
    assert grid.feeder.branch_kind.count("trafo") == 1


def small_net(*, coupler_closed: bool = True, tap_pos: float = 0.0):
    """110 kV slack, two parallel 110/20 kV transformers onto two busbar sections joined by a
    coupler, a 20 kV line to a load and a tie line opened at one end."""
    net = pp.create_empty_network()
    hv = pp.create_bus(net, 110.0)
    bb1, bb2, b3, b4 = (pp.create_bus(net, 20.0) for _ in range(4))
    pp.create_ext_grid(net, hv, vm_pu=1.02)
    for lv in (bb1, bb2):
        pp.create_transformer_from_parameters(
            net,
            hv,
            lv,
            sn_mva=25,
            vn_hv_kv=110,
            vn_lv_kv=20,
            vk_percent=12,
            vkr_percent=0.4,
            pfe_kw=14,
            i0_percent=0.07,
            tap_side="hv",
            tap_neutral=0,
            tap_pos=tap_pos,
            tap_step_percent=1.5,
            tap_changer_type="Ratio",
        )
    pp.create_switch(net, bb1, bb2, et="b", closed=coupler_closed)
    pp.create_line_from_parameters(net, bb1, b3, 2.0, 0.3, 0.1, 200.0, 0.3)
    pp.create_line_from_parameters(net, bb2, b4, 1.5, 0.3, 0.1, 200.0, 0.3)
    tie = pp.create_line_from_parameters(net, b3, b4, 1.0, 0.3, 0.1, 200.0, 0.3)
    pp.create_switch(net, b4, tie, et="l", closed=False)
    pp.create_load(net, b3, p_mw=2.0, q_mvar=0.5)
    pp.create_load(net, b4, p_mw=1.0, q_mvar=0.2)
    pp.create_sgen(net, b4, p_mw=0.4)
    return net


@pytest.mark.parametrize("tap_pos", [0.0, -2.0])
def test_small_network_is_exact(tap_pos: float) -> None:
    net = small_net(tap_pos=tap_pos)
    grid = from_pandapower_switched(net)
    assert grid.fused == ((1, 2),)
    assert grid.parallel_trafos == ((0, 1),)
    assert [t.name for t in grid.feeder.ties] == ["4-5"]
    diff = np.abs(our_voltages(grid)[1:] - pandapower_voltages(net, grid)[1:])
    assert diff.max() < 1e-8


def test_loads_only_leaves_out_generators() -> None:
    net = small_net()
    with_gen = from_pandapower_switched(net).feeder
    loads = from_pandapower_switched(net, with_sgen=False).feeder
    assert loads.total_load_kw - with_gen.total_load_kw == pytest.approx(400.0)


def test_open_coupler_with_parallel_transformers_is_radial() -> None:
    net = small_net(coupler_closed=False)
    grid = from_pandapower_switched(net)
    assert grid.fused == () and grid.parallel_trafos == ()
    assert grid.feeder.branch_kind.count("trafo") == 2
    diff = np.abs(our_voltages(grid)[1:] - pandapower_voltages(net, grid)[1:])
    assert diff.max() < 1e-8


def test_empty_island_is_dropped_and_a_loaded_one_refused() -> None:
    net = small_net()
    lonely = pp.create_bus(net, 20.0)
    assert from_pandapower_switched(net).dropped == (lonely,)
    pp.create_load(net, lonely, p_mw=0.1)
    with pytest.raises(ValueError, match="no connection to the grid"):
        from_pandapower_switched(net)


def test_off_nominal_ratio_away_from_the_substation_is_refused() -> None:
    net = small_net()
    mv = pp.create_bus(net, 0.4)
    pp.create_transformer_from_parameters(
        net,
        3,
        mv,
        sn_mva=0.63,
        vn_hv_kv=20,
        vn_lv_kv=0.4,
        vk_percent=6,
        vkr_percent=1,
        pfe_kw=0,
        i0_percent=0,
        tap_side="hv",
        tap_neutral=0,
        tap_pos=2,
        tap_step_percent=2.5,
        tap_changer_type="Ratio",
    )
    with pytest.raises(ValueError, match="off-nominal transformer ratios"):
        from_pandapower_switched(net)


def test_closed_switch_with_impedance_is_refused() -> None:
    net = small_net()
    net.switch.loc[0, "z_ohm"] = 0.1
    with pytest.raises(ValueError, match="have an impedance"):
        from_pandapower_switched(net)
