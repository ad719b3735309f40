"""The fetch strategies: each request intrend can send Instagram for a profile or a timeline
page, as one record in one registry.

Instagram keeps closing the endpoints scrapers use, so no code path may depend on one of them.
A fetch strategy is a record (:class:`ProfileStrategy`, :class:`TimelineStrategy`): its name,
the request it builds, the classifier of its answers (:mod:`.classify`) and what it can go on
from. The fetch loop tries the configured ones in order and falls back when one is closed
(``docs/instagram-strategies.md`` is the wire contract the sandbox also implements). Adding a
strategy is adding one record to :data:`PROFILE_STRATEGIES` or :data:`TIMELINE_STRATEGIES`;
their order is the default order of the settings.

This module is pure: it builds :class:`HttpRequest` values; :class:`~.client.InstagramClient`
sends them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection
from dataclasses import dataclass
from urllib.parse import urlsplit

from intrend_assets.instagram import classify
from intrend_assets.instagram.http import Answer, HttpRequest
from intrend_assets.tracking.usernames import validate_username

__all__ = [
    "PROFILE_STRATEGIES",
    "TIMELINE_STRATEGIES",
    "HttpRequest",
    "ProfileStrategy",
    "StrategyConfig",
    "TimelineStrategy",
    "check_order",
]


@dataclass(frozen=True)
class StrategyConfig:
    """Hosts and ids the strategies need; everything here is configuration, not code (built
    by :meth:`intrend_assets.settings.IntrendSettings.strategy_config`, home of the defaults)."""

    api_base: str
    www_base: str | None
    web_app_id: str
    ipad_app_id: str
    profile_doc_id: str
    timeline_doc_id: str
    timeline_query_hash: str

    @property
    def www(self) -> str:
        """The www host: Instagram's own when the API host is Instagram's, else the same host
        (the sandbox and test servers serve every path on one address)."""
        if self.www_base:
            return self.www_base.rstrip("/")
        parts = urlsplit(self.api_base)
        if parts.hostname == "i.instagram.com":
            return f"{parts.scheme}://www.instagram.com"
        return self.api_base.rstrip("/")

    @property
    def api(self) -> str:
        return self.api_base.rstrip("/")


Classifier = Callable[[Answer], str]  # "ok" / "private", or raises a FetchError


@dataclass(frozen=True)
class ProfileStrategy:
    """One fetch strategy for a profile.

    ``carries_posts``: the answer holds the first posts (else the timeline's first page is
    always needed). ``cursor_continues_with``: the timeline strategies that can page on from
    this answer's ``end_cursor``; every other one starts from the first page. ``endpoint``:
    the strategy whose endpoint this one asks too (empty: its own), so a refusal the endpoint
    gives for one profile is not asked again under another app id.
    """

    name: str
    build_request: Callable[[str, StrategyConfig], HttpRequest]  # (username, cfg)
    classify: Classifier
    carries_posts: bool = True
    cursor_continues_with: frozenset[str] = frozenset()
    endpoint: str = ""

    @property
    def endpoint_name(self) -> str:
        return self.endpoint or self.name


@dataclass(frozen=True)
class TimelineStrategy:
    """One fetch strategy for a page of a profile's timeline; ``needs_user_id``: the request is
    keyed by the numeric id, which only a profile answer gives."""

    name: str
    # (username, user_id, after, cfg, first): after=None is the first page
    build_request: Callable[[str, str | None, str | None, StrategyConfig, int], HttpRequest]
    classify: Classifier
    needs_user_id: bool = False


def check_order(names: list[str] | tuple[str, ...], known: Collection[str], what: str) -> None:
    """Refuse an empty, unknown or repeated strategy list with a message naming the choices."""
    if not names:
        raise ValueError(f"at least one {what} strategy is needed; choose from {', '.join(known)}")
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ValueError(
            f"unknown {what} strategy {', '.join(map(repr, unknown))}; "
            f"choose from {', '.join(known)}"
        )
    if len(set(names)) != len(names):
        raise ValueError(f"{what} strategies repeat: {', '.join(names)}")


def _graphql_post(cfg: StrategyConfig, doc_id: str, variables: dict[str, object]) -> HttpRequest:
    return HttpRequest(
        "POST",
        f"{cfg.www}/graphql/query",
        data={"doc_id": doc_id, "variables": json.dumps(variables, separators=(",", ":"))},
        headers={"x-ig-app-id": cfg.web_app_id},
    )


def _web_profile_info(app_id: Callable[[StrategyConfig], str]) -> Callable[..., HttpRequest]:
    def build(username: str, cfg: StrategyConfig) -> HttpRequest:
        return HttpRequest(
            "GET",
            f"{cfg.api}/api/v1/users/web_profile_info/",
            params={"username": validate_username(username)},
            headers={"x-ig-app-id": app_id(cfg)},
        )

    return build


def _profile_doc_id(username: str, cfg: StrategyConfig) -> HttpRequest:
    variables = {"username": validate_username(username), "render_surface": "PROFILE"}
    return _graphql_post(cfg, cfg.profile_doc_id, variables)


def _profile_page(username: str, cfg: StrategyConfig) -> HttpRequest:
    return HttpRequest(
        "GET",
        f"{cfg.www}/{validate_username(username)}/",
        headers={"accept": "text/html,application/xhtml+xml"},
    )


def _timeline_doc_id(
    username: str, user_id: str | None, after: str | None, cfg: StrategyConfig, first: int = 12
) -> HttpRequest:
    variables = {"username": validate_username(username), "first": first, "after": after}
    return _graphql_post(cfg, cfg.timeline_doc_id, variables)


def _timeline_query_hash(
    username: str, user_id: str | None, after: str | None, cfg: StrategyConfig, first: int = 12
) -> HttpRequest:
    validate_username(username)  # the endpoint is keyed by id; the name is only checked
    if not user_id or not str(user_id).isdigit():
        raise ValueError(f"user id must be digits, got {user_id!r}")
    variables_text = json.dumps({"id": str(user_id), "first": first, "after": after})
    return HttpRequest(
        "GET",
        f"{cfg.www}/graphql/query/",
        params={"query_hash": cfg.timeline_query_hash, "variables": variables_text},
        headers={"x-ig-app-id": cfg.web_app_id},
    )


# Graph-shaped profile answers (web_profile_info, the profile page) page on with the graph
# query_hash timeline; every other pairing starts from the first page.
_GRAPH_CURSOR = frozenset({"graphql_query_hash"})

PROFILE_STRATEGIES: dict[str, ProfileStrategy] = {
    s.name: s
    for s in (
        ProfileStrategy(
            "web_profile_info",
            _web_profile_info(lambda cfg: cfg.web_app_id),
            classify.json_user,
            cursor_continues_with=_GRAPH_CURSOR,
        ),
        ProfileStrategy(
            "web_profile_info_ipad",
            _web_profile_info(lambda cfg: cfg.ipad_app_id),
            classify.json_user,
            cursor_continues_with=_GRAPH_CURSOR,
            endpoint="web_profile_info",
        ),
        # The profile page before graphql_doc_id: its answer carries the first posts, so a
        # profile it serves costs one request; graphql_doc_id's costs a timeline page too.
        ProfileStrategy(
            "embedded_page",
            _profile_page,
            classify.embedded_user,
            cursor_continues_with=_GRAPH_CURSOR,
        ),
        ProfileStrategy("graphql_doc_id", _profile_doc_id, classify.json_user, carries_posts=False),
    )
}

TIMELINE_STRATEGIES: dict[str, TimelineStrategy] = {
    s.name: s
    for s in (
        TimelineStrategy("graphql_doc_id", _timeline_doc_id, classify.v1_timeline_page),
        TimelineStrategy(
            "graphql_query_hash",
            _timeline_query_hash,
            classify.graph_timeline_page,
            needs_user_id=True,
        ),
    )
}
