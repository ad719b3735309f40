"""Rotating the public IP: walk the backend's ladder, verify, coalesce concurrent callers."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field

from modem_service.backends.base import ModemBackend


@dataclass(frozen=True)
class RotationResult:
    """The answer of ``POST /rotate``."""

    old_ip: str | None
    new_ip: str | None
    changed: bool
    took_ms: int
    attempts: int
    backend: str
    steps: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    coalesced: bool = False

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


class Rotator:
    """Single-flight rotation with a cooldown.

    Callers arriving while a rotation runs share its result; callers arriving within the
    cooldown after it get the last result (marked ``coalesced``) rather than a new rotation,
    because a modem reconnected twice in a row gains nothing and loses seconds.
    """

    def __init__(
        self,
        backend: ModemBackend,
        *,
        max_attempts: int = 3,
        cooldown_seconds: float = 0.0,
        on_ip: Callable[[str, str], Awaitable[None]] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.backend = backend
        self.max_attempts = max_attempts
        self.cooldown_seconds = cooldown_seconds
        self._on_ip = on_ip
        self._clock = clock
        self._inflight: asyncio.Task[RotationResult] | None = None
        self._last: RotationResult | None = None
        self._last_at = float("-inf")
        self.rotations = 0

    async def rotate(self) -> RotationResult:
        if self._inflight is not None and not self._inflight.done():
            return _as_coalesced(await asyncio.shield(self._inflight))
        if self._last is not None and self._clock() - self._last_at < self.cooldown_seconds:
            return _as_coalesced(self._last)
        self._inflight = asyncio.create_task(self._rotate_once())
        result = await asyncio.shield(self._inflight)
        return result

    async def _rotate_once(self) -> RotationResult:
        started = self._clock()
        old_ip = await self.backend.public_ip()
        new_ip = old_ip
        steps: list[str] = []
        errors: list[str] = []
        attempts = 0
        ladder = list(self.backend.ladder)
        # Try the weakest step max_attempts times, then escalate one rung at a time.
        plan = [ladder[0]] * self.max_attempts + ladder[1:]
        for step in plan:
            attempts += 1
            steps.append(step)
            try:
                await self.backend.step(step)
            except Exception as exc:  # a failed step is reported, and the ladder goes on
                errors.append(f"{step}: {exc}")
                continue
            new_ip = await self.backend.public_ip()
            if new_ip is not None and new_ip != old_ip:
                break
        changed = new_ip is not None and new_ip != old_ip
        self.rotations += 1
        result = RotationResult(
            old_ip=old_ip,
            new_ip=new_ip,
            changed=changed,
            took_ms=int((self._clock() - started) * 1000),
            attempts=attempts,
            backend=self.backend.name,
            steps=steps,
            errors=errors,
        )
        self._last, self._last_at = result, self._clock()
        if new_ip is not None and self._on_ip is not None:
            await self._on_ip(new_ip, "rotate")
        return result


def _as_coalesced(result: RotationResult) -> RotationResult:
    return RotationResult(**{**result.as_dict(), "coalesced": True})  # type: ignore[arg-type]
