"""Shared fixtures of the figure tests: small real results to draw."""

from __future__ import annotations

import warnings

import matplotlib.pyplot as plt
import pytest
from matplotlib.figure import Figure

from sopev_lib.reproduction.pipeline import Reproduction, run_reproduction
from sopev_lib.system.params import load_params


@pytest.fixture(scope="module")
def rep() -> Reproduction:
    """The four plans on a small fleet sample, without the AC check (about 2 s)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return run_reproduction(load_params(overrides={"ev.forecast_days": 5}), ac_check=False)


def check(fig: Figure) -> None:
    """A figure came back with axes (the minimum; tests also check what is drawn)."""
    assert isinstance(fig, Figure)
    assert fig.axes
    plt.close(fig)
