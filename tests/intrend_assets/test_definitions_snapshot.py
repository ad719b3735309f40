"""The code location at spec level, against a checked-in snapshot.

Every asset (partitions, group, kinds, owners, pool, automation condition, deps, backfill and
retry policies), every check, job, schedule and sensor, and the resource keys are written out
as YAML and compared with ``snapshots/definitions.yaml``. A lost job or check, a changed pool
or cron fails with a diff a reviewer can read; an intended change is one regenerated file in
the same commit (regenerating is never the default)::

    INTREND_UPDATE_SNAPSHOT=1 .venv/bin/python -m pytest \
        tests/intrend_assets/test_definitions_snapshot.py

Read through Dagster's public API (``resolve_asset_graph``, ``AssetsDefinition.specs``,
``AssetSelection.resolve``, ``ScheduleDefinition.evaluate_tick``) except where it has none:
a run-status sensor's monitored jobs and run status are only its private attributes.
"""

from __future__ import annotations

import difflib
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
import yaml

from intrend_assets.definitions import build_defs
from intrend_assets.raw_store.store import LocalRawStore
from intrend_assets.settings import ENV_PREFIX, IntrendSettings
from intrend_assets.tracking.tracked_file import ProfilesFile

SNAPSHOT = Path(__file__).parent / "snapshots" / "definitions.yaml"
UPDATE = "INTREND_UPDATE_SNAPSHOT"
ROOT = Path(__file__).parents[2]
# Schedules are evaluated at a fixed time on an instance with two registered profiles, so
# what they request (run config, ranged-run tags, run keys) is part of the snapshot.
TICK_TIME = datetime(2024, 1, 1, 3, tzinfo=UTC)
PROFILES = ["alice", "bob"]


def _keys(keys: Any) -> list[str]:
    return sorted(key.to_user_string() for key in keys)


def _partitions(partitions: dg.PartitionsDefinition | None) -> dict[str, Any] | None:
    if partitions is None:
        return None
    return {"type": type(partitions).__name__, "name": getattr(partitions, "name", None)}


def _asset(assets_def: dg.AssetsDefinition, spec: dg.AssetSpec) -> dict[str, Any]:
    executable = assets_def.is_executable
    backfill = assets_def.backfill_policy
    retry = assets_def.op.retry_policy if executable else None
    condition = spec.automation_condition
    return {
        "executable": executable,
        "code_version": spec.code_version,
        "freshness": _freshness(spec.freshness_policy),
        "partitions": _partitions(spec.partitions_def),
        "group": spec.group_name,
        "kinds": sorted(spec.kinds),
        "owners": sorted(spec.owners),
        "pool": assets_def.op.pool if executable else None,
        "automation_condition": (condition.get_label() or condition.name) if condition else None,
        "deps": _keys(dep.asset_key for dep in spec.deps),
        "backfill_policy": backfill
        and {"type": backfill.policy_type.value, "max_partitions": backfill.max_partitions_per_run},
        "retry_policy": retry
        and {
            "max_retries": retry.max_retries,
            "delay": retry.delay,
            "backoff": retry.backoff and retry.backoff.value,
            "jitter": retry.jitter and retry.jitter.value,
        },
    }


def _freshness(policy: dg.FreshnessPolicy | None) -> dict[str, Any] | None:
    """A time-window policy's windows in seconds (the only kind the project uses)."""
    if policy is None:
        return None
    fields = {"type": type(policy).__name__}
    for name in ("fail_window", "warn_window"):
        window = getattr(policy, name, None)
        fields[name] = window and window.to_timedelta().total_seconds()
    return fields


def _job_selection(job: object, graph: Any) -> list[str] | None:
    """The asset keys an asset job runs (``define_asset_job`` keeps its ``selection``)."""
    selection = getattr(job, "selection", None)
    return _keys(selection.resolve(graph)) if isinstance(selection, dg.AssetSelection) else None


def _schedule(
    schedule: dg.ScheduleDefinition, instance: dg.DagsterInstance, resources: dict[str, Any]
) -> dict[str, Any]:
    with dg.build_schedule_context(
        instance=instance, scheduled_execution_time=TICK_TIME, resources=resources
    ) as context:  # closed, or Dagster's current defs-state storage outlives the instance
        tick = schedule.evaluate_tick(context)
    return {
        "cron": schedule.cron_schedule,
        "timezone": schedule.execution_timezone,
        "job": schedule.job_name,
        "default_status": schedule.default_status.value,
        "skip": tick.skip_message,
        "requests": [
            {"run_key": r.run_key, "run_config": dict(r.run_config), "tags": dict(r.tags)}
            for r in tick.run_requests or []
        ],
    }


def _sensor(sensor: dg.SensorDefinition, graph: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {"type": sensor.sensor_type.value}
    if sensor.has_jobs:
        entry["jobs"] = sorted(job.name for job in sensor.jobs)
    if sensor.asset_selection is not None:
        entry["selection"] = _keys(sensor.asset_selection.resolve(graph))
    if isinstance(sensor, dg.RunStatusSensorDefinition):  # no public accessors for these two
        entry["run_status"] = sensor._run_status.value
        entry["monitored_jobs"] = sorted(job.name for job in sensor._monitored_jobs)
    entry["minimum_interval_seconds"] = sensor.minimum_interval_seconds
    entry["default_status"] = sensor.default_status.value
    return entry


def snapshot(defs: dg.Definitions) -> dict[str, Any]:
    """The definitions as plain, sorted data: what the YAML file holds."""
    graph = defs.resolve_asset_graph()
    assets: dict[str, Any] = {}
    checks: dict[str, Any] = {}
    for assets_def in graph.assets_defs:
        for spec in assets_def.specs:
            assets[spec.key.to_user_string()] = _asset(assets_def, spec)
        for check in assets_def.check_specs:
            checks[f"{check.asset_key.to_user_string()}:{check.name}"] = {
                "asset": check.asset_key.to_user_string(),
                "step": assets_def.op.name,
                "blocking": check.blocking,
                "description": check.description,
            }
    jobs = {
        job.name: {"selection": _job_selection(job, graph), "ops": _ops(job)}
        for job in defs.jobs or []
    }
    with dg.instance_for_test() as instance, tempfile.TemporaryDirectory() as empty:
        instance.add_dynamic_partitions("profiles", PROFILES)
        # An empty raw store and no tracked file: every registered profile is refreshed.
        resources = {
            "raw_store": LocalRawStore(Path(empty) / "raw"),
            "tracked_profiles": ProfilesFile(Path(empty) / "profiles.txt"),
        }
        schedules = {s.name: _schedule(s, instance, resources) for s in defs.schedules or []}
    return {
        "assets": dict(sorted(assets.items())),
        "asset_checks": dict(sorted(checks.items())),
        "jobs": dict(sorted(jobs.items())),
        "schedules": dict(sorted(schedules.items())),
        "sensors": {s.name: _sensor(s, graph) for s in sorted(defs.sensors or [], key=_name)},
        "resources": sorted(defs.resources or {}),
    }


def _ops(job: object) -> dict[str, str | None] | None:
    """The ops of a job of ops and their pools (an asset job's steps are its selection)."""
    if isinstance(job, dg.JobDefinition):
        # By name: job.nodes comes in an order that differs between processes.
        pools = {node.name: getattr(node.definition, "pool", None) for node in job.nodes}
        return dict(sorted(pools.items()))
    return None


def _name(definition: dg.SensorDefinition) -> str:
    return definition.name


def render(data: dict[str, Any]) -> str:
    return yaml.safe_dump(data, sort_keys=False, width=96, allow_unicode=True)


@pytest.fixture
def settings(monkeypatch: pytest.MonkeyPatch) -> IntrendSettings:
    """The shipped defaults, whatever the environment running the tests says."""
    for name in list(os.environ):
        if name.startswith(ENV_PREFIX) and name != UPDATE:
            monkeypatch.delenv(name)
    return IntrendSettings()


def test_definitions_match_the_snapshot(settings: IntrendSettings) -> None:
    text = render(snapshot(build_defs(settings)))
    if os.environ.get(UPDATE) == "1":
        SNAPSHOT.parent.mkdir(exist_ok=True)
        SNAPSHOT.write_text(text, encoding="utf-8")
        pytest.skip(f"{UPDATE}=1: rewrote {SNAPSHOT.name}; review and commit it")
    expected = SNAPSHOT.read_text(encoding="utf-8") if SNAPSHOT.exists() else ""
    if text != expected:
        diff = difflib.unified_diff(
            expected.splitlines(), text.splitlines(), "snapshot", "code location", lineterm=""
        )
        pytest.fail(
            "the definitions differ from the snapshot (if intended, rerun with "
            f"{UPDATE}=1 and commit {SNAPSHOT.relative_to(ROOT)}):\n" + "\n".join(diff),
            pytrace=False,
        )


def test_the_snapshot_sees_a_lost_check_and_a_changed_cron(settings: IntrendSettings) -> None:
    """The comparison can fail: dropping a check or moving a schedule changes the snapshot."""
    defs = build_defs(settings)
    full = snapshot(defs)
    moved = dg.ScheduleDefinition(
        name="daily_profile_refresh", job_name="profiles_job", cron_schedule="0 4 * * *"
    )
    changed = dg.Definitions(
        assets=defs.assets,
        jobs=defs.jobs,
        sensors=defs.sensors,
        schedules=[moved, *(s for s in defs.schedules or [] if s.name != moved.name)],
        resources=defs.resources,
    )
    other = snapshot(changed)
    assert other["asset_checks"] == {}
    assert other["schedules"]["daily_profile_refresh"]["cron"] == "0 4 * * *"
    assert render(other) != render(full)
