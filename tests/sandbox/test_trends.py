"""Planted trends rise in the last 7 days; background tags stay flat (from generated bodies)."""

from __future__ import annotations

import re
from collections import Counter

from sandbox.content import SandboxContent
from tests.sandbox.conftest import ANCHOR

DAY = 86_400
NOW = ANCHOR.timestamp()
TAG = re.compile(r"(?<![\w/])#([^\s#＃!,.…()]+)")


def _posts_since(content: SandboxContent, since: float) -> list[tuple[int, str]]:
    """(taken_at, caption) of every public post newer than ``since``, paging like a fetcher."""
    out: list[tuple[int, str]] = []
    for name in content.public_usernames():
        user = content.profile_response(name, NOW)["data"]["user"]
        media = user["edge_owner_to_timeline_media"]
        while True:
            for edge in media["edges"]:
                node = edge["node"]
                texts = [e["node"]["text"] for e in node["edge_media_to_caption"]["edges"]]
                out.append((node["taken_at_timestamp"], texts[0] if texts else ""))
            oldest = media["edges"][-1]["node"]["taken_at_timestamp"] if media["edges"] else 0
            if not media["page_info"]["has_next_page"] or oldest < since:
                break
            page = content.timeline_page(user["id"], 50, media["page_info"]["end_cursor"], NOW)
            media = page["data"]["user"]["edge_owner_to_timeline_media"]
    return [(t, c) for t, c in out if t > since]


def test_planted_trends_rise_background_stays_flat(content: SandboxContent) -> None:
    posts = _posts_since(content, NOW - 35 * DAY)
    recent, baseline = Counter(), Counter()
    for taken_at, caption in posts:
        bucket = recent if taken_at > NOW - 7 * DAY else baseline
        bucket.update(TAG.findall(caption))

    def rates(tag: str) -> tuple[float, float]:
        return recent[tag] / 7, baseline[tag] / 28

    trends = content.trends
    assert len(trends) == 4
    for tag in trends:
        now_rate, before_rate = rates(tag)
        assert recent[tag] >= 30, (tag, recent[tag])
        assert now_rate > 8 * max(before_rate, 0.1), (tag, recent[tag], baseline[tag])

    background = [t for t, _ in (recent + baseline).most_common() if t not in trends][:10]
    assert "love" in background  # the most common English tag leads the background
    for tag in background:
        now_rate, before_rate = rates(tag)
        assert 0.5 < now_rate / before_rate < 2.0, (tag, recent[tag], baseline[tag])
    # A long tail: many tags seen only a few times.
    all_counts = recent + baseline
    assert sum(1 for c in all_counts.values() if c <= 2) > 100
