"""The fetch loop: every profile ends stored or recorded as failed with its reason.

Rate-limit answers rotate the modem (once for all concurrent requests, through the
RotationGate) and retry the same request; upstream and network errors back off and retry;
not-found profiles are recorded, not retried. Every request is logged, with the strategy
that sent it.

Profiles are fetched through the configured strategies in order (:mod:`.instagram.ways`): a
login wall for one profile moves that profile on to the next strategy (and is remembered, so
the next run starts elsewhere); a strategy that is gone for everyone is dropped for the rest
of the run with one warning. When every anonymous way is walled for a profile, a logged-in
session (if configured) is tried, on a held IP and its own slower pacing.

Past the posts of a profile answer, the timeline is paged up to ``max_posts``, stopping
early at the first post already stored (fast update, see :mod:`fast_update`).
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from intrend_assets.fetching.fast_update import Mark, first_known_index, next_mark
from intrend_assets.fetching.policy import PROFILE_POSTS, FetchPolicy
from intrend_assets.fetching.report import FetchReport, GaveUp, ProfileOutcome, ProgressCallback
from intrend_assets.fetching.rotation import RotationGate
from intrend_assets.instagram.client import Answer
from intrend_assets.instagram.errors import (
    ConfigurationError,
    FetchError,
    LoginWall,
    ProfileNotFound,
    RateLimited,
    StrategyGone,
)
from intrend_assets.instagram.strategies import continues_profile_cursor
from intrend_assets.instagram.ways import GetPage, GetProfile, ProfileWay, TimelineWay, Ways
from intrend_assets.parsing.profile import ParsedProfile, ProfileParseError, parse_profile
from intrend_assets.raw_store.store import LocalRawStore, RawObject
from intrend_assets.tracking.usernames import InvalidUsername, validate_username

Warn = Callable[[str], None]


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
        ways: Ways,
        gate: RotationGate,
        store: LocalRawStore,
        policy: FetchPolicy,
        run_id: str,
        warn: Warn | None,
    ) -> None:
        self.ways = ways
        self.gate = gate
        self.store = store
        self.policy = policy
        self.run_id = run_id
        self.warn = warn
        self.report = FetchReport()
        self._session_turn = asyncio.Lock()  # one logged-in request at a time

    def _log(
        self,
        username: str,
        endpoint: str,
        kind: str,
        session: bool,
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
                "kind": kind,
                "session": session,
                "status": answer.status if answer else None,
                "outcome": outcome,
                "latency_ms": answer.latency_ms if answer else None,
                "bytes": len(answer.body) if answer else 0,
                "attempt": attempt,
                "rotation": self.gate.generation,
                "run_id": self.run_id,
            }
        )

    def _drop(self, kind: str, name: str, exc: StrategyGone) -> None:
        """Take a strategy out of this run; say so once, loudly."""
        key = f"{kind}:{name}"
        if key in self.report.gone:
            return
        self.report.gone[key] = str(exc)
        if self.warn is not None:
            self.warn(
                f"{kind} strategy {name!r} is gone for this run ({exc}); falling back to the "
                "next one. If it stays gone, update its doc_id/host in the settings or drop "
                "it from the strategy order."
            )

    def _open(self, kind: str, ways: tuple[ProfileWay, ...] | tuple[TimelineWay, ...]) -> list:
        return [w for w in ways if f"{kind}:{w.name}" not in self.report.gone]

    async def _pace(self, session: bool) -> None:
        policy = self.policy
        if session:
            seconds = policy.session_pacing_seconds
            if seconds > 0:
                await asyncio.sleep(random.uniform(0.5 * seconds, 1.5 * seconds))
        elif policy.pacing == "fixed" and policy.pacing_seconds > 0:
            await asyncio.sleep(policy.pacing_seconds)
        elif policy.pacing == "jittered" and policy.pacing_seconds > 0:
            await asyncio.sleep(random.uniform(0, 2 * policy.pacing_seconds))

    async def request(
        self,
        username: str,
        endpoint: str,
        call: Callable[[], Awaitable[Answer]],
        classify: Callable[[Answer], str],
        *,
        kind: str = "profile",
        session: bool = False,
    ) -> tuple[Answer, str, int]:
        """One logical request with retries: returns (answer, kind, attempts) or raises.

        Raises ProfileNotFound / LoginWall / StrategyGone (final for this strategy),
        ConfigurationError (stop the run) or GaveUp (attempts exhausted). A logged-in request
        never rotates the IP: it holds the gate, and waits out a rate limit instead.
        """
        errors = limited = attempt = 0
        while True:
            attempt += 1
            answer: Answer | None = None
            if session:
                async with self._session_turn:
                    await self._pace(True)  # before the hold: pauses must not stall rotations
                    async with self.gate.hold() as generation:
                        ip = self.gate.current_ip
                        try:
                            answer = await call()
                            verdict: str | FetchError = classify(answer)
                        except FetchError as exc:
                            verdict = exc
            else:
                generation = await self.gate.wait_open()
                ip = self.gate.current_ip
                await self._pace(False)
                try:
                    answer = await call()
                    verdict = classify(answer)
                except FetchError as exc:
                    verdict = exc
            if isinstance(verdict, str):
                self._log(username, endpoint, kind, session, answer, verdict, attempt, ip)
                self.report.bytes_raw += len(answer.body) if answer else 0
                assert answer is not None
                return answer, verdict, attempt
            exc = verdict
            self._log(username, endpoint, kind, session, answer, exc.outcome, attempt, ip)
            if isinstance(exc, RateLimited):
                limited += 1
                if limited >= self.policy.max_rate_limited:
                    raise GaveUp(f"rate limited {limited} times", attempt) from exc
                if self.policy.rotate and not session:
                    await self.gate.rotate(generation)
                else:
                    await asyncio.sleep(_backoff(self.policy, limited))
                continue
            if isinstance(exc, (ProfileNotFound, LoginWall, ConfigurationError, StrategyGone)):
                raise exc
            errors += 1  # upstream or network: wait and retry
            if errors >= self.policy.max_attempts:
                raise GaveUp(f"{exc.outcome}: {exc}", attempt) from exc
            if self.gate.generation == generation and not self.gate.rotating:
                await asyncio.sleep(_backoff(self.policy, errors))
            # else: the modem reconnected under this request (the proxy answers 503 while
            # it does); the cause is gone, so retry as soon as the gate opens.

    async def _through(
        self, username: str, ways: list[ProfileWay], session: bool, walled: list[str]
    ) -> tuple[ProfileWay, Answer, str, int] | ProfileOutcome | None:
        """Try ``ways`` in order; the first answer, a final outcome, or None (all refused)."""
        for way in ways:
            if f"profile:{way.name}" in self.report.gone:
                continue  # dropped while this profile waited its turn
            try:
                answer, kind, attempts = await self.request(
                    username,
                    way.name,
                    lambda w=way: w.fetch(username),
                    way.classify,
                    session=session,
                )
            except LoginWall:
                walled.append(way.name)
                continue
            except StrategyGone as exc:
                self._drop("profile", way.name, exc)
                continue
            except ProfileNotFound as exc:
                return ProfileOutcome(username, exc.outcome, str(exc), strategy=way.name)
            except GaveUp as exc:
                return ProfileOutcome(username, "gave_up", str(exc), exc.attempts)
            return way, answer, kind, attempts
        return None

    async def profile(self, raw_name: str) -> ProfileOutcome:
        try:
            username = validate_username(raw_name)
        except InvalidUsername as exc:
            return ProfileOutcome(str(raw_name), "invalid", exc.reason)
        ways = self._open("profile", self.ways.profile)
        if not ways:
            raise ConfigurationError(
                "every profile strategy is gone: " + "; ".join(self.report.gone.values())
            )
        known_walls = await asyncio.to_thread(self.store.read_walls, username)
        # Ways that walled this profile before go last: no request is spent on a known wall
        # while another way is open, and they are still tried when nothing else works.
        ways.sort(key=lambda w: w.name in known_walls)
        walled: list[str] = []
        session = False
        found = await self._through(username, ways, False, walled)
        # What walled anonymous requests is remembered; a way that served them is forgotten.
        walls = set(known_walls) | set(walled)
        if isinstance(found, tuple):
            walls.discard(found[0].name)
        if walls != set(known_walls):
            await asyncio.to_thread(self.store.write_walls, username, walls)
        if found is None and walled and self.ways.session_profile:
            session = True
            session_walled: list[str] = []
            found = await self._through(
                username, self._open("profile", self.ways.session_profile), True, session_walled
            )
            walled += [f"{name} (logged in)" for name in session_walled]
        if isinstance(found, ProfileOutcome):
            return found
        if found is None:
            if walled:
                return ProfileOutcome(username, "login_wall", f"login wall on {', '.join(walled)}")
            raise ConfigurationError(
                "every profile strategy is gone: " + "; ".join(self.report.gone.values())
            )
        way, answer, kind, attempts = found
        obj = await asyncio.to_thread(self.store.put, username, datetime.now(UTC), answer.body)
        self.report.bytes_stored += obj.size
        outcome = ProfileOutcome(
            username,
            "stored" if kind == "ok" else "private",
            "",
            attempts,
            obj.key,
            strategy=way.name,
            session=session,
        )
        mark = None
        try:
            if kind == "ok" and (not way.carries_posts or self.policy.max_posts > PROFILE_POSTS):
                mark = await self.paginate(outcome, obj, answer.body, way, session)
        except BaseException:
            # Whatever stopped the paging (a configuration error, a cancelled run), the answer
            # and the pages stored so far are the warehouse's to load. The mark stays where
            # it was, so the next fetch pages those posts again. Written here and now: after
            # a cancellation, awaiting is not to be counted on.
            self.store.mark_pending(obj)
            raise
        # The answer and its pages are stored: queue them for the warehouse load, and only
        # then move the fast-update mark past them (a crash in between re-fetches, never
        # skips, posts the warehouse has not seen).
        await asyncio.to_thread(self.store.mark_pending, obj)
        if mark is not None:
            await asyncio.to_thread(self.store.write_mark, username, mark)
        return outcome

    async def paginate(
        self,
        outcome: ProfileOutcome,
        obj: RawObject,
        body: bytes,
        way: ProfileWay,
        session: bool = False,
    ) -> Mark | None:
        """Page the timeline past the profile answer.

        Returns the fast-update mark a complete pass earns (None when the pass stopped short
        or fast update is off); the caller writes it once the pages are queued for loading.
        """
        username = outcome.username
        try:
            parsed = parse_profile(body, username=username)
        except ProfileParseError as exc:
            outcome.complete, outcome.reason = False, str(exc)
            return None
        mark = None
        if self.policy.fast_update:
            mark = await asyncio.to_thread(self.store.read_mark, username)
        walk = _Walk(_post_keys(parsed), parsed.profile.get("id"), mark)
        if (
            first_known_index(walk.seen, mark) is None
            and (parsed.has_next_page or not way.carries_posts)
            and len(walk.seen) < self.policy.max_posts
        ):
            timeline = self.ways.session_timeline if session else self.ways.timeline
            result, why = "none", "no timeline strategy is configured"
            # A timeline way that can go on from the profile answer's cursor goes first: it
            # does not fetch the first posts again. Otherwise the configured order holds.
            ordered = sorted(
                self._open("page", timeline),
                key=lambda t: not continues_profile_cursor(way.name, t.name),
            )
            for tway in ordered:
                if tway.needs_user_id and not walk.user_id:
                    continue
                carries_on = continues_profile_cursor(way.name, tway.name)
                cursor = parsed.end_cursor if carries_on else None
                result, why = await self._walk(outcome, obj, tway, cursor, walk, session)
                if result != "switch":
                    break
            if result != "done":
                outcome.complete, outcome.reason = False, f"paging stopped: {why}"
                return None
        return next_mark(walk.seen, mark) if self.policy.fast_update else None

    async def _walk(
        self,
        outcome: ProfileOutcome,
        obj: RawObject,
        tway: TimelineWay,
        cursor: str | None,
        walk: _Walk,
        session: bool,
    ) -> tuple[str, str]:
        """Page with one strategy: ("done", ""), ("switch", why) before its first page, or
        ("stop", why) part way (the pass is incomplete: the mark must not move)."""
        username = outcome.username
        pages = 0
        cursors: set[str | None] = set()
        while len(walk.seen) < self.policy.max_posts:
            cursors.add(cursor)
            try:
                answer, _, _ = await self.request(
                    username,
                    tway.name,
                    lambda a=cursor: tway.fetch(username, walk.user_id, a),
                    tway.classify,
                    kind="page",
                    session=session,
                )
            except StrategyGone as exc:
                self._drop("page", tway.name, exc)
                return ("switch" if pages == 0 else "stop"), f"{tway.name} is gone: {exc}"
            except LoginWall as exc:
                return ("switch" if pages == 0 else "stop"), f"{tway.name}: {exc}"
            except (GaveUp, ProfileNotFound) as exc:
                return "stop", str(exc)
            pages += 1
            outcome.pages += 1
            await asyncio.to_thread(self.store.put_page, obj, outcome.pages, answer.body)
            try:
                page = parse_profile(answer.body, username=username)
            except ProfileParseError as exc:  # one odd page stops this profile's paging only
                return "stop", str(exc)
            if walk.add(_post_keys(page)):
                return "done", ""
            cursor = page.end_cursor
            if not page.has_next_page or not cursor or cursor in cursors:
                return "done", ""
        return "done", ""


@dataclass
class _Walk:
    """The posts seen so far in one pass over a timeline, in timeline order."""

    seen: list[tuple[str, datetime | None]]
    user_id: str | None
    mark: Mark | None
    ids: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.ids = {post_id for post_id, _ in self.seen}

    def add(self, batch: list[tuple[str, datetime | None]]) -> bool:
        """Take a page's new posts; True when one of them ends the pass (fast update)."""
        fresh = [p for p in batch if p[0] not in self.ids]  # a restarted walk repeats posts
        found = first_known_index(fresh, self.mark, offset=len(self.seen))
        taken = fresh if found is None else fresh[:found]
        self.seen += taken
        self.ids.update(post_id for post_id, _ in taken)
        return found is not None


async def fetch_profiles(
    usernames: Sequence[str],
    ways: Ways | GetProfile,
    gate: RotationGate,
    store: LocalRawStore,
    policy: FetchPolicy,
    *,
    get_page: GetPage | None = None,
    run_id: str = "",
    on_progress: ProgressCallback | None = None,
    on_warning: Warn | None = None,
    stop_after: float | None = None,
) -> FetchReport:
    """Fetch every username, concurrently up to ``policy.concurrency``.

    ``ways`` are the strategies in order; a bare callable means web_profile_info only (with
    ``get_page`` for the query_hash timeline). ``on_warning`` hears once per run of each
    strategy found gone. ``stop_after`` (seconds) bounds an experiment: no new profile is
    started after it, and the report covers the profiles that were.
    """
    if not isinstance(ways, Ways):
        ways = Ways.legacy(ways, get_page)
    fetcher = _Fetcher(ways, gate, store, policy, run_id, on_warning)
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
    report.rotation_seconds = gate.stats.rotation_seconds
    report.seconds = loop.time() - started
    return report
