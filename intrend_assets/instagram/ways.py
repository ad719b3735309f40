"""Strategies bound to a client: what the fetch loop calls, in the configured order.

The fetch loop knows a way in only as a name, a coroutine that fetches, and a classifier; so
tests (and the rate-limit experiments) can hand it any callable, and the strategies stay
plain data in :mod:`.strategies`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from intrend_assets.instagram.classify import (
    classify_page_answer,
    classify_profile,
    classify_profile_answer,
    classify_timeline,
)
from intrend_assets.instagram.client import Answer, InstagramClient
from intrend_assets.instagram.strategies import (
    PROFILE_STRATEGIES,
    TIMELINE_STRATEGIES,
    WITHOUT_POSTS,
    check_order,
    profile_request,
    timeline_request,
)

GetProfile = Callable[[str], Awaitable[Answer]]
GetPage = Callable[[str, str | None], Awaitable[Answer]]


@dataclass(frozen=True)
class ProfileWay:
    name: str
    fetch: Callable[[str], Awaitable[Answer]]  # username -> answer
    classify: Callable[[Answer], str]  # "ok" / "private", or raises a FetchError
    carries_posts: bool = True


@dataclass(frozen=True)
class TimelineWay:
    name: str
    fetch: Callable[[str, str | None, str | None], Awaitable[Answer]]  # username, id, after
    classify: Callable[[Answer], str]
    needs_user_id: bool = False


@dataclass(frozen=True)
class Ways:
    """The ordered ways in, anonymous and (optionally) through a logged-in session."""

    profile: tuple[ProfileWay, ...]
    timeline: tuple[TimelineWay, ...] = ()
    session_profile: tuple[ProfileWay, ...] = field(default=())
    session_timeline: tuple[TimelineWay, ...] = field(default=())

    @classmethod
    def legacy(cls, get_profile: GetProfile, get_page: GetPage | None = None) -> Ways:
        """web_profile_info and the query_hash timeline only, through two plain callables."""
        profile = ProfileWay(
            "web_profile_info", get_profile, lambda a: classify_profile_answer(a.status, a.body)
        )
        timeline: tuple[TimelineWay, ...] = ()
        if get_page is not None:
            page = get_page
            timeline = (
                TimelineWay(
                    "graphql_query_hash",
                    lambda _user, user_id, after: page(str(user_id), after),
                    lambda a: classify_page_answer(a.status, a.body),
                    needs_user_id=True,
                ),
            )
        return cls((profile,), timeline)

    @classmethod
    def from_clients(
        cls,
        client: InstagramClient,
        profile_order: Sequence[str],
        timeline_order: Sequence[str],
        session_client: InstagramClient | None = None,
    ) -> Ways:
        """Every configured strategy bound to ``client`` (and to ``session_client``)."""
        check_order(tuple(profile_order), PROFILE_STRATEGIES, "profile")
        check_order(tuple(timeline_order), TIMELINE_STRATEGIES, "timeline")
        anonymous = (_profile_ways(client, profile_order), _timeline_ways(client, timeline_order))
        if session_client is None:
            return cls(*anonymous)
        return cls(
            *anonymous,
            _profile_ways(session_client, profile_order),
            _timeline_ways(session_client, timeline_order),
        )


def _profile_ways(client: InstagramClient, names: Sequence[str]) -> tuple[ProfileWay, ...]:
    cfg = client.config.strategies

    def bind(name: str) -> ProfileWay:
        async def fetch(username: str) -> Answer:
            return await client.send(profile_request(name, username, cfg))

        def classify(answer: Answer) -> str:
            return classify_profile(name, answer.status, answer.body, answer.location)

        return ProfileWay(name, fetch, classify, carries_posts=name not in WITHOUT_POSTS)

    return tuple(bind(n) for n in names)


def _timeline_ways(client: InstagramClient, names: Sequence[str]) -> tuple[TimelineWay, ...]:
    cfg = client.config.strategies

    def bind(name: str) -> TimelineWay:
        async def fetch(username: str, user_id: str | None, after: str | None) -> Answer:
            return await client.send(timeline_request(name, username, user_id, after, cfg))

        def classify(answer: Answer) -> str:
            return classify_timeline(name, answer.status, answer.body, answer.location)

        return TimelineWay(name, fetch, classify, needs_user_id=name == "graphql_query_hash")

    return tuple(bind(n) for n in names)
