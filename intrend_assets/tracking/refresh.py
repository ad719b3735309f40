"""When is a profile due for a refresh? Pure functions over what the last fetch learned.

A profile is due ``interval`` after its last fetch, sooner when it posts often: the interval
is divided by its recent posts per day (never below ``min_interval``), so a profile posting
five times a day is looked at more often than one posting weekly. Profiles never fetched, and
profiles whose last attempt failed, are due at once (failures after a short backoff).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

DEFAULT_INTERVAL = timedelta(days=1)
MIN_INTERVAL = timedelta(hours=1)
FAILURE_BACKOFF = timedelta(hours=1)

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")
_UNIT = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_duration(text: str) -> timedelta:
    """``"6h"``, ``"1d"``, ``"30m"``, ``"2w"`` → timedelta; ValueError naming the text."""
    match = _DURATION.match(str(text))
    if not match:
        raise ValueError(f"bad duration {text!r}: use a number and one of s, m, h, d, w")
    value = timedelta(**{_UNIT[match[2]]: float(match[1])})
    if value <= timedelta(0):
        raise ValueError(f"bad duration {text!r}: must be positive")
    return value


@dataclass(frozen=True)
class Cadence:
    """What the last fetch of a profile taught: when, how often it posts, whether it failed."""

    username: str
    last_fetched_at: datetime | None = None
    posts_per_day: float = 0.0
    failed_at: datetime | None = None


def posts_per_day(taken_at: Sequence[datetime | None]) -> float:
    """Posting rate over the span of the given posts (at least one day)."""
    times = sorted(t for t in taken_at if t is not None)
    if len(times) < 2:
        return 0.0
    days = max(1.0, (times[-1] - times[0]).total_seconds() / 86400)
    return (len(times) - 1) / days


def next_due(
    cadence: Cadence,
    interval: timedelta = DEFAULT_INTERVAL,
    min_interval: timedelta = MIN_INTERVAL,
) -> datetime | None:
    """When the profile is next due; None means "now" (never fetched)."""
    if cadence.failed_at is not None and (
        cadence.last_fetched_at is None or cadence.failed_at > cadence.last_fetched_at
    ):
        return cadence.failed_at + FAILURE_BACKOFF
    if cadence.last_fetched_at is None:
        return None
    adaptive = interval / max(1.0, cadence.posts_per_day)
    return cadence.last_fetched_at + max(min_interval, adaptive)


def due_profiles(
    now: datetime,
    usernames: Iterable[str],
    cadences: Mapping[str, Cadence],
    intervals: Mapping[str, timedelta],
    default_interval: timedelta = DEFAULT_INTERVAL,
) -> list[tuple[str, str]]:
    """``(username, slot)`` of every profile due at ``now``.

    ``slot`` names the due time a request is for: a sensor that remembers the slots it has
    requested never requests the same one twice, however slow the run.
    """
    due = []
    for name in usernames:
        cadence = cadences.get(name, Cadence(name))
        when = next_due(cadence, intervals.get(name, default_interval))
        if when is not None and when > now:
            continue
        due.append((name, when.isoformat() if when is not None else "first"))
    return due
