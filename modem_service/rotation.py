"""Rotating the public IP: walk the backend's ladder, verify, coalesce concurrent callers."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field, replace

from modem_service.backends.base import ModemBackend

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RotationResult:
    """The answer of ``POST /rotate``.

    ``steps`` lists every rung tried in order, ``errors`` the ones that raised (the ladder
    went on), ``escalated`` whether anything stronger than the weakest step was needed.
    """

    old_ip: str | None
    new_ip: str | None
    changed: bool
    took_ms: int
    attempts: int
    backend: str
    steps: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    escalated: bool = False
    changed_by: str | None = None
    coalesced: bool = False

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def rotation_plan(ladder: tuple[str, ...] | list[str], tries_of_first: int) -> list[str]:
    """The weakest step ``tries_of_first`` times, then each stronger rung once."""
    if not ladder:
        raise ValueError("the backend has no rotation steps")
    return [ladder[0]] * max(1, tries_of_first) + list(ladder[1:])


class Rotator:
    """Single-flight rotation with a cooldown.

    Callers arriving while a rotation runs share its result; callers arriving within the
    cooldown after it get the last result (marked ``coalesced``) rather than a new rotation,
    because a modem reconnected twice in a row gains nothing and loses seconds (a rotation
    that ended offline starts no cooldown). One lock
    covers the whole ladder, so no two walks ever interleave on the modem.
    """

    def __init__(
        self,
        backend: ModemBackend,
        *,
        max_attempts: int = 3,
        cooldown_seconds: float = 0.0,
        on_ip: Callable[[str, str], Awaitable[None]] | None = None,
        on_result: Callable[[RotationResult], None] | None = None,
        last_known_ip: Callable[[], str | None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.backend = backend
        self.max_attempts = max_attempts
        self.cooldown_seconds = cooldown_seconds
        self._on_ip = on_ip
        self._on_result = on_result
        self._last_known_ip = last_known_ip
        self._clock = clock
        self._lock = asyncio.Lock()
        self._inflight: asyncio.Task[RotationResult] | None = None
        self._last: RotationResult | None = None
        self._last_at = float("-inf")
        self.known_ip: str | None = None

    async def rotate(self) -> RotationResult:
        if self._inflight is not None and not self._inflight.done():
            result = _as_coalesced(await asyncio.shield(self._inflight))
        elif self._in_cooldown():
            assert self._last is not None
            result = _as_coalesced(self._last)
        else:
            self._inflight = asyncio.create_task(self._rotate_locked())
            result = await asyncio.shield(self._inflight)
        if self._on_result is not None:
            self._on_result(result)
        return result

    def _in_cooldown(self) -> bool:
        """Within the cooldown of the last rotation that reached the network.

        A rotation that ended offline (no public IP) starts no cooldown: the caller may try
        again as soon as the modem is back, and a stale "offline" answer would help nobody.
        """
        if self._last is None or self._last.new_ip is None:
            return False
        return self._clock() - self._last_at < self.cooldown_seconds

    async def _rotate_locked(self) -> RotationResult:
        async with self._lock:
            return await self._rotate_once()

    async def _read_ip(self, errors: list[str]) -> str | None:
        try:
            return await self.backend.public_ip()
        except Exception as exc:  # an echo disagreement is reported, not fatal
            errors.append(f"public_ip: {exc}")
            return None

    async def _rotate_once(self) -> RotationResult:
        started = self._clock()
        steps: list[str] = []
        errors: list[str] = []
        # When the modem cannot say (offline before the walk), compare with the last IP seen.
        known = self._last_known_ip() if self._last_known_ip else self.known_ip
        old_ip = await self._read_ip(errors) or known
        new_ip: str | None = None
        changed_by: str | None = None
        for step in rotation_plan(self.backend.ladder, self.max_attempts):
            steps.append(step)
            try:
                await self.backend.step(step)
            except Exception as exc:  # a failed step is reported, and the ladder goes on
                errors.append(f"{step}: {exc}")
                continue
            new_ip = await self._read_ip(errors)
            if new_ip is not None and new_ip != old_ip:
                changed_by = step
                break
        if new_ip is None:  # the last step failed: look once more before reporting
            new_ip = await self._read_ip(errors)
        changed = new_ip is not None and new_ip != old_ip
        result = RotationResult(
            old_ip=old_ip,
            new_ip=new_ip,
            changed=changed,
            took_ms=int((self._clock() - started) * 1000),
            attempts=len(steps),
            backend=self.backend.name,
            steps=steps,
            errors=errors,
            escalated=any(s != steps[0] for s in steps),
            changed_by=changed_by,
        )
        self._last, self._last_at = result, self._clock()
        log.info(
            "rotation %s: %s -> %s in %d ms, steps %s%s",
            "changed" if changed else "kept the IP" if new_ip else "ended offline",
            old_ip,
            new_ip,
            result.took_ms,
            ",".join(steps),
            f", errors: {'; '.join(errors)}" if errors else "",
        )
        if new_ip is not None:
            if self._on_ip is not None:
                await self._on_ip(new_ip, "rotate" if changed else "rotate-same")
            self.known_ip = new_ip
        return result


def _as_coalesced(result: RotationResult) -> RotationResult:
    return replace(result, coalesced=True)
