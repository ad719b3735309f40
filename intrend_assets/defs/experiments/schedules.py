"""The weekly experiment: Instagram's limits move."""

import dagster as dg

from intrend_assets.defs.experiments.jobs import rate_limit_experiment_job

weekly_rate_limit_experiment = dg.ScheduleDefinition(
    name="weekly_rate_limit_experiment",
    job=rate_limit_experiment_job,
    cron_schedule="0 4 * * 0",
    execution_timezone="UTC",
    description="Compare the pacing strategies once a week: Instagram's limits move.",
)
