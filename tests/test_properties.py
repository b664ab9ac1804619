"""Property-based tests (hypothesis) of ``sopev reproduce`` and the parameter validation.

- A random *valid* parameter set either solves and verifies (exit 0, ``verified`` true, every
  cost a finite number), or fails its checks visibly (exit 1, ``verified`` false, the plan
  marked ``[FAILED]``), or stops with a one-line message (exit 2: infeasible or bad input).
  Never a traceback, never exit 3/4, never a number without its verification.
- A random *invalid* value of a parameter always raises ``ValueError`` naming the field
  (``load_params``) and exits 2 naming it (``sopev reproduce --set``) before anything is solved.

The default run draws a few examples (seconds); ``pytest -m slow tests/test_properties.py``
draws many more (minutes). Both derandomise in the default run, so CI is repeatable.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sopev_lib.cli as cli
from sopev_lib.cli import main
from sopev_lib.system.params import load_params

#: Examples per property: (default run, slow run).
VALID_EXAMPLES = (3, 40)
INVALID_EXAMPLES = (40, 400)

finite = {"allow_nan": False, "allow_infinity": False}

#: Parameters drawn within their allowed ranges (a narrower voltage band can make Plan 1
#: infeasible, a heavier load too: both are allowed outcomes).
VALID = st.fixed_dictionaries(
    {
        "network.v_min_pu": st.floats(0.88, 0.95, **finite),
        "network.v_max_pu": st.floats(1.05, 1.10, **finite),
        "tariff.peak_rmb_per_kwh": st.floats(0.1, 2.0, **finite),
        "tariff.valley_rmb_per_kwh": st.floats(0.0, 0.5, **finite),
        "sop.unit_cost_rmb_per_kva": st.floats(100.0, 5000.0, **finite),
        "profiles.load_scale": st.floats(0.5, 1.3, **finite),
        "profiles.pv_scale": st.floats(0.0, 2.0, **finite),
        "ev.seed": st.integers(0, 10_000),
        "ev.forecast_days": st.integers(3, 10),
    },
    optional={"ev.station_power_limit_kw": st.floats(2000.0, 8000.0, **finite)},
)
PLANS = st.lists(st.sampled_from([1, 2, 3, 4]), min_size=1, max_size=2, unique=True)

not_a_number = st.one_of(
    st.text(st.characters(categories=["L"]), min_size=1, max_size=6),
    st.booleans(),
    st.lists(st.integers(), min_size=1, max_size=2),
    st.just(float("nan")),
    st.just(float("inf")),
)


def below(x: float) -> st.SearchStrategy[float]:
    """Finite floats <= ``x`` (``x``: the largest invalid value)."""
    return st.floats(min_value=-1e9, max_value=x, **finite)


def above(x: float) -> st.SearchStrategy[float]:
    """Finite floats >= ``x`` (``x``: the smallest invalid value)."""
    return st.floats(min_value=x, max_value=1e9, **finite)


EPS = 1e-7

#: field -> values it must refuse (ranges of sopev_lib.system.param_models; the bounds here
#: are the first invalid values on each side).
INVALID: dict[str, st.SearchStrategy[Any]] = {
    "network.v_min_pu": below(0.5) | above(1.0 + EPS) | not_a_number,
    "network.v_max_pu": below(1.0 - EPS) | above(1.5) | not_a_number,
    "network.v_substation_pu": below(0.9 - EPS) | above(1.1 + EPS) | not_a_number,
    "network.substation_p_max_kw": below(0.0) | not_a_number,
    "tariff.peak_rmb_per_kwh": below(-EPS) | not_a_number,
    "sop.unit_cost_rmb_per_kva": below(0.0) | not_a_number,
    "sop.loss_coefficient": below(-EPS) | above(0.5) | not_a_number,
    "sop.annualisation": st.text(min_size=1, max_size=8).filter(
        lambda s: s not in ("crf", "straight_line")
    ),
    "profiles.load_scale": below(-EPS) | above(10.0 + EPS) | not_a_number,
    "ev.seed": st.integers(max_value=-1) | st.floats(0.1, 0.9) | st.booleans(),
    "ev.forecast_days": st.integers(max_value=0) | st.integers(min_value=100_001),
    "ev.eta_ch": below(0.0) | above(1.0 + EPS) | not_a_number,
    "economics.days_per_year": below(0.0) | above(366.0 + EPS) | not_a_number,
    "network.sop_sites": st.just(["12-22", "12-22"]) | st.just(["1-2"]),
}
UNKNOWN = st.sampled_from(["network.v_mni_pu", "tarif.peak_rmb_per_kwh", "ev.seeds", "sop"])


#: What the properties saw (printed with ``-s``: how many cases ran, and their outcomes).
OUTCOMES: list[str] = []


def _report(name: str) -> None:
    counts = Counter(OUTCOMES)
    print(f"\n{name}: {len(OUTCOMES)} cases: {dict(sorted(counts.items()))}")
    OUTCOMES.clear()


def _slow(request: pytest.FixtureRequest) -> int:
    """Index into the example counts: 1 when the run selected ``-m slow``, else 0."""
    expr = request.config.getoption("markexpr") or ""
    return int("slow" in expr and "not slow" not in expr)


def _cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


def _set(overrides: dict[str, Any]) -> list[str]:
    """``--set KEY=VALUE`` arguments, each value written as JSON (which is YAML)."""
    args: list[str] = []
    for key, value in overrides.items():
        text = value if isinstance(value, str) else json.dumps(value)
        args += ["--set", f"{key}={text}"]
    return args


def _check_reproduce(overrides: dict[str, Any], plans: list[int]) -> int:
    """Run ``sopev reproduce`` and check its outcome is one of the three allowed ones."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "results"
        code, stdout, stderr = _cli(
            "reproduce", "--out", str(out), "--plans", *map(str, plans), "--no-stage2",
            *_set(overrides),
        )  # fmt: skip
        assert "Traceback" not in stdout + stderr
        assert code in (0, 1, 2), (code, stderr)
        if code == 2:
            assert stderr.startswith(("infeasible plan:", "error:")), stderr
            assert not out.exists()
            return code
        summary = json.loads((out / "summary.json").read_text())
        assert summary["verified"] is (code == 0)
        assert [p["plan"] for p in summary["plans"].values()] == plans
        for entry in summary["plans"].values():
            assert all(math.isfinite(v) for v in entry["costs"].values()), entry["costs"]
            if not entry["verified"]:
                assert f"Plan {entry['plan']} [FAILED]" in stdout
        return code


def _check_refused(field: str, value: Any) -> None:
    with pytest.raises(ValueError, match=field.replace(".", r"\.")):
        load_params(overrides={field: value})
    code, stdout, stderr = _cli("reproduce", "--out", "unused", *_set({field: value}))
    assert code == 2, (field, value, stderr)
    assert field in stderr and "Traceback" not in stdout + stderr
    assert stderr.startswith("error:") and len(stderr.strip().splitlines()) <= 3


@pytest.fixture
def no_solve(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*_: Any, **__: Any) -> None:
        raise AssertionError("an invalid parameter reached the solver")

    monkeypatch.setattr(cli, "run_reproduction", boom)


def _valid_property(n: int, derandomize: bool) -> Any:
    @settings(
        max_examples=n,
        deadline=None,
        derandomize=derandomize,
        database=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(overrides=VALID, plans=PLANS)
    def prop(overrides: dict[str, Any], plans: list[int]) -> None:
        OUTCOMES.append(f"exit {_check_reproduce(overrides, sorted(plans))}")

    return prop


def _invalid_property(n: int, derandomize: bool) -> Any:
    @settings(
        max_examples=n,
        deadline=None,
        derandomize=derandomize,
        database=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(data=st.data())
    def prop(data: st.DataObject) -> None:
        if data.draw(st.integers(0, 9)) == 0:
            field = data.draw(UNKNOWN)
            value: Any = 1.0
        else:
            field = data.draw(st.sampled_from(sorted(INVALID)))
            value = data.draw(INVALID[field])
        _check_refused(field, value)
        OUTCOMES.append(f"refused {field}")

    return prop


def test_valid_parameters_solve_and_verify_or_fail_clearly() -> None:
    _valid_property(VALID_EXAMPLES[0], derandomize=True)()
    _report("valid parameter sets")


def test_invalid_parameters_are_refused_naming_the_field(no_solve: None) -> None:
    _invalid_property(INVALID_EXAMPLES[0], derandomize=True)()
    _report("invalid parameter values")


@pytest.mark.slow
def test_many_valid_parameter_sets(request: pytest.FixtureRequest) -> None:
    if not _slow(request):
        pytest.skip("the long property run: pytest -m slow tests/test_properties.py")
    _valid_property(VALID_EXAMPLES[1], derandomize=False)()
    _report("valid parameter sets (slow)")


@pytest.mark.slow
def test_many_invalid_parameter_values(request: pytest.FixtureRequest, no_solve: None) -> None:
    if not _slow(request):
        pytest.skip("the long property run: pytest -m slow tests/test_properties.py")
    _invalid_property(INVALID_EXAMPLES[1], derandomize=False)()
    _report("invalid parameter values (slow)")
