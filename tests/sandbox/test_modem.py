"""The sandbox's modem: carrier blocks by weight, IPs that come back, reconnects that keep it."""

from __future__ import annotations

import asyncio
import ipaddress
from collections import Counter
from itertools import pairwise

from sandbox.config import SandboxConfig
from sandbox.world import build_modem


def test_rotations_follow_the_carrier_ranges() -> None:
    modem = build_modem(SandboxConfig(rotation_seconds=0.0, unchanged_probability=0.1, seed=3))

    async def rotate_many(n: int) -> list[str]:
        seen = [modem.egress_ip()]
        for _ in range(n):
            await modem.step("reconnect")
            seen.append(modem.egress_ip())
        return seen

    ips = asyncio.run(rotate_many(400))
    blocks = Counter(str(ipaddress.ip_network(f"{ip}/24", strict=False)) for ip in ips)
    assert set(blocks) == {"209.29.168.0/24", "209.29.99.0/24"}
    assert 0.8 < blocks["209.29.168.0/24"] / len(ips) < 0.97
    unchanged = sum(a == b for a, b in pairwise(ips))
    assert 15 < unchanged < 80  # about 10 % of reconnects keep the IP
    assert len(set(ips)) < len(ips) - unchanged  # some IPs come back later


def test_rotation_time_is_in_sandbox_seconds() -> None:
    modem = build_modem(SandboxConfig(rotation_seconds=120.0, speed=60.0))
    assert modem.rotation_seconds / modem.speed == 2.0  # real seconds slept per reconnect
