"""``GET /ips`` and ``GET /ranges``: the IP log, raw and aggregated to CIDR blocks."""

import asyncio
from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query

from modem_service.deps import Protected, ServicesDep
from modem_service.ranges import aggregate

router = APIRouter(tags=["ip log"], dependencies=Protected)


@router.get("/ips")
async def ips(
    services: ServicesDep,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
    # Bounded: SQLite and PostgreSQL take at most a 64-bit offset, and a larger one is a 500.
    offset: Annotated[int, Query(ge=0, le=2**62)] = 0,
    since: Annotated[datetime | None, Query(description="Only sightings at or after.")] = None,
    until: Annotated[datetime | None, Query(description="Only sightings before.")] = None,
) -> dict[str, Any]:
    """Every public IP the modem had, newest first. Times are UTC (naive filters are UTC)."""
    items, total = await asyncio.to_thread(services.iplog.latest, limit, offset, since, until)
    return {"items": items, "total": total, "limit": limit, "offset": offset}


@router.get("/ranges")
async def ranges(
    services: ServicesDep,
    prefix: Annotated[
        int, Query(ge=1, le=128, description="CIDR prefix length: 24 or 16 usually.")
    ] = 24,
    since: datetime | None = None,
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
