"""A modem that exists only in memory: the sandbox's stand-in for the 4G stick.

The sandbox's proxy host shares this object with the modem service, so requests leaving
through the proxy carry whatever public IP the simulated modem holds at that moment.

Times (a reconnect, the carrier's own IP changes) are in the modem's seconds and run
``speed`` times faster than real time, so a sandbox on a compressed clock can have minute-long
rotations that take a second. The carrier's schedule is applied lazily, whenever anyone
reads the IP: no thread or task of its own, and a fake ``clock`` drives it in tests.
"""

from __future__ import annotations

import asyncio
import ipaddress
import random
import threading
import time
from collections.abc import Callable

from modem_service.backends.base import BackendState


class SimulatedModem:
    """Draws public IPs from weighted carrier blocks; a reconnect sometimes keeps the IP.

    Thread-safe: the proxy host reads :meth:`egress_ip` from other event loops.
    """

    name = "simulated"

    def __init__(
        self,
        ranges: list[tuple[str, float]],
        rotation_seconds: float = 2.0,
        unchanged_probability: float = 0.1,
        seed: int = 0,
        *,
        speed: float = 1.0,
        carrier_change_seconds: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        self._networks = [ipaddress.ip_network(cidr) for cidr, _ in ranges]
        self._weights = [w for _, w in ranges]
        self.rotation_seconds = rotation_seconds
        self.speed = speed
        # Real seconds between carrier-initiated changes; 0 = the carrier never moves us.
        self.carrier_period = carrier_change_seconds / speed
        self._clock = clock
        self._next_carrier_change = clock() + self.carrier_period
        self.carrier_changes = 0
        self.unchanged_probability = unchanged_probability
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._ip = self._draw()
        self._connected = True
        self.steps_run: list[str] = []
        # Fault switches for tests and the fault script.
        self.stuck_rotations = 0  # next N steps keep the same IP whatever the dice say
        self.failing_steps = 0  # next N steps raise
        self.down = False  # unplugged: steps raise, no public IP, /health says not present

    @property
    def ladder(self) -> tuple[str, ...]:
        return ("reconnect", "reset")

    def _draw(self) -> str:
        network = self._rng.choices(self._networks, weights=self._weights)[0]
        hosts = network.num_addresses - 2 if network.num_addresses > 2 else network.num_addresses
        offset = self._rng.randrange(hosts) + (1 if network.num_addresses > 2 else 0)
        return str(network.network_address + offset)

    def egress_ip(self) -> str | None:
        """The public IP traffic leaves with now; None while the modem is reconnecting."""
        with self._lock:
            self._carrier_schedule()
            return self._ip if self._connected and not self.down else None

    def carrier_change(self) -> str:
        """The carrier hands the modem a new public IP, unasked; returns it."""
        with self._lock:
            return self._carrier_moves()

    def _carrier_moves(self) -> str:
        for _ in range(100):  # a one-address range cannot move: then it keeps the IP
            ip = self._draw()
            if ip != self._ip:
                break
        self._ip = ip
        self.carrier_changes += 1
        return ip

    def _carrier_schedule(self) -> None:
        """Apply the changes due by now (holding the lock); during a reconnect none is."""
        if self.carrier_period <= 0 or not self._connected:
            return
        now = self._clock()
        if now >= self._next_carrier_change:
            self._carrier_moves()
            self._next_carrier_change = now + self.carrier_period

    async def step(self, name: str) -> None:
        if name not in self.ladder:
            raise ValueError(f"unknown rotation step {name!r}")
        with self._lock:
            self.steps_run.append(name)
            if self.down:
                raise RuntimeError("simulated modem is not present")
            if self.failing_steps > 0:
                self.failing_steps -= 1
                raise RuntimeError(f"simulated {name} failed")
            self._connected = False
        try:
            await asyncio.sleep(self.rotation_seconds * (2 if name == "reset" else 1) / self.speed)
        finally:
            with self._lock:
                if self.stuck_rotations > 0:
                    self.stuck_rotations -= 1
                elif self._rng.random() >= self.unchanged_probability:
                    self._ip = self._draw()
                self._connected = True
                # The carrier's clock restarts with the new session.
                self._next_carrier_change = self._clock() + self.carrier_period

    async def public_ip(self) -> str | None:
        return self.egress_ip()

    async def state(self) -> BackendState:
        with self._lock:
            connected = self._connected and not self.down
            present = not self.down
        return BackendState(present=present, connected=connected, detail={"backend": self.name})

    async def aclose(self) -> None:
        return None
