"""Where every sighting of the public IP goes: the IP log and the IP-uptime metric.

Rotations are always logged (``rotate`` for a new IP, ``rotate-same`` when the carrier kept
it), so ``/ranges`` can count them. An IP seen by a check (``GET /ip`` or the periodic
check) is logged only when it differs from the last one logged, with source ``carrier``:
the service did not cause that change, and one row per check would bury the rotations.
A check that lands while a rotation runs is not logged: the rotation logs its own result.

A sighting the log cannot take (disk full, read-only, database locked) never fails the
rotation that made it: the IP really changed, and the caller must hear so. It waits in a
bounded queue in memory, with the time it was seen, and is written (in order) at the next
sighting, check or ``/health``; meanwhile ``/health`` says ``degraded`` with the reason and
``modem_iplog_unwritten`` counts the waiting rows. Past ``buffer`` rows the oldest are
dropped and counted (``modem_iplog_dropped_total``): memory stays bounded.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime

from modem_service.iplog import IpLog
from modem_service.metrics import ServiceMetrics

CARRIER = "carrier"
BUFFER = 10_000

log = logging.getLogger(__name__)


class IpHistory:
    def __init__(
        self,
        iplog: IpLog,
        metrics: ServiceMetrics,
        *,
        rotating: Callable[[], bool] = lambda: False,
        buffer: int = BUFFER,
    ) -> None:
        self.iplog = iplog
        self.metrics = metrics
        self.rotating = rotating
        self.current: str | None = None
        self._last_logged: str | None = None
        self._unwritten: deque[tuple[str, str, datetime]] = deque()
        self._buffer = buffer
        self.write_error: str | None = None
        self._flushing = asyncio.Lock()

    @property
    def unwritten(self) -> int:
        """Sightings waiting in memory for the log to take them."""
        return len(self._unwritten)

    async def open(self) -> None:
        """Continue from the log a previous run left, so a restart logs no duplicate check."""
        self._last_logged = await asyncio.to_thread(self.iplog.last_ip)

    async def seen(self, ip: str, source: str) -> None:
        """Log ``ip``; a ``carrier`` sighting of the IP last logged writes nothing."""
        if source == CARRIER and ip == self._last_logged:
            self.current = ip
            await self.flush()
            return
        previous, self.current = self.current, ip
        self.metrics.ip_seen(changed=previous is not None and ip != previous)
        if len(self._unwritten) >= self._buffer:
            self._unwritten.popleft()
            self.metrics.iplog_dropped.inc()
        self._unwritten.append((ip, source, datetime.now(UTC)))
        self._last_logged = ip
        await self.flush()

    async def flush(self) -> bool:
        """Write the waiting sightings, oldest first; False (and the reason kept) on failure.

        The first write of a sighting uses the database's clock like every other writer; a
        retried one keeps the time it was seen.
        """
        async with self._flushing:
            while self._unwritten:
                ip, source, moment = self._unwritten[0]
                late = self.write_error is not None or len(self._unwritten) > 1
                try:
                    await asyncio.to_thread(self.iplog.record, ip, source, moment if late else None)
                except Exception as exc:  # the rotation happened: keep it, say why, go on
                    self._failed(exc)
                    return False
                self._unwritten.popleft()
                self.metrics.iplog_unwritten.set(len(self._unwritten))
            if self.write_error is not None:
                log.warning("IP log writable again; waiting sightings written")
            self.write_error = None
            return True

    def _failed(self, exc: Exception) -> None:
        reason = (str(exc).splitlines() or [""])[0][:200]
        if self.write_error is None:
            log.error("IP log write failed, sightings kept in memory: %s", reason)
        self.write_error = f"{type(exc).__name__}: {reason}"
        self.metrics.iplog_write_failures.inc()
        self.metrics.iplog_unwritten.set(len(self._unwritten))

    async def checked(self, ip: str | None) -> None:
        """A check's answer: a change nobody asked for, unless a rotation is under way."""
        if ip is not None and not self.rotating():
            await self.seen(ip, CARRIER)
