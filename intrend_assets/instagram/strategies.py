"""The ways into Instagram: what each strategy sends, as plain data.

Instagram keeps closing the endpoints scrapers use, so no code path may depend on one of them.
A *strategy* is a name, a request builder and a classifier (:mod:`.classify`); the fetch loop
tries them in a configured order and falls back when one is closed (see
``docs/instagram-strategies.md`` for the wire contract the sandbox also implements).

This module is pure: it builds :class:`HttpRequest` values; :class:`~.client.InstagramClient`
sends them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urlsplit

from intrend_assets.tracking.usernames import validate_username

ProfileStrategyName = Literal[
    "web_profile_info", "web_profile_info_ipad", "graphql_doc_id", "embedded_page"
]
TimelineStrategyName = Literal["graphql_doc_id", "graphql_query_hash"]
PROFILE_STRATEGIES: tuple[str, ...] = (
    "web_profile_info",
    "web_profile_info_ipad",
    "graphql_doc_id",
    "embedded_page",
)
TIMELINE_STRATEGIES: tuple[str, ...] = ("graphql_doc_id", "graphql_query_hash")
# Profile strategies whose answer carries no posts: the timeline's first page is always needed.
WITHOUT_POSTS = frozenset({"graphql_doc_id"})


@dataclass(frozen=True)
class HttpRequest:
    """One request to send; ``url`` is absolute, so strategies may use different hosts."""

    method: Literal["GET", "POST"]
    url: str
    params: dict[str, str] | None = None
    data: dict[str, str] | None = None
    headers: dict[str, str] = field(default_factory=dict)


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


def check_order(names: list[str] | tuple[str, ...], known: tuple[str, ...], what: str) -> None:
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


def profile_request(name: str, username: str, cfg: StrategyConfig) -> HttpRequest:
    """The request for ``username``'s profile through strategy ``name``."""
    user = validate_username(username)
    if name in ("web_profile_info", "web_profile_info_ipad"):
        app_id = cfg.web_app_id if name == "web_profile_info" else cfg.ipad_app_id
        return HttpRequest(
            "GET",
            f"{cfg.api}/api/v1/users/web_profile_info/",
            params={"username": user},
            headers={"x-ig-app-id": app_id},
        )
    if name == "graphql_doc_id":
        variables = {"username": user, "render_surface": "PROFILE"}
        return _graphql_post(cfg, cfg.profile_doc_id, variables)
    if name == "embedded_page":
        return HttpRequest(
            "GET",
            f"{cfg.www}/{user}/",
            headers={"accept": "text/html,application/xhtml+xml"},
        )
    raise ValueError(f"unknown profile strategy {name!r}")


def timeline_request(
    name: str,
    username: str,
    user_id: str | None,
    after: str | None,
    cfg: StrategyConfig,
    first: int = 12,
) -> HttpRequest:
    """One timeline page after cursor ``after`` (None: the first page)."""
    user = validate_username(username)
    if name == "graphql_doc_id":
        variables = {"username": user, "first": first, "after": after}
        return _graphql_post(cfg, cfg.timeline_doc_id, variables)
    if name == "graphql_query_hash":
        if not user_id or not str(user_id).isdigit():
            raise ValueError(f"user id must be digits, got {user_id!r}")
        variables_text = json.dumps({"id": str(user_id), "first": first, "after": after})
        return HttpRequest(
            "GET",
            f"{cfg.www}/graphql/query/",
            params={"query_hash": cfg.timeline_query_hash, "variables": variables_text},
            headers={"x-ig-app-id": cfg.web_app_id},
        )
    raise ValueError(f"unknown timeline strategy {name!r}")


def continues_profile_cursor(profile_strategy: str, timeline_strategy: str) -> bool:
    """Whether the profile answer's ``end_cursor`` is valid for this timeline strategy.

    Graph-shaped answers (web_profile_info, the embedded page) page on with the graph
    ``query_hash`` endpoint; every other pairing starts from the first page and drops the
    posts it already has.
    """
    return profile_strategy not in WITHOUT_POSTS and timeline_strategy == "graphql_query_hash"


def _graphql_post(cfg: StrategyConfig, doc_id: str, variables: dict[str, object]) -> HttpRequest:
    return HttpRequest(
        "POST",
        f"{cfg.www}/graphql/query",
        data={"doc_id": doc_id, "variables": json.dumps(variables, separators=(",", ":"))},
        headers={"x-ig-app-id": cfg.web_app_id},
    )
