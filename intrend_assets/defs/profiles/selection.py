"""Which partitions of a ranged run ``raw_profile`` fetches, and which profiles a refresh
looks at.

A run takes a contiguous range of partitions (Dagster's ranged runs), but a refresh wants
only the profiles that are due, scattered through the partition order. A run per due
profile costs a run's overhead each; one range with everything between them re-fetched
costs profile lookups, which are what Instagram limits. So a refresh run covers a range and
names its due profiles in the run config (:class:`ProfileSelection`): ``raw_profile`` fetches
those and skips the rest of the range, leaving their stored data as it is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import dagster as dg

from intrend_assets.tracking.refresh import Cadence
from intrend_assets.tracking.tracked_file import TrackedProfiles
from intrend_assets.tracking.usernames import is_valid_username

REFRESH_TAG = "intrend/refresh"  # "due" (new_posts_sensor) or "daily" (the schedule)


class ProfileSelection(dg.Config):
    """``only``: the partitions of the run's range to fetch; unset, every one of them (a
    backfill or a run launched by hand)."""

    only: list[str] | None = None


def only_config(names: Sequence[str]) -> Mapping[str, Any]:
    """The run config of a ``profiles_job`` run that fetches ``names`` out of its range."""
    return {"ops": {"raw_profile": {"config": {"only": list(names)}}}}


def refreshable(order: Sequence[str], tracked: TrackedProfiles | None) -> list[str]:
    """The partitions a refresh looks at, in partition order: those still in the tracked
    file, or every partition when there is no tracked file at all (profiles added only in
    the UI). A profile removed from the file keeps its partition and its data; it is simply
    no longer refreshed."""
    names = [n for n in order if is_valid_username(n)]
    if tracked is None:
        return names
    keep = set(tracked.usernames)
    return [n for n in names if n in keep]


def parked_and_untracked(
    order: Sequence[str], tracked: TrackedProfiles | None, cadences: Mapping[str, Cadence]
) -> list[str]:
    """Parked profiles no longer in the tracked file: taking a line out is how a parked
    profile is re-armed (put it back and it is tried again)."""
    if tracked is None:
        return []
    keep = set(tracked.usernames)
    return [n for n in order if n not in keep and n in cadences and cadences[n].parked]
