"""What the fake Instagram says: profiles and timelines generated on demand from the seed.

Nothing is stored. A profile is a function of its index (:mod:`sandbox.profiles`); its posts
are an integer-indexed sequence laid out on the sandbox timeline (:mod:`sandbox.posts`). So
"posts visible now" is a closed-form count, any page can be built without building the
others, and a running clock makes new posts appear.

JSON shapes follow the real responses in ``/work/shared/real-samples/instagram/``:
``web_profile_info`` (2022) for profiles, the ``graphql/query`` timeline page (2020) for
pagination, whose nodes carry likes only under ``edge_media_preview_like``.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Literal

from sandbox.captions import DAY, planted_trends
from sandbox.config import SandboxConfig
from sandbox.cursors import GRAPH_CURSOR, V1_CURSOR, decode_cursor, encode_cursor
from sandbox.media import shortcode
from sandbox.posts import Posts
from sandbox.profiles import (
    Profile,
    ProfileKind,
    generate_profile,
    profile_user,
    user_id,
    username,
)
from sandbox.rng import stable_unit

__all__ = [
    "GRAPH_CURSOR",
    "MAX_PAGE",
    "V1_CURSOR",
    "Profile",
    "ProfileKind",
    "SandboxContent",
    "decode_cursor",
    "encode_cursor",
    "shortcode",
]

MAX_PAGE = 50


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
        self.posts = Posts(self.cfg, self.trends)
        self.profile = lru_cache(maxsize=8192)(self._profile)

    # ---- names -------------------------------------------------------------------------

    def username(self, index: int) -> str:
        """The username of profile ``index`` (indices past ``profiles`` are unknown names)."""
        return username(self.seed, index)

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
        return user_id(self.seed, index)

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

    def _profile(self, index: int) -> Profile:
        return generate_profile(self.seed, self.cfg, index)

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
        user = profile_user(
            p,
            self.seed,
            days_since_anchor=(now - self.anchor_ts) / DAY,
            pic=self.posts.cdn.url(("pic", index), now),
            timeline=self.posts.media_page(p, now, None, self.cfg.posts_per_page, page=False),
        )
        return {"data": {"user": user}, "status": "ok"}

    def _page_args(
        self, index: int, first: int, after: str | None, tag: str
    ) -> tuple[int | None, int]:
        """``(before, first)`` for a page request: the cursor's post, the size clamped.

        Raises ValueError for a cursor that is not of ``tag`` or belongs to another user.
        """
        before = None
        if after:
            cursor_user, before = decode_cursor(after, tag)
            if cursor_user != index:
                raise ValueError("cursor belongs to another user")
        return before, max(1, min(first, MAX_PAGE))

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
        before, first = self._page_args(index, first, after, GRAPH_CURSOR)
        media = self.posts.media_page(self.profile(index), now, before, first, page=True)
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
        before, first = self._page_args(index, first, after, V1_CURSOR)
        p = self.profile(index)
        return self.posts.media_page(p, now, before, first, page=False, cursor_tag=V1_CURSOR)

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
