"""Telling a short-window burst limit from a used-up IP, and pacing lookups under it.

Instagram refuses a burst of lookups from one IP within seconds long before the IP's budget
is spent; a pause of those seconds clears it. Rotating instead spends an IP that still has
budget (and, in the field, costs the modem's cooldown and upsets the carrier), and the next
IP hits the same burst rule a few lookups later: a rotation per handful of profiles.

So once rotations have cost the run a pause's length in all, or two IPs in a row were limited
after eight lookups or fewer (an IP's budget is far larger), a rate limit on an IP that
served this strategy before, and that has served fewer lookups than IPs get before they are
used up, first pauses every anonymous request once. If the strategy then answers again on
that IP (the probe), the limit was a burst: lookups are spaced so that as many as got through
within a pause's length before go in one, and from then on a limit on an IP with budget left
is paced for, not rotated away. If the limit persists after the pause, the IP is used up: rotate.

The spacing is additive-increase/multiplicative-decrease in rate terms: another burst while
paced widens it ×1.5 (never beyond one lookup per pause), and each quiet stretch relaxes it
back towards the last measured ``pause / (burst - 1)``, so one unlucky burst (a stall, a
retry wave) does not slow the rest of the run.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable

WIDEN = 1.5  # spacing factor on a burst seen while already paced
RELAX = 0.5  # share of the excess over the measured spacing kept after a quiet stretch
HAS_BUDGET = 0.8  # an IP below this share of the used-up count still has budget to pace for
# An IP limited after this few lookups was hardly used: budgets are far larger (hundreds an
# hour on Instagram), so two such IPs in a row point at a burst rule, whatever rotations cost.
SHORT_IP = 8


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
        self.measured = 0.0  # the spacing the last burst measured: where quiet relaxes to
        self._next_send = 0.0
        self._ok: dict[tuple[int, str], int] = {}  # (generation, strategy) -> answers
        self._recent: deque[float] = deque()  # answer times on this IP since the last pause
        self._quiet = 0  # lookups answered since the spacing last changed
        self._generation = -1
        self._probing: tuple[int, str, int] | None = None  # (generation, strategy, burst)
        self._paused: set[int] = set()
        self._short: set[int] = set()  # generations limited after SHORT_IP lookups or fewer
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
            self._generation = generation
            self._recent.clear()
        if self._probing is not None and generation > self._probing[0]:
            self.probe_done()  # the paused IP is gone: its probe has nothing left to tell
        self._ok[key] = self._ok.get(key, 0) + 1
        self._recent.append(self._clock())
        if self._probing is not None and self._probing[:2] == key:
            burst = self._probing[2]
            self._probing = None
            self._clear.set()
            self.bursts += 1
            self._learn(burst)
        elif self.interval > 0:
            self._relax()

    def _learn(self, burst: int) -> None:
        """A burst of ``burst`` lookups within a pause's length was refused: space them."""
        # As many as got through, minus one for safety, per pause length.
        self.measured = self.pause_seconds / max(1, burst - 1)
        widened = self.interval * WIDEN if self.interval > 0 else 0.0
        self.interval = min(self.pause_seconds, max(self.measured, widened))
        self._quiet = 0

    def _relax(self) -> None:
        """After a quiet stretch (twice the lookups a burst let through), move the spacing
        half-way back to the measured one."""
        self._quiet += 1
        stretch = 2 * max(1.0, self.pause_seconds / self.measured + 1)
        if self._quiet >= stretch and self.interval > self.measured:
            self.interval = self.measured + (self.interval - self.measured) * RELAX
            self._quiet = 0

    def _burst_size(self, now: float) -> int:
        """Lookups answered on this IP within the last pause's length: the burst refused."""
        while self._recent and self._recent[0] < now - self.pause_seconds:
            self._recent.popleft()
        return len(self._recent)

    def probe_done(self) -> None:
        """The probe got an answer that says nothing about the limit (an error, a refusal
        of the profile): let the others go on."""
        self._probing = None
        self._clear.set()

    def _worth_pausing(self, generation: int, served: int, rotation_cost: float | None) -> bool:
        """Whether a limit on ``generation`` is worth a pause rather than a rotation."""
        if self.pause_seconds <= 0 or served == 0:
            return False  # nothing to pause for, or the strategy never got through here
        if generation != self._generation:
            return False  # sent before the IP changed: the gate's rotation is a no-op retry
        lookups = sum(self._lookups_on(generation))
        if self.used_up and lookups >= HAS_BUDGET * self.used_up:
            return False  # the IP is (nearly) spent: a pause would only delay the rotation
        if generation in self._paused and self.interval <= 0:
            return False  # a pause here showed no burst: this IP is used up
        if self.interval > 0:
            return True  # a burst rule is known: pace while the IP has budget
        if lookups <= SHORT_IP:
            self._short.add(generation)
            if generation - 1 in self._short:
                return True  # the IP before was limited as early: likely a burst rule
        return rotation_cost is not None and rotation_cost > self.pause_seconds

    async def limited(
        self, generation: int, strategy: str, epoch: int, rotation_cost: float | None
    ) -> str:
        """A rate limit under ``generation``/``epoch``: ``retry`` on the same IP (a pause ended
        since it was sent), ``probe`` (this call paused: its retry is the probe) or
        ``rotate``. ``rotation_cost`` is what rotations have cost this run so far (seconds
        in all; None before the first)."""
        async with self._lock:
            if self._probing is not None and generation > self._probing[0]:
                self.probe_done()  # the paused IP is gone: its probe has nothing left to tell
            if self.epoch != epoch:
                return "retry"  # a pause ended after this request was sent: try again
            served = self._ok.get((generation, strategy), 0)
            if self._probing is not None and self._probing[0] == generation:
                self._probing = None  # paused, and still limited: the IP is used up
                self._clear.set()  # the caller rotates at once: the gate closes first
                self.used_up = max(self.used_up, sum(self._lookups_on(generation)))
                return "rotate"
            if not self._worth_pausing(generation, served, rotation_cost):
                return "rotate"
            self._paused.add(generation)
            self._probing = (generation, strategy, max(1, self._burst_size(self._clock())))
            self.pauses += 1
            self._clear.clear()
            try:
                await asyncio.sleep(self.pause_seconds)
            finally:
                self._recent.clear()
                self.epoch += 1
            return "probe"  # the caller sends the probe; the others wait for its verdict

    def _lookups_on(self, generation: int) -> list[int]:
        return [n for (g, _), n in self._ok.items() if g == generation]
