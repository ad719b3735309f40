"""A profile's first fetch pages back far enough for the report's windows (35 days by
default) within a page cap; later fetches are fast updates; a page refused part way keeps
what was fetched and leaves the mark alone, so the next fetch loses no post."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from intrend_assets.fetching.fetcher import fetch_profiles
from intrend_assets.fetching.modem_client import Rotation
from intrend_assets.fetching.policy import FetchPolicy
from intrend_assets.fetching.report import FetchReport
from intrend_assets.fetching.rotation import RotationGate
from intrend_assets.instagram.client import Answer
from intrend_assets.raw_store.codec import decompress
from intrend_assets.raw_store.store import LocalRawStore
from tests import defaults, scripted

PAGE = 12  # posts per answer, as Instagram serves them


@dataclass
class Timeline:
    """One profile posting every ``every`` since ``days`` ago, newest first; pages on request.

    ``refuse_page``: the page number (1 = the first past the profile answer) answered with a
    login wall, while ``refusing`` is set."""

    days: float
    every: timedelta
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    new_posts: int = 0  # posted since the start: they go on top
    refuse_page: int | None = None
    refusing: bool = True
    pages_asked: list[int] = field(default_factory=list)

    def posts(self) -> list[tuple[str, int]]:
        """(post id, taken_at epoch) newest first; ids count up with time, so stay stable."""
        n = int(timedelta(days=self.days) / self.every)
        times = [self.now - (i + 0.5) * self.every for i in range(n)]
        times = [self.now + (j + 1) * timedelta(minutes=1) for j in range(self.new_posts)][
            ::-1
        ] + times
        total = len(times)
        return [(str(total - i), int(t.timestamp())) for i, t in enumerate(times)]

    def slice(self, start: int) -> dict[str, Any]:
        posts = self.posts()
        chunk = posts[start : start + PAGE]
        more = start + PAGE < len(posts)
        edges = [{"node": {"id": i, "taken_at_timestamp": t}} for i, t in chunk]
        page_info = {"has_next_page": more, "end_cursor": str(start + PAGE) if more else None}
        return {"count": len(posts), "edges": edges, "page_info": page_info}

    async def get_profile(self, username: str) -> Answer:
        user = {"id": "42", "username": username, "is_private": False}
        user["edge_owner_to_timeline_media"] = self.slice(0)
        return Answer(200, json.dumps({"data": {"user": user}, "status": "ok"}).encode(), 1.0)

    async def get_page(self, user_id: str, after: str | None) -> Answer:
        number = int(after or 0) // PAGE
        self.pages_asked.append(number)
        if self.refusing and number == self.refuse_page:
            body = {"message": "Please make sure you are logged in", "status": "fail"}
            return Answer(400, json.dumps(body).encode(), 1.0)
        media = self.slice(int(after or 0))
        body = {"data": {"user": {"edge_owner_to_timeline_media": media}}, "status": "ok"}
        return Answer(200, json.dumps(body).encode(), 1.0)


def _fetch(store: LocalRawStore, timeline: Timeline, policy: FetchPolicy) -> FetchReport:
    async def rotate() -> Rotation:
        return Rotation("1.1.1.1", "1.1.1.2", True, 1, 1)

    async def go() -> FetchReport:
        gate = RotationGate(rotate, current_ip="1.1.1.1")
        strategies = scripted.bound(timeline.get_profile, timeline.get_page)
        return await fetch_profiles(["alice"], strategies, gate, store, policy)

    return asyncio.run(go())


def _stored_posts(store: LocalRawStore) -> dict[str, datetime]:
    """Every post in every stored answer and page of alice: post id -> taken_at."""
    found: dict[str, datetime] = {}
    for obj in store.objects("alice"):
        keys = [obj.key, *store.pages(obj)]
        for key in keys:
            data = json.loads(decompress(store.read(key)))["data"]["user"][
                "edge_owner_to_timeline_media"
            ]
            for edge in data["edges"]:
                node = edge["node"]
                found[node["id"]] = datetime.fromtimestamp(node["taken_at_timestamp"], UTC)
    return found


def _requests(report: FetchReport) -> dict[str, int]:
    kinds: dict[str, int] = {}
    for row in report.log:
        kinds[str(row["kind"])] = kinds.get(str(row["kind"]), 0) + 1
    return kinds


def test_a_first_fetch_pages_back_to_the_windows_and_no_further(tmp_path: Path) -> None:
    store = LocalRawStore(tmp_path)
    timeline = Timeline(days=60, every=timedelta(days=1))
    report = _fetch(store, timeline, defaults.policy())
    (outcome,) = report.outcomes.values()
    assert outcome.outcome == "stored" and outcome.complete
    posts = _stored_posts(store)
    oldest = min(posts.values())
    cutoff = timeline.now - timedelta(days=35)
    # 35 posts reach 35 days back: the profile answer's 12 and two pages of 12.
    assert outcome.pages == 2 and _requests(report) == {"profile": 1, "page": 2}
    assert cutoff - timedelta(days=1) < oldest <= cutoff
    assert store.read_mark("alice") is not None  # a complete pass: later fetches are fast


def test_a_first_fetch_stops_at_the_page_cap(tmp_path: Path) -> None:
    store = LocalRawStore(tmp_path)
    timeline = Timeline(days=60, every=timedelta(hours=4))  # 210 posts in 35 days
    report = _fetch(store, timeline, defaults.policy(first_fetch_max_pages=3))
    (outcome,) = report.outcomes.values()
    assert outcome.pages == 3 and outcome.complete
    assert len(_stored_posts(store)) == PAGE * 4
    assert store.read_mark("alice") is not None


def test_no_first_fetch_depth_is_todays_single_lookup(tmp_path: Path) -> None:
    store = LocalRawStore(tmp_path)
    timeline = Timeline(days=60, every=timedelta(days=1))
    report = _fetch(store, timeline, defaults.policy(first_fetch_days=0))
    assert _requests(report) == {"profile": 1}
    assert timeline.pages_asked == []


def test_the_second_fetch_is_a_fast_update(tmp_path: Path) -> None:
    store = LocalRawStore(tmp_path)
    timeline = Timeline(days=60, every=timedelta(days=1))
    _fetch(store, timeline, defaults.policy())
    timeline.new_posts = 2
    report = _fetch(store, timeline, defaults.policy())
    (outcome,) = report.outcomes.values()
    assert _requests(report) == {"profile": 1} and outcome.complete
    mark = store.read_mark("alice")
    assert mark is not None and mark.newest_taken_at is not None
    assert mark.newest_taken_at > timeline.now  # moved past the two new posts


def test_a_short_timeline_stops_where_it_ends(tmp_path: Path) -> None:
    store = LocalRawStore(tmp_path)
    timeline = Timeline(days=20, every=timedelta(days=1))  # 20 posts, all within the windows
    report = _fetch(store, timeline, defaults.policy())
    (outcome,) = report.outcomes.values()
    assert outcome.pages == 1 and outcome.complete
    assert len(_stored_posts(store)) == 20
    assert store.read_mark("alice") is not None


def test_a_page_refused_mid_history_keeps_the_posts_and_loses_none_later(
    tmp_path: Path,
) -> None:
    store = LocalRawStore(tmp_path)
    timeline = Timeline(days=60, every=timedelta(hours=16), refuse_page=3)  # 52 in 35 d
    report = _fetch(store, timeline, defaults.policy())
    (outcome,) = report.outcomes.values()
    assert outcome.outcome == "stored" and not outcome.complete
    assert outcome.pages == 2 and len(_stored_posts(store)) == PAGE * 3
    assert store.pending() == [store.latest("alice")]  # queued for the warehouse all the same
    assert store.read_mark("alice") is None  # no mark: the next fetch is a first fetch again

    timeline.refusing, timeline.new_posts = False, 3
    report = _fetch(store, timeline, defaults.policy())
    (outcome,) = report.outcomes.values()
    assert outcome.complete and store.read_mark("alice") is not None
    cutoff = timeline.now - timedelta(days=35)
    wanted = {i for i, t in timeline.posts() if datetime.fromtimestamp(t, UTC) > cutoff}
    assert wanted <= set(_stored_posts(store))
