"""Every fetch strategy's answer → the one graph shape the parser reads.

Instagram is reached through interchangeable strategies (``docs/instagram-strategies.md``):
``web_profile_info`` and the embedded profile page answer in the *graph* shape
(``{"data": {"user": {... "edge_owner_to_timeline_media": ...}}}``), the GraphQL ``doc_id``
queries in the *v1* shape (``follower_count``, ``like_count``, ``carousel_media``…). Nothing
downstream may know which strategy was used, so this module turns the v1 shapes into the
graph shape field for field, and pulls the graph user out of an HTML page. The parser
(:mod:`.profile`) then has one shape to read, and the graph shape, the hot path
(thousands of profiles per run), goes through untouched.

Pure code: no I/O, no clock. Fields missing or of the wrong type become nulls (the endpoints
drift); only an answer that is none of the known shapes is an error (:class:`ShapeError`).
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable, Iterator, Mapping
from functools import partial
from typing import Any, Final

import jmespath

GRAPH_USER: Final = "graph_user"
"""``web_profile_info`` or the embedded page: a user with profile fields (and maybe posts)."""
GRAPH_PAGE: Final = "graph_page"
"""A ``query_hash`` timeline page: ``data.user.edge_owner_to_timeline_media`` only."""
V1_USER: Final = "v1_user"
"""The ``doc_id`` profile answer: profile fields in v1 names, no posts."""
V1_TIMELINE: Final = "v1_timeline"
"""The ``doc_id`` timeline answer: ``data.xdt_api__v1__feed__user_timeline_graphql_connection``."""
SHAPES: Final = (GRAPH_USER, GRAPH_PAGE, V1_USER, V1_TIMELINE)

V1_TIMELINE_KEY: Final = "xdt_api__v1__feed__user_timeline_graphql_connection"
# Instagram renames these connection fields now and then (suffixes come and go): the prefix
# is what identifies a user timeline.
_V1_TIMELINE_PREFIX = "xdt_api__v1__feed__user_timeline"

# The parser tells a page from a profile by these keys (``parsing.parse_profile``); the same
# rule here keeps ``detect_shape`` and the parser in agreement.
_PROFILE_KEYS = ("id", "username", "full_name", "edge_followed_by")
_GRAPH_KEYS = ("edge_followed_by", "edge_follow", "edge_owner_to_timeline_media")
_V1_USER_KEYS = ("pk", "follower_count", "following_count", "media_count")

_GRAPH_TYPENAMES = {1: "GraphImage", 2: "GraphVideo", 8: "GraphSidecar"}

# One v1 post node, flattened; jmespath yields null wherever a step meets the wrong type, so a
# drifted node (caption a string, candidates an object…) maps to nulls instead of raising.
_V1_NODE = jmespath.compile(
    "{pk: pk, id: id, code: code, taken_at: taken_at, caption: caption.text,"
    " like_count: like_count, comment_count: comment_count, media_type: media_type,"
    " product_type: product_type, play_count: play_count, view_count: view_count,"
    " owner_id: not_null(user.pk, user.id), owner_username: user.username,"
    " location: location, carousel: carousel_media,"
    " url: image_versions2.candidates[0].url,"
    " first_child_url: carousel_media[0].image_versions2.candidates[0].url,"
    " pinned: timeline_pinned_user_ids, accessibility_caption: accessibility_caption}"
)
_V1_CHILD = jmespath.compile(
    "{pk: pk, id: id, media_type: media_type, url: image_versions2.candidates[0].url,"
    " accessibility_caption: accessibility_caption}"
)

_SCRIPT_OPEN = re.compile(r"<script\b", re.IGNORECASE)
_SCRIPT_CLOSE = re.compile(r"</script\s*>", re.IGNORECASE)
_JSON_TYPE = re.compile(
    r"""(?:^|\s)type\s*=\s*(?:"application/json"|'application/json'|application/json(?![^\s/>]))""",
    re.IGNORECASE,
)
_SHARED_DATA = re.compile(r"window\._sharedData\s*=\s*")
_MAX_SHARED_DATA = 4
_DECODER = json.JSONDecoder()


class ShapeError(ValueError):
    """An answer in none of the known shapes, or a page without an embedded profile."""


def graphql_errors(body: Any) -> list[str] | None:
    """The messages of a GraphQL error answer (``data`` null or absent, ``errors`` non-empty).

    That is how a stale ``doc_id`` answers, with a 200 or a 400: the fetch layer reads it as
    "strategy gone". ``None`` when the body is not such an answer (a partial answer with data
    *and* errors is data, and is judged by its shape).
    """
    if not isinstance(body, Mapping) or body.get("data") is not None:
        return None
    errors = body.get("errors")
    if not isinstance(errors, list) or not errors:
        return None
    messages = []
    for error in errors:
        message = error.get("message") if isinstance(error, Mapping) else error
        messages.append(str(message) if message is not None else json.dumps(error, default=str))
    return messages


def detect_shape(body: Any) -> str | None:
    """Which known shape ``body`` (a decoded JSON answer) is in, or ``None``.

    ``None`` covers garbage, refusals (``status: fail``), GraphQL errors (see
    :func:`graphql_errors`) and ``data.user: null`` (a missing profile: callers that must tell
    "not found" from "strategy gone" check that first, as the fetch layer's classifier does).
    An HTML answer goes through :func:`extract_embedded` first.
    """
    if not isinstance(body, Mapping):
        return None
    data = body.get("data")
    user = data.get("user") if isinstance(data, Mapping) else None
    if user is None:
        graphql = body.get("graphql")  # the pre-2020 web_profile_info envelope
        user = graphql.get("user") if isinstance(graphql, Mapping) else None
    if isinstance(user, Mapping):
        return _user_shape(user)
    if isinstance(data, Mapping) and _v1_connection(data) is not None:
        return V1_TIMELINE
    return None


def to_graph(body: Mapping[str, Any]) -> dict[str, Any]:
    """``body`` in the graph shape: v1 answers converted, graph answers returned as they are.

    A v1 user carries no posts: it becomes a graph user whose ``edge_owner_to_timeline_media``
    has the media count, no edges, and ``page_info`` saying there is a page to fetch unless the
    count is known to be zero (an unknown count pages too: one empty page costs less than
    missing a timeline), with no cursor (paging starts at the beginning).
    Raises :class:`ShapeError` for a body in no known shape.
    """
    shape = detect_shape(body)
    if shape in (GRAPH_USER, GRAPH_PAGE):
        return body  # type: ignore[return-value]  # a Mapping passes through unchanged
    if shape == V1_USER:
        return {"data": {"user": _v1_user(_user_of(body))}}
    if shape == V1_TIMELINE:
        return {"data": {"user": _v1_timeline(_v1_connection(body["data"]) or {})}}
    errors = graphql_errors(body)
    if errors:
        raise ShapeError(f"GraphQL error answer: {'; '.join(errors)[:300]}")
    raise ShapeError("the answer is in none of the known shapes")


def extract_embedded(html: str) -> dict[str, Any]:
    """The profile embedded in an HTML profile page, as ``{"data": {"user": ...}}``.

    Reads every ``<script type="application/json">`` block and every legacy
    ``window._sharedData = {...};`` assignment, in document order, and returns the first object
    found depth-first under a ``"user"`` or ``"xig_user_by_username"`` key that has a
    ``"username"``. Instagram nests it deep
    in its Relay preloader and moves it between releases, so no path is assumed. Blocks that are
    not JSON (or nest too deep to load) are skipped; the search is iterative, so no nesting
    depth can exhaust the stack. The user is returned as found (graph or v1 fields: see
    :func:`to_graph`). Raises :class:`ShapeError` when no block holds one (a login page, or a
    layout change).
    """
    blocks = 0
    for source in _json_sources(html):
        try:
            tree = source()
        except (ValueError, RecursionError):
            continue  # not JSON, cut off, or nested deeper than the decoder goes
        blocks += 1
        user = _first_user(tree)
        if user is not None:
            return {"data": {"user": user}}
    raise ShapeError(
        f"no embedded profile in the page ({blocks} JSON block(s) read, none with a user)"
    )


# ------------------------------------------------------------------------- detection


def has_graph_fields(user: Mapping[str, Any]) -> bool:
    """Whether ``user`` has a graph field (:data:`_GRAPH_KEYS`, written out: once per answer
    of every load): then its shape is a graph one, never a v1 one."""
    return (
        "edge_owner_to_timeline_media" in user
        or "edge_followed_by" in user
        or ("edge_follow" in user)
    )


def _user_shape(user: Mapping[str, Any]) -> str | None:
    if any(key in user for key in _GRAPH_KEYS):
        if any(key in user for key in _PROFILE_KEYS):
            return GRAPH_USER
        return GRAPH_PAGE if "edge_owner_to_timeline_media" in user else None
    if any(key in user for key in _V1_USER_KEYS):
        return V1_USER
    # A bare graph user (``{"id": ..., "username": ...}``: a new or private profile).
    return GRAPH_USER if any(key in user for key in _PROFILE_KEYS) else None


def _user_of(body: Mapping[str, Any]) -> Mapping[str, Any]:
    data = body.get("data")
    user = data.get("user") if isinstance(data, Mapping) else None
    if not isinstance(user, Mapping):
        user = body["graphql"]["user"]
    return user


def _v1_connection(data: Mapping[str, Any]) -> Mapping[str, Any] | None:
    connection = data.get(V1_TIMELINE_KEY)
    if isinstance(connection, Mapping):
        return connection
    for key, value in data.items():
        if (
            isinstance(key, str)
            and key.startswith(_V1_TIMELINE_PREFIX)
            and isinstance(value, Mapping)
        ):
            return value
    return None


# ------------------------------------------------------------------------- v1 → graph


def _v1_user(user: Mapping[str, Any]) -> dict[str, Any]:
    media_count = user.get("media_count")
    known = isinstance(media_count, int) and not isinstance(media_count, bool)
    hd = user.get("hd_profile_pic_url_info")
    return {
        "id": _first(user.get("pk"), user.get("id")),
        "username": user.get("username"),
        "full_name": user.get("full_name"),
        "biography": user.get("biography"),
        "edge_followed_by": {"count": user.get("follower_count")},
        "edge_follow": {"count": user.get("following_count")},
        "edge_owner_to_timeline_media": {
            "count": media_count,
            "page_info": {"has_next_page": media_count > 0 if known else True, "end_cursor": None},
        },
        "is_private": user.get("is_private"),
        "is_verified": user.get("is_verified"),
        "is_business_account": user.get("is_business"),
        "category_name": _first(user.get("category"), user.get("category_name")),
        "external_url": user.get("external_url"),
        "profile_pic_url": user.get("profile_pic_url"),
        "profile_pic_url_hd": hd.get("url") if isinstance(hd, Mapping) else None,
    }


def _v1_timeline(connection: Mapping[str, Any]) -> dict[str, Any]:
    edges = connection.get("edges")
    nodes = (
        [e.get("node") for e in edges if isinstance(e, Mapping)] if isinstance(edges, list) else []
    )
    page_info = connection.get("page_info")
    page_info = page_info if isinstance(page_info, Mapping) else {}
    return {
        "edge_owner_to_timeline_media": {
            "edges": [{"node": _v1_node(n)} for n in nodes if isinstance(n, Mapping)],
            "page_info": {
                "has_next_page": page_info.get("has_next_page"),
                "end_cursor": page_info.get("end_cursor"),
            },
        }
    }


def _v1_node(node: Mapping[str, Any]) -> dict[str, Any]:
    """One v1 post as a graph post node (the keys ``parsing._NODES`` reads, nothing more)."""
    v = _V1_NODE.search(node)
    caption = v["caption"]
    location = v["location"]
    carousel = v["carousel"]
    pinned = v["pinned"]
    graph: dict[str, Any] = {
        "id": _media_id(v["pk"], v["id"]),
        "shortcode": v["code"],
        "taken_at_timestamp": v["taken_at"],
        "edge_media_to_caption": {
            "edges": [{"node": {"text": caption}}] if isinstance(caption, str) else []
        },
        "edge_liked_by": {"count": v["like_count"]},
        "edge_media_to_comment": {"count": v["comment_count"]},
        **_media_kind(v["media_type"]),
        "video_view_count": _first(v["view_count"], v["play_count"]),
        "owner": {"id": v["owner_id"], "username": v["owner_username"]},
        "location": (
            {"id": _first(location.get("pk"), location.get("id")), "name": location.get("name")}
            if isinstance(location, Mapping)
            else None
        ),
        "display_url": _first(v["url"], v["first_child_url"]),
        "product_type": _graph_product_type(v["product_type"]),
        "accessibility_caption": v["accessibility_caption"],
    }
    if isinstance(carousel, list):
        graph["edge_sidecar_to_children"] = {"edges": [{"node": _v1_child(c)} for c in carousel]}
    if isinstance(pinned, list):
        # The graph shape lists the users a post is pinned for; the parser only asks "any?".
        graph["pinned_for_users"] = [{"id": str(pk)} for pk in pinned]
    return graph


def _v1_child(child: Any) -> dict[str, Any] | None:
    if not isinstance(child, Mapping):
        return None
    v = _V1_CHILD.search(child)
    return {
        "id": _media_id(v["pk"], v["id"]),
        **_media_kind(v["media_type"]),
        "display_url": v["url"],
        "accessibility_caption": v["accessibility_caption"],
    }


# v1 names every post's product type; the graph shape names only the special ones (reels are
# "clips") and leaves plain images and sidecars without: mapped so both give the same rows.
_UNNAMED_IN_GRAPH = frozenset({"feed", "carousel_container"})


def _graph_product_type(value: Any) -> Any:
    return None if isinstance(value, str) and value in _UNNAMED_IN_GRAPH else value


def _media_kind(media_type: Any) -> dict[str, Any]:
    # ``type() is int``: True == 1 must not pass for an image.
    typename = _GRAPH_TYPENAMES.get(media_type) if type(media_type) is int else None
    if typename is None:
        return {}
    return {"__typename": typename, "is_video": typename == "GraphVideo"}


def _media_id(pk: Any, v1_id: Any) -> Any:
    """The media pk: the post id in every strategy (the v1 ``id`` is ``<pk>_<owner pk>``)."""
    if pk is not None:
        return pk
    if isinstance(v1_id, str) and "_" in v1_id:
        return v1_id.split("_", 1)[0] or None
    return v1_id


def _first(*values: Any) -> Any:
    return next((v for v in values if v is not None), None)


# ------------------------------------------------------------------------- embedded page


def _json_sources(html: str) -> Iterator[Callable[[], Any]]:
    """Loaders of every JSON text in the page, in document order (loaded lazily: the profile
    is usually in an early block, and later blocks can be large)."""
    found: list[tuple[int, Callable[[], Any]]] = []
    pos = 0
    while (opening := _SCRIPT_OPEN.search(html, pos)) is not None:
        # str.find and literal searches only: linear in the page, whatever it holds.
        gt = html.find(">", opening.end())
        if gt < 0:
            break
        closing = _SCRIPT_CLOSE.search(html, gt + 1)
        if closing is None:
            break
        if _JSON_TYPE.search(html[opening.end() : gt]):
            text = html[gt + 1 : closing.start()]
            found.append((opening.start(), partial(json.loads, text)))
        pos = closing.end()
    # Instagram's pages had one; a page repeating it could make each try read to the end.
    for match in itertools.islice(_SHARED_DATA.finditer(html), _MAX_SHARED_DATA):
        found.append((match.start(), partial(_object_at, html, match.end())))
    found.sort(key=lambda item: item[0])
    for _, load in found:
        yield load


def _object_at(html: str, at: int) -> Any:
    # raw_decode reads one JSON value and stops: the ``;`` and the script after it are ignored.
    return _DECODER.raw_decode(html, at)[0]


# Keys a page's embedded user sits under: ``user`` (older pages) and ``xig_user_by_username``
# (today's, where instaloader 4.16 reads it).
_EMBEDDED_USER_KEYS = frozenset({"user", "xig_user_by_username"})


def _first_user(tree: Any) -> dict[str, Any] | None:
    """Depth-first, in document order: the first ``{..., "username": ...}`` object under one of
    :data:`_EMBEDDED_USER_KEYS`."""
    stack: list[tuple[Any, Any]] = [(None, tree)]
    while stack:
        key, value = stack.pop()
        if isinstance(value, dict):
            named = isinstance(value.get("username"), str) and value["username"]
            if key in _EMBEDDED_USER_KEYS and named:
                return value
            children = [(k, c) for k, c in value.items() if isinstance(c, dict | list)]
        elif isinstance(value, list):
            children = [(None, c) for c in value if isinstance(c, dict | list)]
        else:
            continue
        stack.extend(reversed(children))
    return None
