"""Paging a profile's timeline past its profile answer, up to ``max_posts``, stopping early
at the first post already stored (fast update, see :mod:`.fast_update`).

A profile's first fetch (fast update on, no mark yet) goes deeper: until its posts reach
``first_fetch_days`` back, so the trend report's baseline window is filled from the first
run rather than weeks later, within ``first_fetch_max_pages`` pages.

A timeline strategy that can go on from the profile answer's cursor goes first (it does not
fetch the first posts again); a strategy gone or walled before its first page hands over to
the next one; anything that stops the pass part way leaves it incomplete, so the fast-update
mark does not move.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from intrend_assets.fetching.attempts import Requester
from intrend_assets.fetching.fast_update import PINNED_MAX, Mark, first_known_index, next_mark
from intrend_assets.fetching.policy import FetchPolicy
from intrend_assets.fetching.report import GaveUp, ProfileOutcome
from intrend_assets.fetching.run import FetchRun
from intrend_assets.instagram.bound import BoundProfileStrategy, BoundTimelineStrategy
from intrend_assets.instagram.errors import (
    LoginWall,
    ProfileNotFound,
    ProfileRefused,
    StrategyGone,
    StrategyThrottled,
)
from intrend_assets.parsing.profile import ParsedProfile, ProfileParseError, parse_profile
from intrend_assets.raw_store.store import RawObject


def _post_keys(parsed: ParsedProfile) -> list[tuple[str, datetime | None]]:
    """(post id, taken_at) of each post, in timeline order: what fast update compares."""
    return list(zip(parsed.post_columns["post_id"], parsed.post_columns["taken_at"], strict=True))


@dataclass
class _Walk:
    """The posts seen so far in one pass over a timeline, in timeline order."""

    seen: list[tuple[str, datetime | None]]
    user_id: str | None
    mark: Mark | None
    history_until: datetime | None = None  # a first fetch pages back to here
    history_pages: int = 0  # in at most this many pages
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

    def reached(self) -> bool:
        """Whether the posts seen reach back to ``history_until`` (pinned slots aside: an old
        pinned post on top says nothing about how far back the timeline has been read)."""
        until = self.history_until
        if until is None:
            return True
        return any(t is not None and t <= until for _, t in self.seen[PINNED_MAX:])

    def wants_more(self, policy: FetchPolicy, pages: int) -> bool:
        """Whether to fetch another page, ``pages`` pages in: up to ``max_posts`` posts, and on
        a first fetch on until the history reaches back far enough or the pages run out."""
        if len(self.seen) < policy.max_posts:
            return True
        return pages < self.history_pages and not self.reached()


def history_until(policy: FetchPolicy, mark: Mark | None) -> datetime | None:
    """How far back this fetch pages: a first fetch (fast update on, no mark) to
    ``first_fetch_days`` ago; any other fetch no further than ``max_posts``."""
    if not policy.fast_update or mark is not None or policy.first_fetch_days <= 0:
        return None
    if policy.first_fetch_max_pages <= 0:
        return None
    return datetime.now(UTC) - timedelta(days=policy.first_fetch_days)


class TimelinePager:
    def __init__(self, run: FetchRun, requester: Requester) -> None:
        self.run = run
        self.requester = requester

    async def paginate(
        self,
        outcome: ProfileOutcome,
        obj: RawObject,
        body: bytes,
        served_by: BoundProfileStrategy,
        session: bool = False,
    ) -> Mark | None:
        """Page the timeline past the profile answer.

        Returns the fast-update mark a complete pass earns (None when the pass stopped short
        or fast update is off); the caller writes it once the pages are queued for loading.
        """
        username, policy = outcome.username, self.run.policy
        try:
            parsed = parse_profile(body, username=username)
        except ProfileParseError as exc:
            outcome.complete, outcome.reason = False, str(exc)
            return None
        mark = None
        if policy.fast_update:
            mark = await asyncio.to_thread(self.run.store.read_mark, username)
        carries_posts = served_by.strategy.carries_posts
        # An answer without posts costs a page for the posts other answers carry: the same
        # history whichever strategy served the profile.
        history_pages = policy.first_fetch_max_pages + (0 if carries_posts else 1)
        until = history_until(policy, mark)
        walk = _Walk(_post_keys(parsed), parsed.profile.get("id"), mark, until, history_pages)
        if (
            first_known_index(walk.seen, mark) is None
            and (parsed.has_next_page or not carries_posts)
            and walk.wants_more(policy, outcome.pages)
        ):
            bound = self.run.strategies
            timeline = bound.session_timeline if session else bound.timeline
            result, why = "none", "no timeline strategy is configured"
            ordered = sorted(
                self.run.open("page", timeline), key=lambda t: not served_by.continues_with(t)
            )
            for strategy in ordered:
                if strategy.strategy.needs_user_id and not walk.user_id:
                    continue
                cursor = parsed.end_cursor if served_by.continues_with(strategy) else None
                result, why = await self._walk(outcome, obj, strategy, cursor, walk, session)
                if result != "switch":
                    break
            if result != "done":
                outcome.complete, outcome.reason = False, f"paging stopped: {why}"
                return None
        return next_mark(walk.seen, mark) if policy.fast_update else None

    async def _walk(
        self,
        outcome: ProfileOutcome,
        obj: RawObject,
        strategy: BoundTimelineStrategy,
        cursor: str | None,
        walk: _Walk,
        session: bool,
    ) -> tuple[str, str]:
        """Page with one strategy: ("done", ""), ("switch", why) before its first page, or
        ("stop", why) part way (the pass is incomplete: the mark must not move)."""
        username = outcome.username
        pages = 0
        cursors: set[str | None] = set()
        while walk.wants_more(self.run.policy, outcome.pages):
            cursors.add(cursor)
            try:
                async with self.run.page_turn(session):
                    answer, _, _ = await self.requester.request(
                        username,
                        strategy.name,
                        lambda a=cursor: strategy.fetch(username, walk.user_id, a),
                        strategy.classify,
                        kind="page",
                        session=session,
                    )
            except StrategyGone as exc:
                self.run.gone_answer("page", strategy.name, exc)
                return ("switch" if pages == 0 else "stop"), f"{strategy.name} is gone: {exc}"
            except (LoginWall, StrategyThrottled, ProfileRefused) as exc:
                return ("switch" if pages == 0 else "stop"), f"{strategy.name}: {exc}"
            except (GaveUp, ProfileNotFound) as exc:
                return "stop", str(exc)
            pages += 1
            outcome.pages += 1
            await asyncio.to_thread(self.run.store.put_page, obj, outcome.pages, answer.body)
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
