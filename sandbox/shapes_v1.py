"""The v1 shapes of the graphql_doc_id strategy, rendered from the graph shapes.

Every v1 body is a translation of the graph body the other strategies serve, never generated
on its own, so a post fetched through any strategy carries the same values (the contract:
``docs/instagram-strategies.md``, "Shapes"). A post's ``pk`` is the graph ``id``; the v1
``id`` is ``<pk>_<owner pk>`` as on Instagram.
"""

from __future__ import annotations

from typing import Any

TIMELINE_CONNECTION = "xdt_api__v1__feed__user_timeline_graphql_connection"
EXTENSIONS: dict[str, Any] = {"is_final": True}

_MEDIA_TYPE = {"GraphImage": 1, "GraphVideo": 2, "GraphSidecar": 8}
_PRODUCT_TYPE = {"GraphImage": "feed", "GraphVideo": "clips", "GraphSidecar": "carousel_container"}


def _count(edge: Any) -> int | None:
    return edge.get("count") if isinstance(edge, dict) else None


def v1_user(user: dict[str, Any]) -> dict[str, Any]:
    """The v1 user (no posts) for a graph user."""
    media = user.get("edge_owner_to_timeline_media")
    return {
        "pk": user["id"],
        "id": user["id"],
        "username": user["username"],
        "full_name": user.get("full_name"),
        "biography": user.get("biography"),
        "follower_count": _count(user.get("edge_followed_by")),
        "following_count": _count(user.get("edge_follow")),
        "media_count": _count(media),
        "is_private": user.get("is_private"),
        "is_verified": user.get("is_verified"),
        "is_business": user.get("is_business_account"),
        "category": user.get("category_name"),
        "external_url": user.get("external_url"),
        "profile_pic_url": user.get("profile_pic_url"),
        "hd_profile_pic_url_info": {"url": user.get("profile_pic_url_hd")},
        "fbid_v2": user.get("fbid"),
        "has_clips": user.get("has_clips"),
        "highlight_reel_count": user.get("highlight_reel_count"),
    }


def v1_user_body(graph_body: dict[str, Any]) -> dict[str, Any]:
    """The graphql_doc_id profile answer for a web_profile_info answer (``user`` may be null)."""
    user = (graph_body.get("data") or {}).get("user")
    rendered = v1_user(user) if isinstance(user, dict) else None
    return {"data": {"user": rendered}, "extensions": dict(EXTENSIONS), "status": "ok"}


def _image_versions(node: dict[str, Any]) -> dict[str, Any]:
    height = (node.get("dimensions") or {}).get("height")
    url = node.get("display_url")
    candidates = [{"url": url, "width": 1080, "height": height}]
    if isinstance(url, str):
        small = round(height * 640 / 1080) if isinstance(height, int) else None
        candidates.append(
            {"url": url.replace("s1080x1080", "s640x640"), "width": 640, "height": small}
        )
    return {"candidates": candidates}


def _video_fields(node: dict[str, Any]) -> dict[str, Any]:
    """play/view counts and video versions; both counts carry the graph video_view_count."""
    if not node.get("is_video"):
        return {"play_count": None, "view_count": None}
    views = node.get("video_view_count")
    return {
        "play_count": views,
        "view_count": views,
        "has_audio": node.get("has_audio"),
        "video_versions": [{"type": 101, "url": node.get("video_url"), "width": 1080}],
    }


def _child(node: dict[str, Any], owner_pk: str) -> dict[str, Any]:
    return {
        "pk": node["id"],
        "id": f"{node['id']}_{owner_pk}",
        "media_type": _MEDIA_TYPE.get(node.get("__typename", ""), 1),
        "image_versions2": _image_versions(node),
        "accessibility_caption": node.get("accessibility_caption"),
        **_video_fields(node),
    }


def v1_node(node: dict[str, Any]) -> dict[str, Any]:
    """One v1 timeline item for a graph timeline node (either flavour)."""
    owner = node.get("owner") or {}
    owner_pk = str(owner.get("id", ""))
    typename = node.get("__typename", "")
    captions = (node.get("edge_media_to_caption") or {}).get("edges") or []
    text = captions[0]["node"]["text"] if captions else None
    taken_at = node.get("taken_at_timestamp")
    likes = node.get("edge_liked_by") or node.get("edge_media_preview_like")
    location = node.get("location")
    children = (node.get("edge_sidecar_to_children") or {}).get("edges")
    pinned = bool(node.get("pinned_for_users"))
    return {
        "pk": node["id"],
        "id": f"{node['id']}_{owner_pk}",
        "code": node.get("shortcode"),
        "taken_at": taken_at,
        "caption": None if text is None else {"text": text, "created_at": taken_at},
        "like_count": _count(likes),
        "comment_count": _count(node.get("edge_media_to_comment")),
        "comments_disabled": node.get("comments_disabled"),
        "media_type": _MEDIA_TYPE.get(typename, 1),
        "product_type": node.get("product_type") or _PRODUCT_TYPE.get(typename, "feed"),
        **_video_fields(node),
        "user": {"pk": owner_pk, "id": owner_pk, "username": owner.get("username")},
        "location": None
        if not isinstance(location, dict)
        else {"pk": location.get("id"), "name": location.get("name"), "slug": location.get("slug")},
        "carousel_media_count": len(children) if children else None,
        "carousel_media": [_child(c["node"], owner_pk) for c in children] if children else None,
        "image_versions2": _image_versions(node),
        "original_width": 1080,
        "original_height": (node.get("dimensions") or {}).get("height"),
        "timeline_pinned_user_ids": [owner_pk] if pinned else [],
        "accessibility_caption": node.get("accessibility_caption"),
    }


def v1_timeline_body(media: dict[str, Any] | None) -> dict[str, Any]:
    """The graphql_doc_id timeline answer for one page of ``edge_owner_to_timeline_media``.

    ``None`` (an unknown username) answers ``data.user: null``, which the contract reads as
    "profile not found" on every strategy.
    """
    if media is None:
        return {"data": {"user": None}, "extensions": dict(EXTENSIONS), "status": "ok"}
    edges = [{"node": v1_node(e["node"])} for e in media.get("edges") or []]
    connection = {"edges": edges, "page_info": dict(media["page_info"])}
    return {
        "data": {TIMELINE_CONNECTION: connection},
        "extensions": dict(EXTENSIONS),
        "status": "ok",
    }


__all__ = ["TIMELINE_CONNECTION", "v1_node", "v1_timeline_body", "v1_user", "v1_user_body"]
