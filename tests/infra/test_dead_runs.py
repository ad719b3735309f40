"""A run killed by SIGKILL gives its ``instagram`` pool slot back within a bounded time.

On the instance the ``intrend`` commands prepare (the project's dagster.yaml: one slot per
pool, run monitoring on), a run worker holding the ``instagram`` slot is killed. Nothing in
Dagster ends an in-process run whose process died, so without the dead-run reaper the next
fetch run waits for ever; with it, the next run gets the slot and finishes.
"""

from __future__ import annotations

import datetime
import logging
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import dagster as dg
import pytest

from intrend_assets.lib.dead_runs import fail_dead_runs, process_started_at, worker_alive
from intrend_assets.lib.instance import instance_yaml, project_dir

ROOT = project_dir(Path(__file__).parent)
CHILD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    import dagster as dg

    marker, hold = Path(sys.argv[1]), float(sys.argv[2])

    @dg.asset(pool="instagram")
    def fetching() -> None:
        marker.write_text("holding the slot")
        time.sleep(hold)

    result = dg.materialize([fetching], instance=dg.DagsterInstance.get())
    sys.exit(0 if result.success else 1)
    """
)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A DAGSTER_HOME with the instance config ``intrend serve`` writes (SQLite, pools)."""
    monkeypatch.delenv("DAGSTER_PG_HOST", raising=False)
    folder = tmp_path / "dagster-home"
    folder.mkdir()
    (folder / "dagster.yaml").write_text(instance_yaml(ROOT))
    monkeypatch.setenv("DAGSTER_HOME", str(folder))  # the storage plugin's config reads it
    return folder


@pytest.fixture
def instance(home: Path) -> Iterator[dg.DagsterInstance]:
    inst = dg.DagsterInstance.local_temp(str(home))
    try:
        yield inst
    finally:
        inst.dispose()


def _run(home: Path, marker: Path, hold: float) -> subprocess.Popen[bytes]:
    env = {**os.environ, "DAGSTER_HOME": str(home), "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, str(marker), str(hold)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _kill(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL: a run waiting for a slot shrugs SIGTERM off."""
    if process.poll() is None:
        os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    if process.stderr:
        process.stderr.close()


def _wait_for(marker: Path, run: subprocess.Popen[bytes]) -> None:
    """Until the run's step holds the slot (it writes ``marker``), at most 90 s."""
    deadline = time.monotonic() + 90
    while not marker.exists() and run.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert marker.exists(), "the run never took the slot"


def _kill_a_run_holding_the_slot(home: Path, tmp_path: Path) -> None:
    marker = tmp_path / "holding"
    victim = _run(home, marker, 120)
    try:
        _wait_for(marker, victim)
    finally:
        _kill(victim)  # reaped: its PID is gone, as after the OOM killer


def test_the_next_fetch_run_gets_the_slot_of_a_killed_run(
    home: Path, instance: dg.DagsterInstance, tmp_path: Path
) -> None:
    _kill_a_run_holding_the_slot(home, tmp_path)
    (dead,) = instance.get_run_records(dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED]))
    claimed = instance.event_log_storage.get_concurrency_info("instagram").claimed_slots
    assert [slot.run_id for slot in claimed] == [dead.dagster_run.run_id]

    assert fail_dead_runs(instance) == [dead.dagster_run.run_id]

    assert instance.get_run_by_id(dead.dagster_run.run_id).status == dg.DagsterRunStatus.FAILURE  # type: ignore[union-attr]
    assert not instance.event_log_storage.get_concurrency_info("instagram").claimed_slots
    started = time.monotonic()
    following = _run(home, tmp_path / "second", 0)
    try:
        following.wait(timeout=60)  # without the reaper it waits for the slot for ever
    except subprocess.TimeoutExpired:
        pytest.fail("the next run still waits for the killed run's slot")
    finally:
        _kill(following)
    assert following.returncode == 0
    assert time.monotonic() - started < 60
    assert fail_dead_runs(instance) == []  # finished runs are left alone


def test_a_run_whose_worker_lives_is_left_alone(
    home: Path, instance: dg.DagsterInstance, tmp_path: Path
) -> None:
    marker = tmp_path / "holding"
    running = _run(home, marker, 120)
    try:
        _wait_for(marker, running)
        assert fail_dead_runs(instance) == []
        runs = instance.get_run_records(dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED]))
        assert len(runs) == 1
        assert instance.event_log_storage.get_concurrency_info("instagram").claimed_slots
    finally:
        _kill(running)


def test_run_monitoring_frees_the_slots_of_a_run_that_ended_holding_them(
    instance: dg.DagsterInstance, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The project's dagster.yaml turns Dagster's own slot freeing on: a run the code server
    marked failed after its worker died (``dagster dev``) gets its slots back."""
    from dagster._daemon.monitoring import concurrency

    assert instance.run_monitoring_enabled
    after = instance.run_monitoring_settings["free_slots_after_run_end_seconds"]
    assert 0 < after <= 60
    run = instance.create_run_for_job(dg.GraphDefinition("g").to_job())
    storage = instance.event_log_storage
    storage.set_concurrency_slots("instagram", 1)
    assert storage.claim_concurrency_slot("instagram", run.run_id, "step").is_claimed
    instance.report_run_failed(run, "worker gone")
    context = SimpleNamespace(instance=instance)
    list(concurrency.execute_concurrency_slots_iteration(context, logging.getLogger()))  # type: ignore[arg-type]
    assert instance.event_log_storage.get_concurrency_info("instagram").claimed_slots  # too soon
    later = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=after + 1)
    monkeypatch.setattr(concurrency, "get_current_datetime", lambda: later)
    list(concurrency.execute_concurrency_slots_iteration(context, logging.getLogger()))  # type: ignore[arg-type]
    assert not instance.event_log_storage.get_concurrency_info("instagram").claimed_slots


def test_a_pid_taken_by_a_later_process_is_not_the_run_worker() -> None:
    me = os.getpid()
    started = process_started_at(me)
    assert started is not None and started <= time.time()
    assert worker_alive(me, time.time())  # started before "the run": it is the worker
    assert not worker_alive(me, started - 60)  # started after the run: a reused PID
    done = subprocess.Popen([sys.executable, "-c", "pass"])
    done.wait()
    assert process_started_at(done.pid) is None
