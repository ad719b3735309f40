"""The fetch loop: every profile ends stored or recorded as failed with its reason.

Rate-limit answers rotate the modem (once for all concurrent requests, through the
RotationGate) and retry the same profile; upstream and network errors back off and retry;
not-found and login-walled profiles are recorded, not retried. Every request is logged.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from intrend_assets.instagram.classify import classify_profile_answer
from intrend_assets.instagram.client import Answer
from intrend_assets.instagram.errors import (
    ConfigurationError,
    FetchError,
    LoginWall,
    NetworkError,
    ProfileNotFound,
    RateLimited,
)
from intrend_assets.raw_store import LocalRawStore
from intrend_assets.rotation_gate import RotationGate
from intrend_assets.usernames import InvalidUsername, validate_username

PacingKind = Literal["none", "fixed", "jittered"]


@dataclass(frozen=True)
class FetchPolicy:
    concurrency: int = 8
    max_attempts: int = 4  # per profile, for upstream/network errors
    max_rate_limited: int = 8  # per profile, rate-limit answers before giving up
    backoff_seconds: float = 0.5
    max_backoff_seconds: float = 30.0
    pacing: PacingKind = "none"
    pacing_seconds: float = 0.0
    rotate: bool = True  # False: the "no rotation" baseline of the experiments
    strategy_name: str = "default"


@dataclass
class ProfileOutcome:
    username: str
    outcome: str  # stored / private / not_found / login_wall / invalid / gave_up
    reason: str = ""
    attempts: int = 0
    key: str | None = None


@dataclass
class FetchReport:
    outcomes: dict[str, ProfileOutcome] = field(default_factory=dict)
    log: list[dict[str, object]] = field(default_factory=list)
    rotations: int = 0
    unchanged_rotations: int = 0
    modem_errors: int = 0
    bytes_raw: int = 0
    bytes_stored: int = 0
    seconds: float = 0.0

    def count(self, *outcomes: str) -> int:
        return sum(1 for o in self.outcomes.values() if o.outcome in outcomes)

    @property
    def stored(self) -> int:
        return self.count("stored", "private")

    @property
    def failed(self) -> int:
        return len(self.outcomes) - self.stored


ProgressCallback = Callable[[int, int, FetchReport], None]


async def _pace(policy: FetchPolicy) -> None:
    if policy.pacing == "fixed" and policy.pacing_seconds > 0:
        await asyncio.sleep(policy.pacing_seconds)
    elif policy.pacing == "jittered" and policy.pacing_seconds > 0:
        await asyncio.sleep(random.uniform(0, 2 * policy.pacing_seconds))


def _backoff(policy: FetchPolicy, attempt: int) -> float:
    base = min(policy.max_backoff_seconds, policy.backoff_seconds * 2**attempt)
    return base * random.uniform(0.5, 1.5)


async def fetch_profiles(
    usernames: Sequence[str],
    get_profile: Callable[[str], Awaitable[Answer]],
    gate: RotationGate,
    store: LocalRawStore,
    policy: FetchPolicy = FetchPolicy(),
    *,
    run_id: str = "",
    on_progress: ProgressCallback | None = None,
) -> FetchReport:
    """Fetch every username, concurrently up to ``policy.concurrency``."""
    report = FetchReport()
    loop = asyncio.get_running_loop()
    started = loop.time()
    done = 0

    def log(username: str, answer: Answer | None, outcome: str, attempt: int, ip: str | None):
        report.log.append(
            {
                "requested_at": datetime.now(UTC),
                "username": username,
                "egress_ip": ip,
                "strategy": policy.strategy_name,
                "endpoint": "web_profile_info",
                "status": answer.status if answer else None,
                "outcome": outcome,
                "latency_ms": answer.latency_ms if answer else None,
                "bytes": len(answer.body) if answer else 0,
                "attempt": attempt,
                "rotation": gate.generation,
                "run_id": run_id,
            }
        )

    async def one(raw_name: str) -> ProfileOutcome:
        try:
            username = validate_username(raw_name)
        except InvalidUsername as exc:
            return ProfileOutcome(str(raw_name), "invalid", exc.reason)
        errors = 0
        limited = 0
        attempt = 0
        while True:
            attempt += 1
            generation = await gate.wait_open()
            ip = gate.current_ip
            await _pace(policy)
            answer: Answer | None = None
            try:
                answer = await get_profile(username)
                kind = classify_profile_answer(answer.status, answer.body)
            except RateLimited as exc:
                log(username, answer, exc.outcome, attempt, ip)
                limited += 1
                if limited >= policy.max_rate_limited:
                    return ProfileOutcome(
                        username, "gave_up", f"rate limited {limited} times", attempt
                    )
                if policy.rotate:
                    await gate.rotate(generation)
                else:
                    await asyncio.sleep(_backoff(policy, limited))
                continue
            except (ProfileNotFound, LoginWall) as exc:
                log(username, answer, exc.outcome, attempt, ip)
                return ProfileOutcome(username, exc.outcome, str(exc), attempt)
            except ConfigurationError:
                log(username, answer, ConfigurationError.outcome, attempt, ip)
                raise
            except FetchError as exc:  # upstream or network: wait and retry
                log(username, answer, exc.outcome, attempt, ip)
                errors += 1
                if errors >= policy.max_attempts:
                    return ProfileOutcome(username, "gave_up", f"{exc.outcome}: {exc}", attempt)
                await asyncio.sleep(_backoff(policy, errors))
                continue
            fetched_at = datetime.now(UTC)
            obj = await asyncio.to_thread(store.put, username, fetched_at, answer.body)
            log(username, answer, kind, attempt, ip)
            report.bytes_raw += len(answer.body)
            report.bytes_stored += obj.size
            return ProfileOutcome(
                username, "stored" if kind == "ok" else "private", "", attempt, obj.key
            )

    async def tracked(name: str) -> None:
        nonlocal done
        outcome = await one(name)
        report.outcomes[outcome.username] = outcome
        if outcome.outcome in ("stored", "private"):
            await asyncio.to_thread(store.clear_failure, outcome.username)
        elif outcome.outcome != "invalid":
            await asyncio.to_thread(
                store.record_failure,
                outcome.username,
                outcome.outcome,
                outcome.reason,
                outcome.attempts,
            )
        done += 1
        if on_progress is not None:
            on_progress(done, len(usernames), report)

    # A fixed pool of workers rather than one task per profile: concurrency is bounded by
    # construction, and a run over thousands of profiles holds no thousands of coroutines.
    queue: asyncio.Queue[str] = asyncio.Queue()
    for name in usernames:
        queue.put_nowait(name)

    async def worker() -> None:
        while True:
            try:
                name = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            await tracked(name)

    workers = [asyncio.create_task(worker()) for _ in range(max(1, policy.concurrency))]
    try:
        await asyncio.gather(*workers)
    finally:
        for task in workers:
            task.cancel()
    report.rotations = gate.stats.rotations
    report.unchanged_rotations = gate.stats.unchanged
    report.modem_errors = gate.stats.modem_errors
    report.seconds = loop.time() - started
    return report


__all__ = ["FetchPolicy", "FetchReport", "NetworkError", "ProfileOutcome", "fetch_profiles"]
