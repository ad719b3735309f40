"""Where every sighting of the public IP goes: the IP log and the IP-uptime metric.

Rotations are always logged (``rotate`` for a new IP, ``rotate-same`` when the carrier kept
it), so ``/ranges`` can count them; ``GET /ip`` checks are logged only when they see an IP
different from the last one logged, which catches changes the service did not cause
(a carrier-side reconnect) without writing a row per check.
"""

from __future__ import annotations

import asyncio

from modem_service.iplog import IpLog
from modem_service.metrics import ServiceMetrics


class IpHistory:
    def __init__(self, iplog: IpLog, metrics: ServiceMetrics) -> None:
        self.iplog = iplog
        self.metrics = metrics
        self.current: str | None = None
        self._last_logged: str | None = None

    async def open(self) -> None:
        """Continue from the log a previous run left, so a restart logs no duplicate check."""
        self._last_logged = await asyncio.to_thread(self.iplog.last_ip)

    async def seen(self, ip: str, source: str) -> None:
        previous, self.current = self.current, ip
        self.metrics.ip_seen(changed=previous is not None and ip != previous)
        if source != "check" or ip != self._last_logged:
            await asyncio.to_thread(self.iplog.record, ip, source)
            self._last_logged = ip

    async def checked(self, ip: str | None) -> None:
        if ip is not None:
            await self.seen(ip, "check")
