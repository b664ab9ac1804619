"""Shared fixtures: the default inputs and one verified reproduction of the four plans."""

from __future__ import annotations

import warnings

import pytest

from sopev_lib.core.inputs import PlanInputs, prepare_inputs
from sopev_lib.reproduction.pipeline import Reproduction, run_reproduction
from sopev_lib.system.params import load_params

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
