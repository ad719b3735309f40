"""Fetch strategies bound to a client: what the fetch loop calls, in the configured order.

A bound strategy is a record of :mod:`.strategies` plus the coroutine that sends its request;
the fetch loop reads the name, classifier and pairing rules from the record. Tests bind a
record to a scripted coroutine instead of a client.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from intrend_assets.instagram.client import InstagramClient
from intrend_assets.instagram.http import Answer
from intrend_assets.instagram.strategies import (
    PROFILE_STRATEGIES,
    TIMELINE_STRATEGIES,
    ProfileStrategy,
    TimelineStrategy,
    check_order,
)

FetchProfile = Callable[[str], Awaitable[Answer]]  # username -> answer
FetchPage = Callable[[str, str | None, str | None], Awaitable[Answer]]  # username, id, after


@dataclass(frozen=True)
class BoundProfileStrategy:
    strategy: ProfileStrategy
    fetch: FetchProfile

    @property
    def name(self) -> str:
        return self.strategy.name

    def classify(self, answer: Answer) -> str:
        return self.strategy.classify(answer)

    def continues_with(self, timeline: BoundTimelineStrategy) -> bool:
        """Whether this answer's ``end_cursor`` is valid for ``timeline``."""
        return timeline.name in self.strategy.cursor_continues_with


@dataclass(frozen=True)
class BoundTimelineStrategy:
    strategy: TimelineStrategy
    fetch: FetchPage

    @property
    def name(self) -> str:
        return self.strategy.name

    def classify(self, answer: Answer) -> str:
        return self.strategy.classify(answer)


@dataclass(frozen=True)
class BoundStrategies:
    """The ordered fetch strategies, anonymous and (optionally) through a logged-in session."""

    profile: tuple[BoundProfileStrategy, ...]
    timeline: tuple[BoundTimelineStrategy, ...] = ()
    session_profile: tuple[BoundProfileStrategy, ...] = ()
    session_timeline: tuple[BoundTimelineStrategy, ...] = ()

    @classmethod
    def from_clients(
        cls,
        client: InstagramClient,
        profile_order: Sequence[str],
        timeline_order: Sequence[str],
        session_client: InstagramClient | None = None,
    ) -> BoundStrategies:
        """Every configured strategy bound to ``client`` (and to ``session_client``)."""
        check_order(tuple(profile_order), PROFILE_STRATEGIES, "profile")
        check_order(tuple(timeline_order), TIMELINE_STRATEGIES, "timeline")
        anonymous = (bind_profile(client, profile_order), bind_timeline(client, timeline_order))
        if session_client is None:
            return cls(*anonymous)
        return cls(
            *anonymous,
            bind_profile(session_client, profile_order),
            bind_timeline(session_client, timeline_order),
        )


def bind_profile(client: InstagramClient, names: Sequence[str]) -> tuple[BoundProfileStrategy, ...]:
    cfg = client.config.strategies

    def bind(strategy: ProfileStrategy) -> BoundProfileStrategy:
        async def fetch(username: str) -> Answer:
            return await client.send(strategy.build_request(username, cfg))

        return BoundProfileStrategy(strategy, fetch)

    return tuple(bind(PROFILE_STRATEGIES[n]) for n in names)


def bind_timeline(
    client: InstagramClient, names: Sequence[str]
) -> tuple[BoundTimelineStrategy, ...]:
    cfg = client.config.strategies

    def bind(strategy: TimelineStrategy) -> BoundTimelineStrategy:
        async def fetch(username: str, user_id: str | None, after: str | None) -> Answer:
            return await client.send(strategy.build_request(username, user_id, after, cfg, 12))

        return BoundTimelineStrategy(strategy, fetch)

    return tuple(bind(TIMELINE_STRATEGIES[n]) for n in names)
