"""The distributed path for real: ``sopev sweep --scheduler`` against a Dask scheduler and two
workers started as separate processes (the ``dask scheduler`` / ``dask worker`` commands), one
worker killed mid-sweep; Ctrl-C and a clean end on a LocalCluster; ``--workers -1`` refused.

Every sweep here runs ``sopev`` in a subprocess, as a user would, with the worktree's code
(``PYTHONPATH``) on the workers too.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
import yaml

from sopev_lib.cli import main as cli_main
from sopev_lib.studies.sensitivity import RUN_COLUMNS
from sopev_lib.studies.sweep import META_COLUMNS, read_records, read_results

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONWARNINGS": "ignore"}

#: 4 points of Plans 1 and 4 on 10 forecast days (a few seconds each).
CONFIG = {
    "name": "distributed_test",
    "base": {"ev.forecast_days": 10},
    "axes": {"ev.seed": [1, 2], "network.v_min_pu": [0.92, 0.93]},
    "options": {"plans": [1, 4]},
}


def _config(tmp_path: Path) -> Path:
    path = tmp_path / "sweep.yaml"
    path.write_text(yaml.safe_dump(CONFIG), encoding="utf-8")
    return path


def _sopev(*args: str, **kw) -> subprocess.Popen:
    """``python -m sopev_lib.cli ARGS`` in its own session with Ctrl-C (SIGINT) enabled."""
    return subprocess.Popen(
        [sys.executable, "-m", "sopev_lib.cli", *args],
        cwd=ROOT,
        env=ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        **kw,
    )


def _wait_for_points(path: Path, n: int, proc: subprocess.Popen, timeout: float = 300) -> list:
    """The records of ``points.jsonl`` once it holds ``n`` (or the sweep ended)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        records = list(read_records(path).values())
        if len(records) >= n or proc.poll() is not None:
            return records
        time.sleep(0.2)
    raise TimeoutError(f"{path}: fewer than {n} points after {timeout} s")


def _comparable(df: pd.DataFrame) -> pd.DataFrame:
    return df.drop(columns=[*META_COLUMNS, *RUN_COLUMNS]).reset_index(drop=True)


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.kill()
        proc.wait(timeout=30)


@pytest.fixture
def scheduler_and_workers(tmp_path: Path) -> Iterator[tuple[str, dict[str, subprocess.Popen]]]:
    """A Dask scheduler and two single-threaded workers (no nanny: killing one kills it)."""
    file = tmp_path / "scheduler.json"
    run = tmp_path / "dask"
    run.mkdir()
    common = {"cwd": run, "env": ENV, "stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "dask", "scheduler", "--host", "127.0.0.1", "--port", "0",
             "--no-dashboard", "--scheduler-file", str(file)],
            **common,
        )
    ]  # fmt: skip
    workers: dict[str, subprocess.Popen] = {}
    try:
        end = time.monotonic() + 60
        while not file.is_file() and time.monotonic() < end:
            time.sleep(0.2)
        address = json.loads(file.read_text())["address"]
        for name in ("w1", "w2"):
            workers[name] = subprocess.Popen(
                [sys.executable, "-m", "dask", "worker", "--scheduler-file", str(file),
                 "--nthreads", "1", "--no-nanny", "--no-dashboard", "--name", name],
                **common,
            )  # fmt: skip
        procs += workers.values()
        from distributed import Client

        with Client(address, timeout="30s") as c:
            c.wait_for_workers(2, timeout=60)
        yield address, workers
    finally:
        for p in procs:
            _stop(p)


def test_scheduler_sweep_survives_a_killed_worker(tmp_path: Path, scheduler_and_workers) -> None:
    address, workers = scheduler_and_workers
    cfg = _config(tmp_path)
    out = tmp_path / "remote"
    start = time.monotonic()
    proc = _sopev("sweep", str(cfg), "--scheduler", address, "--out", str(out), "--no-progress")
    try:
        first = _wait_for_points(out / "points.jsonl", 1, proc)
        assert proc.poll() is None, "the sweep ended before a worker could be killed"
        # kill the worker that did not just finish: it is solving a point right now
        victim = next(n for n in workers if n != first[0]["worker"])
        workers[victim].kill()
        workers[victim].wait(timeout=30)
        _stdout, stderr = proc.communicate(timeout=600)
    finally:
        _stop(proc)
    seconds = time.monotonic() - start
    assert proc.returncode == 0, stderr
    assert "Traceback" not in stderr and "ERROR" not in stderr, stderr
    lines = [json.loads(x) for x in (out / "points.jsonl").read_text().splitlines() if x]
    ids = [r["point_id"] for r in lines]
    assert len(ids) == len(set(ids)) == 4, "every point solved exactly once"
    assert all(r["status"] == "ok" for r in lines), [r["error"] for r in lines]
    remote = read_results(out / "results.csv")

    local_out = tmp_path / "local"
    assert cli_main(["sweep", str(cfg), "--workers", "0", "--out", str(local_out),
                     "--no-progress"]) == 0  # fmt: skip
    local = read_results(local_out / "results.csv")
    pd.testing.assert_frame_equal(
        _comparable(remote), _comparable(local), check_exact=False, rtol=1e-5, atol=1e-6
    )
    print(f"distributed sweep with a killed worker: {seconds:.1f} s")


def test_ctrl_c_on_a_local_cluster_prints_no_worker_traceback(tmp_path: Path) -> None:
    cfg = _config(tmp_path)
    out = tmp_path / "sweep"
    args = ("sweep", str(cfg), "--workers", "2", "--out", str(out), "--no-progress")
    proc = _sopev(*args)
    try:
        _wait_for_points(out / "points.jsonl", 1, proc)
        assert proc.poll() is None, "the sweep ended before it could be interrupted"
        os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C reaches the whole process group
        _, stderr = proc.communicate(timeout=120)
    finally:
        _stop(proc)
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr, stderr
    assert "run the same command again to resume" in stderr
    kept = len(read_records(out / "points.jsonl"))
    assert 1 <= kept < 4

    resumed = _sopev(*args)
    try:
        stdout, stderr = resumed.communicate(timeout=600)
    finally:
        _stop(resumed)
    assert resumed.returncode == 0, stderr
    assert stderr.strip() == "", f"a successful sweep prints nothing on stderr: {stderr}"
    assert f"{4 - kept} solved now, {kept} resumed" in stdout


@pytest.mark.parametrize("workers", ["-1", "-8", "two"])
def test_negative_workers_are_refused_at_once(tmp_path: Path, workers: str, capsys) -> None:
    start = time.monotonic()
    with pytest.raises(SystemExit) as exc:
        cli_main(["sweep", str(_config(tmp_path)), "--workers", workers])
    assert exc.value.code == 2
    assert "--workers" in capsys.readouterr().err
    assert time.monotonic() - start < 5
    from sopev_lib.studies.sweep import run_cli

    with pytest.raises(ValueError, match="workers = -1: expected a whole number >= 0"):
        run_cli([str(_config(tmp_path))], workers=-1)


def test_an_unreachable_scheduler_is_an_environment_failure(tmp_path: Path, capsys) -> None:
    import dask

    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        code = cli_main(
            ["sweep", str(_config(tmp_path)), "--scheduler", "tcp://127.0.0.1:9", "--no-progress"]
        )
    err = capsys.readouterr().err
    assert code == 3, err
    assert "cannot connect to a Dask scheduler" in err and "Traceback" not in err
