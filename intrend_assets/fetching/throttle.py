"""Telling a strategy throttled for everyone from an IP that is used up.

A per-IP limit lets a fresh IP's first requests through. When a strategy's very first answer
on each of two fresh IPs in a row is a rate limit, the IP is not the cause: Instagram is
throttling that strategy whatever the IP (as it did to one endpoint at a time in 2025).
Rotating again would burn IPs for nothing; the strategy is benched for a while and its
profiles move on to the next strategy.

A strategy back from its bench that is refused on an IP where other strategies are answering
lookups is still throttled: the IP has budget, so it goes back on the bench at once, without
the two fresh IPs (two rotations) the first verdict took. While it is back, one lookup at a
time tries it (the trial); the others go to the next strategy meanwhile.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

FRESH_IPS_IN_A_ROW = 2


@dataclass
class _Record:
    first_on: dict[int, bool] = field(default_factory=dict)  # generation -> first was a limit
    streak: int = 0  # fresh IPs in a row whose first answer for this strategy was a limit


class Throttles:
    """Per ``kind:name``: the first verdict on each fresh IP, and benches with their end."""

    def __init__(self, bench_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.bench_seconds = bench_seconds
        self._clock = clock
        self._records: dict[str, _Record] = {}
        self._benched_until: dict[str, float] = {}
        self.benched: dict[str, int] = {}  # how often each strategy was benched (the report)
        self._returning: set[str] = set()  # bench over, not answered since
        self._trials: set[str] = set()  # returning keys with their trial lookup in flight

    def answered(self, key: str, generation: int, fresh: bool, limited: bool) -> bool:
        """Note an answer; True when it makes the strategy throttled for everyone."""
        record = self._records.setdefault(key, _Record())
        if not limited:
            record.streak = 0
            self._returning.discard(key)
        if generation in record.first_on:
            return False
        record.first_on[generation] = limited
        if not fresh:
            return False
        record.streak = record.streak + 1 if limited else 0
        return record.streak >= FRESH_IPS_IN_A_ROW

    def bench(self, key: str) -> None:
        self._benched_until[key] = self._clock() + self.bench_seconds
        self.benched[key] = self.benched.get(key, 0) + 1
        self._records[key] = _Record()  # after the bench, judged afresh
        self._returning.discard(key)

    def trial_under_way(self, key: str) -> bool:
        return key in self._trials

    def start_trial(self, key: str) -> bool:
        """True when a lookup for ``key`` is its trial (it is back from a bench): the caller
        ends it with :meth:`end_trial` once the answer is in."""
        if not self.returning(key):
            return False
        self._trials.add(key)
        return True

    def end_trial(self, key: str) -> None:
        self._trials.discard(key)

    def returning(self, key: str) -> bool:
        """Whether ``key`` is back from a bench and has not answered since."""
        self.is_benched(key)  # a bench that has just ended makes it returning
        return key in self._returning

    def is_benched(self, key: str) -> bool:
        until = self._benched_until.get(key)
        if until is None:
            return False
        if self._clock() >= until:
            del self._benched_until[key]
            self._returning.add(key)
            return False
        return True
