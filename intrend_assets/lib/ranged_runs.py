"""Ranged runs: many profile partitions in one run, in bounded slices.

Dagster runs a ranged run (tags ``dagster/asset_partition_range_start``/``_end``) of an asset
with a single-run backfill policy as one step over ``context.partition_keys``; a run per
profile would cost a run's fixed overhead per profile. The sensors, schedules and the
backfill policy all cut ranges with the one limit here.
"""

from collections.abc import Callable, Iterator, Mapping
from typing import Any

import dagster as dg

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


def range_run_requests(
    keys: list[str],
    *,
    run_key_prefix: str | None = None,
    run_config: Callable[[list[str]], Mapping[str, Any]] | None = None,
    tags: Mapping[str, str] | None = None,
) -> Iterator[dg.RunRequest]:
    """RunRequests covering ``keys`` (contiguous in partition order) in bounded slices;
    ``run_config`` builds each slice's run config from its keys (e.g. which of them to fetch)."""
    for start in range(0, len(keys), MAX_PROFILES_PER_RUN):
        chunk = keys[start : start + MAX_PROFILES_PER_RUN]
        yield dg.RunRequest(
            run_key=f"{run_key_prefix}:{chunk[0]}:{chunk[-1]}" if run_key_prefix else None,
            run_config=dict(run_config(chunk)) if run_config else None,
            tags={
                **(tags or {}),
                "dagster/asset_partition_range_start": chunk[0],
                "dagster/asset_partition_range_end": chunk[-1],
            },
        )
