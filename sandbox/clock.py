"""Sandbox time: the anchor plus elapsed real time times ``speed``, plus manual jumps.

One clock drives post visibility, like growth and the rate-limit windows, so speeding it
up makes the whole world age consistently.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class SandboxClock:
    """A monotonic clock in Unix seconds that runs ``speed`` times faster than real time.

    Thread-safe: the fake Instagram, the proxy and the tests read it from different threads.
    """

    def __init__(
        self,
        anchor_ts: float,
        speed: float = 1.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.anchor_ts = anchor_ts
        self.speed = speed
        self._monotonic = monotonic
        self._started = monotonic()
        self._offset = 0.0
        self._lock = threading.Lock()

    def now(self) -> float:
        """Sandbox time now, as a Unix timestamp."""
        with self._lock:
            offset = self._offset
        return self.anchor_ts + (self._monotonic() - self._started) * self.speed + offset

    def advance(self, sandbox_seconds: float) -> float:
        """Jump forward (never back) and return the new sandbox time."""
        if sandbox_seconds < 0:
            raise ValueError("the sandbox clock only moves forward")
        with self._lock:
            self._offset += sandbox_seconds
        return self.now()

    def to_real(self, sandbox_seconds: float) -> float:
        """Real seconds that pass while ``sandbox_seconds`` pass on this clock."""
        return sandbox_seconds / self.speed
