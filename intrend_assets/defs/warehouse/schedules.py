"""The daily rebuild of the warehouse after the morning refresh."""

import dagster as dg

from intrend_assets.defs.warehouse.jobs import warehouse_job


def warehouse_schedules(status: dg.DefaultScheduleStatus) -> list[dg.ScheduleDefinition]:
    """The warehouse area's schedules, starting with ``status`` in a new instance."""
    return [
        dg.ScheduleDefinition(
            name="daily_warehouse_rebuild",
            job=warehouse_job,
            cron_schedule="0 5 * * *",
            execution_timezone="UTC",
            run_config={
                "ops": {
                    "hashtag_daily": {"config": {"full_rebuild": True}},
                    "posts_wide": {"config": {"full_rebuild": True}},
                }
            },
            default_status=status,
            description="Rebuild hashtag_daily and posts_wide from scratch after the morning "
            "refresh (the warehouse checks then look at every row), and the reports and "
            "network tables with them.",
        )
    ]
