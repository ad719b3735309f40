"""The weekly experiment: Instagram's limits move."""

import dagster as dg

from intrend_assets.defs.experiments.jobs import rate_limit_experiment_job


def experiment_schedules(status: dg.DefaultScheduleStatus) -> list[dg.ScheduleDefinition]:
    """The experiment's schedule, starting with ``status`` in a new instance."""
    return [
        dg.ScheduleDefinition(
            name="weekly_rate_limit_experiment",
            job=rate_limit_experiment_job,
            cron_schedule="0 4 * * 0",
            execution_timezone="UTC",
            default_status=status,
            description="Compare the pacing strategies once a week (Instagram's limits move); "
            "rotates the modem once per pacing.",
        )
    ]
