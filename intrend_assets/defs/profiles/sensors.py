"""Sensors: track the profiles file, refresh profiles when due, remember failed runs.

Built by :func:`profile_sensors` with the status they start with (``INTREND_SENSORS``), which
the settings decide when the code location loads: Dagster fixes a sensor's default status
when it is defined.
"""

import hashlib
import json
from datetime import UTC, datetime

import dagster as dg

from intrend_assets.defs.profiles.jobs import profiles_job
from intrend_assets.defs.profiles.partitions import profiles_partitions
from intrend_assets.lib.ranged_runs import covering_ranges, range_run_requests
from intrend_assets.raw_store.store import LocalRawStore
from intrend_assets.tracking.refresh import DEFAULT_INTERVAL, due_profiles
from intrend_assets.tracking.tracked_file import ProfilesFile
from intrend_assets.tracking.usernames import is_valid_username

# Keep each tick small: a file of 10,000 names is taken in over several ticks.
MAX_NEW_PER_TICK = 500
MAX_DUE_PER_TICK = 1000


def tracked_profiles(
    context: dg.SensorEvaluationContext, tracked_profiles: dg.ResourceParam[ProfilesFile]
) -> dg.SensorResult | dg.SkipReason:
    """Adds new usernames from the tracked-profiles file as partitions and fetches them.

    Profiles removed from the file are reported, never deleted: their history stays.
    Invalid lines are reported in the tick's log and skipped.
    """
    path = tracked_profiles.path
    tracked = tracked_profiles.read()
    if tracked is None:
        return dg.SkipReason(f"no tracked-profiles file at {path}")
    for line, text, reason in tracked.invalid:
        context.log.warning(f"{path}:{line}: skipped {text!r}: {reason}")
    known = set(context.instance.get_dynamic_partitions(profiles_partitions.name))
    new = [name for name in tracked.usernames if name not in known][:MAX_NEW_PER_TICK]
    removed = known - set(tracked.usernames)
    if removed:
        context.log.info(
            f"{len(removed)} profiles are no longer in {path} (kept): {sorted(removed)[:20]}"
        )
    if not new:
        return dg.SensorResult(skip_reason="no new profiles")
    # The run key names the file's contents, so a tick Dagster evaluates again (a daemon
    # restarted mid-tick) does not launch the same run twice: a run key is launched once.
    digest = hashlib.sha256(",".join(tracked.usernames).encode()).hexdigest()[:16]
    # New partitions are appended at the end of the partition order, so they form one range.
    return dg.SensorResult(
        run_requests=list(range_run_requests(new, run_key_prefix=f"tracked:{digest}")),
        dynamic_partitions_requests=[profiles_partitions.build_add_request(new)],
    )


def due_profiles_to_fetch(
    context: dg.SensorEvaluationContext,
    raw_store: dg.ResourceParam[LocalRawStore],
    tracked_profiles: dg.ResourceParam[ProfilesFile],
) -> dg.SensorResult | dg.SkipReason:
    """Requests a fetch of every profile that is due: its refresh interval has passed, sooner
    when it posts often, at once when never fetched, an hour after a failure.

    The cursor holds the due slot already requested per profile, so a slow run never causes
    a second request for the same slot. Due profiles close together in the partition order
    share one run.
    """
    order = context.instance.get_dynamic_partitions(profiles_partitions.name)
    if not order:
        return dg.SkipReason("no profiles registered yet")
    tracked = tracked_profiles.read()
    intervals = tracked.intervals if tracked else {}
    default = tracked.default_interval if tracked else DEFAULT_INTERVAL
    pending: dict[str, str] = json.loads(context.cursor) if context.cursor else {}
    names = [n for n in order if is_valid_username(n)]
    cadences = {name: raw_store.cadence(name) for name in names}
    now = datetime.now(UTC)
    slots = dict(due_profiles(now, names, cadences, intervals, default))
    due = [(name, slot) for name, slot in slots.items() if pending.get(name) != slot]
    due = due[:MAX_DUE_PER_TICK]
    # Keep only requests whose slot is still the current one (not yet fetched since).
    still_pending = {name: slot for name, slot in pending.items() if slots.get(name) == slot}
    if not due:
        return dg.SensorResult(skip_reason="no profile is due", cursor=json.dumps(still_pending))
    ranges = covering_ranges(order, {name for name, _ in due})
    requests = [
        request
        for chunk in ranges
        for request in range_run_requests(chunk, run_key_prefix=f"due:{now:%Y%m%dT%H%M}")
    ]
    context.log.info(f"{len(due)} profiles due, requested in {len(requests)} runs")
    return dg.SensorResult(run_requests=requests, cursor=json.dumps({**still_pending, **dict(due)}))


def _run_partition_keys(run: dg.DagsterRun, order: list[str]) -> list[str]:
    tags = run.tags
    if "dagster/partition" in tags:
        return [tags["dagster/partition"]]
    start = tags.get("dagster/asset_partition_range_start")
    end = tags.get("dagster/asset_partition_range_end")
    if start in order and end in order:
        return order[order.index(start) : order.index(end) + 1]
    return []


def record_failed_run(
    context: dg.RunFailureSensorContext, raw_store: dg.ResourceParam[LocalRawStore]
) -> None:
    """Records the profiles of a failed run (not stored since it started) as failed, with the
    run's error, so the refresh sensor retries them and nobody has to notice by hand."""
    order = context.instance.get_dynamic_partitions(profiles_partitions.name)
    keys = _run_partition_keys(context.dagster_run, order)
    stats = context.instance.get_run_stats(context.dagster_run.run_id)
    started = datetime.fromtimestamp(stats.start_time or 0, tz=UTC)
    reason = (context.failure_event.message or "run failed")[:500]
    recorded = 0
    for name in keys:
        if not is_valid_username(name):
            continue
        latest = raw_store.latest(name)
        if latest is None or latest.fetched_at < started:
            raw_store.record_failure(name, "run_failed", reason, 0)
            recorded += 1
    context.log.info(f"recorded {recorded} of {len(keys)} profiles of the failed run")


def profile_sensors(status: dg.DefaultSensorStatus) -> list[dg.SensorDefinition]:
    """The profiles area's sensors, starting with ``status`` in a new instance."""
    return [
        dg.sensor(
            name="tracked_profiles_sensor",
            job=profiles_job,
            minimum_interval_seconds=60,
            default_status=status,
        )(tracked_profiles),
        dg.sensor(
            name="new_posts_sensor",
            job=profiles_job,
            minimum_interval_seconds=300,
            default_status=status,
        )(due_profiles_to_fetch),
        dg.run_failure_sensor(
            name="failed_profiles_sensor",
            monitored_jobs=[profiles_job],
            default_status=status,
        )(record_failed_run),
    ]
