"""Where every sighting of the public IP goes: the IP log and the IP-uptime metric.

Rotations are always logged (``rotate`` for a new IP, ``rotate-same`` when the carrier kept
it), so ``/ranges`` can count them. An IP seen by a check (``GET /ip`` or the periodic
check) is logged only when it differs from the last one logged, with source ``carrier``:
the service did not cause that change, and one row per check would bury the rotations.
A check that lands while a rotation runs is not logged: the rotation logs its own result.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from modem_service.iplog import IpLog
from modem_service.metrics import ServiceMetrics

CARRIER = "carrier"


class IpHistory:
    def __init__(
        self,
        iplog: IpLog,
        metrics: ServiceMetrics,
        *,
        rotating: Callable[[], bool] = lambda: False,
    ) -> None:
        self.iplog = iplog
        self.metrics = metrics
        self.rotating = rotating
        self.current: str | None = None
        self._last_logged: str | None = None

    async def open(self) -> None:
        """Continue from the log a previous run left, so a restart logs no duplicate check."""
        self._last_logged = await asyncio.to_thread(self.iplog.last_ip)

    async def seen(self, ip: str, source: str) -> None:
        """Log ``ip``; a ``carrier`` sighting of the IP last logged writes nothing."""
        if source == CARRIER and ip == self._last_logged:
            self.current = ip
            return
        previous, self.current = self.current, ip
        self.metrics.ip_seen(changed=previous is not None and ip != previous)
        await asyncio.to_thread(self.iplog.record, ip, source)
        self._last_logged = ip

    async def checked(self, ip: str | None) -> None:
        """A check's answer: a change nobody asked for, unless a rotation is under way."""
        if ip is not None and not self.rotating():
            await self.seen(ip, CARRIER)
