"""The fetch loop: every profile ends stored or recorded as failed with its reason.

Rate-limit answers rotate the modem (once for all concurrent requests, through the
RotationGate) and retry the same request; upstream and network errors back off and retry;
not-found and login-walled profiles are recorded, not retried. Every request is logged.

Past the 12 posts of a profile answer, the timeline is paged up to ``max_posts``, stopping
early at the first post already stored (fast update, see :mod:`fast_update`).
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from intrend_assets.fast_update import first_known_index, next_mark
from intrend_assets.instagram.classify import classify_page_answer, classify_profile_answer
from intrend_assets.instagram.client import Answer
from intrend_assets.instagram.errors import (
    ConfigurationError,
    FetchError,
    LoginWall,
    ProfileNotFound,
    RateLimited,
)
from intrend_assets.parsing import ParsedProfile, ProfileParseError, parse_profile
from intrend_assets.raw_store import LocalRawStore, RawObject
from intrend_assets.rotation_gate import RotationGate
from intrend_assets.usernames import InvalidUsername, validate_username

PacingKind = Literal["none", "fixed", "jittered"]
Ordering = Literal["as_given", "shuffled"]
PROFILE_POSTS = 12  # posts a profile answer carries; only more than that needs paging
GetProfile = Callable[[str], Awaitable[Answer]]
GetPage = Callable[[str, str | None], Awaitable[Answer]]


@dataclass(frozen=True)
class FetchPolicy:
    concurrency: int = 8
    max_attempts: int = 4  # per request, for upstream/network errors
    max_rate_limited: int = 8  # per request, rate-limit answers before giving up
    backoff_seconds: float = 0.5
    max_backoff_seconds: float = 30.0
    pacing: PacingKind = "none"
    pacing_seconds: float = 0.0
    ordering: Ordering = "as_given"
    rotate: bool = True  # False: the "no rotation" baseline of the experiments
    max_posts: int = 12  # more than 12 pages the timeline
    fast_update: bool = True
    strategy_name: str = "default"


@dataclass
class ProfileOutcome:
    username: str
    outcome: str  # stored / private / not_found / login_wall / invalid / gave_up
    reason: str = ""
    attempts: int = 0
    key: str | None = None
    pages: int = 0
    complete: bool = True  # False: paging stopped early on errors; the mark did not move


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


class GaveUp(Exception):
    """A request exhausted its attempts; carries the reason for the failure record."""

    def __init__(self, reason: str, attempts: int) -> None:
        super().__init__(reason)
        self.attempts = attempts


def _backoff(policy: FetchPolicy, attempt: int) -> float:
    """Exponential from ``backoff_seconds`` at the first retry, jittered by ±50%."""
    base = min(policy.max_backoff_seconds, policy.backoff_seconds * 2 ** max(0, attempt - 1))
    return base * random.uniform(0.5, 1.5)


def _post_keys(parsed: ParsedProfile) -> list[tuple[str, datetime | None]]:
    """(post id, taken_at) of each post, in timeline order: what fast update compares."""
    return list(zip(parsed.post_columns["post_id"], parsed.post_columns["taken_at"], strict=True))


class _Fetcher:
    def __init__(
        self,
        get_profile: GetProfile,
        get_page: GetPage | None,
        gate: RotationGate,
        store: LocalRawStore,
        policy: FetchPolicy,
        run_id: str,
    ) -> None:
        self.get_profile = get_profile
        self.get_page = get_page
        self.gate = gate
        self.store = store
        self.policy = policy
        self.run_id = run_id
        self.report = FetchReport()

    def _log(
        self,
        username: str,
        endpoint: str,
        answer: Answer | None,
        outcome: str,
        attempt: int,
        ip: str | None,
    ) -> None:
        self.report.log.append(
            {
                "requested_at": datetime.now(UTC),
                "username": username,
                "egress_ip": ip,
                "strategy": self.policy.strategy_name,
                "endpoint": endpoint,
                "status": answer.status if answer else None,
                "outcome": outcome,
                "latency_ms": answer.latency_ms if answer else None,
                "bytes": len(answer.body) if answer else 0,
                "attempt": attempt,
                "rotation": self.gate.generation,
                "run_id": self.run_id,
            }
        )

    async def _pace(self) -> None:
        policy = self.policy
        if policy.pacing == "fixed" and policy.pacing_seconds > 0:
            await asyncio.sleep(policy.pacing_seconds)
        elif policy.pacing == "jittered" and policy.pacing_seconds > 0:
            await asyncio.sleep(random.uniform(0, 2 * policy.pacing_seconds))

    async def request(
        self,
        username: str,
        endpoint: str,
        call: Callable[[], Awaitable[Answer]],
        classify: Callable[[int, bytes], str],
    ) -> tuple[Answer, str, int]:
        """One logical request with retries: returns (answer, kind, attempts) or raises.

        Raises ProfileNotFound / LoginWall (final answers), ConfigurationError (stop the
        run) or GaveUp (attempts exhausted).
        """
        errors = limited = attempt = 0
        while True:
            attempt += 1
            generation = await self.gate.wait_open()
            ip = self.gate.current_ip
            await self._pace()
            answer: Answer | None = None
            try:
                answer = await call()
                kind = classify(answer.status, answer.body)
            except RateLimited as exc:
                self._log(username, endpoint, answer, exc.outcome, attempt, ip)
                limited += 1
                if limited >= self.policy.max_rate_limited:
                    raise GaveUp(f"rate limited {limited} times", attempt) from exc
                if self.policy.rotate:
                    await self.gate.rotate(generation)
                else:
                    await asyncio.sleep(_backoff(self.policy, limited))
                continue
            except (ProfileNotFound, LoginWall, ConfigurationError) as exc:
                self._log(username, endpoint, answer, exc.outcome, attempt, ip)
                raise
            except FetchError as exc:  # upstream or network: wait and retry
                self._log(username, endpoint, answer, exc.outcome, attempt, ip)
                errors += 1
                if errors >= self.policy.max_attempts:
                    raise GaveUp(f"{exc.outcome}: {exc}", attempt) from exc
                if self.gate.generation == generation and not self.gate.rotating:
                    await asyncio.sleep(_backoff(self.policy, errors))
                # else: the modem reconnected under this request (the proxy answers 503 while
                # it does); the cause is gone, so retry as soon as the gate opens.
                continue
            self._log(username, endpoint, answer, kind, attempt, ip)
            self.report.bytes_raw += len(answer.body)
            return answer, kind, attempt

    async def profile(self, raw_name: str) -> ProfileOutcome:
        try:
            username = validate_username(raw_name)
        except InvalidUsername as exc:
            return ProfileOutcome(str(raw_name), "invalid", exc.reason)
        try:
            answer, kind, attempts = await self.request(
                username,
                "web_profile_info",
                lambda: self.get_profile(username),
                classify_profile_answer,
            )
        except (ProfileNotFound, LoginWall) as exc:
            return ProfileOutcome(username, exc.outcome, str(exc))
        except GaveUp as exc:
            return ProfileOutcome(username, "gave_up", str(exc), exc.attempts)
        obj = await asyncio.to_thread(self.store.put, username, datetime.now(UTC), answer.body)
        self.report.bytes_stored += obj.size
        outcome = ProfileOutcome(
            username, "stored" if kind == "ok" else "private", "", attempts, obj.key
        )
        if kind == "ok" and self.policy.max_posts > PROFILE_POSTS:
            await self.paginate(outcome, obj, answer.body)
        return outcome

    async def paginate(self, outcome: ProfileOutcome, obj: RawObject, body: bytes) -> None:
        """Page the timeline past the profile answer; advance the mark after a full pass."""
        username = outcome.username
        try:
            parsed = parse_profile(body, username=username)
        except ProfileParseError as exc:
            outcome.complete, outcome.reason = False, str(exc)
            return
        mark = None
        if self.policy.fast_update:
            mark = await asyncio.to_thread(self.store.read_mark, username)
        seen = _post_keys(parsed)
        stop = first_known_index(seen, mark)
        cursor, more = parsed.end_cursor, bool(parsed.has_next_page)
        user_id = parsed.profile.get("id")
        while (
            stop is None
            and more
            and len(seen) < self.policy.max_posts
            and self.get_page is not None
            and user_id
        ):
            get_page, after = self.get_page, cursor
            try:
                answer, _, _ = await self.request(
                    username,
                    "timeline",
                    lambda g=get_page, a=after: g(str(user_id), a),
                    classify_page_answer,
                )
            except (GaveUp, ProfileNotFound, LoginWall) as exc:
                outcome.complete, outcome.reason = False, f"paging stopped: {exc}"
                return
            outcome.pages += 1
            await asyncio.to_thread(self.store.put_page, obj, outcome.pages, answer.body)
            try:
                page = parse_profile(answer.body, username=username)
            except ProfileParseError as exc:  # one odd page stops this profile's paging only
                outcome.complete, outcome.reason = False, f"paging stopped: {exc}"
                return
            batch = _post_keys(page)
            found = first_known_index(batch, mark, offset=len(seen))
            seen += batch if found is None else batch[:found]
            stop = None if found is None else len(seen)
            cursor, more = page.end_cursor, bool(page.has_next_page)
        if self.policy.fast_update:
            await asyncio.to_thread(self.store.write_mark, username, next_mark(seen, mark))


async def fetch_profiles(
    usernames: Sequence[str],
    get_profile: GetProfile,
    gate: RotationGate,
    store: LocalRawStore,
    policy: FetchPolicy = FetchPolicy(),
    *,
    get_page: GetPage | None = None,
    run_id: str = "",
    on_progress: ProgressCallback | None = None,
    stop_after: float | None = None,
) -> FetchReport:
    """Fetch every username, concurrently up to ``policy.concurrency``.

    ``stop_after`` (seconds) bounds an experiment: no new profile is started after it, and
    the report covers the profiles that were.
    """
    fetcher = _Fetcher(get_profile, get_page, gate, store, policy, run_id)
    report = fetcher.report
    loop = asyncio.get_running_loop()
    started = loop.time()
    order = list(usernames)
    if policy.ordering == "shuffled":
        random.shuffle(order)
    done = 0

    async def tracked(name: str) -> None:
        nonlocal done
        outcome = await fetcher.profile(name)
        report.outcomes[outcome.username] = outcome
        if outcome.outcome in ("stored", "private") and outcome.complete:
            await asyncio.to_thread(store.clear_failure, outcome.username)
        else:  # invalid names too: the store files them by hash, never by the name
            await asyncio.to_thread(
                store.record_failure,
                outcome.username,
                outcome.outcome if outcome.complete else "incomplete",
                outcome.reason,
                outcome.attempts,
            )
        done += 1
        if on_progress is not None:
            on_progress(done, len(order), report)

    # A fixed pool of workers rather than one task per profile: concurrency is bounded by
    # construction, and a run over thousands of profiles holds no thousands of coroutines.
    queue: asyncio.Queue[str] = asyncio.Queue()
    for name in order:
        queue.put_nowait(name)

    async def worker() -> None:
        while True:
            if stop_after is not None and loop.time() - started > stop_after:
                return
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


__all__ = ["FetchPolicy", "FetchReport", "ProfileOutcome", "fetch_profiles"]
