"""Closing doors on the sandbox: the fetch still stores every public profile, another way.

The sandbox serves every strategy of ``docs/instagram-strategies.md`` and its fault switches
close them: a login wall for a share of profiles, a changed ``doc_id``, "useragent mismatch",
a strategy gone.
"""

from __future__ import annotations

import asyncio
import os
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from intrend_assets.defs.resources import instagram_access
from intrend_assets.fetching.access import InstagramAccess
from intrend_assets.fetching.fetcher import fetch_profiles
from intrend_assets.fetching.modem_client import ModemClient
from intrend_assets.fetching.policy import FetchPolicy
from intrend_assets.fetching.report import FetchReport
from intrend_assets.fetching.rotation import RotationGate
from intrend_assets.instagram.errors import ConfigurationError
from intrend_assets.parsing.profile import parse_profile
from intrend_assets.raw_store.store import LocalRawStore, decompress
from intrend_assets.settings import IntrendSettings
from sandbox.world import SandboxConfig, SandboxWorld, start_sandbox
from tests import defaults

pytestmark = pytest.mark.slow
POLICY = defaults.policy(concurrency=6, backoff_seconds=0.01, session_pacing_seconds=0.0)


def _resource(world: SandboxWorld, **overrides: Any) -> InstagramAccess:
    settings = IntrendSettings(
        instagram_base_url=world.instagram_url,
        proxy_url=world.proxy_url,
        max_connections=6,
        **overrides,
    )
    return instagram_access(settings)


def _fetch(
    world: SandboxWorld,
    names: list[str],
    root: Path,
    resource: InstagramAccess,
    policy: FetchPolicy = POLICY,
    warnings: list[str] | None = None,
) -> FetchReport:
    async def go() -> FetchReport:
        client = resource.open_client()
        session = resource.open_session_client(pool_of=client)
        modem = ModemClient(world.modem_url, world.modem_token)
        try:
            gate = RotationGate(
                modem.rotate, current_ip=await modem.current_ip(), backoff_seconds=0.01
            )
            return await fetch_profiles(
                names,
                resource.bind(client, session),
                gate,
                LocalRawStore(root),
                policy,
                on_warning=None if warnings is None else warnings.append,
            )
        finally:
            await client.aclose()
            if session is not None:
                await session.aclose()
            await modem.aclose()

    return asyncio.run(go())


def _faults(world: SandboxWorld, **switches: Any) -> None:
    answer = httpx.post(f"{world.instagram_url}/_sandbox/faults", json=switches)
    assert answer.status_code == 200, answer.text


def _posts(root: Path, username: str) -> set[str]:
    """Every post id stored for ``username``: its latest answer and the pages after it."""
    store = LocalRawStore(root)
    obj = store.latest(username)
    assert obj is not None
    ids: set[str] = set()
    for key in [obj.key, *store.pages(obj)]:
        ids |= set(parse_profile(decompress(store.read(key)), username=username).posts["post_id"])
    return ids


def _newest(root: Path, username: str, count: int) -> list[str]:
    """The ``count`` newest post ids stored for ``username``, newest first."""
    store = LocalRawStore(root)
    obj = store.latest(username)
    assert obj is not None
    taken: dict[str, object] = {}
    for key in [obj.key, *store.pages(obj)]:
        frame = parse_profile(store.read(key), username=username).posts
        taken.update(zip(frame["post_id"], frame["taken_at"], strict=True))
    return sorted(taken, key=lambda k: (taken[k], k), reverse=True)[:count]


def test_half_the_profiles_walled_on_web_profile_info_are_served_by_the_next_way(
    tmp_path: Path,
) -> None:
    config = SandboxConfig(profiles=60, seed=11, budget=1000, speed=1.0, private_share=0.0)
    with start_sandbox(config) as world:
        names = world.public_usernames()[:40]
        _faults(world, login_wall={"web_profile_info": 0.5})
        report = _fetch(
            world,
            names,
            tmp_path / "walled",
            _resource(world, profile_strategies=["web_profile_info", "graphql_doc_id"]),
        )
        # The same profiles through web_profile_info alone, with no wall: the reference.
        _faults(world, login_wall={})
        reference = _fetch(
            world,
            names,
            tmp_path / "open",
            _resource(world, profile_strategies=["web_profile_info"]),
        )

    assert report.stored == len(names) and report.failed == 0
    served = report.served()
    assert set(served) == {"web_profile_info", "graphql_doc_id"}
    assert 8 <= served["graphql_doc_id"] <= 32  # about half, deterministically chosen
    walls = Counter(e["endpoint"] for e in report.log if e["outcome"] == "login_wall")
    assert walls == {"web_profile_info": served["graphql_doc_id"]}
    assert reference.stored == len(names)
    # Nothing downstream can tell: the same posts came back whichever way a profile was served.
    for name in names:
        assert _posts(tmp_path / "walled", name) == _posts(tmp_path / "open", name), name


def test_a_changed_doc_id_is_gone_until_the_setting_follows(tmp_path: Path) -> None:
    config = SandboxConfig(profiles=30, seed=5, budget=1000, speed=1.0)
    with start_sandbox(config) as world:
        names = world.public_usernames()[:12]
        _faults(world, doc_ids={"profile": "111", "timeline": "222"})
        order = ["graphql_doc_id", "embedded_page"]
        warnings: list[str] = []
        stale = _fetch(
            world, names, tmp_path, _resource(world, profile_strategies=order), warnings=warnings
        )
        fixed = _fetch(
            world,
            names,
            tmp_path,
            _resource(world, profile_strategies=order, profile_doc_id="111", timeline_doc_id="222"),
        )
    assert stale.stored == len(names)
    assert stale.served() == {"embedded_page": len(names)}
    assert "profile:graphql_doc_id" in stale.gone
    assert len(warnings) == 1 and "graphql_doc_id" in warnings[0]
    assert fixed.served() == {"graphql_doc_id": len(names)} and not fixed.gone


def test_useragent_mismatch_stops_the_run_with_a_configuration_error(tmp_path: Path) -> None:
    with start_sandbox(SandboxConfig(profiles=10, seed=3, speed=1.0)) as world:
        _faults(world, useragent_mismatch=True)
        with pytest.raises(ConfigurationError, match="useragent mismatch"):
            _fetch(world, world.public_usernames()[:3], tmp_path, _resource(world))


def test_walled_everywhere_a_session_serves_them_without_rotating(tmp_path: Path) -> None:
    config = SandboxConfig(profiles=20, seed=4, budget=1000, speed=1.0, private_share=0.0)
    cookies = tmp_path / "cookies.txt"
    cookies.write_text(".instagram.com\tTRUE\t/\tTRUE\t1790000000\tsessionid\tsandbox-session\n")
    os.chmod(cookies, 0o600)
    closed = {
        name: 1.0
        for name in ("web_profile_info", "web_profile_info_ipad", "graphql_doc_id", "embedded_page")
    }
    with start_sandbox(config) as world:
        names = world.public_usernames()[:5]
        _faults(world, login_wall=closed)
        without = _fetch(world, names, tmp_path / "anonymous", _resource(world))
        with_session = _fetch(
            world,
            names,
            tmp_path / "session",
            _resource(world, session_cookies_file=str(cookies)),
        )
    assert without.count("login_wall") == len(names)
    assert with_session.stored == len(names)
    assert with_session.served() == {"web_profile_info+session": len(names)}
    assert with_session.rotations == 0
    assert "sandbox-session" not in repr(with_session.log)


def test_every_way_pages_to_the_same_posts_and_fast_update_holds(tmp_path: Path) -> None:
    config = SandboxConfig(profiles=30, seed=8, budget=1000, speed=1.0, pinned_share=1.0)
    policy = defaults.policy(concurrency=4, backoff_seconds=0.01, max_posts=40)
    ways = {
        "graph": (["web_profile_info"], ["graphql_query_hash"]),
        "doc_id": (["graphql_doc_id"], ["graphql_doc_id"]),
        "page_then_doc_id": (["embedded_page"], ["graphql_doc_id"]),
    }
    with start_sandbox(config) as world:
        names = world.public_usernames()[:6]
        reports = {
            label: _fetch(
                world,
                names,
                tmp_path / label,
                _resource(world, profile_strategies=p, timeline_strategies=t),
                policy,
            )
            for label, (p, t) in ways.items()
        }
        # Page boundaries differ between ways (pinned posts, a profile answer without posts),
        # so each walk ends a little past 40 at a different post: the newest 36 must agree.
        newest = {
            label: {name: _newest(tmp_path / label, name, 36) for name in names} for label in ways
        }
        httpx.post(f"{world.instagram_url}/_sandbox/advance", params={"seconds": 3 * 86400})
        again = _fetch(
            world,
            names,
            tmp_path / "doc_id",
            _resource(world, profile_strategies=["graphql_doc_id"]),
            policy,
        )
    for label, report in reports.items():
        assert report.stored == len(names), label
        assert all(o.complete for o in report.outcomes.values()), label
        assert newest[label] == newest["graph"], label
    assert all(len(ids) == 36 for ids in newest["graph"].values())
    # Pinned old posts on top did not end the second pass early: it went on to a known post
    # that is not pinned (and stopped there, paging less than the first pass).
    assert all(o.complete for o in again.outcomes.values())
    for name in names:
        store = LocalRawStore(tmp_path / "doc_id")
        latest = store.latest(name)
        assert latest is not None
        frames = [parse_profile(store.read(k)).posts for k in store.pages(latest)]
        reached = {
            post_id
            for frame in frames
            for post_id, pinned in zip(frame["post_id"], frame["is_pinned"], strict=True)
            if not pinned
        }
        assert reached & set(newest["doc_id"][name]), name
    assert sum(o.pages for o in again.outcomes.values()) < sum(
        o.pages for o in reports["doc_id"].outcomes.values()
    )


def test_a_timeline_way_that_closes_falls_back_to_the_next(tmp_path: Path) -> None:
    config = SandboxConfig(profiles=20, seed=6, budget=1000, speed=1.0)
    policy = defaults.policy(concurrency=3, backoff_seconds=0.01, max_posts=30)
    with start_sandbox(config) as world:
        names = world.public_usernames()[:5]
        _faults(world, gone={"graphql_query_hash": 410})
        warnings: list[str] = []
        report = _fetch(world, names, tmp_path, _resource(world), policy, warnings)
    assert report.stored == len(names)
    assert all(o.complete for o in report.outcomes.values())
    assert "page:graphql_query_hash" in report.gone
    pages = Counter(e["endpoint"] for e in report.log if e["kind"] == "page" and e["status"] == 200)
    assert set(pages) == {"graphql_doc_id"}
    assert any("graphql_query_hash" in w for w in warnings)


def _rows(root: Path, username: str) -> pl.DataFrame:
    """Every stored post of ``username`` (answer and pages), one row per post, by id."""
    store = LocalRawStore(root)
    obj = store.latest(username)
    assert obj is not None
    frames = [
        parse_profile(store.read(k), username=username).posts for k in [obj.key, *store.pages(obj)]
    ]
    # Counters move between two fetches (the sandbox's posts keep gaining likes): compared
    # are the columns that describe the post itself.
    moving = ["fetched_at", "like_count", "comment_count", "video_view_count"]
    return pl.concat(frames).unique("post_id", keep="first").sort("post_id").drop(moving)


def test_every_way_gives_the_same_post_rows(tmp_path: Path) -> None:
    config = SandboxConfig(profiles=30, seed=21, budget=1000, speed=1.0, private_share=0.0)
    orders = {
        "web_profile_info": ["web_profile_info"],
        "graphql_doc_id": ["graphql_doc_id"],
        "embedded_page": ["embedded_page"],
    }
    with start_sandbox(config) as world:
        names = world.public_usernames()[:10]
        for label, order in orders.items():
            report = _fetch(
                world, names, tmp_path / label, _resource(world, profile_strategies=order)
            )
            assert report.served() == {label: len(names)}
    for name in names:
        reference = _rows(tmp_path / "web_profile_info", name)
        assert reference.height >= 12  # the profile answer and a first fetch's history
        for label in ("graphql_doc_id", "embedded_page"):
            assert_frame_equal(_rows(tmp_path / label, name), reference, check_row_order=True)
