"""One profile across the configured fetch strategies, until it is stored or has a reason.

A login wall for one profile moves that profile on to the next strategy (and is remembered,
so the next run starts elsewhere), and so does an odd refusal (the strategy that served the
profile instead is remembered, so the next run starts with it); a strategy gone for everyone
is dropped for the rest of the run. When every anonymous strategy is walled for a profile, a
logged-in session (if configured) is tried, on a held IP and its own slower pacing.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime

from intrend_assets.fetching.attempts import Requester
from intrend_assets.fetching.policy import PROFILE_POSTS
from intrend_assets.fetching.report import GaveUp, ProfileOutcome
from intrend_assets.fetching.run import FetchRun
from intrend_assets.fetching.timeline import TimelinePager, history_until
from intrend_assets.instagram.bound import BoundProfileStrategy
from intrend_assets.instagram.errors import (
    ConfigurationError,
    LoginWall,
    ProfileNotFound,
    ProfileRefused,
    StrategyGone,
    StrategyThrottled,
)
from intrend_assets.instagram.http import Answer
from intrend_assets.tracking.usernames import InvalidUsername, validate_username

Found = tuple[BoundProfileStrategy, Answer, str, int]  # served by, answer, kind, attempts


class ProfileFetch:
    def __init__(self, run: FetchRun) -> None:
        self.run = run
        self.requester = Requester(run)
        self.pager = TimelinePager(run, self.requester)

    def _all_gone(self) -> ConfigurationError:
        return ConfigurationError(
            "every profile strategy is gone: " + "; ".join(self.run.report.gone.values())
        )

    async def _through(
        self,
        username: str,
        strategies: list[BoundProfileStrategy],
        session: bool,
        walled: list[str],
        refused: dict[str, str],
        odd: dict[str, str],
    ) -> Found | ProfileOutcome | None:
        """Try ``strategies`` in order: the first answer, a final outcome, or None (all
        refused: by a login wall in ``walled``, for another reason in ``refused``; an odd
        refusal of this profile lands in ``odd``, endpoint -> strategy)."""
        run = self.run
        for strategy in strategies:
            if run.is_gone("profile", strategy.name):
                continue  # dropped while this profile waited its turn
            endpoint = strategy.strategy.endpoint_name
            if endpoint in odd:  # the endpoint refused this profile: another app id won't do
                refused[strategy.name] = f"skipped: {odd[endpoint]} refused it on this endpoint"
                continue
            if run.is_benched("profile", strategy.name) and run.others_open(
                "profile", strategy.name, session
            ):
                continue  # benched while this profile waited its turn
            try:
                answer, kind, attempts = await self.requester.request(
                    username,
                    strategy.name,
                    lambda s=strategy: s.fetch(username),
                    strategy.classify,
                    session=session,
                )
            except LoginWall:
                walled.append(strategy.name)
                continue
            except ProfileRefused as exc:
                refused[strategy.name] = str(exc)
                odd[endpoint] = strategy.name
                continue
            except StrategyThrottled as exc:
                refused[strategy.name] = str(exc)
                continue
            except StrategyGone as exc:
                if not run.gone_answer("profile", strategy.name, exc):
                    refused[strategy.name] = str(exc)  # once is not gone: this profile moves on
                continue
            except ProfileNotFound as exc:
                return ProfileOutcome(username, exc.outcome, str(exc), strategy=strategy.name)
            except GaveUp as exc:
                return ProfileOutcome(username, "gave_up", str(exc), exc.attempts)
            return strategy, answer, kind, attempts
        return None

    def _memory(self, username: str) -> tuple[frozenset[str], str | None]:
        """What the store remembers of this profile: the strategies that walled it, and the
        one that served it when that was not the first in order."""
        store = self.run.store
        return store.read_walls(username), store.read_served(username)

    async def _find(
        self, username: str, refused: dict[str, str], stint: contextlib.AsyncExitStack
    ) -> tuple[Found | ProfileOutcome | None, list[str], bool]:
        """Ask the strategies (then the session) for the profile; also what walled it and
        whether the session served it (other refusals land in ``refused``). The session's
        requests start a stint on ``stint``, which the caller closes after the paging."""
        run = self.run
        strategies = run.open("profile", run.strategies.profile)
        if not strategies:
            raise self._all_gone()
        known_walls, served = await asyncio.to_thread(self._memory, username)
        usual = run.strategies.profile[0].name  # production's first, benched or not
        # Strategies that walled this profile before go last: no request is spent on a known
        # wall while another strategy is open, and they are still tried when nothing else works.
        # The one that served it last goes first: an odd refusal costs a request once only.
        strategies.sort(key=lambda s: (s.name in known_walls, s.name != served))
        walled: list[str] = []
        odd: dict[str, str] = {}
        found = await self._through(username, strategies, False, walled, refused, odd)
        # What walled anonymous requests is remembered; a strategy that served them is forgotten.
        walls = set(known_walls) | set(walled)
        if isinstance(found, tuple):
            walls.discard(found[0].name)
            # Only an odd refusal of this profile is worth remembering: a strategy gone or
            # benched for everyone comes back, and the usual order with it.
            now_served = None if found[0].name == usual else (found[0].name if odd else served)
            if now_served != served:
                await asyncio.to_thread(run.store.write_served, username, now_served)
        if walls != set(known_walls):
            await asyncio.to_thread(run.store.write_walls, username, walls)
        if found is None and walled and run.strategies.session_profile:
            await stint.enter_async_context(self.requester.session_stint())
            session_walled: list[str] = []
            session_strategies = run.open("profile", run.strategies.session_profile)
            found = await self._through(
                username, session_strategies, True, session_walled, refused, {}
            )
            walled += [f"{name} (logged in)" for name in session_walled]
            return found, walled, True
        return found, walled, False

    async def profile(self, raw_name: str) -> ProfileOutcome:
        try:
            username = validate_username(raw_name)
        except InvalidUsername as exc:
            return ProfileOutcome(str(raw_name), "invalid", exc.reason)
        async with contextlib.AsyncExitStack() as stint:
            return await self._fetch(username, stint)

    async def _fetch(self, username: str, stint: contextlib.AsyncExitStack) -> ProfileOutcome:
        refused: dict[str, str] = {}
        found, walled, session = await self._find(username, refused, stint)
        if isinstance(found, ProfileOutcome):
            return found
        if found is None:
            if not self.run.open("profile", self.run.strategies.profile):
                raise self._all_gone()
            # Every strategy refused this profile: say what each one answered.
            reasons = [f"{name}: {why}" for name, why in refused.items()]
            if walled:
                reasons.insert(0, f"login wall on {', '.join(walled)}")
                return ProfileOutcome(username, "login_wall", "; ".join(reasons))
            if refused:
                return ProfileOutcome(username, "refused", "; ".join(reasons))
            raise self._all_gone()
        return await self._store(username, found, session)

    async def _store(self, username: str, found: Found, session: bool) -> ProfileOutcome:
        """Keep the answer, page the timeline past it, queue both for the warehouse."""
        store, policy = self.run.store, self.run.policy
        strategy, answer, kind, attempts = found
        obj = await asyncio.to_thread(store.put, username, datetime.now(UTC), answer.body)
        self.run.report.bytes_stored += obj.size
        outcome = ProfileOutcome(
            username,
            "stored" if kind == "ok" else "private",
            "",
            attempts,
            obj.key,
            strategy=strategy.name,
            session=session,
        )
        mark = None
        # A first fetch may page for history; the pager reads the mark and tells.
        pages_needed = (
            not strategy.strategy.carries_posts
            or policy.max_posts > PROFILE_POSTS
            or (history_until(policy, None) is not None and bool(self.run.strategies.timeline))
        )
        try:
            if kind == "ok" and pages_needed:
                mark = await self.pager.paginate(outcome, obj, answer.body, strategy, session)
        except BaseException:
            # Whatever stopped the paging (a configuration error, a cancelled run), the answer
            # and the pages stored so far are the warehouse's to load. The mark stays where
            # it was, so the next fetch pages those posts again. Written here and now: after
            # a cancellation, awaiting is not to be counted on.
            store.mark_pending(obj)
            raise
        # The answer and its pages are stored: queue them for the warehouse load, and only
        # then move the fast-update mark past them (a crash in between re-fetches, never
        # skips, posts the warehouse has not seen).
        await asyncio.to_thread(store.mark_pending, obj)
        if mark is not None:
            await asyncio.to_thread(store.write_mark, username, mark)
        return outcome
