"""``GET /ips`` and ``GET /ranges``: the IP log, raw and aggregated to CIDR blocks."""

import asyncio
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import AfterValidator

from modem_service.deps import Protected, ServicesDep
from modem_service.ranges import aggregate

router = APIRouter(tags=["ip log"], dependencies=Protected)


def _in_utc(moment: datetime) -> datetime:
    """The moment in UTC (naive is UTC); 422, not 500, when UTC has no such year.

    ``0001-01-01T00:00+14:00`` is a valid ISO 8601 time whose UTC is before year 1, and
    ``9999-12-31T23:59-14:00`` one whose UTC is after 9999: Python cannot represent either.
    """
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise ValueError("the time is outside years 1 to 9999 once converted to UTC") from None


UtcMoment = Annotated[datetime, AfterValidator(_in_utc)]


@router.get("/ips")
async def ips(
    services: ServicesDep,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
    # Bounded: SQLite and PostgreSQL take at most a 64-bit offset, and a larger one is a 500.
    offset: Annotated[int, Query(ge=0, le=2**62)] = 0,
    since: Annotated[UtcMoment | None, Query(description="Only sightings at or after.")] = None,
    until: Annotated[UtcMoment | None, Query(description="Only sightings before.")] = None,
) -> dict[str, Any]:
    """Every public IP the modem had, newest first. Times are UTC (naive filters are UTC).
    Each entry names the route this modem serves (``MODEM_ROUTE_NAME``; null when unset)."""
    items, total = await asyncio.to_thread(services.iplog.latest, limit, offset, since, until)
    route = services.settings.route_name
    items = [{**item, "route": route} for item in items]
    return {"items": items, "total": total, "limit": limit, "offset": offset}


@router.get("/ranges")
async def ranges(
    services: ServicesDep,
    prefix: Annotated[
        int, Query(ge=1, le=128, description="CIDR prefix length: 24 or 16 usually.")
    ] = 24,
    since: Annotated[UtcMoment | None, Query(description="Only sightings at or after.")] = None,
) -> dict[str, Any]:
    """The IP log grouped by /24 or /16 (any prefix) block: IPs, sightings, share of rotations."""
    sightings = await asyncio.to_thread(services.iplog.sightings, since)
    rows = aggregate(sightings, prefix)
    return {
        "prefix": prefix,
        "sightings": len(sightings),
        "items": [
            {
                **asdict(r),
                "first_seen": r.first_seen.isoformat(),
                "last_seen": r.last_seen.isoformat(),
            }
            for r in rows
        ],
    }
