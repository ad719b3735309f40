"""Raw Instagram answers → a profile dict and a frame of posts.

Pure code: no I/O, no clock. The raw store keeps bodies zstd-compressed; they are decoded
by :mod:`.decode` (zstd → orjson, or the JSON embedded in an HTML profile page) and the
fields read by :mod:`.fields` (plain lookups, jmespath's rules). Every fetch strategy's
answer is understood (:mod:`.shapes` turns the v1 ones into the graph shape, so
the same data gives the same :class:`ParsedProfile` whichever strategy fetched it):

- ``web_profile_info`` and the embedded profile page (``{"data": {"user": {...profile...,
  "edge_owner_to_timeline_media": ...}}}``; also the older ``{"graphql": {"user": ...}}``):
  profile fields and the first posts, likes under ``edge_liked_by``;
- a ``query_hash`` timeline page (``{"data": {"user": {"edge_owner_to_timeline_media":
  ...}}}``): no profile fields, likes only under ``edge_media_preview_like``; the owner comes
  from each post's ``owner`` or from the ``username`` argument;
- the ``doc_id`` profile answer (v1 user): profile fields, no posts; ``has_next_page`` says
  whether the timeline is worth paging (the media count is not zero), with no cursor;
- the ``doc_id`` timeline answer (v1 timeline): parsed as a timeline page.

Anything else (a refusal, a GraphQL error answer, a page without an embedded profile, an
unknown shape) raises :class:`ProfileParseError`, the one error type callers need to catch.
Missing or null fields become nulls; unknown fields are ignored (the endpoint moves).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property, lru_cache
from typing import Any

import polars as pl

from intrend_assets.parsing import fields
from intrend_assets.parsing.decode import ZSTD_MAGIC, DecodeError, decode
from intrend_assets.parsing.posts import as_int, as_str, post_columns
from intrend_assets.parsing.shapes import (
    V1_TIMELINE,
    V1_USER,
    detect_shape,
    graphql_errors,
    has_graph_fields,
    to_graph,
)
from intrend_assets.tracking.usernames import InvalidUsername, validate_username
from warehouse.contract import POSTS_SCHEMA, PROFILE_FIELDS, posts_frame_from_columns

__all__ = [
    "POSTS_SCHEMA",
    "ZSTD_MAGIC",
    "ParsedProfile",
    "ProfileParseError",
    "decode_body",
    "parse_profile",
]


class ProfileParseError(ValueError):
    """A body that is not a usable profile answer; names the profile and what was wrong."""

    def __init__(self, username: str | None, reason: str) -> None:
        self.username = username
        self.reason = reason
        super().__init__(f"cannot parse the answer for {username or '<unknown profile>'}: {reason}")

    def __reduce__(self) -> tuple[Any, ...]:  # keep picklable across processes
        return (type(self), (self.username, self.reason))


@dataclass(frozen=True, eq=False)
class ParsedProfile:
    """One parsed answer: the profile as it was at ``fetched_at`` and its posts.

    An :class:`warehouse.contract.Answer`: ``profile`` holds the contract's
    ``PROFILE_FIELDS``, ``post_columns`` its ``POSTS_SCHEMA`` columns as plain lists, which
    become a DataFrame on first access of :attr:`posts` (a batch loader concatenates the
    lists of many answers into one frame instead).
    """

    profile: dict[str, Any]
    post_columns: dict[str, list[Any]] = field(repr=False)
    kind: str = "profile"  # "profile" (web_profile_info) or "timeline_page"
    has_next_page: bool | None = None
    end_cursor: str | None = None

    @cached_property
    def posts(self) -> pl.DataFrame:
        """One row per post, :data:`POSTS_SCHEMA` columns (also when there are none)."""
        return posts_frame_from_columns(self.post_columns)

    @property
    def is_full(self) -> bool:
        """A full profile answer (its counts are a snapshot), not a timeline page."""
        return self.kind == "profile"

    @property
    def post_count(self) -> int:
        return len(self.post_columns["post_id"])

    @property
    def username(self) -> str | None:
        return self.profile.get("username")


def decode_body(
    payload: bytes | bytearray | memoryview | str, *, username: str | None = None
) -> Any:
    """zstd (detected by its magic) → bytes → UTF-8 → JSON (:func:`.decode.decode`).

    An HTML body (the embedded-page strategy) gives the profile JSON embedded in it, as
    ``{"data": {"user": ...}}`` (:func:`intrend_assets.parsing.shapes.extract_embedded`).
    """
    try:
        return decode(payload)
    except DecodeError as exc:
        raise ProfileParseError(username, str(exc)) from None


def parse_profile(
    payload: bytes | bytearray | memoryview | str | Mapping[str, Any],
    *,
    fetched_at: datetime | float | str | None = None,
    username: str | None = None,
) -> ParsedProfile:
    """Parse a profile answer or a timeline page, of any strategy, into profile + posts.

    ``fetched_at`` (when the body was received) is stamped on the profile and every post; it
    stays null when not given, and the warehouse then stamps its own load time.
    """
    json_nodes = not isinstance(payload, Mapping)  # decoded here: plain dicts and lists
    body = payload if not json_nodes else decode_body(payload, username=username)
    when = _as_utc(fetched_at, username)
    user = _user_of(body, username)

    nodes = fields.edge_nodes(user)
    is_page = not (
        "id" in user or "username" in user or "full_name" in user or "edge_followed_by" in user
    )
    if is_page and "edge_owner_to_timeline_media" not in user:
        raise ProfileParseError(username, "the user object has neither profile fields nor posts")

    profile = fields.profile_fields(user)
    if is_page:
        # A page knows the owner only through its posts (or the caller); a post of another
        # owner (a collaboration, or a made-up name) does not make the page theirs.
        requested = _canonical(username) if username is not None else None
        mine = [o for o in map(fields.node_owner, nodes) if _owned_by(o[1], requested)]
        owner_id = next((o[0] for o in mine if o[0]), None)
        owner_name = next((o[1] for o in mine if o[1]), None)
        profile["id"] = profile["id"] or owner_id
        profile["username"] = owner_name or username
    profile = _profile_row(profile)
    profile["username"] = _owner(profile["username"] or username, username, is_page)
    profile["fetched_at"] = when

    columns = post_columns(nodes, profile["id"], profile["username"], when, json_nodes=json_nodes)
    columns["owner_username"] = _post_owners(columns["owner_username"], profile["username"])
    has_next_page, end_cursor = fields.page_info(user)
    return ParsedProfile(
        profile=profile,
        post_columns=columns,
        kind="timeline_page" if is_page else "profile",
        has_next_page=_bool(has_next_page),
        end_cursor=as_str(end_cursor),
    )


def _profile_row(raw: dict[str, Any]) -> dict[str, Any]:
    """:data:`PROFILE_FIELDS` of :func:`.fields.profile_fields`' values, converted (strings,
    int64 counts and booleans, else null; the picture's URL as it is; no ``fetched_at`` yet)."""
    profile = {key: raw.get(key) for key in PROFILE_FIELDS}
    for key in _STR_FIELDS:
        if type(value := profile[key]) is not str:
            profile[key] = as_str(value)
    for key in _INT_FIELDS:
        profile[key] = as_int(profile[key])
    for key in _BOOL_FIELDS:
        if type(profile[key]) is not bool:
            profile[key] = None
    return profile


_STR_FIELDS = ("id", "username", "full_name", "biography", "category_name", "external_url")
_INT_FIELDS = ("followers", "following", "post_count")
_BOOL_FIELDS = ("is_private", "is_verified", "is_business_account")


def _canonical(name: object) -> str | None:
    if type(name) is str:
        return _canonical_name(name)
    try:
        return validate_username(name)
    except InvalidUsername:
        return None


@lru_cache(maxsize=1 << 14)
def _canonical_name(name: str) -> str | None:
    """:func:`_canonical` of a string, cached: an answer asks it of the same few names (the
    requested one, the body's, each post's owner), and a load of the same profiles."""
    try:
        return validate_username(name)
    except InvalidUsername:
        return None


def _owner(named: str | None, requested: str | None, is_page: bool) -> str | None:
    """Whose answer this is: the requested profile's, when the caller says which (the raw
    store's key, validated when the fetch was made), never a name the body makes up. A
    profile answer bearing another name is refused; a page bears none of its own."""
    if requested is None:
        return named
    owner = _canonical(requested)
    if owner is None:
        raise ProfileParseError(requested, "the requested username is not one Instagram issues")
    if not is_page and named is not None and _canonical(named) != owner:
        raise ProfileParseError(
            requested, f"the answer names {named[:64]!r}, not the requested profile"
        )
    return owner


def _owned_by(name: object, requested: str | None) -> bool:
    """Whether a post naming ``name`` as its owner may be the ``requested`` (canonical)
    profile's; any may when none was requested."""
    return requested is None or not name or _canonical(name) == requested


def _post_owners(names: list[Any], owner: str | None) -> list[Any]:
    """Post owners in canonical form. A post may name another owner than the profile (a
    collaboration post is its author's); a name Instagram never issues counts as no name:
    the post is the profile's, as a post without an owner is."""
    first = names[0] if names else None
    if first is not None and names.count(first) == len(names):  # one owner: the common case
        return [_canonical(first) or owner] * len(names)
    canonical = {name: _canonical(name) or owner for name in set(names) - {None}}
    return [canonical.get(name, owner) for name in names]


def _graph_user(body: Any) -> dict[str, Any] | None:
    """The user of the common answer (``{"data": {"user": {...graph fields}}}``, neither an
    error nor a refusal), found without :func:`_user_of`'s general checks, which it passes;
    ``None`` for any other body (they judge it)."""
    if type(body) is not dict or body.get("status") == "fail":
        return None
    data = body.get("data")
    user = data.get("user") if type(data) is dict else None
    if type(user) is not dict or not has_graph_fields(user):
        return None
    return dict(user)


def _user_of(body: Any, username: str | None) -> dict[str, Any]:
    if (user := _graph_user(body)) is not None:
        return user
    if not isinstance(body, Mapping):
        raise ProfileParseError(username, f"expected a JSON object, got {type(body).__name__}")
    if errors := graphql_errors(body):
        joined = "; ".join(errors)
        raise ProfileParseError(username, f"GraphQL errors (a stale doc_id?): {joined[:300]}")
    if body.get("status") == "fail" or ("message" in body and "data" not in body):
        message = body.get("message") or "no message"
        flags = [k for k in ("require_login", "spam", "checkpoint_url") if body.get(k)]
        suffix = f" ({', '.join(flags)})" if flags else ""
        raise ProfileParseError(username, f"Instagram refused: {message!s}{suffix}")
    if detect_shape(body) in (V1_USER, V1_TIMELINE):
        body = to_graph(body)
    user = fields.user_of(dict(body))
    if user is None:
        if isinstance(body.get("data"), Mapping) and "user" in body["data"]:
            raise ProfileParseError(username, "data.user is null (no such profile, or hidden)")
        raise ProfileParseError(username, "no data.user object in the body")
    if not isinstance(user, Mapping):
        raise ProfileParseError(username, f"data.user is a {type(user).__name__}, not an object")
    return dict(user)


def _as_utc(value: datetime | float | str | None, username: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        if isinstance(value, datetime):
            if value.tzinfo is UTC:
                return value  # the raw store's (and the load's) own: nothing to convert
            moment = value
        elif isinstance(value, int | float):
            return datetime.fromtimestamp(value, tz=UTC)
        else:
            moment = datetime.fromisoformat(str(value))
    except (ValueError, OverflowError, OSError) as exc:
        raise ProfileParseError(username, f"bad fetched_at {value!r} ({exc})") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _bool(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None
