"""Fetches stored but not in the warehouse: what the ``fetches_loaded`` check looks at.

A stored fetch leaves the queue in one of three ways: loaded, found unparseable (then it is
in the failures list, which the refresh retries), or set aside because the warehouse refused
its rows. Two states mean the warehouse is missing something nobody is retrying: a fetch
pending for longer than any run takes to load it (loads keep failing, or none runs), and a
fetch set aside at all (it stays out until a person looks and reloads it with
``full_refresh``). Plain code: the check, a test or a shell can ask.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from intrend_assets.raw_store.store import RawStore

# How many keys the metadata lists; the counts are always whole.
LISTED = 50


@dataclass(frozen=True)
class PendingLimit:
    """How long a stored fetch may wait for the load (``INTREND_MAX_PENDING_HOURS``)."""

    hours: float


def unloaded_fetches(
    store: RawStore, limit: PendingLimit, now: datetime | None = None
) -> tuple[bool, dict[str, Any]]:
    """(passed, metadata): passed when no fetch is pending for longer than ``limit`` and
    none is set aside; the metadata names the fetches and why."""
    now = now or datetime.now(UTC)
    cutoff = now - timedelta(hours=limit.hours)
    pending = store.pending()
    stale = [obj for obj in pending if obj.fetched_at < cutoff]
    aside = store.set_aside()
    return not stale and not aside, {
        "pending": len(pending),
        "pending_too_long": len(stale),
        "max_pending_hours": limit.hours,
        "oldest_pending_at": pending[0].fetched_at.isoformat() if pending else None,
        "pending_too_long_keys": [obj.key for obj in stale[:LISTED]],
        "set_aside": len(aside),
        "set_aside_reasons": {str(r.get("key")): str(r.get("why"))[:500] for r in aside[:LISTED]},
    }
