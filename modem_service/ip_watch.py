"""The periodic public-IP check: catches the IP changes the carrier makes on its own.

A carrier may reconnect the modem (or move its NAT) without being asked; without a check
nobody would ask for the IP until the next rotation and the log would miss the change. The
check holds the rotation lock while it asks and logs, so a rotation is never taken for a
carrier change, and each check is bounded in time so a hung echo service cannot hold the
lock past one interval.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from modem_service.backends.base import ModemBackend
from modem_service.ip_history import CARRIER, IpHistory
from modem_service.rotation import Rotator

log = logging.getLogger(__name__)


class IpWatch:
    """Every ``interval`` seconds, log the public IP if it is not the one last seen."""

    def __init__(
        self,
        backend: ModemBackend,
        rotator: Rotator,
        history: IpHistory,
        interval: float,
    ) -> None:
        self.backend = backend
        self.rotator = rotator
        self.history = history
        self.interval = interval
        self._task: asyncio.Task[None] | None = None

    async def check_once(self) -> str | None:
        """One check; returns the IP seen (None when offline, on an error or a timeout)."""
        async with self.rotator.quiet():
            try:
                async with asyncio.timeout(self.interval):
                    ip = await self.backend.public_ip()
            except Exception as exc:  # the next check may succeed; the service goes on
                log.warning("periodic IP check failed: %s", exc or type(exc).__name__)
                return None
            if ip is not None and ip != self.history.current:
                log.warning(
                    "public IP changed without a rotation: %s -> %s", self.history.current, ip
                )
            if ip is not None:
                await self.history.seen(ip, CARRIER)
            return ip

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            await self.check_once()

    def start(self) -> None:
        """Start checking (no-op when the interval is 0, the switch that turns it off)."""
        if self.interval > 0 and self._task is None:
            self._task = asyncio.create_task(self._run(), name="modem-ip-watch")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
