"""Fail the runs whose worker process died on this host, so that their pool slots come free.

A step of the ``instagram`` or ``warehouse`` pool holds its slot in the instance's
concurrency table until the step ends. A run worker killed outright (SIGKILL, the OOM killer,
a reboot) never ends its step: the run stays STARTED and the slot stays claimed, so every
later fetch run waits for a slot that is never given back.

What Dagster frees by itself, with ``run_monitoring`` on (every instance file the project
ships turns it on):

- a run that *ended* while holding slots: the monitoring daemon frees them
  ``free_slots_after_run_end_seconds`` after the end;
- a run whose worker a run launcher can check (``supports_check_run_worker_health``: the K8s
  and Celery-K8s launchers of ``deploy/``): the daemon marks it failed.

Dagster's DefaultRunLauncher (``intrend serve``, ``dagster dev``, one host) has no such check.
Its code server marks a run failed when the worker it spawned dies, but not when the code
server died with it (a reboot, the OOM killer taking both), and a run executed in process
(``intrend demo``, ``dg.materialize``, the benchmarks) has no code server at all: nothing
ever marks those failed. :func:`fail_dead_runs` does, on a SQLite instance only: SQLite
storage lives on one host, so every run worker it knows ran here and its PID (that of the
process that wrote ``RUN_START``) means something here. A PID taken since by another process
is told apart by the process's start time. On PostgreSQL storage shared by several machines
a PID says nothing about the run, and the function does nothing.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import dagster as dg

_LIVE = [dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.CANCELING]
# A process started this long after the run's RUN_START event is another one (the clock
# ticks of /proc round the start time to 10 ms; a second leaves room for a slow event write).
_PID_REUSE_SLACK_SECONDS = 1.0


def _boot_time() -> float:
    for line in Path("/proc/stat").read_text().splitlines():
        if line.startswith("btime "):
            return float(line.split()[1])
    raise OSError("no btime in /proc/stat")


def process_started_at(pid: int) -> float | None:
    """When the live process ``pid`` started (epoch seconds), or None when there is none
    (gone, or a zombie: killed and not yet reaped by its parent)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    # The command name (field 2) is in parentheses and may hold spaces: split after it.
    fields = stat[stat.rindex(")") + 2 :].split()
    if fields[0] in ("Z", "X"):  # zombie or dead: the run worker is gone
        return None
    ticks = int(fields[19])  # field 22 of /proc/PID/stat: start time, clock ticks after boot
    return _boot_time() + ticks / os.sysconf("SC_CLK_TCK")


def worker_alive(pid: int, run_started: float) -> bool:
    """Whether the process that started a run at ``run_started`` is still running: ``pid``
    is a live process that already existed then."""
    started = process_started_at(pid)
    return started is not None and started <= run_started + _PID_REUSE_SLACK_SECONDS


def _run_worker(instance: dg.DagsterInstance, run_id: str) -> tuple[int, float] | None:
    """(PID, time) of the process that started the run: the one that wrote ``RUN_START``."""
    records = instance.get_records_for_run(
        run_id, of_type=dg.DagsterEventType.RUN_START, limit=1
    ).records
    if not records:
        return None
    entry = records[0].event_log_entry
    pid = entry.dagster_event.pid if entry.dagster_event else None
    return (pid, entry.timestamp) if pid is not None else None


def single_host(instance: dg.DagsterInstance) -> bool:
    """Whether every run of ``instance`` ran on this host: its run storage is SQLite."""
    from dagster._core.storage.runs import SqliteRunStorage

    storage = instance.run_storage
    inner = getattr(storage, "_storage", None)  # LegacyRunStorage wraps the configured one
    run_storage = getattr(inner, "run_storage", storage)
    return isinstance(run_storage, SqliteRunStorage)


def fail_dead_runs(
    instance: dg.DagsterInstance,
    alive: Callable[[int, float], bool] = worker_alive,
) -> list[str]:
    """Mark failed every started run of this host whose worker process is gone, and free
    the pool slots its steps held; returns their run ids. Does nothing on storage other
    machines may share (see the module)."""
    if not single_host(instance):
        return []
    failed = []
    for record in instance.get_run_records(dg.RunsFilter(statuses=_LIVE)):
        run = record.dagster_run
        worker = _run_worker(instance, run.run_id)
        if worker is None or alive(*worker):
            continue
        message = (
            f"The run worker (pid {worker[0]}) is gone without ending the run (killed: "
            "SIGKILL, out of memory, reboot); marked failed so that its pool slots are freed."
        )
        instance.report_engine_event(message, run)
        instance.report_run_failed(run, message)
        if instance.event_log_storage.supports_global_concurrency_limits:
            instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        failed.append(run.run_id)
    return failed


DEAD_RUN_INTERVAL_SECONDS = 30  # as often as run monitoring polls (dagster.yaml)


def dead_run_sensor(status: dg.DefaultSensorStatus) -> dg.SensorDefinition:
    """Every 30 s, :func:`fail_dead_runs` in the daemon (which runs on the instance's host
    whenever the instance is SQLite)."""

    @dg.sensor(
        name="dead_run_reaper",
        minimum_interval_seconds=DEAD_RUN_INTERVAL_SECONDS,
        default_status=status,
        description="Fails runs whose worker process died on this host, freeing their pools.",
    )
    def dead_run_reaper(context: dg.SensorEvaluationContext) -> dg.SkipReason:
        failed = fail_dead_runs(context.instance)
        for run_id in failed:
            context.log.warning(f"run {run_id}: its worker is gone; marked failed, slots freed")
        return dg.SkipReason(f"{len(failed)} dead runs failed" if failed else "no dead runs")

    return dead_run_reaper
