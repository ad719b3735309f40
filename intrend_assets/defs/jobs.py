"""Jobs: the profile fetch (partitioned) and the warehouse rebuild."""

import dagster as dg

# The two halves of a full refresh: the fetch (raw_profile, partitioned by profile, and posts,
# which loads what it stored), then the warehouse-wide assets.
PROFILE_ASSETS = ["raw_profile", "posts"]
WAREHOUSE_ASSETS = [
    "hashtag_counts",
    "posts_wide",
    "trend_report",
    "fetch_log",
    "ip_log",
    "fetch_stats",
    "ip_ranges",
]

profiles_job = dg.define_asset_job(
    "profiles_job",
    selection=PROFILE_ASSETS,
    description="Fetch profiles through the modem and load their posts.",
)

warehouse_job = dg.define_asset_job(
    "warehouse_job",
    selection=WAREHOUSE_ASSETS,
    description="Rebuild the warehouse-wide tables from the normalized ones.",
)

rate_limit_experiment_job = dg.define_asset_job(
    "rate_limit_experiment_job",
    selection=["rate_limit_experiment"],
    description="Compare pacing strategies against the configured target's rate limit.",
)

# Backfills and scheduled refreshes hand Dagster ranges of profiles, not one run per profile.
MAX_PROFILES_PER_RUN = 500


def covering_ranges(
    order: list[str], wanted: set[str], max_gap: int = 25, max_len: int = MAX_PROFILES_PER_RUN
) -> list[list[str]]:
    """Contiguous slices of ``order`` (the partition order) that cover every wanted key.

    A run takes a range of partitions, not a list: wanted keys close together share a range,
    re-fetching at most ``max_gap`` unwanted profiles between them (cheap with fast update)
    rather than paying a run per profile.
    """
    ranges: list[list[str]] = []
    start = last = None
    for index, key in enumerate(order):
        if key not in wanted:
            continue
        if (
            start is not None
            and last is not None
            and (index - last > max_gap + 1 or index - start >= max_len)
        ):
            ranges.append(order[start : last + 1])
            start = None
        if start is None:
            start = index
        last = index
    if start is not None and last is not None:
        ranges.append(order[start : last + 1])
    return ranges


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
