"""The daily retention pass, stopped unless ``INTREND_RETENTION_SCHEDULE=running``."""

import dagster as dg

from intrend_assets.defs.retention.jobs import raw_store_retention_job


def retention_schedule(status: dg.DefaultScheduleStatus) -> dg.ScheduleDefinition:
    """Daily at 04:30 UTC: after the profile refresh (03:00), before the rebuild (05:00)."""
    return dg.ScheduleDefinition(
        name="raw_store_retention_schedule",
        job=raw_store_retention_job,
        cron_schedule="30 4 * * *",
        execution_timezone="UTC",
        default_status=status,
        description="Apply the raw store's retention policy once a day (stopped by default).",
    )
