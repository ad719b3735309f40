"""The daily rebuild of the warehouse after the morning refresh."""

import dagster as dg

from intrend_assets.defs.warehouse.jobs import warehouse_job

daily_warehouse_rebuild = dg.ScheduleDefinition(
    name="daily_warehouse_rebuild",
    job=warehouse_job,
    cron_schedule="0 5 * * *",
    execution_timezone="UTC",
    run_config={
        "ops": {
            "hashtag_counts": {"config": {"full_rebuild": True}},
            "posts_wide": {"config": {"full_rebuild": True}},
        }
    },
    description=(
        "Rebuild hashtag counts and posts_wide from scratch after the morning refresh; the "
        "warehouse checks then look at every row."
    ),
)
