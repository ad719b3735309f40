"""Sensors: keep the ``profiles`` partitions in step with the tracked-profiles file."""

import hashlib

import dagster as dg

from intrend_assets.jobs import profiles_job, range_run_requests
from intrend_assets.partitions import profiles_partitions
from intrend_assets.settings import IntrendSettings
from intrend_assets.tracked import read_tracked

# Keep each tick small: a file of 10,000 names is taken in over several ticks.
MAX_NEW_PER_TICK = 500


@dg.sensor(job=profiles_job, minimum_interval_seconds=60)
def tracked_profiles_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult | dg.SkipReason:
    """Adds new usernames from the tracked-profiles file as partitions and fetches them.

    Profiles removed from the file are reported, never deleted: their history stays.
    Invalid lines are reported in the tick's log and skipped.
    """
    path = IntrendSettings().profiles_file
    tracked = read_tracked(path)
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
    digest = hashlib.sha256(",".join(tracked.usernames).encode()).hexdigest()[:16]
    if not new:
        return dg.SensorResult(skip_reason="no new profiles", cursor=digest)
    # New partitions are appended at the end of the partition order, so they form one range.
    return dg.SensorResult(
        run_requests=list(range_run_requests(new, run_key_prefix=f"tracked:{digest}")),
        dynamic_partitions_requests=[profiles_partitions.build_add_request(new)],
        cursor=digest,
    )
