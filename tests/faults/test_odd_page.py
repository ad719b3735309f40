"""A timeline page that passes classification but not parsing must cost only that profile's
paging (recorded as incomplete), not crash the fetch of every other profile."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from intrend_assets.fetching.fetcher import fetch_profiles
from intrend_assets.fetching.modem_client import Rotation
from intrend_assets.fetching.rotation import RotationGate
from intrend_assets.instagram.client import Answer
from intrend_assets.raw_store.store import LocalRawStore
from tests import defaults, scripted


def _profile(username: str, index: int) -> bytes:
    edges = [
        {"node": {"id": f"{index}{k:03d}", "taken_at_timestamp": 1_700_000_000 - k}}
        for k in range(12)
    ]
    user = {
        "id": str(index),
        "username": username,
        "is_private": False,
        "edge_owner_to_timeline_media": {
            "count": 30,
            "edges": edges,
            "page_info": {"has_next_page": True, "end_cursor": "c1"},
        },
    }
    return json.dumps({"data": {"user": user}, "status": "ok"}).encode()


# Classified as a page (a dict timeline under data.user) but refused by the parser.
ODD_PAGE = json.dumps(
    {
        "data": {"user": {"edge_owner_to_timeline_media": {"edges": [], "page_info": {}}}},
        "status": "fail",
        "message": "something changed",
    }
).encode()


def test_an_unparseable_page_marks_its_profile_incomplete_and_the_run_goes_on(
    tmp_path: Path,
) -> None:
    names = [f"user{i}" for i in range(1, 7)]

    async def get_profile(username: str) -> Answer:
        return Answer(200, _profile(username, int(username[4:])), 1.0)

    async def get_page(user_id: str, after: str | None) -> Answer:
        return Answer(200, ODD_PAGE, 1.0)

    async def rotate() -> Rotation:
        return Rotation("1.1.1.1", "1.1.1.2", True, 1, 1)

    async def go():
        gate = RotationGate(rotate, current_ip="1.1.1.1")
        return await fetch_profiles(
            names,
            scripted.bound(get_profile, get_page),
            gate,
            LocalRawStore(tmp_path),
            defaults.policy(concurrency=3, max_posts=24),
        )

    report = asyncio.run(go())
    assert set(report.outcomes) == set(names)
    assert all(o.outcome == "stored" and not o.complete for o in report.outcomes.values())
    store = LocalRawStore(tmp_path)
    assert sorted(store.usernames()) == names
    assert {f["username"]: f["outcome"] for f in store.failures()} == dict.fromkeys(
        names, "incomplete"
    )
