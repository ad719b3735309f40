"""Rows 12 and 16: a run killed by SIGKILL, inside the posts load's transaction, and while
``raw_profile`` holds the ``instagram`` pool slot."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import Any

from benchmarks.faults.children import _child, _stage_child, pools_home
from benchmarks.faults.common import Result, _instance, audit_and_rerun

KILL_MARKER = "posts-loading"
SLOT_BACK_SECONDS = 180.0  # the next fetch run must be done within this after the kill


def run_kill_fault(
    result: Result, world: Any, given: list[str], base: Path, started: float
) -> Result:
    data_dir = base / "data"
    home = base / "dagster-home"
    home.mkdir()
    marker = base / KILL_MARKER
    spec = {
        "data_dir": str(data_dir),
        "urls": world.addresses(),
        "token": world.modem_token,
        "names": given,
        "hold_in_load": str(marker),
    }
    victim = _child(spec, base, home)
    deadline = time.monotonic() + 300
    while not marker.exists() and victim.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    if marker.exists() and victim.poll() is None:
        os.kill(victim.pid, signal.SIGKILL)
        result.note = "killed inside the posts load transaction"
    else:
        result.note = "MISSED: the run ended before the kill"
        result.runs_ok = False
    victim.wait(timeout=60)
    if victim.stderr:
        victim.stderr.close()
    spec["hold_in_load"] = None
    # The rerun that repairs, in a fresh process as after a crash.
    world.reset_faults()
    child = _child(spec, base, home)
    _, err = child.communicate(timeout=600)
    if child.returncode != 0:
        result.runs_ok = False
        result.note += f"; rerun failed: {err.decode()[-300:]}"
    result.seconds = time.monotonic() - started
    result.peak_connections = world.peak_proxy_connections
    return audit_and_rerun(result, world, given, data_dir, home)


def _kill_while_fetching(world: Any, spec: dict[str, Any], base: Path, home: Path) -> str:
    """Start the fetch run; SIGKILL it once the sandbox has answered a quarter of it."""
    victim = _child(spec, base, home)
    seen = world.stats()["total"]["total"]
    deadline = time.monotonic() + 300
    while victim.poll() is None and time.monotonic() < deadline:
        if world.stats()["total"]["total"] >= seen + max(3, len(spec["names"]) // 4):
            break
        time.sleep(0.02)
    killed = victim.poll() is None
    if killed:
        os.kill(victim.pid, signal.SIGKILL)
    victim.wait(timeout=60)
    if victim.stderr:
        victim.stderr.close()
    return "killed while fetching" if killed else "MISSED: the run ended before the kill"


def _reap_dead_runs(home: Path) -> tuple[bool, int]:
    """One tick of the reaper sensor, in this process: (was the slot held, runs failed)."""
    import dagster as dg

    from intrend_assets.lib.dead_runs import dead_run_sensor

    instance = _instance(home)
    try:
        held = bool(instance.event_log_storage.get_concurrency_info("instagram").claimed_slots)
        sensor = dead_run_sensor(dg.DefaultSensorStatus.RUNNING)
        sensor(dg.build_sensor_context(instance=instance))
        failed = instance.get_run_records(dg.RunsFilter(statuses=[dg.DagsterRunStatus.FAILURE]))
        return held, len(failed)
    finally:
        instance.dispose()


def run_dead_slot(result: Result, world: Any, spec: dict[str, Any], base: Path) -> None:
    """Row 16: the killed run's slot comes back and the next fetch run finishes, in time."""
    home = pools_home(base)
    result.note = _kill_while_fetching(world, spec, base, home)
    killed_at = time.monotonic()
    held, failed = _reap_dead_runs(home)
    code, _, err = _stage_child(spec, base, home, timeout=SLOT_BACK_SECONDS)
    took = time.monotonic() - killed_at
    result.note += (
        f"; slot still held after the kill: {'yes' if held else 'no'}, runs the reaper "
        f"failed: {failed}, next run done {took:.0f} s after the kill"
    )
    if code != 0 or not held or failed != 1:
        result.runs_ok = False
        result.note += f" (rc {code}: {err})" if code else ""
