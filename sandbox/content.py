"""What the fake Instagram says: profiles and timelines generated on demand from the seed.

Nothing is stored. A profile is a function of its index; its posts are an integer-indexed
sequence laid out on the sandbox timeline: post ``k`` falls in the slot
``[anchor + k*I, anchor + (k+1)*I)`` at a hashed offset, where ``I`` is the profile's mean
posting interval. Posts ``-H .. -1`` are the history before the anchor; posts ``0, 1, ...``
appear as the sandbox clock passes their timestamp. So "posts visible now" is a closed-form
count, any page can be built without building the others, and a running clock makes new
posts appear.

JSON shapes follow the real responses in ``/work/shared/real-samples/instagram/``:
``web_profile_info`` (2022) for profiles, the ``graphql/query`` timeline page (2020) for
pagination, whose nodes carry likes only under ``edge_media_preview_like``.
"""

from __future__ import annotations

import base64
import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, Literal

from sandbox.captions import DAY, planted_trends, write_caption
from sandbox.config import SandboxConfig
from sandbox.languages import CATEGORIES, LANGUAGE_BY_CODE, LANGUAGES, USERNAME_WORDS
from sandbox.rng import rng_for, stable_int, stable_unit

IG_EPOCH_MS = 1_314_220_021_721  # Instagram media ids count milliseconds from here
SHORTCODE_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
CDN_POPS = ("cdt1-1", "cdg2-1", "frt3-1", "frx5-1", "lhr8-1", "gru2-1", "nrt1-1")
MAX_PAGE = 50

ProfileKind = Literal["public", "private", "missing"]


def shortcode(media_id: int) -> str:
    """Instagram's shortcode: the media id written in its URL-safe base64 alphabet."""
    chars = []
    while media_id:
        media_id, rem = divmod(media_id, 64)
        chars.append(SHORTCODE_ALPHABET[rem])
    return "".join(reversed(chars)) or "A"


GRAPH_CURSOR = "sbx"  # cursors of the graph timeline (graphql_query_hash)
V1_CURSOR = "sbxv1"  # cursors of the v1 timeline (graphql_doc_id): not valid on the other


def encode_cursor(user_index: int, post_index: int, tag: str = GRAPH_CURSOR) -> str:
    """An opaque end_cursor (base64, padded, like the real ones) naming a post.

    ``tag`` names the strategy the cursor belongs to, as Instagram's cursors are only valid
    on the endpoint that issued them.
    """
    return base64.b64encode(f"{tag}:{user_index}:{post_index}".encode()).decode()


def decode_cursor(cursor: str, tag: str = GRAPH_CURSOR) -> tuple[int, int]:
    """``(user_index, post_index)`` from a cursor; ValueError when it is not ours."""
    try:
        text = base64.b64decode(cursor.encode(), validate=True).decode()
        found, user, post = text.split(":")
        if found != tag:
            raise ValueError(found)
        return int(user), int(post)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError(f"invalid cursor {cursor!r}") from exc


@dataclass(frozen=True)
class Profile:
    """The fixed facts of one generated profile."""

    index: int
    username: str
    user_id: str
    language: str
    full_name: str
    biography: str
    followers: int
    following: int
    is_private: bool
    is_verified: bool
    category_name: str | None
    interval: float  # mean seconds between posts
    history: int  # posts before the anchor
    friends: tuple[str, ...]  # usernames it mentions
    pinned: tuple[int, ...] = ()  # older posts shown first on the profile (newest first)


class SandboxContent:
    """Deterministic profile and timeline bodies for one :class:`SandboxConfig`.

    Pure: bodies depend only on the config (seed, anchor, shares) and the ``now`` passed in.
    An unset anchor is fixed at construction (now, floored to the minute).
    """

    def __init__(self, cfg: SandboxConfig | None = None) -> None:
        self.cfg = (cfg or SandboxConfig()).resolved()
        self.seed = self.cfg.seed
        self.anchor_ts = self.cfg.anchor_ts
        self.trends = planted_trends(self.seed, self.cfg.trends)
        self.profile = lru_cache(maxsize=8192)(self._profile)

    # ---- names -------------------------------------------------------------------------

    def username(self, index: int) -> str:
        """The username of profile ``index`` (indices past ``profiles`` are unknown names)."""
        rng = rng_for(self.seed, "username", index)
        first, second = rng.choice(USERNAME_WORDS), rng.choice(USERNAME_WORDS)
        return f"{first}{rng.choice(('', '_', '.'))}{second}{index}"

    def index_of(self, username: str) -> int | None:
        """The profile index of a known username, else None; no table is kept."""
        match = re.fullmatch(r"[a-z._]+?(\d+)", username.lower())
        if not match or (len(match.group(1)) > 1 and match.group(1).startswith("0")):
            return None
        index = int(match.group(1))
        if index >= self.cfg.profiles or self.username(index) != username.lower():
            return None
        return index

    def user_id(self, index: int) -> str:
        """A numeric id like Instagram's; its last six digits are the index."""
        return f"{10_000 + stable_int(self.seed, 'uid', index) % 89_999}{index:06d}"

    def index_of_id(self, user_id: str) -> int | None:
        if not user_id.isdigit() or len(user_id) != 11:
            return None
        index = int(user_id[-6:])
        if index >= self.cfg.profiles or self.user_id(index) != user_id:
            return None
        return index

    def kind(self, username: str) -> ProfileKind:
        index = self.index_of(username)
        if index is None:
            return "missing"
        return "private" if self.profile(index).is_private else "public"

    def missing_style(self, username: str) -> Literal["404", "null"]:
        """How an unknown name is answered: HTTP 404, or 200 with ``user: null``."""
        return "null" if stable_unit(self.seed, "missing", username.lower()) < 0.4 else "404"

    def usernames(self) -> list[str]:
        """Every known username (public and private), in index order."""
        return [self.username(i) for i in range(self.cfg.profiles)]

    def public_usernames(self) -> list[str]:
        return [u for i, u in enumerate(self.usernames()) if not self.profile(i).is_private]

    def private_usernames(self) -> list[str]:
        return [u for i, u in enumerate(self.usernames()) if self.profile(i).is_private]

    def unknown_usernames(self) -> list[str]:
        """Valid-looking names that do not exist; both answer styles are represented."""
        wanted = max(3, round(self.cfg.profiles * self.cfg.missing_share))
        names: list[str] = []
        styles: set[str] = set()
        j = self.cfg.profiles
        while len(names) < wanted or len(styles) < 2:
            name = self.username(j)
            names.append(name)
            styles.add(self.missing_style(name))
            j += 1
        return names

    # ---- profiles ----------------------------------------------------------------------

    def _profile(self, index: int) -> Profile:
        rng = rng_for(self.seed, "profile", index)
        lang = rng.choices(LANGUAGES, weights=[lang.weight for lang in LANGUAGES])[0]
        first, last = rng.choice(lang.first_names), rng.choice(lang.last_names)
        if lang.code == "ko":
            full_name = f"{last}{first}"
        elif lang.code == "ja":
            full_name = f"{last} {first}"
        else:
            full_name = f"{first} {last}"
        if rng.random() < 0.08:
            full_name = ""
        followers = int(10 ** rng.uniform(1.5, 6.8))
        interval = rng.uniform(0.5, 5.0) * DAY
        history = max(math.ceil(70 * DAY / interval), rng.randint(20, 900))
        bio = rng.choice(lang.bios)
        if rng.random() < 0.3:
            bio += " " + rng.choice(("📸", "✈️", "☕", "🌍", "💫"))
        friends = tuple(self.username(rng.randrange(self.cfg.profiles)) for _ in range(5))
        pinned: tuple[int, ...] = ()
        if stable_unit(self.seed, "pinned", index) < self.cfg.pinned_share:
            older = range(-history, -history // 2)
            pinned = tuple(sorted(rng.sample(older, k=min(len(older), rng.randint(1, 3))))[::-1])
        return Profile(
            index=index,
            username=self.username(index),
            user_id=self.user_id(index),
            language=lang.code,
            full_name=full_name,
            biography=bio,
            followers=followers,
            following=int(10 ** rng.uniform(1.0, 3.6)),
            is_private=stable_unit(self.seed, "private", index) < self.cfg.private_share,
            is_verified=(followers > 1_000_000 and rng.random() < 0.5) or rng.random() < 0.01,
            category_name=rng.choice(CATEGORIES),
            interval=interval,
            history=history,
            friends=friends,
            pinned=pinned,
        )

    # ---- the post timeline ---------------------------------------------------------------

    def post_time(self, p: Profile, k: int) -> int:
        """Unix time of post ``k``: a hashed point inside its slot, so times strictly rise."""
        # Kept off the slot edges, so neighbours are at least 4 % of an interval apart.
        u = 0.02 + 0.96 * stable_unit(self.seed, "slot", p.index, k)
        return int(self.anchor_ts + (k + u) * p.interval)

    def last_visible(self, p: Profile, now: float) -> int:
        """Index of the newest post with a timestamp <= now (``-history - 1`` when none)."""
        k = math.floor((now - self.anchor_ts) / p.interval)
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

    # ---- nodes ---------------------------------------------------------------------------

    def _media_id(self, p: Profile, taken_at: int, seq: int) -> int:
        return ((taken_at * 1000 - IG_EPOCH_MS) << 23) | ((p.index % 8192) << 10) | (seq % 1024)

    def _cdn_url(self, key: tuple[Any, ...], now: float, kind: str = "jpg") -> str:
        h = stable_int(self.seed, "cdn", *key)
        pop = CDN_POPS[h % len(CDN_POPS)]
        expiry = int(now // 3600 * 3600 + 3 * DAY + h % int(DAY))
        nums = f"{h % 10**9}_{(h >> 7) % 10**15}_{(h >> 11) % 10**19}"
        sub = "t51.2885-15" if kind == "jpg" else "t50.2886-16"
        ohc = base64.urlsafe_b64encode(h.to_bytes(8, "big")).decode()[:11]
        return (
            f"https://scontent-{pop}.cdninstagram.com/v/{sub}/{nums}_n.{kind}"
            f"?stp=dst-jpg_e35_s1080x1080&_nc_ht=scontent-{pop}.cdninstagram.com"
            f"&_nc_cat={h % 120}&_nc_ohc={ohc}"
            f"&edm=AOQ1c0wBAAAA&ccb=7-5&oh=00_AT{h:016x}&oe={expiry:08X}&_nc_sid=8fd12b"
        )

    @staticmethod
    def _media_node(
        p: Profile,
        typename: str,
        media_id: int,
        *,
        height: int,
        display_url: str,
        accessibility: str | None,
    ) -> dict[str, Any]:
        """The envelope every media node shares, timeline post or sidecar child, with the
        fields the real answer carries that nobody reads."""
        return {
            "__typename": typename,
            "id": str(media_id),
            "shortcode": shortcode(media_id),
            "dimensions": {"height": height, "width": 1080},
            "display_url": display_url,
            "edge_media_to_tagged_user": {"edges": []},
            "fact_check_overall_rating": None,
            "fact_check_information": None,
            "gating_info": None,
            "sharing_friction_info": {"should_have_sharing_friction": False, "bloks_app_url": None},
            "media_overlay_info": None,
            "media_preview": None,
            "owner": {"id": p.user_id, "username": p.username},
            "is_video": typename == "GraphVideo",
            "has_upcoming_event": False,
            "accessibility_caption": accessibility,
        }

    def _child_node(self, p: Profile, media_id: int, key: tuple[Any, ...], now: float) -> dict:
        rng = rng_for(self.seed, "child", *key)
        is_video = rng.random() < 0.25
        node = self._media_node(
            p,
            "GraphVideo" if is_video else "GraphImage",
            media_id,
            height=1350,
            display_url=self._cdn_url(key, now),
            accessibility=None if is_video else f"Photo by {p.full_name or p.username}.",
        )
        if is_video:
            node["has_audio"] = True
            node["video_url"] = self._cdn_url((*key, "v"), now, "mp4")
            node["video_view_count"] = rng.randint(100, 50_000)
        return node

    def post_node(
        self, p: Profile, k: int, now: float, *, page: bool = False, pinned: bool = False
    ) -> dict[str, Any]:
        """One timeline node. ``page=True`` gives the pagination flavour (likes only under
        ``edge_media_preview_like``), else the web_profile_info flavour (both like edges)."""
        rng = rng_for(self.seed, "post", p.index, k)
        taken_at = self.post_time(p, k)
        roll = rng.random()
        typename = "GraphImage" if roll < 0.6 else "GraphVideo" if roll < 0.8 else "GraphSidecar"
        is_video = typename == "GraphVideo"
        media_id = self._media_id(p, taken_at, stable_int(self.seed, "seq", p.index, k))
        caption = write_caption(
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
        age = max(0.0, now - taken_at)
        grown = 1.0 - math.exp(-age / (2 * DAY))  # likes arrive over the first days
        full_likes = max(1.0, p.followers * rng.uniform(0.005, 0.08))
        likes = int(full_likes * grown)
        comments = int(likes * rng.uniform(0.003, 0.03))
        location = None
        if rng.random() < 0.35:
            name, slug = rng.choice(LANGUAGE_BY_CODE[p.language].places)
            location = {
                "id": str(100_000_000 + stable_int("place", slug) % 900_000_000),
                "has_public_page": True,
                "name": name,
                "slug": slug,
            }
        when = datetime.fromtimestamp(taken_at, UTC).strftime("%B %d, %Y")
        node = self._media_node(
            p,
            typename,
            media_id,
            height=rng.choice((1080, 1350, 1333)),
            display_url=self._cdn_url((p.index, k), now),
            accessibility=None
            if is_video
            else f"Photo shared by {p.full_name or p.username} on {when}.",
        )
        if is_video:
            node["has_audio"] = True
            node["video_url"] = self._cdn_url((p.index, k, "v"), now, "mp4")
            node["video_view_count"] = int(likes * rng.uniform(3, 12))
        node["edge_media_to_caption"] = {
            "edges": [] if caption is None else [{"node": {"text": caption}}]
        }
        node["edge_media_to_comment"] = {"count": comments}
        node["comments_disabled"] = False
        node["taken_at_timestamp"] = taken_at
        if not page:
            node["edge_liked_by"] = {"count": likes}
        node["edge_media_preview_like"] = {"count": likes}
        node["location"] = location
        node["nft_asset_info"] = None
        thumb = self._cdn_url((p.index, k, "t"), now)
        node["thumbnail_src"] = thumb
        node["thumbnail_resources"] = [
            {"src": thumb.replace("s1080x1080", f"s{w}x{w}"), "config_width": w, "config_height": w}
            for w in (150, 240, 320, 480, 640)
        ]
        node["tracking_token"] = base64.b64encode(
            f'{{"version":5,"payload":{{"media":"{media_id}"}}}}'.encode()
        ).decode()
        node["coauthor_producers"] = []
        node["pinned_for_users"] = (
            [{"id": p.user_id, "is_verified": p.is_verified, "username": p.username}]
            if pinned
            else []
        )
        if page:
            node["display_resources"] = [
                {
                    "src": node["display_url"].replace("s1080x1080", f"s{w}x{w}"),
                    "config_width": w,
                    "config_height": w,
                }
                for w in (640, 750, 1080)
            ]
            node["viewer_has_liked"] = False
            node["viewer_has_saved"] = False
            node["viewer_has_saved_to_collection"] = False
            node["viewer_in_photo_of_you"] = False
            node["viewer_can_reshare"] = True
            node["edge_media_to_sponsor_user"] = {"edges": []}
        if is_video:
            node["product_type"] = "clips"
            node["clips_music_attribution_info"] = None
        if typename == "GraphSidecar":
            children = []
            for j in range(rng.randint(2, 6)):
                child_id = self._media_id(p, taken_at, (media_id & 1023) + j + 1)
                child = self._child_node(p, child_id, (p.index, k, j), now)
                children.append({"node": child})
            node["edge_sidecar_to_children"] = {"edges": children}
        return node

    def _media(
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

    # ---- bodies --------------------------------------------------------------------------

    def profile_response(self, username: str, now: float | None = None) -> dict | None:
        """The body of ``web_profile_info?username=...`` at sandbox time ``now`` (default:
        the anchor).

        None means "answer HTTP 404"; an unknown name of the other style gets
        ``{"data": {"user": null}, "status": "ok"}``.
        """
        now = self.anchor_ts if now is None else now
        index = self.index_of(username)
        if index is None:
            if self.missing_style(username) == "404":
                return None
            return {"data": {"user": None}, "status": "ok"}
        p = self.profile(index)
        growth = max(0.0, (now - self.anchor_ts) / DAY) * p.followers * 0.001
        empty = {"count": 0, "page_info": {"has_next_page": False, "end_cursor": None}, "edges": []}
        pic = self._cdn_url(("pic", index), now)
        user: dict[str, Any] = {
            "biography": p.biography,
            "blocked_by_viewer": False,
            "restricted_by_viewer": False,
            "country_block": False,
            "external_url": None,
            "external_url_linkshimmed": None,
            "edge_followed_by": {"count": p.followers + int(growth)},
            "fbid": str(17_841_400_000_000_000 + stable_int(self.seed, "fbid", index) % 10**11),
            "followed_by_viewer": False,
            "edge_follow": {"count": p.following},
            "follows_viewer": False,
            "full_name": p.full_name,
            "has_ar_effects": False,
            "has_clips": True,
            "has_guides": False,
            "has_channel": False,
            "has_blocked_viewer": False,
            "highlight_reel_count": stable_int(self.seed, "hl", index) % 20,
            "has_requested_viewer": False,
            "hide_like_and_view_counts": False,
            "id": p.user_id,
            "is_business_account": p.category_name is not None,
            "is_professional_account": p.category_name is not None,
            "is_supervision_enabled": False,
            "is_guardian_of_viewer": False,
            "is_supervised_by_viewer": False,
            "is_embeds_disabled": False,
            "is_joined_recently": False,
            "guardian_id": None,
            "business_address_json": None,
            "business_contact_method": "UNKNOWN",
            "business_email": None,
            "business_phone_number": None,
            "business_category_name": None,
            "overall_category_name": None,
            "category_enum": None,
            "category_name": p.category_name,
            "is_private": p.is_private,
            "is_verified": p.is_verified,
            "edge_mutual_followed_by": {"count": 0, "edges": []},
            "profile_pic_url": pic.replace("s1080x1080", "s150x150"),
            "profile_pic_url_hd": pic.replace("s1080x1080", "s320x320"),
            "requested_by_viewer": False,
            "should_show_category": False,
            "should_show_public_contacts": False,
            "state_controlled_media_country": None,
            "transparency_label": None,
            "transparency_product": None,
            "username": p.username,
            "connected_fb_page": None,
            "pronouns": [],
            "edge_felix_video_timeline": dict(empty),
            "edge_owner_to_timeline_media": self._media(
                p, now, None, self.cfg.posts_per_page, page=False
            ),
            "edge_saved_media": dict(empty),
            "edge_media_collections": dict(empty),
        }
        return {"data": {"user": user}, "status": "ok"}

    def timeline_page(
        self, user_id: str, first: int = 12, after: str | None = None, now: float | None = None
    ) -> dict:
        """The body of a ``graphql/query`` timeline page: posts older than ``after``.

        Raises ValueError for a cursor that is not one of ours or belongs to another user.
        """
        now = self.anchor_ts if now is None else now
        index = self.index_of_id(user_id)
        if index is None:
            return {"data": {"user": None}, "status": "ok"}
        before = None
        if after:
            cursor_user, before = decode_cursor(after)
            if cursor_user != index:
                raise ValueError("cursor belongs to another user")
        first = max(1, min(first, MAX_PAGE))
        media = self._media(self.profile(index), now, before, first, page=True)
        return {"data": {"user": {"edge_owner_to_timeline_media": media}}, "status": "ok"}

    def profile_timeline(
        self, username: str, first: int = 12, after: str | None = None, now: float | None = None
    ) -> dict[str, Any] | None:
        """A timeline page keyed by username, as the graphql_doc_id timeline serves it: the
        profile flavour of ``edge_owner_to_timeline_media`` (pinned posts on top of the first
        page, as on the profile), paged by its own cursors. None for an unknown username.

        Raises ValueError for a cursor that is not a v1 one or belongs to another user.
        """
        now = self.anchor_ts if now is None else now
        index = self.index_of(username)
        if index is None:
            return None
        before = None
        if after:
            cursor_user, before = decode_cursor(after, V1_CURSOR)
            if cursor_user != index:
                raise ValueError("cursor belongs to another user")
        first = max(1, min(first, MAX_PAGE))
        p = self.profile(index)
        return self._media(p, now, before, first, page=False, cursor_tag=V1_CURSOR)

    def truth(self) -> dict[str, Any]:
        """Ground truth for tests: planted trends, who exists, the config."""
        return {
            "planted_trends": list(self.trends),
            "public_usernames": self.public_usernames(),
            "private_usernames": self.private_usernames(),
            "unknown_usernames": self.unknown_usernames(),
            "anchor": self.anchor_ts,
            "config": self.cfg.model_dump(mode="json"),
        }
