"""Fetch strategy records bound to scripted coroutines instead of a client, for tests."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace

from intrend_assets.instagram.bound import (
    BoundProfileStrategy,
    BoundStrategies,
    BoundTimelineStrategy,
    FetchProfile,
)
from intrend_assets.instagram.http import Answer
from intrend_assets.instagram.strategies import PROFILE_STRATEGIES, TIMELINE_STRATEGIES

GetPage = Callable[[str, str | None], Awaitable[Answer]]  # (user id, after) -> answer


def profile(fetch: FetchProfile, name: str = "web_profile_info") -> BoundProfileStrategy:
    """``fetch`` answering as web_profile_info does, under ``name``."""
    return BoundProfileStrategy(replace(PROFILE_STRATEGIES["web_profile_info"], name=name), fetch)


def timeline(get_page: GetPage) -> BoundTimelineStrategy:
    """``get_page`` answering as the query_hash timeline does (keyed by user id)."""

    async def fetch(_username: str, user_id: str | None, after: str | None) -> Answer:
        return await get_page(str(user_id), after)

    return BoundTimelineStrategy(TIMELINE_STRATEGIES["graphql_query_hash"], fetch)


def bound(get_profile: FetchProfile, get_page: GetPage | None = None) -> BoundStrategies:
    """web_profile_info (and the query_hash timeline) through two plain coroutines."""
    return BoundStrategies((profile(get_profile),), (timeline(get_page),) if get_page else ())
