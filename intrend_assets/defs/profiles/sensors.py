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
from intrend_assets.defs.profiles.outcomes import invalid_observation, split_names
from intrend_assets.defs.profiles.partitions import profiles_partitions
from intrend_assets.defs.profiles.selection import (
    REFRESH_TAG,
    only_config,
    parked_and_untracked,
    refreshable,
)
from intrend_assets.lib.ranged_runs import MAX_PROFILES_PER_RUN, covering_ranges, range_run_requests
from intrend_assets.raw_store.store import RawStore
from intrend_assets.tracking.refresh import DEFAULT_INTERVAL, due_profiles
from intrend_assets.tracking.tracked_file import ProfilesFile, TrackedProfiles
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


def refresh_requests(
    order: list[str], due: set[str], *, run_key_prefix: str, kind: str
) -> list[dg.RunRequest]:
    """Runs that fetch exactly ``due``: ranges over the partition order that bridge any gap
    (a skipped partition costs no lookup, only its planned event), at most
    ``MAX_PROFILES_PER_RUN`` partitions each, every run naming its due profiles."""
    requests: list[dg.RunRequest] = []
    for chunk in covering_ranges(order, due, max_gap=MAX_PROFILES_PER_RUN):
        requests += range_run_requests(
            chunk,
            run_key_prefix=run_key_prefix,
            run_config=lambda keys: only_config([k for k in keys if k in due]),
            tags={REFRESH_TAG: kind},
        )
    return requests


def due_profiles_to_fetch(
    context: dg.SensorEvaluationContext,
    raw_store: dg.ResourceParam[RawStore],
    tracked_profiles: dg.ResourceParam[ProfilesFile],
) -> dg.SensorResult | dg.SkipReason:
    """Requests a fetch of every profile that is due, and only those: its refresh interval
    has passed (sooner when it posts often), never fetched, or its failure's backoff is over
    (by reason, growing with failures in a row; a profile that does not exist is parked
    after a few tries and not requested again until re-armed).

    Only profiles in the tracked file are refreshed (every partition when there is no file);
    a parked profile whose line is taken out of the file is re-armed, so putting it back
    tries it again. Due profiles scattered through the partition order share bounded ranged
    runs whose run config names them: lookups per run = its due profiles, and the number of
    runs is at most the partitions spanned / ``MAX_PROFILES_PER_RUN``, never one per profile.

    The cursor holds the due slot already requested per profile, so a slow run never causes
    a second request for the same slot.
    """
    order = context.instance.get_dynamic_partitions(profiles_partitions.name)
    if not order:
        return dg.SkipReason("no profiles registered yet")
    tracked = tracked_profiles.read()
    _rearm_untracked(context, raw_store, order, tracked)
    intervals = tracked.intervals if tracked else {}
    default = tracked.default_interval if tracked else DEFAULT_INTERVAL
    pending: dict[str, str] = json.loads(context.cursor) if context.cursor else {}
    names = refreshable(order, tracked)
    cadences = {name: raw_store.cadence(name) for name in names}
    now = datetime.now(UTC)
    slots = dict(due_profiles(now, names, cadences, intervals, default))
    due = [(name, slot) for name, slot in slots.items() if pending.get(name) != slot]
    due = due[:MAX_DUE_PER_TICK]
    # Keep only requests whose slot is still the current one (not yet fetched since).
    still_pending = {name: slot for name, slot in pending.items() if slots.get(name) == slot}
    if not due:
        return dg.SensorResult(skip_reason="no profile is due", cursor=json.dumps(still_pending))
    requests = refresh_requests(
        order, {name for name, _ in due}, run_key_prefix=f"due:{now:%Y%m%dT%H%M}", kind="due"
    )
    parked = sum(1 for c in cadences.values() if c.parked)
    context.log.info(
        f"{len(due)} profiles due, requested in {len(requests)} runs ({parked} parked)"
    )
    return dg.SensorResult(run_requests=requests, cursor=json.dumps({**still_pending, **dict(due)}))


def _rearm_untracked(
    context: dg.SensorEvaluationContext,
    raw_store: RawStore,
    order: list[str],
    tracked: TrackedProfiles | None,
) -> None:
    """Re-arm parked profiles whose line was taken out of the tracked file."""
    failed = {str(r.get("username")) for r in raw_store.failures()}
    candidates = [n for n in order if n in failed and is_valid_username(n)]
    cadences = {name: raw_store.cadence(name) for name in candidates}
    rearmed = [n for n in parked_and_untracked(order, tracked, cadences) if raw_store.rearm(n)]
    if rearmed:
        context.log.info(
            f"re-armed {len(rearmed)} parked profiles no longer tracked: {rearmed[:20]}"
        )


def _run_partition_keys(run: dg.DagsterRun, order: list[str]) -> list[str]:
    """The profiles a run was to fetch: its partition or range, narrowed to the run
    config's ``only`` when it names some (a refresh run skips the rest of its range)."""
    tags = run.tags
    if "dagster/partition" in tags:
        keys = [tags["dagster/partition"]]
    else:
        start = tags.get("dagster/asset_partition_range_start")
        end = tags.get("dagster/asset_partition_range_end")
        if start not in order or end not in order:
            return []
        keys = order[order.index(start) : order.index(end) + 1]
    ops = (run.run_config or {}).get("ops") or {}
    only = ((ops.get("raw_profile") or {}).get("config") or {}).get("only")
    if only is None:
        return keys
    wanted = set(only)
    return [key for key in keys if key in wanted]


def record_failed_run(
    context: dg.RunFailureSensorContext, raw_store: dg.ResourceParam[RawStore]
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


def invalid_partition_names(context: dg.SensorEvaluationContext) -> dg.SensorResult:
    """Flags, within a minute, a partition added by hand ("Add a partition" in the UI) whose
    name the tracked file would refuse (``Bad Name!``, ``../../etc``) or write otherwise
    (``NASA`` is ``nasa``): an observation on that partition says why, and no run fetches
    it. The cursor holds the names already flagged, so each is flagged once."""
    order = context.instance.get_dynamic_partitions(profiles_partitions.name)
    _, invalid = split_names(order)
    flagged = set(json.loads(context.cursor)) if context.cursor else set()
    new = {key: why for key, why in invalid.items() if key not in flagged}
    for key, why in new.items():
        context.log.warning(f"partition {key!r} is not a profile name: {why}")
    return dg.SensorResult(
        asset_events=[invalid_observation(key, why) for key, why in new.items()],
        cursor=json.dumps(sorted(invalid)),
        skip_reason=None if new else "no new invalid partition names",
    )


def profile_sensors(status: dg.DefaultSensorStatus) -> list[dg.SensorDefinition]:
    """The profiles area's sensors, starting with ``status`` in a new instance."""
    return [
        dg.sensor(
            name="tracked_profiles_sensor",
            job=profiles_job,
            minimum_interval_seconds=60,
            default_status=status,
            description="Registers the names added to the profiles file (INTREND_PROFILES_FILE) "
            "as partitions and fetches them; names taken out are reported, their history kept.",
        )(tracked_profiles),
        dg.sensor(
            name="new_posts_sensor",
            job=profiles_job,
            minimum_interval_seconds=300,
            default_status=status,
            description="Refetches the tracked profiles that are due (each profile's own "
            "cadence, failed ones after a backoff, parked ones never).",
        )(due_profiles_to_fetch),
        dg.run_failure_sensor(
            name="failed_profiles_sensor",
            monitored_jobs=[profiles_job],
            default_status=status,
            description="When a profiles run fails, records its error on the profiles it was "
            "to fetch, so that new_posts_sensor retries them after a backoff.",
        )(record_failed_run),
        dg.sensor(
            name="partition_names_sensor",
            minimum_interval_seconds=30,
            default_status=status,
            description="Flags profile partitions added in the UI whose name the profiles file "
            "would refuse (bad characters, a path, upper case), so they show as invalid at "
            "once; no run looks them up.",
        )(invalid_partition_names),
    ]
