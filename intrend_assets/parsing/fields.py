"""The fields the warehouse keeps, read from a graph-shaped user object.

Plain ``dict`` lookups, no query language: a post's twenty fields cost a microsecond this way
against about twenty through jmespath, and a load reads millions of them. The rules are
jmespath's, kept exactly (a test holds these readers to the expressions they replace):
a step into anything that is not an object (or, for an index, not a list) gives null, and a
null never raises.
"""

from __future__ import annotations

from typing import Any

# Each post: these keys, in this order (what :func:`nodes` gives per post).
NODE_KEYS = (
    "id",
    "shortcode",
    "owner_id",
    "owner_username",
    "taken_at",
    "caption",
    "likes",
    "comments",
    "typename",
    "is_video",
    "views",
    "children",
    "pinned",
    "product_type",
    "display_url",
    "location_id",
    "location_name",
    "accessibility_caption",
)


def get(value: Any, key: str) -> Any:
    """``value.key``: null unless ``value`` is an object."""
    return value.get(key) if isinstance(value, dict) else None


def first_not_null(*values: Any) -> Any:
    """jmespath's ``not_null``: the first value that is not null."""
    for value in values:
        if value is not None:
            return value
    return None


def _falsy(value: Any) -> bool:
    # jmespath's false: "", [], {}, false and null (0 is true).
    return value is None or value is False or value == "" or value == [] or value == {}


def user_of(body: dict[str, Any]) -> Any:
    """``data.user || graphql.user``."""
    user = get(get(body, "data"), "user")
    return get(get(body, "graphql"), "user") if _falsy(user) else user


def profile_fields(user: dict[str, Any]) -> dict[str, Any]:
    """The profile's fields (graph names → the contract's), unconverted."""
    media = user.get("edge_owner_to_timeline_media")
    return {
        "id": user.get("id"),
        "username": user.get("username"),
        "full_name": user.get("full_name"),
        "biography": user.get("biography"),
        "followers": get(user.get("edge_followed_by"), "count"),
        "following": get(user.get("edge_follow"), "count"),
        "post_count": get(media, "count"),
        "is_private": user.get("is_private"),
        "is_verified": user.get("is_verified"),
        "is_business_account": user.get("is_business_account"),
        "category_name": first_not_null(
            user.get("category_name"),
            user.get("business_category_name"),
            user.get("overall_category_name"),
        ),
        "external_url": user.get("external_url"),
        "profile_pic_url": first_not_null(
            user.get("profile_pic_url_hd"), user.get("profile_pic_url")
        ),
    }


def page_info(user: dict[str, Any]) -> tuple[Any, Any]:
    """``(has_next_page, end_cursor)`` of the timeline connection."""
    info = get(get(user, "edge_owner_to_timeline_media"), "page_info")
    return get(info, "has_next_page"), get(info, "end_cursor")


def edge_nodes(user: dict[str, Any]) -> list[Any]:
    """``edge_owner_to_timeline_media.edges[].node``: the non-null nodes, lists flattened one
    level as jmespath's ``[]`` does."""
    edges = get(get(user, "edge_owner_to_timeline_media"), "edges")
    if not isinstance(edges, list):
        return []
    found = []
    for edge in edges:
        if isinstance(edge, dict):  # the common edge, read without the general loop
            node = edge.get("node")
            if node is not None:
                found.append(node)
            continue
        for item in edge if isinstance(edge, list) else (edge,):
            node = get(item, "node")
            if node is not None:
                found.append(node)
    return found


def node_values(node: Any) -> tuple[Any, ...]:
    """One post's :data:`NODE_KEYS` values (all null when the node is not an object).

    :func:`get` written out inline: this runs once per post of every load, and the calls
    were most of its cost.
    """
    if not isinstance(node, dict):
        return (None,) * len(NODE_KEYS)
    owner = node.get("owner")
    if not isinstance(owner, dict):
        owner = _EMPTY
    location = node.get("location")
    if not isinstance(location, dict):
        location = _EMPTY
    text = None
    connection = node.get("edge_media_to_caption")
    if isinstance(connection, dict):
        captions = connection.get("edges")
        if isinstance(captions, list) and captions:
            first = captions[0]
            if isinstance(first, dict):
                caption = first.get("node")
                if isinstance(caption, dict):
                    text = caption.get("text")
    likes = _count(node, "edge_liked_by")
    if likes is None:
        likes = _count(node, "edge_media_preview_like")
    comments = _count(node, "edge_media_to_comment")
    if comments is None:
        comments = _count(node, "edge_media_preview_comment")
    children = node.get("edge_sidecar_to_children")
    return (
        node.get("id"),
        node.get("shortcode"),
        owner.get("id"),
        owner.get("username"),
        node.get("taken_at_timestamp"),
        text,
        likes,
        comments,
        node.get("__typename"),
        node.get("is_video"),
        node.get("video_view_count"),
        children.get("edges") if isinstance(children, dict) else None,
        node.get("pinned_for_users"),
        node.get("product_type"),
        node.get("display_url"),
        location.get("id"),
        location.get("name"),
        node.get("accessibility_caption"),
    )


_EMPTY: dict[str, Any] = {}


def node_owner(node: Any) -> tuple[Any, Any]:
    """``(owner.id, owner.username)`` of a node, as :func:`node_values` reads them."""
    owner = node.get("owner") if isinstance(node, dict) else None
    if not isinstance(owner, dict):
        return None, None
    return owner.get("id"), owner.get("username")


def _count(node: dict[str, Any], key: str) -> Any:
    """``node.key.count``."""
    connection = node.get(key)
    return connection.get("count") if isinstance(connection, dict) else None
