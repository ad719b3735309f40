"""Single-flight IP rotation for many concurrent fetches.

When fifty requests hit the rate limit together, the modem must rotate once, not fifty times,
and nobody may send a request while the modem reconnects. Every request notes the rotation
generation it was sent under; a rate-limited request asks for a rotation *of that
generation*, and if another request already rotated past it, it simply retries.

A modem service within its cooldown answers with its last result again (``coalesced``): when
that result's IP is the one just limited, there is no new IP yet. The gate stays closed and
waits out the cooldown the service reports (or a bounded backoff when it reports none), then
asks again: one rotation, however many answers it took, and no request on the limited IP.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from intrend_assets.fetching.modem_client import ModemUnavailable, Rotation


@dataclass
class GateStats:
    rotations: int = 0
    unchanged: int = 0
    cooldown_waits: int = 0  # coalesced answers with no new IP, waited out
    cooldown_seconds: float = 0.0
    modem_errors: int = 0
    rotation_seconds: float = 0.0
    ips: list[str] = field(default_factory=list)


class RotationGate:
    def __init__(
        self,
        rotate: Callable[[], Awaitable[Rotation]],
        *,
        current_ip: str | None = None,
        max_attempts: int = 5,
        backoff_seconds: float = 1.0,
        max_backoff_seconds: float = 60.0,
        max_cooldown_wait_seconds: float = 900.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self._rotate = rotate
        self.max_attempts = max_attempts
        self.backoff_seconds = backoff_seconds
        self.max_backoff_seconds = max_backoff_seconds
        self.max_cooldown_wait_seconds = max_cooldown_wait_seconds
        self._sleep = sleep
        self._clock = clock or asyncio.get_running_loop().time
        self._lock = asyncio.Lock()
        self._open = asyncio.Event()
        self._open.set()
        self._holders = 0
        self._released = asyncio.Event()
        self._released.set()
        self.generation = 0
        self.fresh: set[int] = set()  # generations that started on an IP new to this run
        self._new_to_run = False
        self.current_ip = current_ip
        self.stats = GateStats(ips=[current_ip] if current_ip else [])

    @property
    def rotating(self) -> bool:
        """True while a rotation runs or waits for a hold to end (requests must not be sent,
        except by the holders)."""
        return not self._open.is_set()

    async def wait_open(self) -> int:
        """Wait until no rotation is running or wanted; return the generation to send under."""
        await self._open.wait()
        return self.generation

    @asynccontextmanager
    async def hold(self) -> AsyncIterator[int]:
        """Keep the current IP while the block runs: rotations wait until it ends.

        A hold starts only while no rotation is wanted, so holds taken one after another
        cannot keep a limited IP for ever: once a rotation is asked for, the holds under way
        finish, it runs, and new holds start on the new IP.
        """
        while not self._open.is_set():  # re-check: another rotation may start before we run
            await self._open.wait()
        self._holders += 1
        self._released.clear()
        try:
            yield self.generation
        finally:
            self._holders -= 1
            if self._holders == 0:
                self._released.set()

    @property
    def held(self) -> bool:
        return self._holders > 0

    def _backoff(self, attempt: int) -> float:
        base = min(self.max_backoff_seconds, self.backoff_seconds * 2**attempt)
        return base * random.uniform(0.5, 1.5)

    async def rotate(self, seen_generation: int) -> bool:
        """Rotate unless someone already did since ``seen_generation``.

        Returns True when the public IP is now a new one. Tries up to ``max_attempts`` times:
        an unchanged IP or an unreachable modem service means back off and try again. A
        modem in its cooldown is waited out (up to ``max_cooldown_wait_seconds`` in all)
        without spending those attempts.
        """
        async with self._lock:
            if self.generation != seen_generation:
                return True
            self._open.clear()  # no new request, no new hold on the limited IP
            while self._holders:  # a session stint is using this IP: let it finish first
                await self._released.wait()
            started = self._clock()
            changed = self._new_to_run = False
            try:
                changed = await self._until_changed()
                return changed
            finally:
                if changed and self._new_to_run:
                    self.fresh.add(self.generation + 1)
                self.stats.rotations += 1
                self.stats.rotation_seconds += self._clock() - started
                # Move on even after a failed rotation: requests will tell whether the
                # old IP is still limited, and their own attempt budget bounds the loop.
                self.generation += 1
                self._open.set()

    async def _until_changed(self) -> bool:
        attempt = waited = 0
        cooldown_waits = 0
        while attempt < self.max_attempts:
            try:
                result = await self._rotate()
            except ModemUnavailable:
                self.stats.modem_errors += 1
                await self._sleep(self._backoff(attempt))
                attempt += 1
                continue
            if result.coalesced and result.new_ip == self.current_ip:
                # No new IP yet: the service is in its cooldown (or sharing a walk that kept
                # the IP). Wait what it says, or back off; the attempts are not spent.
                pause = result.retry_after_seconds or self._backoff(cooldown_waits)
                pause = min(pause, self.max_cooldown_wait_seconds - waited)
                if pause <= 0:
                    return False
                self.stats.cooldown_waits += 1
                self.stats.cooldown_seconds += pause
                cooldown_waits += 1
                waited += pause
                await self._sleep(pause)
                continue
            if result.changed and result.new_ip:
                self._new_to_run = result.new_ip not in self.stats.ips
                self.current_ip = result.new_ip
                self.stats.ips.append(result.new_ip)
                return True
            self.stats.unchanged += 1
            await self._sleep(self._backoff(attempt))
            attempt += 1
        return False
