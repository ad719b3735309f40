"""The generated world, pinned: a digest of what seed 7 serves.

The sandbox's content is a pure function of its config, so any change to a body (a field, its
order, a random draw taken in another order) changes these digests. A change that means to
alter the world updates them; a refactoring must leave them alone.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from sandbox.captions import planted_trends, write_caption
from sandbox.config import SandboxConfig
from sandbox.content import SandboxContent
from sandbox.rng import rng_for

ANCHOR = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
DAY = 86_400


def _digest(value: Any) -> str:
    """Order-sensitive, as the JSON the server writes keeps the dicts' key order."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _content() -> SandboxContent:
    return SandboxContent(SandboxConfig(seed=7, profiles=300, anchor=ANCHOR))


def _profiles(content: SandboxContent) -> list[Any]:
    now = content.anchor_ts + 3.5 * DAY
    names = content.usernames()[:50] + content.unknown_usernames()[:5]
    return [content.profile_response(name, now) for name in names]


def _pages(content: SandboxContent) -> list[Any]:
    """Graph pages (by id) and v1 pages (by username), followed by their cursors."""
    now = content.anchor_ts + 2 * DAY
    pages: list[Any] = []
    for name in content.public_usernames()[:6]:
        user_id = content.user_id(content.index_of(name))
        after = None
        for _ in range(3):
            page = content.timeline_page(user_id, 12, after, now)
            pages.append(page)
            after = page["data"]["user"]["edge_owner_to_timeline_media"]["page_info"]["end_cursor"]
        after = None
        for _ in range(2):
            media = content.profile_timeline(name, 12, after, now)
            pages.append(media)
            after = media["page_info"]["end_cursor"]
    return pages


def _captions() -> list[str | None]:
    trends = planted_trends(7, 3)
    anchor = ANCHOR.timestamp()
    return [
        write_caption(
            rng_for(7, "digest", i),
            main_language=("en", "ja", "ar", "hi", "ko", "ru")[i % 6],
            taken_at=int(anchor + (i - 100) * 3_600),
            anchor_ts=anchor,
            trends=trends,
            mention_pool=("a", "b.c", "d_e"),
            tricky_share=0.3,
            no_caption_share=0.1,
            hashtag_cap=i % 2 == 0,
        )
        for i in range(200)
    ]


def test_profiles_digest() -> None:
    assert _digest(_profiles(_content())) == PROFILES


def test_pages_digest() -> None:
    assert _digest(_pages(_content())) == PAGES


def test_captions_digest() -> None:
    assert _digest(_captions()) == CAPTIONS


def test_truth_digest() -> None:
    assert _digest(_content().truth()) == TRUTH


PROFILES = "0f66b097441bfbdc8d63f198440ac032a0e9864bf8a31e09826f25dfdcfd5f72"
PAGES = "93bd1fabfb058523017b55fd1e856ed9719e57cb2ac996af51f4e192015e4b22"
CAPTIONS = "1cec57c3fe3a1ec9a2da84a1eccce62cdf480af14441f1385781757af4a10aef"
TRUTH = "520598a1cc6dd8160a71b237950860d5411c901a4ac66557e2acd7b6845e7245"
