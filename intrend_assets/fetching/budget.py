"""Rotating an IP once it has served what IPs get, rather than after refusals.

Rotating only on a refusal costs every rotation the lookups in flight when the IP ran out:
with eight workers, up to eight refused requests per IP, each one more request Instagram
sees from a limited address. The budget is unknown in the field, so it is learnt in the run:
an IP that was refused after it had answered lookups (more than a burst lets through) had
served its budget. Once one has, every IP that has served as many is rotated before its next
lookup, after the lookups already in flight come back.

The first lookup on an IP rotated to goes alone (see :meth:`IpBudget.admit`). The learnt budget is
the most any refused IP served, so the fetcher never rotates an IP
earlier than one was seen to run out. Budgets may differ by IP (a carrier's addresses are
shared, and Instagram's rules change): every ``EXPLORE_EVERY``-th IP is not rotated early
but goes on past the learnt budget one lookup at a time, so an IP that gets more raises it,
at the cost of a single refusal when it does not.
"""

from __future__ import annotations

import asyncio

from intrend_assets.fetching.burst import SHORT_IP
from intrend_assets.fetching.rotation import RotationGate

EXPLORE_EVERY = 4


class IpBudget:
    """Lookups each IP (gate generation) has served, shared by the requests of one run."""

    def __init__(self, gate: RotationGate, explore_every: int = EXPLORE_EVERY) -> None:
        self.gate = gate
        self.explore_every = max(1, explore_every)
        self.learned = 0  # most lookups an IP served before a refusal; 0: not learnt yet
        self.early = 0  # rotations made at the learnt budget, before any refusal
        self._served: dict[int, int] = {}  # generation -> lookups answered (budget spent)
        self._inflight: dict[int, int] = {}
        self._answered: dict[int, set[str]] = {}  # generation -> strategies that got through
        self._used_up: set[int] = set()
        self._changed = asyncio.Event()

    def used(self, generation: int) -> int:
        """Lookups on this IP that spent (or, in flight, may spend) its budget."""
        return self._served.get(generation, 0) + self._inflight.get(generation, 0)

    def explores(self, generation: int) -> bool:
        return generation % self.explore_every == 0

    async def admit(self, rotate: bool, probe: bool = False) -> int:
        """Wait until a lookup may go and return the generation to send it under (then
        :meth:`sent`, or nothing if it is not sent after all).

        The first lookup on an IP the run rotated to goes alone: if the IP is spent already
        (a strategy throttled for everyone, an address that came back too soon) one refusal
        says so, not one per worker. Below the learnt budget the others go at once; at it,
        the lookups in flight come back first, then the IP is rotated, or (an exploring IP,
        or ``rotate`` off) lookups go on one at a time. A burst probe goes at once: it tells
        a burst from a spent IP, which the burst guard waits on.
        """
        gate = self.gate
        while True:
            generation = await gate.wait_open()
            if probe:
                break
            # (Not on the run's first IP: its workers start together, in no set order.)
            first = generation > 0 and not self._served.get(generation)
            at_budget = bool(self.learned) and self.used(generation) >= self.learned
            if not first and not at_budget:
                break
            if self._inflight.get(generation):
                await self._changed.wait()
                continue
            if not at_budget or not rotate or self.explores(generation):
                break
            self.early += 1
            await gate.rotate(generation)
        return generation

    def sent(self, generation: int) -> None:
        """A lookup admitted under ``generation`` goes (call with no await after admit)."""
        self._inflight[generation] = self._inflight.get(generation, 0) + 1

    def done(self, generation: int, strategy: str, spent: bool) -> None:
        """A lookup admitted under ``generation`` came back; ``spent``: it was answered (a
        refusal or an error spends nothing). One that comes back once the IP has changed
        counts on the new IP: a request through a modem that reconnects does not come back
        from the old one, so it went out (or was retried by the client) on the new one."""
        self._inflight[generation] -= 1
        if spent:
            on = self.gate.generation
            self._served[on] = self._served.get(on, 0) + 1
            self._answered.setdefault(on, set()).add(strategy)
            if on in self._used_up:
                self._learn(on)
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    def used_up(self, generation: int, strategy: str) -> None:
        """A rate limit on ``generation`` that a rotation answers: the IP had spent its
        budget, if ``strategy`` had got through on it (else the strategy, not the IP, may be
        what is limited)."""
        if strategy in self._answered.get(generation, ()):
            self._used_up.add(generation)
            self._learn(generation)

    def others_answered(self, generation: int, strategy: str) -> bool:
        """Whether lookups of a strategy other than ``strategy`` got through on this IP."""
        return bool(self._answered.get(generation, set()) - {strategy})

    def _learn(self, generation: int) -> None:
        served = self._served.get(generation, 0)
        if served > SHORT_IP:  # fewer is a burst rule's count, not a budget
            self.learned = max(self.learned, served)
