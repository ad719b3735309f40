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
    ``cooldown_remaining_seconds`` is how long until a call would rotate again;
    ``retry_after_seconds`` is set on a coalesced answer, the wait before asking again is
    worth it. A coalesced answer within the cooldown has ``changed: false`` and the current
    IP as ``old_ip`` and ``new_ip``: the caller got no new IP, whatever the last walk did.
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
    cooldown_remaining_seconds: float = 0.0
    retry_after_seconds: float | None = None

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
    that ended offline starts no cooldown). One lock covers the whole ladder, so no two
    walks ever interleave on the modem; the periodic IP check takes the same lock
    (:meth:`quiet`), so it never mistakes a rotation for a change by the carrier.
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

    @property
    def busy(self) -> bool:
        """A walk of the ladder is running (or waiting for the lock)."""
        return self._inflight is not None and not self._inflight.done()

    def quiet(self) -> asyncio.Lock:
        """The rotation lock: ``async with rotator.quiet():`` runs while no walk does."""
        return self._lock

    def cooldown_remaining(self) -> float:
        """Seconds until a call would rotate again (0.0 outside the cooldown).

        A rotation that ended offline (no public IP) starts no cooldown: the caller may try
        again as soon as the modem is back, and a stale "offline" answer would help nobody.
        """
        if self._last is None or self._last.new_ip is None:
            return 0.0
        return max(0.0, self.cooldown_seconds - (self._clock() - self._last_at))

    def _known(self) -> str | None:
        return self._last_known_ip() if self._last_known_ip else self.known_ip

    async def rotate(self) -> RotationResult:
        before = self._known()
        if self.busy:
            assert self._inflight is not None
            result = self._coalesced(await asyncio.shield(self._inflight), before)
        elif self.cooldown_remaining() > 0:
            assert self._last is not None
            result = self._in_cooldown(self._last, before)
        else:
            self._inflight = asyncio.create_task(self._rotate_locked())
            result = await asyncio.shield(self._inflight)
            result = replace(result, cooldown_remaining_seconds=self._remaining())
        if self._on_result is not None:
            self._on_result(result)
        return result

    def _remaining(self) -> float:
        return round(self.cooldown_remaining(), 3)

    def _coalesced(self, result: RotationResult, before: str | None) -> RotationResult:
        """A running walk's result for a caller who joined it: changed only if it moved the
        IP away from the one the caller had."""
        changed = result.changed and result.new_ip != before
        remaining = self._remaining()
        return replace(
            result,
            changed=changed,
            coalesced=True,
            cooldown_remaining_seconds=remaining,
            retry_after_seconds=remaining,
        )

    def _in_cooldown(self, last: RotationResult, before: str | None) -> RotationResult:
        """No walk for this caller: the IP it has is the IP it keeps until the cooldown ends."""
        current = before if before is not None else last.new_ip
        remaining = self._remaining()
        return replace(
            last,
            old_ip=current,
            new_ip=current,
            changed=False,
            coalesced=True,
            cooldown_remaining_seconds=remaining,
            retry_after_seconds=remaining,
        )

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
        old_ip = await self._read_ip(errors) or self._known()
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
