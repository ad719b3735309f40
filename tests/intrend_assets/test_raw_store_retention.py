"""Raw-store retention never drops a post: a full refresh from what it keeps rebuilds the same
warehouse, and a dry run frees nothing but says what a real pass frees.

The store is built as fast update leaves it: ``alice``'s first fetch pages her whole
timeline, the later ones hold only the newest 12 posts, so her older posts are in the first
fetch alone; ``bob`` posts nothing new, so his older fetches hold nothing the latest lacks;
``carol``'s older fetch is still queued for the warehouse.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from intrend_assets.loading.queue import LoadReport, load_queue, to_load
from intrend_assets.raw_store.retention import RetentionPolicy, apply_retention
from intrend_assets.raw_store.store import LocalRawStore, RawStore
from tests.fakes import PAGE, PROFILE, user_id
from tests.infra.s3 import StoreFactory
from warehouse.db import connect
from warehouse.load.daily import rebuild_hashtag_daily
from warehouse.load.wide import rebuild_posts_wide

T0 = datetime(2026, 1, 1, tzinfo=UTC)
NODE = PROFILE["data"]["user"]["edge_owner_to_timeline_media"]["edges"][0]["node"]
PAGE_NODE = PAGE["data"]["user"]["edge_owner_to_timeline_media"]["edges"][0]["node"]


def _node(template: dict[str, Any], username: str, number: int, likes: int) -> dict[str, Any]:
    node = copy.deepcopy(template)
    node.update(
        id=f"{user_id(username)}{number:04d}",
        shortcode=f"{username}{number}",
        taken_at_timestamp=int((T0 + timedelta(hours=number)).timestamp()),
        pinned_for_users=[],
    )
    node["owner"] = {"id": user_id(username), "username": username}
    node["edge_media_to_caption"] = {
        "edges": [{"node": {"text": f"post {number} #tag{number % 5}"}}]
    }
    node["edge_liked_by"] = node["edge_media_preview_like"] = {"count": likes}
    return {"node": node}


def _answer(username: str, numbers: list[int], likes: int) -> bytes:
    body = copy.deepcopy(PROFILE)
    user = body["data"]["user"]
    user.update(username=username, id=user_id(username))
    media = user["edge_owner_to_timeline_media"]
    media["edges"] = [_node(NODE, username, n, likes) for n in numbers]
    media["page_info"] = {"has_next_page": False, "end_cursor": None}
    return json.dumps(body).encode()


def _page(username: str, numbers: list[int], likes: int) -> bytes:
    body = copy.deepcopy(PAGE)
    media = body["data"]["user"]["edge_owner_to_timeline_media"]
    media["edges"] = [_node(PAGE_NODE, username, n, likes) for n in numbers]
    media["page_info"] = {"has_next_page": False, "end_cursor": None}
    return json.dumps(body).encode()


def _newest(top: int, count: int = 12) -> list[int]:
    return list(range(top, top - count, -1))


def _fill(store: RawStore) -> None:
    """Fetches as the fetcher leaves them (answer, pages, then queued), all loaded but one."""

    def fetch(name: str, day: int, answer: bytes, *pages: bytes, loaded: bool = True) -> None:
        obj = store.put(name, T0 + timedelta(days=day), answer)
        for number, page in enumerate(pages, 1):
            store.put_page(obj, number, page)
        store.mark_pending(obj)
        if loaded:
            store.clear_pending([obj])

    # alice: the first pass pages 30 posts; later fetches see the 12 newest (fast update).
    fetch("alice", 2, _answer("alice", _newest(30), 5), _page("alice", _newest(18, 18), 5))
    fetch("alice", 3, _answer("alice", _newest(32), 6))
    fetch("alice", 4, _answer("alice", _newest(33), 7))
    # bob: nothing new, only his like counts move (his older fetches' pages too).
    fetch("bob", 2, _answer("bob", _newest(12), 2), _page("bob", _newest(12, 6), 2))
    fetch("bob", 3, _answer("bob", _newest(12), 3), _page("bob", _newest(12, 6), 3))
    fetch("bob", 4, _answer("bob", _newest(12), 4))
    # carol: the older fetch is still queued for the warehouse.
    fetch("carol", 2, _answer("carol", _newest(12), 1), loaded=False)
    fetch("carol", 3, _answer("carol", _newest(12), 2))


def _rebuild(store: RawStore, path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """A fresh warehouse from everything the store holds (``posts`` with full_refresh),
    as sorted rows per table, without the columns that record our own fetch moments."""
    todo, _ = to_load(store, full_refresh=True)
    con = connect(path)
    try:
        for _done in load_queue(con, store, todo, set(), LoadReport()):
            pass
        rebuild_hashtag_daily(con)
        rebuild_posts_wide(con)
        return {table: _rows(con, table) for table in TABLES}
    finally:
        con.close()


TABLES = ["posts", "post_hashtags", "profiles", "hashtag_daily", "posts_wide"]


def _rows(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[Any, ...]]:
    columns = [
        row[0] for row in con.execute(f"DESCRIBE {table}").fetchall() if "first_seen" not in row[0]
    ]
    names = ", ".join(f'"{c}"' for c in columns)
    return sorted(con.execute(f"SELECT {names} FROM {table}").fetchall(), key=repr)


def test_retention_keeps_every_post_and_the_dry_run_frees_nothing(
    tmp_path: Path, make_store: StoreFactory
) -> None:
    """On both backends: a folder, and a bucket of the loopback S3 server."""
    store = make_store()
    _fill(store)
    before = _rebuild(store, tmp_path / "before.duckdb")
    assert len(before["posts"]) == 33 + 12 + 12
    policy = RetentionPolicy(keep_fetches=1)

    dry = apply_retention(store, policy, dry_run=True)
    assert sum(len(store.objects(n)) for n in ("alice", "bob", "carol")) == 8  # nothing gone
    assert dry.dropped == 2 and dry.bytes_freed > 0
    assert all(key.startswith("profiles/bob/") for key in dry.dropped_keys)
    # alice's two older fetches hold posts no later fetch has; carol's is queued.
    assert dry.kept_for_posts == 2

    done = apply_retention(store, policy)
    assert (done.dropped, done.bytes_freed) == (dry.dropped, dry.bytes_freed)
    assert [len(store.objects(n)) for n in ("alice", "bob", "carol")] == [3, 1, 2]
    assert not store.blobs.list("pages/bob/")  # a dropped fetch's pages go with it
    assert _rebuild(store, tmp_path / "after.duckdb") == before

    # A second pass has nothing left to drop.
    assert apply_retention(store, policy).dropped == 0


def test_dropping_old_fetches_by_age_alone_would_lose_posts(tmp_path: Path) -> None:
    """What the coverage rule is for: keeping only each profile's latest fetch loses alice's
    older posts, which the comparison above would catch."""
    store = LocalRawStore(tmp_path / "raw")
    _fill(store)
    before = _rebuild(store, tmp_path / "before.duckdb")
    for name in ("alice", "bob", "carol"):
        for obj in store.objects(name)[:-1]:
            for key in store.pages(obj):
                (store.root / key).unlink()
            (store.root / obj.key).unlink()
    after = _rebuild(store, tmp_path / "after.duckdb")
    assert len(after["posts"]) == 12 + 12 + 12  # alice keeps her 12 newest only
    assert after != before


@pytest.mark.parametrize(
    ("policy", "dropped"),
    [
        (RetentionPolicy(), 0),  # the default: keep everything
        (RetentionPolicy(keep_fetches=3), 0),
        (RetentionPolicy(keep_days=1.5), 1),  # bob's day-2 fetch: older, and covered
    ],
)
def test_the_policy_decides_which_fetches_may_go(
    make_store: StoreFactory, policy: RetentionPolicy, dropped: int
) -> None:
    store = make_store()
    _fill(store)
    now = T0 + timedelta(days=4, hours=12)  # keep_days=1.5: fetches of days 3 and 4 stay
    report = apply_retention(store, policy, dry_run=True, now=now)
    assert report.dropped == dropped


def test_the_job_dry_runs_and_applies_the_settings_policy(tmp_path: Path) -> None:
    """``raw_store_retention_job`` from the settings' policy: a dry run reports the bytes and
    deletes nothing; the default policy keeps everything."""
    import dagster as dg

    from intrend_assets.defs.resources import build_resources
    from intrend_assets.defs.retention.jobs import raw_store_retention_job
    from intrend_assets.settings import IntrendSettings

    def run(settings: IntrendSettings, dry_run: bool) -> dict[str, Any]:
        result = raw_store_retention_job.execute_in_process(
            resources=build_resources(settings),
            run_config={"ops": {"apply_raw_store_retention": {"config": {"dry_run": dry_run}}}},
            instance=dg.DagsterInstance.ephemeral(),
        )
        assert result.success
        (event,) = [e for e in result.all_events if e.event_type_value == "STEP_OUTPUT"]
        return {k: v.value for k, v in event.step_output_data.metadata.items()}

    settings = IntrendSettings(data_dir=tmp_path, retention_keep_fetches=1)
    store = LocalRawStore(settings.resolved_raw_dir())
    _fill(store)
    dry = run(settings, dry_run=True)
    assert dry["dropped"] == 2 and dry["bytes_freed"] > 0
    assert len(store.objects("bob")) == 3
    assert run(IntrendSettings(data_dir=tmp_path), dry_run=False)["dropped"] == 0  # default
    assert run(settings, dry_run=False)["dropped"] == 2
    assert len(store.objects("bob")) == 1
