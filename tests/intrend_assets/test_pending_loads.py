"""The pending queue between ``raw_profile`` and ``posts``: a fetch is queued once its answer
and pages are stored, before the fast-update mark moves, and leaves the queue only after its
rows are committed. Nothing fetched is lost to a crash anywhere in between."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg
import duckdb
import pytest

import intrend_assets.loading.queue as parsed
from intrend_assets.defs.resources import WarehouseFile
from intrend_assets.defs.warehouse.posts import posts
from intrend_assets.fetching.fetcher import fetch_profiles
from intrend_assets.fetching.modem_client import Rotation
from intrend_assets.fetching.rotation import RotationGate
from intrend_assets.instagram.client import Answer
from intrend_assets.lib.metrics_push import MetricsGateway
from intrend_assets.raw_store.store import LocalRawStore, RawStore
from tests import defaults, scripted
from tests.infra.s3 import StoreFactory

T0 = 1_700_000_000


def _edges(ids: list[int]) -> list[dict]:
    return [{"node": {"id": str(i), "taken_at_timestamp": T0 + i}} for i in ids]


def _answer(username: str, ids: list[int], cursor: str | None = None) -> bytes:
    user = {
        "id": "42",
        "username": username,
        "is_private": False,
        "edge_owner_to_timeline_media": {
            "count": 100,
            "edges": _edges(ids),
            "page_info": {"has_next_page": cursor is not None, "end_cursor": cursor},
        },
    }
    return json.dumps({"data": {"user": user}, "status": "ok"}).encode()


def _page(ids: list[int]) -> bytes:
    media = {"edges": _edges(ids), "page_info": {"has_next_page": False, "end_cursor": None}}
    return json.dumps({"data": {"user": {"edge_owner_to_timeline_media": media}}}).encode()


class RecordingStore(RawStore):
    """The raw store, noting the order of the writes that matter for crash safety."""

    def __init__(self, on: RawStore, fail_on: str | None = None) -> None:
        super().__init__(on.blobs)
        self.calls: list[str] = []
        self.fail_on = fail_on

    def _note(self, name: str) -> None:
        self.calls.append(name)
        if name == self.fail_on:
            raise OSError(f"disk gone during {name}")

    def put_page(self, obj, number, body):  # type: ignore[no-untyped-def]
        key = super().put_page(obj, number, body)
        self._note("page")
        return key

    def mark_pending(self, obj):  # type: ignore[no-untyped-def]
        self._note("pending")
        super().mark_pending(obj)

    def write_mark(self, username, mark):  # type: ignore[no-untyped-def]
        self._note("mark")
        super().write_mark(username, mark)


def _fetch(store: RawStore, names: list[str], newest: int = 40) -> None:
    """Fetch ``names``: a profile answer of 12 posts and one timeline page of 12 more."""

    async def get_profile(username: str) -> Answer:
        return Answer(200, _answer(username, list(range(newest, newest - 12, -1)), "c1"), 1.0)

    async def get_page(user_id: str, after: str | None) -> Answer:
        return Answer(200, _page(list(range(newest - 12, newest - 24, -1))), 1.0)

    async def rotate() -> Rotation:
        return Rotation("1.1.1.1", "1.1.1.2", True, 1, 1)

    async def go() -> None:
        gate = RotationGate(rotate, current_ip="1.1.1.1")
        await fetch_profiles(
            names,
            scripted.bound(get_profile, get_page),
            gate,
            store,
            defaults.policy(concurrency=2, max_posts=24),
        )

    asyncio.run(go())


def test_a_fetch_is_queued_after_its_pages_and_before_its_mark(
    make_store: StoreFactory, tmp_path: Path
) -> None:
    store = RecordingStore(make_store())
    _fetch(store, ["alice"])
    assert store.calls == ["page", "pending", "mark"]
    (queued,) = store.pending()
    assert queued == store.latest("alice")


def test_a_crash_before_the_queue_leaves_the_mark_where_it_was(
    make_store: StoreFactory, tmp_path: Path
) -> None:
    """Were the mark to move first, the next fast update would stop at posts no load saw."""
    store = RecordingStore(make_store(), fail_on="pending")
    with pytest.raises(OSError):  # a storage error fails the step, which Dagster retries
        _fetch(store, ["alice"])
    assert store.calls == ["page", "pending"]
    assert store.read_mark("alice") is None


def test_pending_is_oldest_first_and_survives_a_missing_answer(
    make_store: StoreFactory, tmp_path: Path
) -> None:
    store = make_store()
    now = datetime.now(UTC)
    late = store.put("bob", now, _answer("bob", [1]))
    early = store.put("alice", now - timedelta(minutes=1), _answer("alice", [2]))
    store.mark_pending(late)
    store.mark_pending(early)
    assert [o.username for o in store.pending()] == ["alice", "bob"]
    store.blobs.delete(early.key)
    assert [o.size for o in store.pending()] == [-1, late.size]
    store.clear_pending(store.pending())
    assert store.pending() == []


def _load(
    store: RawStore | Path, db: Path, config: dict | None = None
) -> dg.ExecuteInProcessResult:
    """Run ``posts`` on ``store`` (a folder path: the local store there)."""
    if isinstance(store, Path):
        store = LocalRawStore(store)
    with dg.instance_for_test() as instance:
        return dg.materialize(
            [posts],
            resources={
                "raw_store": RawStore(store.blobs, store.max_object_bytes),
                "warehouse": WarehouseFile(Path(str(db))),
                "metrics": MetricsGateway(None),
            },
            instance=instance,
            run_config={"ops": {"posts": {"config": config}}} if config else None,
            raise_on_error=False,
        )


def _post_ids(db: Path) -> list[str]:
    with duckdb.connect(str(db), read_only=True) as con:
        return [r[0] for r in con.execute("SELECT post_id FROM posts ORDER BY post_id").fetchall()]


def test_two_fetches_before_a_load_are_both_loaded(
    make_store: StoreFactory, tmp_path: Path
) -> None:
    """The second fetch (fast update) has only the newest posts; the first fetch's pages
    must not be lost behind it, as they were when posts read only the latest answer."""
    db = tmp_path / "w.duckdb"
    store = make_store()
    _fetch(store, ["alice"], newest=40)  # posts 17..40
    _fetch(store, ["alice"], newest=45)  # posts 34..45: the page stops at the mark
    assert len(store.pending()) == 2
    assert _load(store, db).success
    assert _post_ids(db) == sorted(str(i) for i in range(17, 46))
    assert store.pending() == []


def test_a_load_that_dies_part_way_is_finished_by_the_next(
    make_store: StoreFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "w.duckdb"
    store = make_store()
    names = [f"user{i}" for i in range(5)]
    _fetch(store, names)
    monkeypatch.setattr(parsed, "LOAD_BATCH", 2)
    real, calls = parsed.load_parsed, []

    def dies_on_the_second_batch(con, batch):  # type: ignore[no-untyped-def]
        calls.append(len(batch))
        if len(calls) >= 2:  # the warehouse is gone from here on
            raise duckdb.IOException("killed mid-load")
        return real(con, batch)

    monkeypatch.setattr(parsed, "load_parsed", dies_on_the_second_batch)
    assert not _load(store, db).success
    # The first batch is committed and out of the queue; the rest wait.
    assert sorted(o.username for o in store.pending()) == names[2:]
    monkeypatch.setattr(parsed, "load_parsed", real)
    assert _load(store, db).success
    assert store.pending() == []
    with duckdb.connect(str(db), read_only=True) as con:
        rows, distinct, owners = con.execute(
            "SELECT count(*), count(DISTINCT post_id), count(DISTINCT owner_id) FROM posts"
        ).fetchall()[0]
    assert rows == distinct == 24  # the fake gives every profile the same 24 post ids
    assert owners == 1


def test_full_refresh_reloads_every_profile_without_a_queue(
    make_store: StoreFactory, tmp_path: Path
) -> None:
    db = tmp_path / "w.duckdb"
    store = make_store()
    _fetch(store, ["alice", "bob"])
    assert _load(store, db).success
    assert (
        _load(store, db)
        .asset_materializations_for_node("posts")[0]
        .metadata["fetches_loaded"]
        .value
        == 0
    )
    result = _load(store, db, {"full_refresh": True})
    (materialization,) = result.asset_materializations_for_node("posts")
    assert materialization.metadata["fetches_loaded"].value == 2
    assert materialization.metadata["mode"].value == "full refresh"


def test_paging_that_dies_still_queues_what_was_stored(
    make_store: StoreFactory, tmp_path: Path
) -> None:
    """An error part way through paging used to leave the stored answer out of the queue."""
    store = RecordingStore(make_store())

    async def get_profile(username: str) -> Answer:
        return Answer(200, _answer(username, list(range(40, 28, -1)), "c1"), 1.0)

    async def get_page(user_id: str, after: str | None) -> Answer:
        raise RuntimeError("the run is being torn down")

    async def rotate() -> Rotation:
        return Rotation("1.1.1.1", "1.1.1.2", True, 1, 1)

    async def go() -> None:
        gate = RotationGate(rotate, current_ip="1.1.1.1")
        await fetch_profiles(
            ["alice"],
            scripted.bound(get_profile, get_page),
            gate,
            store,
            defaults.policy(max_posts=24),
        )

    with pytest.raises(RuntimeError):
        asyncio.run(go())
    assert [o.key for o in store.pending()] == [store.latest("alice").key]  # type: ignore[union-attr]
    assert store.read_mark("alice") is None


def test_a_marker_not_written_by_the_store_is_passed_over(
    make_store: StoreFactory, tmp_path: Path
) -> None:
    store = make_store()
    obj = store.put("alice", datetime.now(UTC), _answer("alice", [1]))
    store.mark_pending(obj)
    (marker,) = (e.key for e in store.blobs.list("pending/"))
    store.blobs.put(marker.replace("~alice", "~Alice"), store.blobs.get(marker) or b"")
    store.blobs.delete(marker)
    assert store.pending() == []  # clear_pending could never remove it: it would load for ever


def test_full_refresh_reparses_every_fetch_not_only_the_latest(
    make_store: StoreFactory, tmp_path: Path
) -> None:
    db = tmp_path / "w.duckdb"
    store = make_store()
    _fetch(store, ["alice"], newest=40)
    _fetch(store, ["alice"], newest=45)
    assert _load(store, db).success
    fresh = tmp_path / "fresh.duckdb"  # a warehouse rebuilt from the raw store alone
    assert _load(store, fresh, {"full_refresh": True}).success
    assert _post_ids(fresh) == _post_ids(db) == sorted(str(i) for i in range(17, 46))


def test_full_refresh_leaves_a_fetch_queued_meanwhile_in_the_queue(
    make_store: StoreFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stored answer not yet queued may still be paging in another run; a full refresh
    that cleared its marker as well would lose the pages written after it read them."""
    db = tmp_path / "w.duckdb"
    store = make_store()
    paging = store.put("bob", datetime.now(UTC), _answer("bob", [7]))  # not queued yet
    real = parsed.load_parsed

    def meanwhile(con, batch):  # type: ignore[no-untyped-def]
        store.mark_pending(paging)  # the other run finishes paging and queues it
        return real(con, batch)

    monkeypatch.setattr(parsed, "load_parsed", meanwhile)
    assert _load(store, db, {"full_refresh": True}).success
    assert [o.key for o in store.pending()] == [paging.key]


def test_a_fetch_the_warehouse_refuses_is_set_aside_and_the_rest_load(
    make_store: StoreFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "w.duckdb"
    store = make_store()
    _fetch(store, ["alice", "bob", "carol"])
    real = parsed.load_parsed

    def refuses_bob(con, batch):  # type: ignore[no-untyped-def]
        if any(p.username == "bob" for p in batch):
            raise ValueError("value out of range")
        return real(con, batch)

    monkeypatch.setattr(parsed, "load_parsed", refuses_bob)
    result = _load(store, db)
    assert result.success  # one bad fetch no longer fails every run after it
    (materialization,) = result.asset_materializations_for_node("posts")
    assert materialization.metadata["fetches_loaded"].value == 2
    assert materialization.metadata["set_aside"].value == 1
    assert store.pending() == []
    (refused,) = store.set_aside()
    assert refused["username"] == "bob" and "value out of range" in refused["why"]


def test_a_warehouse_that_refuses_everything_fails_and_keeps_the_queue(
    make_store: StoreFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "w.duckdb"
    store = make_store()
    _fetch(store, ["alice", "bob"])

    def disk_full(con, batch):  # type: ignore[no-untyped-def]
        raise duckdb.IOException("No space left on device")

    monkeypatch.setattr(parsed, "load_parsed", disk_full)
    assert not _load(store, db).success
    assert len(store.pending()) == 2
    assert store.set_aside() == []


def test_a_parser_crash_on_one_answer_costs_that_fetch_only(
    make_store: StoreFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "w.duckdb"
    store = make_store()
    _fetch(store, ["alice", "bob"])
    real = parsed.parse_profile

    def crashes_on_bob(body, **kwargs):  # type: ignore[no-untyped-def]
        if kwargs.get("username") == "bob":
            raise KeyError("edge_owner_to_timeline_media")
        return real(body, **kwargs)

    monkeypatch.setattr(parsed, "parse_profile", crashes_on_bob)
    result = _load(store, db)
    assert result.success
    assert store.pending() == []
    assert [f["username"] for f in store.failures()] == ["bob"]
    assert "KeyError in the parser" in str(store.failures()[0]["reason"])
