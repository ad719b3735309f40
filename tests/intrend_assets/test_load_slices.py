"""The load's slices: parsed in processes or here, the warehouse gets the same rows; the
file work after a commit fsyncs nothing per profile; the connection has its memory limit."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

import intrend_assets.loading.pool as pool
import intrend_assets.loading.queue as queue
from intrend_assets.raw_store.store import LocalRawStore
from intrend_assets.tracking.refresh import posts_per_day
from warehouse.db import connect

T0 = datetime(2026, 5, 1, tzinfo=UTC)
TABLES = ("posts", "post_metrics", "post_hashtags", "profiles", "profile_snapshots")


def _answer(n: int, posts: int = 3) -> bytes:
    edges = [
        {
            "node": {
                "id": f"{n}{i:03d}",
                "taken_at_timestamp": int((T0 + timedelta(hours=n + 7 * i)).timestamp()),
                "edge_media_to_caption": {"edges": [{"node": {"text": f"hi #tag{i} #Été"}}]},
                "edge_liked_by": {"count": n * i},
                "__typename": "GraphImage",
            }
        }
        for i in range(posts)
    ]
    user = {
        "id": str(1000 + n),
        "username": f"user{n}",
        "edge_followed_by": {"count": n},
        "edge_owner_to_timeline_media": {"count": posts, "edges": edges},
    }
    return json.dumps({"data": {"user": user}, "status": "ok"}).encode()


def _store(root: Path, profiles: int, *, broken: int | None = None) -> LocalRawStore:
    store = LocalRawStore(root)
    for n in range(profiles):
        body = b"<html>no profile here</html>" if n == broken else _answer(n)
        store.mark_pending(store.put(f"user{n}", T0 + timedelta(minutes=n), body))
    store.mark_pending(store.put("user0", T0 + timedelta(days=1), _answer(0, posts=5)))
    return store


def _load(root: Path, db: Path, workers: int) -> queue.LoadReport:
    store = LocalRawStore(root)
    todo, pending = queue.to_load(store, False)
    report = queue.LoadReport()
    con = connect(db)
    try:
        for _ in queue.load_queue(con, store, todo, pending, report, workers=workers):
            pass
    finally:
        con.close()
    return report


def _rows(db: Path) -> dict[str, list[tuple[Any, ...]]]:
    with duckdb.connect(str(db), read_only=True) as con:
        return {t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in TABLES}


def test_slices_parsed_in_processes_load_what_parsing_here_loads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(queue, "LOAD_BATCH", 4)  # 3 slices: the pool path
    reports = {}
    for workers in (0, 1, 2):  # here, one parse process beside the load, two
        _store(tmp_path / f"raw{workers}", 10, broken=3)
        reports[workers] = _load(tmp_path / f"raw{workers}", tmp_path / f"w{workers}.db", workers)
    here = _rows(tmp_path / "w0.db")
    assert here == _rows(tmp_path / "w1.db") == _rows(tmp_path / "w2.db")
    assert len(here["posts"]) == 9 * 3 + 2  # user0's second fetch brings 2 more posts
    for report in reports.values():
        assert (report.fetches, report.posts) == (10, 32)
        assert list(report.unparseable) == ["profiles/user3/20260501T000300.000000Z.json.zst"]
    for workers in (0, 1, 2):
        store = LocalRawStore(tmp_path / f"raw{workers}")
        assert store.pending() == []
        assert [f["username"] for f in store.failures()] == ["user3"]


@pytest.mark.parametrize(("workers", "processes"), [(0, []), (1, [1]), (2, [2])])
def test_the_workers_setting_is_the_number_of_parse_processes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers: int, processes: list[int]
) -> None:
    """1 is one parse process beside the load (its parse overlaps the load of the slice
    before), not a parse in the load's own process: that is 0."""
    started: list[int] = []

    class Counted(pool.ProcessPoolExecutor):
        def __init__(self, max_workers: int, **kwargs: Any) -> None:
            started.append(max_workers)
            super().__init__(max_workers, **kwargs)

    monkeypatch.setattr(pool, "ProcessPoolExecutor", Counted)
    monkeypatch.setattr(queue, "LOAD_BATCH", 4)  # 3 slices: the pool path
    _store(tmp_path / "raw", 10)
    report = _load(tmp_path / "raw", tmp_path / "w.db", workers)
    assert report.fetches == 11  # ten profiles, user0 twice
    assert started == processes


def test_the_posting_rate_counts_every_post_of_the_profile_in_the_batch(tmp_path: Path) -> None:
    _store(tmp_path / "raw", 3)
    _load(tmp_path / "raw", tmp_path / "w.db", workers=0)
    store = LocalRawStore(tmp_path / "raw")
    with duckdb.connect(str(tmp_path / "w.db"), read_only=True) as con:
        stamps = [
            r[0]
            for r in con.execute(
                "SELECT taken_at FROM post_metrics JOIN posts "
                "USING (post_id) WHERE owner_username = 'user0'"
            ).fetchall()
        ]
    # user0: 3 posts in its first fetch, 5 (the same 3 and 2 more) in its second.
    assert len(stamps) == 8
    assert store.cadence("user0").posts_per_day == pytest.approx(posts_per_day(stamps))
    assert store.cadence("user1").posts_per_day == pytest.approx(
        posts_per_day([T0 + timedelta(hours=1 + 7 * i) for i in range(3)])
    )


def test_a_load_writes_no_file_per_profile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The posting rates of every profile loaded end in one object, with one fsync for the
    whole load (a file per profile cost a quarter of a load)."""
    _store(tmp_path / "raw", 6)
    calls = []
    real = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (calls.append(fd), real(fd)))
    report = _load(tmp_path / "raw", tmp_path / "w.db", workers=0)
    assert report.fetches == 7
    assert len(calls) == 1  # the folded map; the slices' deltas are derived, not fsync'd
    cadence = tmp_path / "raw" / "cadence"
    assert sorted(p.relative_to(cadence).as_posix() for p in cadence.rglob("*.json")) == [
        "rates.json"
    ]
    store = LocalRawStore(tmp_path / "raw")
    assert all(store.cadence(f"user{n}").posts_per_day > 0 for n in range(6))


def test_the_warehouse_connection_takes_its_memory_limit_from_the_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def limit(con: duckdb.DuckDBPyConnection) -> str:
        return str(con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0])

    reference = duckdb.connect(config={"memory_limit": "300MB"})
    monkeypatch.setenv("INTREND_WAREHOUSE_MEMORY_LIMIT", "300MB")
    with connect(":memory:") as con:
        assert limit(con) == limit(reference)
    with connect(":memory:", memory_limit="200MB") as con:
        assert limit(con) != limit(reference)
    monkeypatch.delenv("INTREND_WAREHOUSE_MEMORY_LIMIT")
    default = duckdb.connect(config={"memory_limit": "256MB"})
    with connect(":memory:") as con:
        assert limit(con) == limit(default)


_KILLED_LOAD = """
import multiprocessing, os, signal
from concurrent.futures import ProcessPoolExecutor
from intrend_assets.loading.pool import _exit_with_parent
context = multiprocessing.get_context("spawn")
pool = ProcessPoolExecutor(
    1, mp_context=context, initializer=_exit_with_parent, initargs=(os.getpid(),)
)
print(pool.submit(os.getpid).result(), flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


def _running(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in status  # a zombie has exited; its reaper is not ours


def test_a_parse_process_exits_when_the_load_is_killed() -> None:
    """SIGKILL of the run leaves no parse process waiting on its task queue for ever."""
    done = subprocess.run(
        [sys.executable, "-c", _KILLED_LOAD], capture_output=True, text=True, timeout=30
    )
    assert done.returncode == -signal.SIGKILL, done.stderr
    child = int(done.stdout.split()[0])
    deadline = time.monotonic() + 10
    while _running(child) and time.monotonic() < deadline:
        time.sleep(0.1)
    alive = _running(child)
    if alive:
        os.kill(child, signal.SIGKILL)
    assert not alive


def test_a_slice_parses_with_the_cycle_collector_paused(tmp_path: Path) -> None:
    """The collector walked the slice being built every few hundred allocations (a quarter
    of the parse); it is off while a slice parses and on again after, even on an error."""
    import gc

    from intrend_assets.loading.slices import gc_paused, parse_slice
    from intrend_assets.parsing.profile import parse_profile

    store = _store(tmp_path / "raw", 2)
    seen = []

    def parse(*args: Any, **kwargs: Any) -> Any:
        seen.append(gc.isenabled())
        return parse_profile(*args, **kwargs)

    assert gc.isenabled()
    parsed = parse_slice(store, store.pending(), parse)
    assert seen == [False, False, False] and gc.isenabled()
    assert parsed.posts is not None and parsed.posts.num_rows == 3 + 3 + 5
    with pytest.raises(RuntimeError), gc_paused():
        raise RuntimeError("a bug in the parser")
    assert gc.isenabled()
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()  # left as the caller had it
    finally:
        gc.enable()


def test_a_slice_parsed_in_chunks_points_every_answer_at_its_own_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Posts become Arrow a few fetches at a time (to bound the Python lists alive); the
    slice's table is their concatenation, and each answer still reads its own posts."""
    from intrend_assets.loading import slices

    store = _store(tmp_path / "raw", 5, broken=2)
    objects = store.pending()
    whole = slices.parse_slice(store, objects)
    monkeypatch.setattr(slices, "CHUNK_FETCHES", 2)
    chunked = slices.parse_slice(store, objects)
    assert chunked.posts is not None and whole.posts is not None
    assert chunked.posts.num_rows == whole.posts.num_rows == 3 * 4 + 5
    assert chunked.posts.column("post_id").num_chunks > 1
    assert chunked.posts.to_pylist() == whole.posts.to_pylist()
    by_fetch = [
        (
            f.obj.key,
            f.failed,
            [a.profile["username"] for a in f.answers],
            [a.post_columns for a in f.answers],
        )
        for f in chunked.fetches()
    ]
    assert by_fetch == [
        (
            f.obj.key,
            f.failed,
            [a.profile["username"] for a in f.answers],
            [a.post_columns for a in f.answers],
        )
        for f in whole.fetches()
    ]
    assert [f.failed is not None for f in chunked.fetches()] == [
        o.username == "user2" for o in objects
    ]
