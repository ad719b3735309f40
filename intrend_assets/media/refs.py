"""The media one fetch shows: each post's picture, its sidecar slides, the profile picture.

Kinds: ``thumbnail`` (a post's ``thumbnail_src``, else its ``display_url``), ``child`` (a
sidecar slide's image), ``profile_pic``; ``full`` mode adds ``display`` (the full-size
image) and ``video`` (a video's or slide's ``video_url``). A post's key is its id; a slide's
is the post id and its position, so a post's media can be counted from ``post_id``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from intrend_assets.parsing.cdn import url_expiry_epoch
from intrend_assets.parsing.shapes import V1_TIMELINE, V1_USER, detect_shape, to_graph

MediaMode = Literal["off", "thumbnails", "full"]
MEDIA_MODES: tuple[str, ...] = ("off", "thumbnails", "full")


@dataclass(frozen=True)
class MediaRef:
    """One medium to archive: whose, which (post and kind) and where it is right now."""

    username: str
    post_id: str  # the profile's id for its picture
    kind: str
    position: int  # a slide's place in its sidecar; 0 otherwise
    url: str

    @property
    def key(self) -> tuple[str, str, int]:
        return (self.post_id, self.kind, self.position)

    @property
    def expires_at(self) -> int | None:
        return url_expiry_epoch(self.url)


def _user(body: Any) -> Mapping[str, Any] | None:
    if not isinstance(body, Mapping):
        return None
    if detect_shape(body) in (V1_USER, V1_TIMELINE):
        body = to_graph(body)
    data = body.get("data") or body.get("graphql")
    user = data.get("user") if isinstance(data, Mapping) else None
    return user if isinstance(user, Mapping) else None


def _url(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _nodes(user: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    edges = (user.get("edge_owner_to_timeline_media") or {}).get("edges") or []
    for edge in edges:
        node = edge.get("node") if isinstance(edge, Mapping) else None
        if isinstance(node, Mapping) and isinstance(node.get("id"), str | int):
            yield node


def _post_refs(username: str, node: Mapping[str, Any], mode: MediaMode) -> Iterator[MediaRef]:
    post_id = str(node["id"])
    thumb = _url(node.get("thumbnail_src")) or _url(node.get("display_url"))
    if thumb:
        yield MediaRef(username, post_id, "thumbnail", 0, thumb)
    if mode == "full":
        if display := _url(node.get("display_url")):
            yield MediaRef(username, post_id, "display", 0, display)
        if video := _url(node.get("video_url")):
            yield MediaRef(username, post_id, "video", 0, video)
    children = (node.get("edge_sidecar_to_children") or {}).get("edges") or []
    for position, edge in enumerate(children, start=1):
        child = edge.get("node") if isinstance(edge, Mapping) else None
        if not isinstance(child, Mapping):
            continue
        if image := _url(child.get("display_url")):
            yield MediaRef(username, post_id, "child", position, image)
        if mode == "full" and (video := _url(child.get("video_url"))):
            yield MediaRef(username, post_id, "child_video", position, video)


def media_refs(username: str, body: Any, mode: MediaMode) -> list[MediaRef]:
    """The media of one decoded answer (profile or timeline page) in ``mode``."""
    user = _user(body) if mode != "off" else None
    if user is None:
        return []
    refs: list[MediaRef] = []
    pic = _url(user.get("profile_pic_url_hd")) or _url(user.get("profile_pic_url"))
    if pic and isinstance(user.get("id"), str | int):
        refs.append(MediaRef(username, str(user["id"]), "profile_pic", 0, pic))
    for node in _nodes(user):
        refs.extend(_post_refs(username, node, mode))
    return refs


def newest_by_key(refs: Iterable[MediaRef]) -> dict[tuple[str, str, int], MediaRef]:
    """One ref per medium, the last seen (the newest answer's address lives longest)."""
    return {ref.key: ref for ref in refs}
