"""Who lives in the sandbox: names and ids, the fixed facts of a profile, and the ``user``
object of ``web_profile_info`` (2022 shape) around them."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

from sandbox.captions import DAY
from sandbox.config import SandboxConfig
from sandbox.languages import CATEGORIES, LANGUAGES, USERNAME_WORDS, Language
from sandbox.rng import rng_for, stable_int, stable_unit

ProfileKind = Literal["public", "private", "missing"]


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


def username(seed: int, index: int) -> str:
    """The username of profile ``index`` (indices past ``profiles`` are unknown names)."""
    rng = rng_for(seed, "username", index)
    first, second = rng.choice(USERNAME_WORDS), rng.choice(USERNAME_WORDS)
    return f"{first}{rng.choice(('', '_', '.'))}{second}{index}"


def user_id(seed: int, index: int) -> str:
    """A numeric id like Instagram's; its last six digits are the index."""
    return f"{10_000 + stable_int(seed, 'uid', index) % 89_999}{index:06d}"


def _full_name(lang: Language, first: str, last: str) -> str:
    """Family name first in Korean (no space) and Japanese, given name first elsewhere."""
    if lang.code == "ko":
        return f"{last}{first}"
    if lang.code == "ja":
        return f"{last} {first}"
    return f"{first} {last}"


def generate_profile(seed: int, cfg: SandboxConfig, index: int) -> Profile:
    """Profile ``index`` of the world: every draw from its own seeded stream, in a fixed order."""
    rng = rng_for(seed, "profile", index)
    lang = rng.choices(LANGUAGES, weights=[lang.weight for lang in LANGUAGES])[0]
    full_name = _full_name(lang, rng.choice(lang.first_names), rng.choice(lang.last_names))
    if rng.random() < 0.08:
        full_name = ""
    followers = int(10 ** rng.uniform(1.5, 6.8))
    interval = rng.uniform(0.5, 5.0) * DAY
    history = max(math.ceil(70 * DAY / interval), rng.randint(20, 900))
    bio = rng.choice(lang.bios)
    if rng.random() < 0.3:
        bio += " " + rng.choice(("📸", "✈️", "☕", "🌍", "💫"))
    friends = tuple(username(seed, rng.randrange(cfg.profiles)) for _ in range(5))
    pinned: tuple[int, ...] = ()
    if stable_unit(seed, "pinned", index) < cfg.pinned_share:
        older = range(-history, -history // 2)
        pinned = tuple(sorted(rng.sample(older, k=min(len(older), rng.randint(1, 3))))[::-1])
    return Profile(
        index=index,
        username=username(seed, index),
        user_id=user_id(seed, index),
        language=lang.code,
        full_name=full_name,
        biography=bio,
        followers=followers,
        following=int(10 ** rng.uniform(1.0, 3.6)),
        is_private=stable_unit(seed, "private", index) < cfg.private_share,
        is_verified=(followers > 1_000_000 and rng.random() < 0.5) or rng.random() < 0.01,
        category_name=rng.choice(CATEGORIES),
        interval=interval,
        history=history,
        friends=friends,
        pinned=pinned,
    )


def _empty_edge() -> dict[str, Any]:
    """A fresh empty connection, so no two answers share a dict a fault may rewrite."""
    return {"count": 0, "page_info": {"has_next_page": False, "end_cursor": None}, "edges": []}


def _identity(p: Profile, seed: int, followers: int) -> dict[str, Any]:
    """The ``user`` fields from ``biography`` to ``id``, in the real answer's order."""
    return {
        "biography": p.biography,
        "blocked_by_viewer": False,
        "restricted_by_viewer": False,
        "country_block": False,
        "external_url": None,
        "external_url_linkshimmed": None,
        "edge_followed_by": {"count": followers},
        "fbid": str(17_841_400_000_000_000 + stable_int(seed, "fbid", p.index) % 10**11),
        "followed_by_viewer": False,
        "edge_follow": {"count": p.following},
        "follows_viewer": False,
        "full_name": p.full_name,
        "has_ar_effects": False,
        "has_clips": True,
        "has_guides": False,
        "has_channel": False,
        "has_blocked_viewer": False,
        "highlight_reel_count": stable_int(seed, "hl", p.index) % 20,
        "has_requested_viewer": False,
        "hide_like_and_view_counts": False,
        "id": p.user_id,
    }


def _account(p: Profile) -> dict[str, Any]:
    """The account-type fields from ``is_business_account`` to ``is_verified``."""
    return {
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
    }


def _page(p: Profile, pic: str, timeline: dict[str, Any]) -> dict[str, Any]:
    """The fields from ``edge_mutual_followed_by`` to the end: pictures and the edges."""
    return {
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
        "edge_felix_video_timeline": _empty_edge(),
        "edge_owner_to_timeline_media": timeline,
        "edge_saved_media": _empty_edge(),
        "edge_media_collections": _empty_edge(),
    }


def profile_user(
    p: Profile, seed: int, *, days_since_anchor: float, pic: str, timeline: dict[str, Any]
) -> dict[str, Any]:
    """The ``data.user`` object of web_profile_info: followers grow 0.1 % a day after the
    anchor; ``timeline`` is its first page of posts."""
    growth = max(0.0, days_since_anchor) * p.followers * 0.001
    return {
        **_identity(p, seed, p.followers + int(growth)),
        **_account(p),
        **_page(p, pic, timeline),
    }
