"""The current public IP, checked through the modem and cached briefly.

Under load hundreds of ``GET /ip`` arrive together; a lock makes one of them ask the echo
services while the others wait for and share its answer, so the echo services (and the
modem's uplink) see one request per cache period, not one per caller.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from modem_service.backends.base import ModemBackend


class CurrentIp:
    def __init__(
        self,
        backend: ModemBackend,
        cache_seconds: float,
        *,
        on_check: Callable[[str | None], Awaitable[None]] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.backend = backend
        self.cache_seconds = cache_seconds
        self._on_check = on_check
        self._clock = clock
        self._lock = asyncio.Lock()
        self._ip: str | None = None
        self._checked_at = float("-inf")

    def _fresh(self) -> bool:
        return self._ip is not None and self._clock() - self._checked_at <= self.cache_seconds

    def invalidate(self) -> None:
        self._checked_at = float("-inf")

    async def get(self) -> str | None:
        """The public IP, from cache when fresh; None when the modem is offline.

        Errors of the check (echo services disagreeing) propagate to the caller.
        """
        if self._fresh():
            return self._ip
        async with self._lock:
            if self._fresh():
                return self._ip
            ip = await self.backend.public_ip()
            self._ip, self._checked_at = ip, self._clock()
            if self._on_check is not None:
                await self._on_check(ip)
            return ip
