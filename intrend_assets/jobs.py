"""Jobs: the profile fetch (partitioned) and the warehouse rebuild."""

import dagster as dg

profiles_job = dg.define_asset_job(
    "profiles_job",
    selection=["raw_profile", "posts"],
    description="Fetch profiles through the modem and load their posts.",
)

warehouse_job = dg.define_asset_job(
    "warehouse_job",
    selection=["hashtag_counts", "posts_wide", "fetch_log", "ip_log", "fetch_stats", "ip_ranges"],
    description="Rebuild the warehouse-wide tables from the normalized ones.",
)

rate_limit_experiment_job = dg.define_asset_job(
    "rate_limit_experiment_job",
    selection=["rate_limit_experiment"],
    description="Compare pacing strategies against the configured target's rate limit.",
)

# Backfills and scheduled refreshes hand Dagster ranges of profiles, not one run per profile.
MAX_PROFILES_PER_RUN = 500


def range_run_requests(keys: list[str], *, run_key_prefix: str | None = None):
    """RunRequests covering ``keys`` (contiguous in partition order) in bounded slices."""
    for start in range(0, len(keys), MAX_PROFILES_PER_RUN):
        chunk = keys[start : start + MAX_PROFILES_PER_RUN]
        yield dg.RunRequest(
            run_key=f"{run_key_prefix}:{chunk[0]}:{chunk[-1]}" if run_key_prefix else None,
            tags={
                "dagster/asset_partition_range_start": chunk[0],
                "dagster/asset_partition_range_end": chunk[-1],
            },
        )
