"""Schedules: the daily refresh of every tracked profile and the warehouse rebuild."""

import dagster as dg

from intrend_assets.defs.jobs import (
    profiles_job,
    range_run_requests,
    rate_limit_experiment_job,
    warehouse_job,
)
from intrend_assets.defs.profiles.partitions import profiles_partitions


@dg.schedule(job=profiles_job, cron_schedule="0 3 * * *", execution_timezone="UTC")
def daily_profile_refresh(context: dg.ScheduleEvaluationContext):
    """Fetch every profile once a day, in runs of a bounded number of profiles."""
    keys = context.instance.get_dynamic_partitions(profiles_partitions.name)
    if not keys:
        return dg.SkipReason("no profiles registered yet")
    stamp = context.scheduled_execution_time.strftime("%Y-%m-%d")
    return list(range_run_requests(keys, run_key_prefix=f"daily:{stamp}"))


daily_warehouse_rebuild = dg.ScheduleDefinition(
    name="daily_warehouse_rebuild",
    job=warehouse_job,
    cron_schedule="0 5 * * *",
    execution_timezone="UTC",
    run_config={"ops": {"posts_wide": {"config": {"full_rebuild": True}}}},
    description="Rebuild hashtag counts and posts_wide from scratch after the morning refresh.",
)


weekly_rate_limit_experiment = dg.ScheduleDefinition(
    name="weekly_rate_limit_experiment",
    job=rate_limit_experiment_job,
    cron_schedule="0 4 * * 0",
    execution_timezone="UTC",
    description="Compare the pacing strategies once a week: Instagram's limits move.",
)
