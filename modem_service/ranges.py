"""CIDR aggregation of the IP log: which carrier blocks recur. Pure standard library.

The field notes show why /24 matters: 209.29.168.x (common) and 209.29.99.x (rare) share the
same /16, so the difference only shows at /24 or finer.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

# Sources the IP log writes at the end of a rotation (new IP, or the same one kept).
ROTATION_SOURCES = frozenset({"rotate", "rotate-same"})


@dataclass(frozen=True)
class Sighting:
    """One row of the IP log as the aggregation needs it."""

    ip: str
    seen_at: datetime
    source: str = "rotate"


@dataclass(frozen=True)
class RangeRow:
    """One CIDR block with how often the modem landed in it."""

    network: str
    distinct_ips: int
    times_seen: int
    rotations: int
    share_of_rotations: float
    first_seen: datetime
    last_seen: datetime


def block_of(ip: str, prefix: int) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    """The ``/prefix`` block holding ``ip``; IPv6 addresses use the prefix as given.

    An IPv4 prefix above 32 is clamped to 32.
    """
    address = ipaddress.ip_address(ip)
    bits = min(prefix, address.max_prefixlen)
    return ipaddress.ip_network(f"{address}/{bits}", strict=False)


@dataclass
class _Block:
    ips: set[str]
    first: datetime
    last: datetime
    seen: int = 0
    rotations: int = 0


def aggregate(sightings: Iterable[Sighting], prefix: int) -> list[RangeRow]:
    """Group sightings into ``/prefix`` blocks, most rotations first (then most seen).

    ``share_of_rotations`` is the block's rotation sightings divided by all rotation
    sightings (0.0 when there were none). Unparseable IPs are skipped: one bad row must not
    hide the rest.
    """
    if not 0 <= prefix <= 128:
        raise ValueError(f"prefix must be between 0 and 128, not {prefix}")
    blocks: dict[str, _Block] = {}
    total_rotations = 0
    for s in sightings:
        try:
            network = str(block_of(s.ip, prefix))
        except ValueError:
            continue
        block = blocks.setdefault(network, _Block(ips=set(), first=s.seen_at, last=s.seen_at))
        block.ips.add(s.ip)
        block.seen += 1
        block.first = min(block.first, s.seen_at)
        block.last = max(block.last, s.seen_at)
        if s.source in ROTATION_SOURCES:
            block.rotations += 1
            total_rotations += 1
    rows = [
        RangeRow(
            network=network,
            distinct_ips=len(b.ips),
            times_seen=b.seen,
            rotations=b.rotations,
            share_of_rotations=b.rotations / total_rotations if total_rotations else 0.0,
            first_seen=b.first,
            last_seen=b.last,
        )
        for network, b in blocks.items()
    ]
    rows.sort(key=lambda r: (-r.rotations, -r.times_seen, r.network))
    return rows
