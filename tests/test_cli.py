"""``sopev reproduce``: exit codes, messages without tracebacks, the results folder replaced
atomically, strict JSON, failed plans marked in every printed table.

Exit codes: 0 verified, 1 a plan failed its physical checks, 2 bad input or an infeasible plan,
3 an environment or I/O failure (checked before solving), 130 interrupted.
"""

from __future__ import annotations

import json
import re
import threading
from pathlib import Path

import pytest

import sopev_lib.cli as cli
from sopev_lib.cli import EXIT_CODES, main
from sopev_lib.reproduction.paper import write_results
from sopev_lib.reproduction.pipeline import Reproduction

ROOT = Path(__file__).resolve().parents[1]
FAST = ["--no-stage2", "--set", "ev.forecast_days=10"]


def strict_load(path: Path) -> dict:
    """Parse JSON refusing NaN / Infinity (as a browser's JSON.parse does)."""

    def refuse(token: str) -> None:
        raise ValueError(f"{path}: non-standard JSON token {token}")

    return json.loads(path.read_text(encoding="utf-8"), parse_constant=refuse)


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def no_solve(monkeypatch):
    """Fail the test if the command gets as far as solving."""

    def boom(*_, **__):
        raise AssertionError("solved although the input or the folder was bad")

    monkeypatch.setattr(cli, "run_reproduction", boom)


@pytest.fixture
def earlier(tmp_path: Path, reproduction: Reproduction) -> Path:
    """A folder holding an earlier four-plan result."""
    out = tmp_path / "results"
    write_results(reproduction.results, out, reproduction.checks, meta={"run": "earlier"})
    return out


# ----- exit codes and messages ----------------------------------------------------------------
def test_help_lists_the_exit_codes_in_plain_text(capsys) -> None:
    for argv in (["--help"], ["reproduce", "--help"], ["sweep", "--help"]):
        with pytest.raises(SystemExit) as exc:
            main(argv)
        assert exc.value.code == 0
        text = capsys.readouterr().out
        assert "exit status:" in text
        for code in (0, 1, 2, 3):
            assert re.search(rf"^\s+{code}\s+\S", text, re.M), (argv, code)
        assert "``" not in text and ":func:" not in text and ":class:" not in text


def test_readme_documents_the_exit_codes() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Results on disk", 1)[1].split("\n## ", 1)[0]
    assert "Exit codes" in section
    for code in EXIT_CODES:
        if code in (0, 1, 2, 3):
            assert re.search(rf"`{code}`", section), code


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        (["--set", "network.v_min_pu=[0.9"], 2, "--set 'network.v_min_pu=[0.9'"),
        (["--set", "network.v_min_pu"], 2, "expected KEY=VALUE"),
        (["--set", "network.v_mni_pu=0.9"], 2, "network.v_mni_pu"),
        (["--set", "network.v_min_pu=1.2"], 2, "network.v_min_pu = 1.2"),
        (["--out", ""], 2, "output folder '' is empty"),
        (["--out", "."], 2, "current directory"),
    ],
)
def test_bad_input_exits_2_before_solving(capsys, no_solve, args, code, words) -> None:
    got, out, err = run(capsys, "reproduce", *args)
    assert got == code, err
    assert words in err
    assert "Traceback" not in err + out


def test_a_folder_that_is_no_result_is_not_replaced(capsys, no_solve, tmp_path: Path) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    code, _, err = run(capsys, "reproduce", "--out", str(out))
    assert code == 2 and "does not hold an earlier result" in err
    assert (out / "notes.txt").read_text() == "keep me"


def test_an_unwritable_output_folder_exits_3_before_solving(
    capsys, no_solve, tmp_path: Path
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("a file where a folder should be")
    code, _, err = run(capsys, "reproduce", "--out", str(blocker / "results"))
    assert code == 3, err
    assert f"cannot write the output folder {blocker / 'results'}: {blocker} is a file" in err
    assert "Traceback" not in err


def test_a_read_only_output_folder_exits_3_before_solving(
    capsys, no_solve, monkeypatch, tmp_path: Path
) -> None:
    """Tests run as root, which may write anywhere: the refusal of a read-only folder is
    simulated where the staging folder is made."""
    import sopev_lib.system.io as io

    def denied(*_, **__):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(io.tempfile, "mkdtemp", denied)
    code, _, err = run(capsys, "reproduce", "--out", str(tmp_path / "results"))
    assert code == 3, err
    assert "cannot write the output folder" in err and "Permission denied" in err


def test_a_missing_profiles_file_exits_3(capsys, tmp_path: Path) -> None:
    out = tmp_path / "results"
    code, _, err = run(capsys, "reproduce", "--out", str(out), "--set", "profiles.file=nope.csv")
    assert code == 3, err
    assert "nope.csv does not exist" in err and "profiles.file" in err
    assert "Traceback" not in err
    assert not out.exists() and not list(tmp_path.iterdir())  # nothing left behind


def test_an_infeasible_plan_exits_2_and_keeps_the_earlier_result(capsys, earlier: Path) -> None:
    before = (earlier / "summary.json").read_bytes()
    code, _, err = run(
        capsys, "reproduce", "--out", str(earlier), "--plans", "1",
        "--set", "network.v_min_pu=0.99", *FAST,
    )  # fmt: skip
    assert code == 2, err
    assert err.count("infeasible plan:") == 1 and "Traceback" not in err
    assert f"{earlier} left unchanged" in err
    assert (earlier / "summary.json").read_bytes() == before
    assert sorted(p.name for p in earlier.parent.iterdir()) == ["results"]


def test_an_interrupted_run_keeps_the_earlier_result(capsys, monkeypatch, earlier: Path) -> None:
    def interrupted(*_, **__):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "run_reproduction", interrupted)
    before = (earlier / "summary.json").read_bytes()
    code, _, err = run(capsys, "reproduce", "--out", str(earlier))
    assert code == 130
    assert f"{earlier} left unchanged" in err and "Traceback" not in err
    assert (earlier / "summary.json").read_bytes() == before
    assert not [p for p in earlier.parent.iterdir() if ".tmp-" in p.name]


def test_an_internal_error_shows_no_traceback_unless_debug(capsys, monkeypatch, tmp_path) -> None:
    def bug(*_, **__):
        raise KeyError("oops")

    monkeypatch.setattr(cli, "run_reproduction", bug)
    code, _, err = run(capsys, "reproduce", "--out", str(tmp_path / "r"))
    assert code == 4 and "internal error: KeyError" in err and "Traceback" not in err
    code, _, err = run(capsys, "--debug", "reproduce", "--out", str(tmp_path / "r"))
    assert code == 4 and "Traceback" in err
    code, _, err = run(capsys, "reproduce", "--out", str(tmp_path / "r"), "--debug")
    assert code == 4 and "Traceback" in err


# ----- the results folder ---------------------------------------------------------------------
def test_one_plan_replaces_a_four_plan_result(capsys, earlier: Path) -> None:
    assert {p.name for p in earlier.iterdir()} >= {"plan1", "plan2", "plan3", "plan4"}
    code, _out, err = run(capsys, "reproduce", "--out", str(earlier), "--plans", "1", "--no-ac",
                         *FAST)  # fmt: skip
    assert code == 0, err
    assert sorted(p.name for p in earlier.iterdir()) == ["plan1", "summary.json"]
    summary = strict_load(earlier / "summary.json")  # strict JSON even with --no-ac
    assert list(summary["plans"]) == ["plan1"]
    assert summary["verified"] is True and summary["failed"] == []
    assert summary["plans"]["plan1"]["checks"]["ac_max_voltage_error_pu"] is None
    assert summary["meta"]["overrides"] == {"ev.forecast_days": 10}
    leftovers = [p.name for p in earlier.parent.iterdir() if p.name != "results"]
    assert leftovers == []


def test_concurrent_writers_leave_one_complete_result(
    tmp_path: Path, reproduction: Reproduction
) -> None:
    """Writers of different results into one folder: whichever wins, summary and plan folders
    belong to the same result."""
    out = tmp_path / "results"
    subsets = [(1, 2), (3, 4), (2,), (1, 3, 4)] * 2
    errors: list[BaseException] = []

    def write(plans: tuple[int, ...], k: int) -> None:
        try:
            results = {n: reproduction.results[n] for n in plans}
            write_results(results, out, reproduction.checks, meta={"writer": k})
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(s, k)) for k, s in enumerate(subsets)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    summary = strict_load(out / "summary.json")
    plans = subsets[summary["meta"]["writer"]]
    assert list(summary["plans"]) == [f"plan{n}" for n in plans]
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["summary.json", *(f"plan{n}" for n in plans)]
    )
    assert [p.name for p in tmp_path.iterdir() if p.name != "results"] == []


def test_two_concurrent_runs_leave_one_consistent_result(tmp_path: Path) -> None:
    """Two ``sopev reproduce`` processes with different parameters and plans into one folder."""
    import os
    import subprocess
    import sys

    import pandas as pd

    out = tmp_path / "results"
    runs = {
        "0.92": ["--plans", "1", "2", "--set", "network.v_min_pu=0.92"],
        "0.93": ["--plans", "3", "--set", "network.v_min_pu=0.93"],
    }
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "sopev_lib.cli", "reproduce", "--out", str(out), "--no-ac",
             *FAST, *args],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )
        for args in runs.values()
    ]  # fmt: skip
    for p in procs:
        _, err = p.communicate(timeout=600)
        assert p.returncode == 0, err
    summary = strict_load(out / "summary.json")
    v_min = summary["meta"]["overrides"]["network.v_min_pu"]
    plans = [a for a in runs[f"{v_min:.2f}"] if a.isdigit()]
    assert list(summary["plans"]) == [f"plan{n}" for n in plans]
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["summary.json", *(f"plan{n}" for n in plans)]
    )
    for n in plans:  # every CSV belongs to the run that wrote the summary
        entry = summary["plans"][f"plan{n}"]
        buses = pd.read_csv(out / f"plan{n}" / "buses.csv")
        assert buses["v_pu"].min() == pytest.approx(entry["v_min_pu"], abs=1e-12)
        assert entry["v_min_pu"] >= v_min - 1e-6
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results"]


# ----- verification failures visible everywhere -----------------------------------------------
def test_an_inexact_plan_is_repaired_and_reported(capsys, tmp_path: Path) -> None:
    out = tmp_path / "results"
    band = ["--set", "network.v_min_pu=0.95", "--set", "network.v_max_pu=1.05"]
    code, _stdout, err = run(capsys, "reproduce", "--out", str(out), "--plans", "1", *band,
                             "--no-stage2")  # fmt: skip
    assert code == 0, err
    plan1 = strict_load(out / "summary.json")["plans"]["plan1"]
    assert plan1["verified"] is True
    assert plan1["solve"]["outcome"] == "repaired"
    assert plan1["solve"]["lower_bound"] <= plan1["solve"]["upper_bound"]
    first, repaired = plan1["solve"]["attempts"]
    assert "relaxation gap" in first["messages"] and repaired["passed"] is True


def test_a_failed_plan_is_marked_in_every_table_and_in_summary(
    capsys, monkeypatch, tmp_path: Path
) -> None:
    import sopev_lib.verify.solve as solve

    monkeypatch.setattr(solve, "INEXACT_GAP", float("inf"))  # no exactness repair
    out = tmp_path / "results"
    band = ["--set", "network.v_min_pu=0.95", "--set", "network.v_max_pu=1.05"]
    code, stdout, err = run(capsys, "reproduce", "--out", str(out), "--plans", "1", "2", *band,
                            "--no-stage2")  # fmt: skip
    assert code == 1, err
    summary = strict_load(out / "summary.json")
    assert summary["verified"] is False and summary["failed"] == ["plan1"]
    assert summary["plans"]["plan1"]["verified"] is False
    assert summary["plans"]["plan2"]["verified"] is True
    tables = stdout.split("Verification (")[0]
    for title in ("Table 4", "Table 5", "Table 6"):
        block = tables.split(title, 1)[1].split("\nTable ", 1)[0]
        assert "Plan 1 [FAILED]" in block, title
        assert "Plan 2 [FAILED]" not in block
    # Plan 2's saving against the unverified Plan 1 is withheld
    row = next(
        line for line in tables.split("Table 5")[0].splitlines() if line.startswith("Plan 2")
    )
    assert "NaN" in row
    assert "relaxation gap" in err and "branch 21-22 at hour 13" in err


def test_an_ac_power_flow_that_does_not_converge_exits_1(capsys, monkeypatch, tmp_path) -> None:
    import sopev_lib.verify.checks as checks

    real = checks.run_ac_power_flow

    def overloaded(feeder, p, q, *args, **kwargs):
        return real(feeder, p * 200.0, q * 200.0, *args, **kwargs)

    monkeypatch.setattr(checks, "run_ac_power_flow", overloaded)
    out = tmp_path / "results"
    code, _stdout, err = run(capsys, "reproduce", "--out", str(out), "--plans", "1", *FAST)
    assert code == 1, err
    assert "did not converge" in err and "Traceback" not in err
    summary = strict_load(out / "summary.json")
    assert summary["verified"] is False
    assert summary["plans"]["plan1"]["checks"]["ac_converged"] is False
