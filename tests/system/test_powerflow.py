"""sopev_lib.system.powerflow: the published IEEE 33-bus base case, energy balance, shapes."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from sopev_lib.system.feeder import Feeder
from sopev_lib.system.grids import load_feeder
from sopev_lib.system.params import load_params
from sopev_lib.system.paths import data_dir
from sopev_lib.system.powerflow import ACResult, run_ac_power_flow


@pytest.fixture(scope="module")
def feeder() -> Feeder:
    return load_feeder(load_params())


@pytest.fixture(scope="module")
def reference() -> dict:
    path = data_dir() / "ieee33" / "reference.yaml"
    return yaml.safe_load(path.read_text(encoding="utf-8"))["base_case"]


@pytest.fixture(scope="module")
def base(feeder: Feeder, reference: dict) -> ACResult:
    v0 = reference["conditions"]["substation_voltage_pu"]["value"]
    return run_ac_power_flow(feeder, feeder.p_load_kw, feeder.q_load_kvar, v0)


def test_base_case_matches_published(feeder: Feeder, base: ACResult, reference: dict) -> None:
    published = {k: e["value"] for k, e in reference["values"].items()}
    assert base.converged.all()
    assert base.v_pu.shape == (33, 1)
    assert base.total_loss_kw[0] == pytest.approx(published["active_loss_kw"], abs=0.05)
    i_min = int(np.argmin(base.v_pu[:, 0]))
    assert base.v_pu[i_min, 0] == pytest.approx(published["min_voltage_pu"], abs=1e-4)
    assert feeder.bus[i_min] == published["min_voltage_bus"]
    v0 = reference["conditions"]["substation_voltage_pu"]["value"]
    assert base.v_pu[0, 0] == pytest.approx(v0)


def test_energy_balance(feeder: Feeder, base: ACResult) -> None:
    supply = base.p_substation_kw[0]
    assert supply == pytest.approx(feeder.total_load_kw + base.total_loss_kw[0], rel=1e-6)
    assert np.all(base.loss_kw >= 0.0)
    # the substation feeds branch 1-2, which carries everything downstream
    assert base.p_branch_kw[0, 0] == pytest.approx(supply, rel=1e-9)


def test_multi_hour_shapes_and_scaling(feeder: Feeder, base: ACResult) -> None:
    scales = np.array([0.5, 1.0, 1.2])
    p = np.outer(feeder.p_load_kw, scales)
    q = np.outer(feeder.q_load_kvar, scales)
    res = run_ac_power_flow(feeder, p, q, np.array([1.0, 1.0, 1.02]))
    assert res.v_pu.shape == (33, 3)
    assert res.p_branch_kw.shape == res.loss_kw.shape == res.i_branch_a.shape == (32, 3)
    assert res.p_substation_kw.shape == res.total_loss_kw.shape == (3,)
    assert res.converged.all()
    # hour 1 is the base case again; losses grow with load; the slack voltage follows its input
    assert res.total_loss_kw[1] == pytest.approx(base.total_loss_kw[0], rel=1e-9)
    assert np.allclose(res.v_pu[:, 1], base.v_pu[:, 0], atol=1e-9)
    assert res.total_loss_kw[0] < res.total_loss_kw[1]
    assert np.allclose(res.v_pu[0], [1.0, 1.0, 1.02])
    balance = res.p_substation_kw - p.sum(axis=0) - res.total_loss_kw
    assert np.allclose(balance, 0.0, atol=1e-6 * res.p_substation_kw.max())
    # each column equals a power flow of that hour alone (no state leaks between snapshots)
    alone = run_ac_power_flow(feeder, p[:, 2], q[:, 2], 1.02)
    assert np.allclose(alone.v_pu[:, 0], res.v_pu[:, 2], atol=1e-9)
    assert alone.total_loss_kw[0] == pytest.approx(res.total_loss_kw[2], rel=1e-8)


def test_generation_as_negative_withdrawal(feeder: Feeder) -> None:
    p = feeder.p_load_kw.copy()
    p[feeder.index_of(18)] -= 600.0  # a 600 kW generator at the feeder end
    res = run_ac_power_flow(feeder, p, feeder.q_load_kvar, 1.0)
    branch = feeder.branch_names.index("17-18")
    assert res.p_branch_kw[branch, 0] < 0.0  # power flows back towards the substation


def test_shape_mismatch(feeder: Feeder) -> None:
    with pytest.raises(ValueError, match=r"n_bus=33"):
        run_ac_power_flow(feeder, np.zeros(32), np.zeros(32))
    with pytest.raises(ValueError, match=r"got p \(33, 2\), q \(33, 3\)"):
        run_ac_power_flow(feeder, np.zeros((33, 2)), np.zeros((33, 3)))
