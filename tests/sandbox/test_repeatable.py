"""The same seed serves the same posts, whatever day the world is anchored on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from sandbox.config import SandboxConfig
from sandbox.content import SandboxContent
from tests.sandbox.conftest import PROFILE_PATH

pytestmark = pytest.mark.timeout(60)

DAY = 86_400
TODAY = datetime(2026, 6, 1, tzinfo=UTC)


def _posts(content: SandboxContent, now: float, names: list[str]) -> dict[str, tuple]:
    """Post id -> (time, caption) of the first timeline page of each profile at ``now``."""
    out = {}
    for name in names:
        user_id = content.user_id(content.index_of(name))
        page = content.timeline_page(user_id, 50, None, now)
        for edge in page["data"]["user"]["edge_owner_to_timeline_media"]["edges"]:
            node = edge["node"]
            captions = node["edge_media_to_caption"]["edges"]
            text = captions[0]["node"]["text"] if captions else None
            out[node["id"]] = (node["taken_at_timestamp"], text)
    return out


def test_worlds_anchored_a_day_apart_serve_the_same_older_posts() -> None:
    """Post times, and the ids made of them, were counted from the anchor: a world anchored
    a day later moved every post by a day, so a demo run the next day stored every post
    again under a new id."""
    today = SandboxContent(SandboxConfig(profiles=40, anchor=TODAY))
    tomorrow = SandboxContent(SandboxConfig(profiles=40, anchor=TODAY + timedelta(days=1)))
    names = today.public_usernames()[:20]
    seen_today = _posts(today, today.anchor_ts, names)
    # Tomorrow's world at the same instant: the posts up to today's anchor.
    seen_again = _posts(tomorrow, today.anchor_ts, names)
    assert len(seen_today) > 500
    shared = set(seen_today) & set(seen_again)
    # 50 newest per profile in both: the same posts, taken at the same times.
    assert shared == set(seen_today) == set(seen_again)
    # Captions of posts older than both trend ramps (7 days) are the same bytes too.
    old = [i for i in shared if seen_today[i][0] < today.anchor_ts - 8 * DAY]
    assert old and all(seen_today[i] == seen_again[i] for i in old)


def test_a_world_a_day_later_adds_that_days_posts() -> None:
    today = SandboxContent(SandboxConfig(profiles=40, anchor=TODAY))
    tomorrow = SandboxContent(SandboxConfig(profiles=40, anchor=TODAY + timedelta(days=1)))
    names = today.public_usernames()[:20]
    before = _posts(today, today.anchor_ts, names)
    after = _posts(tomorrow, tomorrow.anchor_ts, names)
    new = set(after) - set(before)
    assert new, "a day passes and nobody posts"
    assert all(today.anchor_ts < after[i][0] <= tomorrow.anchor_ts for i in new)


def test_frozen_content_serves_the_anchor_while_the_clock_runs(world_factory) -> None:
    """With ``frozen_content`` a running clock changes no post and no count."""
    world = world_factory(anchor=TODAY, frozen_content=True, speed=400_000.0, budget=1000)
    name = world.public_usernames()[0]
    with httpx.Client(proxy=world.proxy_url, trust_env=False, timeout=10) as client:

        def media() -> dict:
            answer = client.get(world.instagram_url + PROFILE_PATH, params={"username": name})
            return answer.json()["data"]["user"]["edge_owner_to_timeline_media"]

        first = media()
        world.clock.advance(30 * DAY)
        later = media()
    assert world.now() > TODAY.timestamp() + 30 * DAY
    assert later["count"] == first["count"]
    assert [e["node"]["id"] for e in later["edges"]] == [e["node"]["id"] for e in first["edges"]]
    assert later == first
