"""CIDR aggregation of the IP log: which carrier blocks recur. Pure standard library.

The field notes show why /24 matters: 209.29.168.x (common) and 209.29.99.x (rare) share the
same /16, so the difference only shows at /24 or finer.

An IP logged twice in a row is not a return: a rotation that kept the IP (``rotate-same``)
or a service start that found the IP it stopped with says nothing about how the carrier
hands addresses out. Only an IP that comes back after the modem held other IPs counts as
"returned", which is what the question "how often does an IP come back" asks.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

# Sources the IP log writes at the end of a rotation (new IP, or the same one kept).
ROTATION_SOURCES = frozenset({"rotate", "rotate-same"})
# Changes the service did not cause; ``check`` is what logs before the poller said.
CARRIER_SOURCES = frozenset({"carrier", "check"})

# How a sighting relates to the ones before it (``seen_as``).
FIRST = "first"  # never seen before
KEPT = "kept"  # the same IP, kept through a rotation
RESTART = "restart"  # the same IP, found again when the service started
RETURNED = "returned"  # seen before, and other IPs came in between
REPEAT = "repeat"  # the same IP logged again for another reason


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
    kept_through_rotation: int = 0
    seen_after_restart: int = 0
    returns: int = 0
    returning_ips: int = 0
    carrier_changes: int = 0


def block_of(ip: str, prefix: int) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    """The ``/prefix`` block holding ``ip``; IPv6 addresses use the prefix as given.

    An IPv4 prefix above 32 is clamped to 32.
    """
    address = ipaddress.ip_address(ip)
    bits = min(prefix, address.max_prefixlen)
    return ipaddress.ip_network(f"{address}/{bits}", strict=False)


def classify(sightings: Iterable[Sighting]) -> list[str]:
    """``seen_as`` of each sighting, in the order given (oldest first)."""
    labels: list[str] = []
    seen: set[str] = set()
    previous: str | None = None
    for s in sightings:
        if s.ip not in seen:
            label = FIRST
        elif s.ip != previous:
            label = RETURNED
        elif s.source == "rotate-same":
            label = KEPT
        elif s.source == "start":
            label = RESTART
        else:
            label = REPEAT
        labels.append(label)
        seen.add(s.ip)
        previous = s.ip
    return labels


@dataclass
class _Block:
    ips: set[str]
    first: datetime
    last: datetime
    seen: int = 0
    rotations: int = 0
    kept: int = 0
    restarts: int = 0
    returns: int = 0
    returned_ips: set[str] = field(default_factory=set)
    carrier: int = 0

    def add(self, s: Sighting, seen_as: str) -> None:
        self.ips.add(s.ip)
        self.seen += 1
        self.first = min(self.first, s.seen_at)
        self.last = max(self.last, s.seen_at)
        self.rotations += s.source in ROTATION_SOURCES
        self.carrier += s.source in CARRIER_SOURCES
        self.kept += seen_as == KEPT
        self.restarts += seen_as == RESTART
        if seen_as == RETURNED:
            self.returns += 1
            self.returned_ips.add(s.ip)


def aggregate(sightings: Iterable[Sighting], prefix: int) -> list[RangeRow]:
    """Group sightings into ``/prefix`` blocks, most rotations first (then most seen).

    ``share_of_rotations`` is the block's rotation sightings divided by all rotation
    sightings (0.0 when there were none). ``returns`` counts sightings :func:`classify`
    calls returned, ``returning_ips`` the addresses with at least one; an IP kept through a
    rotation or found again at a restart is counted apart. Sightings are taken in time
    order (ties keep their order). Unparseable IPs are skipped: one bad row must not hide
    the rest.
    """
    if not 0 <= prefix <= 128:
        raise ValueError(f"prefix must be between 0 and 128, not {prefix}")
    ordered = sorted(sightings, key=lambda s: s.seen_at)
    blocks: dict[str, _Block] = {}
    for s, seen_as in zip(ordered, classify(ordered), strict=True):
        try:
            network = str(block_of(s.ip, prefix))
        except ValueError:
            continue
        block = blocks.setdefault(network, _Block(ips=set(), first=s.seen_at, last=s.seen_at))
        block.add(s, seen_as)
    total_rotations = sum(b.rotations for b in blocks.values())
    rows = [
        RangeRow(
            network=network,
            distinct_ips=len(b.ips),
            times_seen=b.seen,
            rotations=b.rotations,
            share_of_rotations=b.rotations / total_rotations if total_rotations else 0.0,
            first_seen=b.first,
            last_seen=b.last,
            kept_through_rotation=b.kept,
            seen_after_restart=b.restarts,
            returns=b.returns,
            returning_ips=len(b.returned_ips),
            carrier_changes=b.carrier,
        )
        for network, b in blocks.items()
    ]
    rows.sort(key=lambda r: (-r.rotations, -r.times_seen, r.network))
    return rows
