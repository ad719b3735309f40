"""The daily refresh of every tracked profile."""

import dagster as dg

from intrend_assets.defs.profiles.jobs import profiles_job
from intrend_assets.defs.profiles.partitions import profiles_partitions
from intrend_assets.lib.ranged_runs import range_run_requests


@dg.schedule(job=profiles_job, cron_schedule="0 3 * * *", execution_timezone="UTC")
def daily_profile_refresh(context: dg.ScheduleEvaluationContext):
    """Fetch every profile once a day, in runs of a bounded number of profiles."""
    keys = context.instance.get_dynamic_partitions(profiles_partitions.name)
    if not keys:
        return dg.SkipReason("no profiles registered yet")
    stamp = context.scheduled_execution_time.strftime("%Y-%m-%d")
    return list(range_run_requests(keys, run_key_prefix=f"daily:{stamp}"))
