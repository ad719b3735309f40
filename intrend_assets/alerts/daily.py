"""The daily health report: stale profiles, closing doors, stuck rotations.

Each finding is one line a person can act on; no finding, no alert. The figures come from
what the pipeline already keeps: the raw store's last fetch and failure record per profile,
the warehouse's ``strategy_health`` (the ``strategy_doors_open`` check's judgement) and
``ip_log`` (the modem's sightings, where ``seen_as = 'kept'`` is a rotation that kept its IP).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import duckdb

from intrend_assets.raw_store.store import RawStore
from warehouse.checks import strategy_doors_open

# A rotation ladder that keeps the IP now and then is the carrier; half of a day's rotations,
# and at least this many, is a modem that no longer gets new addresses.
MIN_STUCK_ROTATIONS = 3
MAX_KEPT_SHARE = 0.5
STALE_SHOWN = 20


@dataclass(frozen=True)
class StaleAfter:
    """How old a profile's last stored fetch may get (``INTREND_STALE_PROFILE_DAYS``)."""

    days: float


@dataclass(frozen=True)
class Finding:
    kind: str  # stale_profiles / closing_doors / stuck_rotations
    line: str


def stale_profiles(
    store: RawStore, names: Iterable[str], now: datetime, max_age: timedelta
) -> list[Finding]:
    """Tracked profiles with no stored fetch for ``max_age`` (or never), parked ones left
    out: a parked profile is stopped on purpose and ``intrend parked`` lists it."""
    stale: list[tuple[str, str]] = []
    for name in names:
        cadence = store.cadence(name)
        if cadence.parked:
            continue
        last = cadence.last_fetched_at
        if last is None or now - last > max_age:
            since = "never fetched" if last is None else f"last fetched {last:%Y-%m-%d %H:%M}Z"
            why = f", failing: {cadence.failure}" if cadence.failing else ""
            stale.append((name, f"{since}{why}"))
    if not stale:
        return []
    days = max_age.total_seconds() / 86400
    shown = "; ".join(f"{n} ({why})" for n, why in stale[:STALE_SHOWN])
    more = f" and {len(stale) - STALE_SHOWN} more" if len(stale) > STALE_SHOWN else ""
    line = f"{len(stale)} profiles not fetched for {days:g} days: {shown}{more}"
    return [Finding("stale_profiles", line)]


def closing_doors(con: duckdb.DuckDBPyConnection) -> list[Finding]:
    """The fetch strategies ``strategy_doors_open`` finds closing, one line each."""
    passed, metadata = strategy_doors_open(con)
    if passed:
        return []
    return [
        Finding("closing_doors", f"strategy {o['strategy']} closing: {', '.join(o['reasons'])}")
        for o in metadata["offending"]
    ]


def stuck_rotations(con: duckdb.DuckDBPyConnection, since: datetime) -> list[Finding]:
    """Rotations since ``since`` that kept the same IP, when they are most of them."""
    rotations, kept = con.execute(
        "SELECT count(*) FILTER (WHERE source LIKE 'rotate%'), "
        "       count(*) FILTER (WHERE seen_as = 'kept') "
        "FROM ip_log WHERE seen_at >= $since",
        {"since": since},
    ).fetchone() or (0, 0)
    if kept < MIN_STUCK_ROTATIONS or kept < MAX_KEPT_SHARE * rotations:
        return []
    line = f"{kept} of {rotations} rotations since {since:%Y-%m-%d %H:%M}Z kept the same IP"
    return [Finding("stuck_rotations", line)]
