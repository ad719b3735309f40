"""When is a profile due for a refresh? Pure functions over what the last fetch learned.

A profile is due ``interval`` after its last fetch, sooner when it posts often: the interval
is divided by its recent posts per day (never below ``min_interval``), so a profile posting
five times a day is looked at more often than one posting weekly. Profiles never fetched are
due at once.

A profile whose last attempt failed is due again after a backoff that depends on why it
failed and on how many times in a row it failed for that kind of reason (:data:`BACKOFF`):
a lookup is what Instagram limits, so a profile that keeps failing is asked less and less
often, and one that does not exist is asked a few times and then *parked* (never due again)
until someone re-arms it (:meth:`RawStore.rearm`, or removing its line from the tracked
file).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

DEFAULT_INTERVAL = timedelta(days=1)
MIN_INTERVAL = timedelta(hours=1)
# "Never due": what a parked profile's next due time is, so it compares later than any now.
PARKED = datetime.max.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Backoff:
    """How long to wait after the ``n``-th failure in a row: ``first``, doubling, at most
    ``cap``; after ``park_after`` failures in a row the profile is parked (None: never)."""

    kind: str
    first: timedelta
    cap: timedelta
    park_after: int | None = None

    def delay(self, consecutive: int) -> timedelta | None:
        """The wait after ``consecutive`` failures in a row (1 = the first); None = parked."""
        n = max(1, consecutive)
        if self.park_after is not None and n >= self.park_after:
            return None
        return min(self.cap, self.first * 2 ** min(n - 1, 30))


# Transient causes (the IP, the modem, a run that died) clear by themselves: retry soon,
# back off to a day. A profile that does not exist, or whose answer cannot be read, will not
# change by asking hourly: a try a day, parked after the third. A login wall or a refusal
# of every strategy can lift (Instagram changes walls; a session may be configured): back
# off to a week, never parked.
TRANSIENT = Backoff("transient", timedelta(hours=1), timedelta(days=1))
GONE = Backoff("gone", timedelta(days=1), timedelta(days=1), park_after=3)
CLOSED = Backoff("closed", timedelta(hours=6), timedelta(days=7))
BACKOFF: dict[str, Backoff] = {
    "gave_up": TRANSIENT,
    "run_failed": TRANSIENT,
    "incomplete": TRANSIENT,
    "not_found": GONE,
    "invalid": GONE,
    "login_wall": CLOSED,
    "refused": CLOSED,
}


def backoff_for(outcome: str | None) -> Backoff:
    """The backoff of a failure reason; a reason this table does not know is transient."""
    return BACKOFF.get(outcome or "", TRANSIENT)


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
    """What the last fetch of a profile taught: when, how often it posts, whether it failed
    (``failure`` the reason of the last failure, ``consecutive`` how many in a row of that
    kind of reason)."""

    username: str
    last_fetched_at: datetime | None = None
    posts_per_day: float = 0.0
    failed_at: datetime | None = None
    failure: str | None = None
    consecutive: int = 1

    @property
    def failing(self) -> bool:
        """The last attempt failed (no fetch stored since)."""
        return self.failed_at is not None and (
            self.last_fetched_at is None or self.failed_at > self.last_fetched_at
        )

    @property
    def parked(self) -> bool:
        """Failed too often for a reason that does not go away: never due until re-armed."""
        return self.failing and backoff_for(self.failure).delay(self.consecutive) is None


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
    """When the profile is next due; None means "now" (never fetched), :data:`PARKED` never."""
    if cadence.failing and cadence.failed_at is not None:
        delay = backoff_for(cadence.failure).delay(cadence.consecutive)
        return PARKED if delay is None else cadence.failed_at + delay
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
