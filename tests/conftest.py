"""Shared fixtures: the default inputs and one verified reproduction of the four plans."""

from __future__ import annotations

import warnings

import pytest

from sopev_lib.core.inputs import PlanInputs, prepare_inputs, rebuild_inputs
from sopev_lib.reproduction.pipeline import Reproduction, run_reproduction
from sopev_lib.system.params import load_params
from sopev_lib.verify.solve import VerifiedSolve, solve_plan_verified

warnings.filterwarnings("ignore", message=".*numba.*")


@pytest.fixture(scope="session")
def params():
    return load_params()


@pytest.fixture(scope="session")
def inputs(params) -> PlanInputs:
    return prepare_inputs(params)


@pytest.fixture(scope="session")
def reproduction(inputs) -> Reproduction:
    """The four plans solved and verified once per test session (about 3 s)."""
    return run_reproduction(inputs=inputs)


#: Voltage limits at which the relaxation of Plan 1 is not exact (chapter 4's last section).
BAND = {"network.v_min_pu": 0.95, "network.v_max_pu": 1.05}


@pytest.fixture(scope="session")
def band_inputs(inputs: PlanInputs) -> PlanInputs:
    """Voltage limits 0.95-1.05 p.u.: the upper limit binds with reverse flow in Plan 1."""
    return rebuild_inputs(inputs, BAND)


@pytest.fixture(scope="session")
def plan1_band(band_inputs: PlanInputs) -> VerifiedSolve:
    """Plan 1 at the band, repaired with the linearised upper voltage limit (about 2 s)."""
    return solve_plan_verified(1, band_inputs, ac=True)
