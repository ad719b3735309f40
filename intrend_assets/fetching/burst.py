"""Telling a short-window burst limit from a used-up IP, and pacing lookups under it.

Instagram refuses a burst of lookups from one IP within seconds long before the IP's budget
is spent; a pause of those seconds clears it. Rotating instead costs the modem's cooldown and
a reconnect, and the next IP hits the same burst rule a few lookups later: a rotation per
handful of profiles. So when a rotation has been costing more than a pause, a rate limit on
an IP that served this strategy before (and fewer lookups than IPs get before they are used
up) first pauses every anonymous request once; if the strategy then answers again on that
IP, the limit was a burst, and lookups are spaced so that as many as got through before go
in a pause's length. If the limit persists after the pause, the IP is used up: rotate.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable


class BurstGuard:
    """Shared by the requests of one fetch run (all on the gate's current IP)."""

    def __init__(self, pause_seconds: float, clock: Callable[[], float] | None = None) -> None:
        self.pause_seconds = pause_seconds
        self._clock = clock or asyncio.get_running_loop().time
        self._lock = asyncio.Lock()
        self._clear = asyncio.Event()
        self._clear.set()
        self.epoch = 0  # pauses ended; a request notes the epoch it was sent under
        self.interval = 0.0  # seconds between two lookup sends, once a burst was seen
        self._next_send = 0.0
        self._ok: dict[tuple[int, str], int] = {}  # (generation, strategy) -> answers
        self._since_pause = 0  # lookups answered since the last pause (or the IP's start)
        self._generation = -1
        self._probing: tuple[int, str, int] | None = None  # (generation, strategy, burst)
        self._paused: set[int] = set()
        self.used_up = 0  # most lookups an IP served before a limit a pause did not clear
        self.pauses = 0
        self.bursts = 0

    async def before_lookup(self, probe: bool = False) -> None:
        """Wait out a pause and its probe (the one lookup sent first after it, which tells
        a burst from a used-up IP without spending more refusals), then keep the learned
        spacing between lookup sends."""
        if not probe:
            await self._clear.wait()
        if self.interval <= 0:
            return
        now = self._clock()
        slot = max(now, self._next_send)
        self._next_send = slot + self.interval
        if slot > now:
            await asyncio.sleep(slot - now)

    def answered(self, generation: int, strategy: str) -> None:
        key = (generation, strategy)
        if generation > self._generation:  # a new IP: its burst count starts afresh
            self._generation, self._since_pause = generation, 0
        self._ok[key] = self._ok.get(key, 0) + 1
        self._since_pause += 1
        if self._probing is not None and self._probing[:2] == key:
            burst = self._probing[2]
            self._probing = None
            self._clear.set()
            self.bursts += 1
            # As many as got through, minus one for safety, per pause length.
            spacing = self.pause_seconds / max(1, burst - 1)
            self.interval = max(spacing, self.interval * 1.5)

    def probe_done(self) -> None:
        """The probe got an answer that says nothing about the limit (an error, a refusal
        of the profile): let the others go on."""
        self._probing = None
        self._clear.set()

    async def limited(
        self, generation: int, strategy: str, epoch: int, rotation_cost: float | None
    ) -> str:
        """A rate limit under ``generation``/``epoch``: ``retry`` on the same IP (a pause ended
        since it was sent), ``probe`` (this call paused: its retry is the probe) or
        ``rotate``."""
        async with self._lock:
            if self.epoch != epoch:
                return "retry"  # a pause ended after this request was sent: try again
            served = self._ok.get((generation, strategy), 0)
            if self._probing is not None and self._probing[0] == generation:
                self._probing = None  # paused, and still limited: the IP is used up
                self._clear.set()  # the caller rotates at once: the gate closes first
                self.used_up = max(self.used_up, sum(self._lookups_on(generation)))
                return "rotate"
            worth_it = rotation_cost is not None and rotation_cost > self.pause_seconds
            if (
                self.pause_seconds <= 0
                or not worth_it
                or served == 0
                or (generation in self._paused and self.interval <= 0)
                or (self.used_up and sum(self._lookups_on(generation)) >= self.used_up / 2)
            ):
                return "rotate"
            self._paused.add(generation)
            self._probing = (generation, strategy, self._since_pause)
            self.pauses += 1
            self._clear.clear()
            try:
                await asyncio.sleep(self.pause_seconds)
            finally:
                self._since_pause = 0
                self.epoch += 1
            return "probe"  # the caller sends the probe; the others wait for its verdict

    def _lookups_on(self, generation: int) -> list[int]:
        return [n for (g, _), n in self._ok.items() if g == generation]
