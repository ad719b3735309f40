"""The warehouse rebuild: every warehouse-wide table from the normalized ones."""

import dagster as dg

WAREHOUSE_ASSETS = [
    "hashtag_daily",
    "posts_wide",
    "trend_report",
    "fetch_log",
    "ip_log",
    "fetch_stats",
    "ip_ranges",
]

warehouse_job = dg.define_asset_job(
    "warehouse_job",
    selection=WAREHOUSE_ASSETS,
    description="Rebuild the warehouse-wide tables from the normalized ones.",
)
