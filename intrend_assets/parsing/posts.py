"""An answer's post nodes → the contract's :data:`POSTS_SCHEMA` column lists.

The hot loop of every load (a million posts per million). A node in the shape Instagram
sends is read by :func:`graph_values` with plain subscripts; any other node (a field
missing, a container of another type) by :func:`.fields.node_values`, whose rules are
jmespath's. Both give the same values (a property test holds them together on drifted
answers), so the fast reading changes no result, only the cost. The values are then
converted once, in the loop of :func:`post_columns`, where the common types (strings,
ints) skip the converters and nothing is called that a branch can do (a call costs as much
as reading a field).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from intrend_assets.hashtags import extract_hashtags_each, extract_mentions, normalize_each
from intrend_assets.parsing.cdn import url_expires_at
from intrend_assets.parsing.fields import node_values
from warehouse.contract import POSTS_SCHEMA

__all__ = ["as_int", "as_str", "graph_values", "post_columns"]

_MEDIA_TYPES = {"GraphImage": "image", "GraphVideo": "video", "GraphSidecar": "sidecar"}
# The typenames with and without the prefix newer answers give them (``XDTGraphImage``).
_MEDIA_TYPES.update({f"XDT{name}": kind for name, kind in _MEDIA_TYPES.items()})
_INT64 = 2**63
_LOOKUP_ERRORS = (KeyError, TypeError, IndexError, AttributeError)


def graph_values(node: Any) -> tuple[Any, ...] | None:
    """:func:`.fields.node_values` of a node in the shape Instagram sends, or ``None``.

    Only for JSON as the decoder gives it (every object a ``dict``, every array a
    ``list``): then a subscript that succeeds reads what ``get`` would, and one that fails
    (a missing key, a step into a string or a number) sends the node to ``node_values``.
    Likes and comments whose count is null there are read by ``node_values`` too (it looks
    at the preview connection next).
    """
    try:
        owner = node["owner"]
        captions = node["edge_media_to_caption"]["edges"]
        likes = (node.get("edge_liked_by") or node["edge_media_preview_like"])["count"]
        comments = (node.get("edge_media_to_comment") or node["edge_media_preview_comment"])[
            "count"
        ]
        children = node.get("edge_sidecar_to_children")
        location = node.get("location")
        values = (
            node["id"],
            node["shortcode"],
            owner["id"],
            owner.get("username"),
            node["taken_at_timestamp"],
            captions[0]["node"]["text"] if captions else None,
            likes,
            comments,
            node["__typename"],
            node["is_video"],
            node.get("video_view_count"),
            None if children is None else children["edges"],
            node.get("pinned_for_users"),
            node.get("product_type"),
            node["display_url"],
            None if location is None else location.get("id"),
            None if location is None else location.get("name"),
            node.get("accessibility_caption"),
        )
    except _LOOKUP_ERRORS:
        return None
    return None if likes is None or comments is None else values


def post_columns(
    nodes: list[Any],
    profile_id: str | None,
    profile_username: str | None,
    fetched_at: datetime | None,
    *,
    json_nodes: bool,
) -> dict[str, list[Any]]:
    """The posts' columns: a row tuple per post, transposed once.

    ``json_nodes``: the nodes come from the decoder (see :func:`graph_values`). What is
    the same for every post (``fetched_at``; the profile's id and name for posts that name
    no owner) is filled in per column afterwards.
    """
    rows = []
    append = rows.append
    from_epoch = datetime.fromtimestamp
    for node in nodes:
        values = (graph_values(node) if json_nodes else None) or node_values(node)
        (
            raw_id,
            shortcode,
            owner_id,
            owner_name,
            taken_at,
            caption,
            likes,
            comments,
            typename,
            is_video,
            views,
            children,
            pinned,
            product_type,
            display_url,
            location_id,
            location_name,
            accessibility,
        ) = values
        post_id = raw_id if type(raw_id) is str else as_str(raw_id)
        if post_id is None:
            continue  # an edge without a node (or without a usable id) carries nothing
        if type(caption) is str:
            mentions = extract_mentions(caption) if "@" in caption or "＠" in caption else []
        else:
            caption, mentions = None, []
        media_type = _MEDIA_TYPES.get(typename) if isinstance(typename, str) else None
        if media_type is None:
            if isinstance(children, list) and children:
                media_type = "sidecar"
            elif is_video is not None:
                media_type = "video" if is_video else "image"
        if type(taken_at) is int:
            try:
                taken_at = from_epoch(taken_at, UTC)
            except (OverflowError, OSError, ValueError):
                taken_at = None
        else:
            taken_at = _epoch(taken_at)
        append(
            (
                post_id,
                shortcode if type(shortcode) is str else as_str(shortcode),
                owner_id if type(owner_id) is str else as_str(owner_id),
                owner_name if type(owner_name) is str else as_str(owner_name),
                taken_at,
                caption,
                mentions,
                likes if type(likes) is int and -_INT64 <= likes < _INT64 else as_int(likes),
                comments
                if type(comments) is int and -_INT64 <= comments < _INT64
                else as_int(comments),
                media_type,
                is_video if type(is_video) is bool else None,
                None if views is None else as_int(views),
                len(children) if media_type == "sidecar" and isinstance(children, list) else None,
                bool(pinned) if isinstance(pinned, list) else None,
                product_type
                if product_type is None or type(product_type) is str
                else as_str(product_type),
                display_url if type(display_url) is str else as_str(display_url),
                location_id
                if location_id is None or type(location_id) is str
                else as_str(location_id),
                location_name
                if location_name is None or type(location_name) is str
                else as_str(location_name),
                accessibility
                if accessibility is None or type(accessibility) is str
                else as_str(accessibility),
            )
        )
    return _columns(rows, profile_id, profile_username, fetched_at)


def _columns(
    rows: list[tuple[Any, ...]],
    profile_id: str | None,
    profile_username: str | None,
    fetched_at: datetime | None,
) -> dict[str, list[Any]]:
    """The rows transposed, and the columns best made a column at a time: hashtags (one
    test for all the captions), media URL expiries, and what is the same for every post."""
    if not rows:
        return {name: [] for name in POSTS_SCHEMA}
    (
        post_id,
        shortcode,
        owner_id,
        owner_username,
        taken_at,
        caption,
        mentions,
        like_count,
        comment_count,
        media_type,
        is_video,
        video_view_count,
        child_count,
        is_pinned,
        product_type,
        display_url,
        location_id,
        location_name,
        accessibility_caption,
    ) = map(list, zip(*rows, strict=True))
    if not all(owner_id):
        owner_id = [value or profile_id for value in owner_id]
    if not all(owner_username):
        owner_username = [value or profile_username for value in owner_username]
    hashtags = extract_hashtags_each(caption)
    return {  # POSTS_SCHEMA's order
        "post_id": post_id,
        "shortcode": shortcode,
        "owner_id": owner_id,
        "owner_username": owner_username,
        "taken_at": taken_at,
        "caption": caption,
        "hashtags": hashtags,
        "hashtags_norm": normalize_each(hashtags),
        "mentions": mentions,
        "like_count": like_count,
        "comment_count": comment_count,
        "media_type": media_type,
        "is_video": is_video,
        "video_view_count": video_view_count,
        "child_count": child_count,
        "is_pinned": is_pinned,
        "product_type": product_type,
        "display_url": display_url,
        "display_url_expires_at": list(map(url_expires_at, display_url)),
        "location_id": location_id,
        "location_name": location_name,
        "accessibility_caption": accessibility_caption,
        "fetched_at": [fetched_at] * len(rows),
    }


def _epoch(value: Any) -> datetime | None:
    number = value if type(value) is int else as_int(value)
    if number is None:
        return None
    try:
        return datetime.fromtimestamp(number, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def as_str(value: Any) -> str | None:
    if value is None or isinstance(value, dict | list):
        return None
    return value if isinstance(value, str) else str(value)


def as_int(value: Any) -> int | None:
    """An int64 or None: counts that are not numbers, or do not fit a BIGINT, are unknown."""
    if value is None or isinstance(value, bool):
        return None
    if not isinstance(value, int):
        try:
            value = int(value)
        except (TypeError, ValueError, OverflowError):
            return None
    return value if -_INT64 <= value < _INT64 else None
