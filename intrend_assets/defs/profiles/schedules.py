"""The daily refresh of every tracked profile.

Built by :func:`profile_schedules` with the status it starts with (``INTREND_SCHEDULES``),
like the sensors: Dagster fixes a schedule's default status when it is defined.
"""

import dagster as dg

from intrend_assets.defs.profiles.jobs import profiles_job
from intrend_assets.defs.profiles.partitions import profiles_partitions
from intrend_assets.defs.profiles.selection import refreshable
from intrend_assets.defs.profiles.sensors import refresh_requests
from intrend_assets.raw_store.store import RawStore
from intrend_assets.tracking.tracked_file import ProfilesFile


def daily_profile_refresh(
    context: dg.ScheduleEvaluationContext,
    raw_store: dg.ResourceParam[RawStore],
    tracked_profiles: dg.ResourceParam[ProfilesFile],
):
    """Fetch every tracked profile once a day (every partition when there is no tracked
    file), in runs of a bounded number of profiles. Profiles taken out of the file and
    parked profiles (failed for good, see ``new_posts_sensor``) are left out: their ranges
    skip them without a lookup."""
    order = context.instance.get_dynamic_partitions(profiles_partitions.name)
    if not order:
        return dg.SkipReason("no profiles registered yet")
    names = refreshable(order, tracked_profiles.read())
    wanted = {name for name in names if not raw_store.cadence(name).parked}
    if not wanted:
        return dg.SkipReason("no tracked profile to refresh")
    stamp = context.scheduled_execution_time.strftime("%Y-%m-%d")
    return refresh_requests(order, wanted, run_key_prefix=f"daily:{stamp}", kind="daily")


def profile_schedules(status: dg.DefaultScheduleStatus) -> list[dg.ScheduleDefinition]:
    """The profiles area's schedule, starting with ``status`` in a new instance."""
    return [
        dg.schedule(
            name="daily_profile_refresh",
            job=profiles_job,
            cron_schedule="0 3 * * *",
            execution_timezone="UTC",
            default_status=status,
            description="Fetch every tracked profile once a day at 03:00 UTC, in runs of a "
            "bounded number of profiles; untracked and parked profiles are left out.",
        )(daily_profile_refresh)
    ]
