"""The sandbox's modem: the modem service's simulated backend plus two field behaviours.

* **Slow rotations**: with ``rotation_max_seconds`` above ``rotation_seconds``, each reconnect
  takes a duration drawn between the two (a stable hash of seed and rotation number), as the
  field sees anything from a 2 s reconnect to a 45 s firmware reboot. The proxy answers 503
  while the modem is disconnected, like a dead link.
* **Carrier-initiated IP changes**: with ``carrier_change_seconds`` set, the public IP changes
  by itself at intervals drawn between 0.5x and 1.5x that value (sandbox time). The change is
  applied lazily, whenever anyone asks for the IP (the proxy for every request, the modem
  service for ``/ip``), so no thread is needed and the proxy's egress follows at once.

Both live here rather than in ``modem_service``: the service's backend stays the real
contract, the sandbox only bends its timing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from modem_service.backends.simulated import SimulatedModem
from sandbox.rng import stable_unit


@dataclass(frozen=True)
class CarrierChange:
    """One IP change the carrier made (sandbox time), for tests and benchmarks."""

    at: float
    old_ip: str
    new_ip: str


class FieldModem(SimulatedModem):
    """A :class:`SimulatedModem` whose reconnects vary in length and whose carrier moves it.

    ``clock`` is the sandbox clock (Unix seconds); ``speed`` turns sandbox seconds into the real
    seconds the backend sleeps.
    """

    def __init__(
        self,
        ranges: list[tuple[str, float]],
        *,
        rotation_seconds: float,
        rotation_max_seconds: float = 0.0,
        carrier_change_seconds: float = 0.0,
        speed: float = 1.0,
        clock: Callable[[], float] | None = None,
        unchanged_probability: float = 0.1,
        seed: int = 0,
    ) -> None:
        # The backend divides its (sandbox) seconds by ``speed``; its own carrier schedule stays
        # off: this class keeps a sandbox-clock schedule of its own.
        super().__init__(
            ranges,
            rotation_seconds=rotation_seconds,
            unchanged_probability=unchanged_probability,
            seed=seed,
            speed=speed,
        )
        self.seed = seed
        self.min_rotation_seconds = rotation_seconds  # sandbox s
        self.max_rotation_seconds = max(rotation_seconds, rotation_max_seconds)
        self.carrier_change_seconds = carrier_change_seconds
        self._sandbox_clock = clock
        self.carrier_changes: list[CarrierChange] = []
        self.rotation_durations: list[float] = []  # sandbox s, one per step
        self._next_change = self._schedule(clock() if clock else 0.0)

    def _schedule(self, after: float) -> float:
        if self.carrier_change_seconds <= 0 or self._sandbox_clock is None:
            return float("inf")
        u = stable_unit(self.seed, "carrier-change", len(self.carrier_changes))
        return after + self.carrier_change_seconds * (0.5 + u)

    def _carrier_moves(self) -> str:
        """One change the carrier makes now (the backend's ``carrier_change()``), recorded."""
        old = new = self._ip
        for _ in range(100):  # a one-address range cannot move: then it keeps the IP
            new = self._draw()
            if new != old:
                break
        self._ip = new
        self.carrier_changes.append(CarrierChange(self._now(), old, new))
        return new

    def _now(self) -> float:
        return self._sandbox_clock() if self._sandbox_clock else 0.0

    def _due_carrier_moves(self) -> None:
        """Apply the carrier's IP changes that are due (lazily, see the module docstring)."""
        if self._sandbox_clock is None:
            return
        now = self._sandbox_clock()
        with self._lock:
            while now >= self._next_change:
                at = self._next_change
                if self._connected and not self.down:
                    old = self._ip
                    for _ in range(20):  # the carrier's change is a change
                        self._ip = self._draw()
                        if self._ip != old:
                            break
                    self.carrier_changes.append(CarrierChange(at, old, self._ip))
                    self._next_change = self._schedule(at)
                else:  # mid-rotation or unplugged: the rotation decides the IP
                    self._next_change = self._schedule(now)

    def egress_ip(self) -> str | None:
        self._due_carrier_moves()
        return super().egress_ip()

    def rotation_seconds_for(self, n: int) -> float:
        """Sandbox seconds the ``n``-th reconnect takes."""
        low, high = self.min_rotation_seconds, self.max_rotation_seconds
        if high <= low:
            return low
        return low + (high - low) * stable_unit(self.seed, "rotation-seconds", n)

    async def step(self, name: str) -> None:
        if self.max_rotation_seconds > self.min_rotation_seconds:
            duration = self.rotation_seconds_for(len(self.steps_run))
            self.rotation_durations.append(duration)
            self.rotation_seconds = duration
        self._due_carrier_moves()
        await super().step(name)


__all__ = ["CarrierChange", "FieldModem"]
