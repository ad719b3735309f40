"""Posts on the sandbox timeline: when each one falls, which are visible, and its node.

A profile's posts sit on a grid of slots of its mean posting interval ``I`` counted from the
config's ``epoch``, one post per slot at a hashed offset. Post ``k`` is in the ``k``-th slot
from the first one starting at or after the anchor: posts ``-H .. -1`` are the history before
it, posts ``0, 1, ...`` appear as the sandbox clock passes their timestamp. The grid, not
the anchor, fixes a post's time and draws, so worlds anchored on different days serve the
same post (same time, id and caption draws) wherever their timelines overlap.

A node's random draws come from one stream per post, taken in a fixed order (kind, caption,
likes, comments, location, height, views, slides), so the same post is the same bytes on every
endpoint and at every ``now`` but for what grows with age.
"""

from __future__ import annotations

import base64
import math
import random
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sandbox.captions import DAY, write_caption
from sandbox.config import SandboxConfig
from sandbox.cursors import GRAPH_CURSOR, encode_cursor
from sandbox.languages import LANGUAGE_BY_CODE
from sandbox.media import CdnAddresses, child_node, media_id, media_node, resized, video_fields
from sandbox.profiles import Profile
from sandbox.rng import rng_for, stable_int, stable_unit


@dataclass(frozen=True)
class Engagement:
    """What a post has collected by ``now``."""

    likes: int
    comments: int


class Posts:
    """The posts of every profile of one world (seed, anchor, shares); pure, like the world."""

    def __init__(self, cfg: SandboxConfig, trends: list[str]) -> None:
        self.cfg = cfg
        self.seed = cfg.seed
        self.anchor_ts = cfg.anchor_ts
        self.epoch_ts = cfg.epoch.timestamp()
        self.trends = trends
        self.cdn = CdnAddresses(cfg.seed, cfg.cdn_expiry_seconds, cfg.cdn_expiry_jitter_seconds)

    def slot(self, p: Profile, k: int) -> int:
        """The grid slot of post ``k``, counted from the epoch: the post's stable identity."""
        return k + math.ceil((self.anchor_ts - self.epoch_ts) / p.interval)

    # ---- the timeline --------------------------------------------------------------------

    def post_time(self, p: Profile, k: int) -> int:
        """Unix time of post ``k``: a hashed point inside its slot, so times strictly rise."""
        # Kept off the slot edges, so neighbours are at least 4 % of an interval apart.
        j = self.slot(p, k)
        u = 0.02 + 0.96 * stable_unit(self.seed, "slot", p.index, j)
        return int(self.epoch_ts + (j + u) * p.interval)

    def last_visible(self, p: Profile, now: float) -> int:
        """Index of the newest post with a timestamp <= now (``-history - 1`` when none)."""
        k = math.floor((now - self.epoch_ts) / p.interval) - self.slot(p, 0)
        if self.post_time(p, k) > now:
            k -= 1
        return max(k, -p.history - 1)

    def visible_count(self, p: Profile, now: float) -> int:
        return self.last_visible(p, now) + p.history + 1

    def post_indices(self, p: Profile, now: float, before: int | None, first: int) -> list[int]:
        """Up to ``first`` visible post indices older than ``before``, newest first."""
        top = self.last_visible(p, now)
        if before is not None:
            top = min(top, before - 1)
        bottom = max(-p.history, top - first + 1)
        return list(range(top, bottom - 1, -1))

    def media_page(
        self,
        p: Profile,
        now: float,
        before: int | None,
        first: int,
        *,
        page: bool,
        cursor_tag: str = GRAPH_CURSOR,
    ) -> dict[str, Any]:
        """One page of ``edge_owner_to_timeline_media``; in the profile flavour (not ``page``)
        the pinned posts sit on top of the first page."""
        count = self.visible_count(p, now)
        if p.is_private:
            return {
                "count": count,
                "page_info": {"has_next_page": False, "end_cursor": None},
                "edges": [],
            }
        top = self.last_visible(p, now)
        pinned = [] if page or before is not None else [k for k in p.pinned if k <= top]
        indices = self.post_indices(p, now, before, max(1, first - len(pinned)))
        edges = [{"node": self.post_node(p, k, now, page=page, pinned=True)} for k in pinned]
        edges += [{"node": self.post_node(p, k, now, page=page)} for k in indices]
        has_next = bool(indices) and indices[-1] > -p.history
        return {
            "count": count,
            "page_info": {
                "has_next_page": has_next,
                "end_cursor": encode_cursor(p.index, indices[-1], cursor_tag) if indices else None,
            },
            "edges": edges,
        }

    # ---- one node ------------------------------------------------------------------------

    def post_node(
        self, p: Profile, k: int, now: float, *, page: bool = False, pinned: bool = False
    ) -> dict[str, Any]:
        """One timeline node. ``page=True`` gives the pagination flavour (likes only under
        ``edge_media_preview_like``), else the web_profile_info flavour (both like edges)."""
        j = self.slot(p, k)
        rng = rng_for(self.seed, "post", p.index, j)
        taken_at = self.post_time(p, k)
        roll = rng.random()
        typename = "GraphImage" if roll < 0.6 else "GraphVideo" if roll < 0.8 else "GraphSidecar"
        is_video = typename == "GraphVideo"
        node_id = media_id(p, taken_at, stable_int(self.seed, "seq", p.index, j))
        caption = self._caption(rng, p, taken_at)
        seen = self._engagement(rng, p, taken_at, now)
        location = self._location(rng, p)
        when = datetime.fromtimestamp(taken_at, UTC).strftime("%B %d, %Y")
        node = media_node(
            p,
            typename,
            node_id,
            height=rng.choice((1080, 1350, 1333)),
            display_url=self.cdn.url((p.index, j), now),
            accessibility=None
            if is_video
            else f"Photo shared by {p.full_name or p.username} on {when}.",
        )
        if is_video:
            views = int(seen.likes * rng.uniform(3, 12))
            node.update(video_fields(self.cdn, (p.index, j), now, views))
        node.update(_post_fields(caption, seen, taken_at, location, page=page))
        node.update(self._post_extras(p, k, now, node_id, pinned=pinned))
        if page:
            node.update(_page_fields(node["display_url"]))
        if is_video:
            node["product_type"] = "clips"
            node["clips_music_attribution_info"] = None
        if typename == "GraphSidecar":
            node["edge_sidecar_to_children"] = {
                "edges": self._slides(rng, p, k, taken_at, node_id, now)
            }
        return node

    def _caption(self, rng: random.Random, p: Profile, taken_at: int) -> str | None:
        return write_caption(
            rng,
            main_language=p.language,
            taken_at=taken_at,
            anchor_ts=self.anchor_ts,
            trends=self.trends,
            mention_pool=p.friends,
            tricky_share=self.cfg.tricky_share,
            no_caption_share=self.cfg.no_caption_share,
            hashtag_cap=self.cfg.hashtag_cap,
        )

    @staticmethod
    def _engagement(rng: random.Random, p: Profile, taken_at: int, now: float) -> Engagement:
        """Likes arrive over the first days; comments are a small share of them."""
        age = max(0.0, now - taken_at)
        grown = 1.0 - math.exp(-age / (2 * DAY))
        full_likes = max(1.0, p.followers * rng.uniform(0.005, 0.08))
        likes = int(full_likes * grown)
        return Engagement(likes=likes, comments=int(likes * rng.uniform(0.003, 0.03)))

    @staticmethod
    def _location(rng: random.Random, p: Profile) -> dict[str, Any] | None:
        """A place of the profile's language on about a third of the posts."""
        if rng.random() >= 0.35:
            return None
        name, slug = rng.choice(LANGUAGE_BY_CODE[p.language].places)
        return {
            "id": str(100_000_000 + stable_int("place", slug) % 900_000_000),
            "has_public_page": True,
            "name": name,
            "slug": slug,
        }

    def _post_extras(
        self, p: Profile, k: int, now: float, node_id: int, *, pinned: bool
    ) -> dict[str, Any]:
        """Thumbnails, tracking token and the pinned marker, after the location."""
        thumb = self.cdn.url((p.index, self.slot(p, k), "t"), now)
        token = f'{{"version":5,"payload":{{"media":"{node_id}"}}}}'
        return {
            "nft_asset_info": None,
            "thumbnail_src": thumb,
            "thumbnail_resources": resized(thumb, (150, 240, 320, 480, 640)),
            "tracking_token": base64.b64encode(token.encode()).decode(),
            "coauthor_producers": [],
            "pinned_for_users": (
                [{"id": p.user_id, "is_verified": p.is_verified, "username": p.username}]
                if pinned
                else []
            ),
        }

    def _slides(
        self, rng: random.Random, p: Profile, k: int, taken_at: int, node_id: int, now: float
    ) -> list[dict[str, Any]]:
        """The 2 to 6 children of a sidecar, their ids following the post's."""
        children = []
        slot = self.slot(p, k)
        for i in range(rng.randint(2, 6)):
            child_id = media_id(p, taken_at, (node_id & 1023) + i + 1)
            children.append({"node": child_node(self.cdn, p, child_id, (p.index, slot, i), now)})
        return children


def _post_fields(
    caption: str | None,
    seen: Engagement,
    taken_at: int,
    location: dict[str, Any] | None,
    *,
    page: bool,
) -> dict[str, Any]:
    """Caption, counts and time; the profile flavour counts likes twice (``edge_liked_by``)."""
    fields: dict[str, Any] = {
        "edge_media_to_caption": {
            "edges": [] if caption is None else [{"node": {"text": caption}}]
        },
        "edge_media_to_comment": {"count": seen.comments},
        "comments_disabled": False,
        "taken_at_timestamp": taken_at,
    }
    if not page:
        fields["edge_liked_by"] = {"count": seen.likes}
    fields["edge_media_preview_like"] = {"count": seen.likes}
    fields["location"] = location
    return fields


def _page_fields(display_url: str) -> dict[str, Any]:
    """What only the pagination flavour carries: renditions and the viewer's flags."""
    return {
        "display_resources": resized(display_url, (640, 750, 1080)),
        "viewer_has_liked": False,
        "viewer_has_saved": False,
        "viewer_has_saved_to_collection": False,
        "viewer_in_photo_of_you": False,
        "viewer_can_reshare": True,
        "edge_media_to_sponsor_user": {"edges": []},
    }
