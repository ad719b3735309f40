"""An update finds and replaces the posts it brings by their keys, and writes no more than that:
its cost follows the batch, not the warehouse (benchmarks/incremental.py measures it)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from warehouse import checks
from warehouse.db import connect
from warehouse.load import (
    daily,
    keys,
    load_parsed,
    rebuild_hashtag_daily,
    rebuild_posts_wide,
    refresh_hashtag_daily,
    refresh_posts_wide,
)
from warehouse.load import posts as posts_load

from .conftest import AS_OF, synthetic_profiles


def test_known_posts_are_found_by_a_bound_list(con: duckdb.DuckDBPyConnection) -> None:
    load_parsed(con, synthetic_profiles(profiles=20, posts_per_profile=100))
    ids = [r[0] for r in con.execute("SELECT post_id FROM posts LIMIT 12").fetchall()]
    among, params = keys.post_ids_among(ids)
    found = con.execute(posts_load.KNOWN_BY_KEY.format(among=among), params).fetchall()
    assert sorted(r[1] for r in found) == sorted(ids)


def test_small_batches_go_by_key_and_bulk_loads_join(
    con: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[list[str] | None] = []
    find_known = posts_load._find_known

    def spy(connection: duckdb.DuckDBPyConnection, ids: list[str] | None) -> int:
        seen.append(ids)
        return find_known(connection, ids)

    monkeypatch.setattr(posts_load, "_find_known", spy)
    monkeypatch.setattr(keys, "KEY_LOOKUP_MAX", 50)
    bulk = synthetic_profiles(profiles=3, posts_per_profile=30)
    load_parsed(con, bulk)
    update = synthetic_profiles(profiles=1, posts_per_profile=30, fetched_at=AS_OF + timedelta(1))
    stats = load_parsed(con, update)
    assert seen[0] is None  # 90 posts: joined
    assert seen[1] is not None and len(seen[1]) == 30  # 30 posts: by key
    assert stats.posts_updated == 30
    assert con.execute("SELECT count(*), count(DISTINCT post_id) FROM posts").fetchall() == [
        (90, 90)
    ]


def test_an_older_fetch_by_key_still_backdates_first_seen(con: duckdb.DuckDBPyConnection) -> None:
    later = synthetic_profiles(profiles=1, posts_per_profile=5, fetched_at=AS_OF)
    earlier = synthetic_profiles(profiles=1, posts_per_profile=5, fetched_at=AS_OF - timedelta(3))
    load_parsed(con, later)
    stats = load_parsed(con, earlier)
    assert stats.posts_updated == 0  # the stored copies are newer
    rows = con.execute("SELECT min(first_seen_at), max(first_seen_at) FROM posts").fetchall()
    assert rows == [(AS_OF - timedelta(3), AS_OF - timedelta(3))]


_POST_TABLES = ("posts", "posts_wide")


def _stored_segments(con: duckdb.DuckDBPyConnection, table: str) -> set[tuple[Any, ...]]:
    """Where each stored segment of ``table`` sits in the file (a constant one has no block)."""
    return set(
        con.execute(
            "SELECT row_group_id, column_path, segment_id, block_id, block_offset "
            "FROM pragma_storage_info($t) WHERE persistent AND block_id >= 0",
            {"t": table},
        ).fetchall()
    )


def test_an_update_leaves_the_stored_rows_where_they_are(tmp_path: Path) -> None:
    """The checkpoint that closes each step writes what the update changed, not the tables.

    With an ART index on a table (schema/014 and 016, dropped by 017) the checkpoint after an
    append of a few rows rewrote the table's last row group whole: 52 of posts' 81 stored
    segments for 100 posts.
    """
    path = tmp_path / "warehouse.duckdb"
    con = connect(path)
    load_parsed(con, synthetic_profiles(profiles=40, posts_per_profile=100))
    rebuild_hashtag_daily(con)
    rebuild_posts_wide(con)
    con.execute("CHECKPOINT")
    before = {table: _stored_segments(con, table) for table in _POST_TABLES}
    edited = synthetic_profiles(
        profiles=1, posts_per_profile=30, seed=8, fetched_at=AS_OF + timedelta(1)
    )
    load_parsed(con, edited)
    refresh_hashtag_daily(con)
    refresh_posts_wide(con)
    con.close()  # checkpoints
    con = connect(path)
    try:
        for table in _POST_TABLES:
            assert before[table] <= _stored_segments(con, table), table
        assert not con.execute("SELECT index_name FROM duckdb_indexes()").fetchall()
    finally:
        con.close()


def test_the_hashtag_daily_fold_goes_by_key_for_a_small_change(
    con: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    load_parsed(con, synthetic_profiles(profiles=3, posts_per_profile=30))
    refresh_hashtag_daily(con)
    seen: list[list[str] | None] = []
    fold = daily._fold
    monkeypatch.setattr(daily, "_fold", lambda c, ids: (seen.append(ids), fold(c, ids))[1])
    edited = synthetic_profiles(
        profiles=1, posts_per_profile=30, seed=8, fetched_at=AS_OF + timedelta(1)
    )
    load_parsed(con, edited)
    refresh_hashtag_daily(con)
    assert seen and seen[0] is not None and len(seen[0]) == 30
    incremental = con.execute("SELECT * FROM hashtag_daily ORDER BY ALL").fetchall()
    rebuild_hashtag_daily(con)
    assert con.execute("SELECT * FROM hashtag_daily ORDER BY ALL").fetchall() == incremental


def _built(con: duckdb.DuckDBPyConnection) -> None:
    """3 profiles of 30 posts, hashtag_daily and posts_wide built whole."""
    load_parsed(con, synthetic_profiles(profiles=3, posts_per_profile=30))
    refresh_hashtag_daily(con)
    rebuild_posts_wide(con)


def _edit_one_profile(con: duckdb.DuckDBPyConnection) -> None:
    """A later fetch of the first profile, its 30 posts edited and a follower more (so its
    rows in posts_wide are rewritten whole), loaded and refreshed."""
    edited = synthetic_profiles(profiles=1, posts_per_profile=30, fetched_at=AS_OF + timedelta(1))
    edited[0].profile["followers"] += 1
    load_parsed(con, edited)
    refresh_hashtag_daily(con)
    refresh_posts_wide(con)


def test_checks_of_an_incremental_refresh_look_up_its_posts_by_key(
    con: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    _built(con)
    _edit_one_profile(con)
    where, _, params = checks._scope(con, "posts_wide", changed_only=True)
    assert where == "rowid IN (SELECT rowid FROM posts_wide WHERE list_contains($ids, post_id))"
    assert len(params["ids"]) == 30
    assert checks.posts_unique(con, changed_only=True)[0]
    assert checks.hashtag_daily_consistent(con, changed_only=True)[0]
    monkeypatch.setattr(keys, "KEY_LOOKUP_MAX", 10)  # more posts than that: joined
    where, _, params = checks._scope(con, "posts_wide", changed_only=True)
    assert "WHERE post_id IN (SELECT" in where and params == {}
    assert checks.posts_unique(con, changed_only=True)[0]
    assert checks.hashtag_daily_consistent(con, changed_only=True)[0]


def test_the_posts_wide_refresh_binds_a_few_changed_posts_and_profiles(
    con: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    _built(con)
    seen: list[tuple[str, dict[str, Any]]] = []
    among = keys.Keys.among

    def spy(self: keys.Keys, column: str, name: str = "ids") -> tuple[str, dict[str, Any]]:
        seen.append(among(self, column, name))
        return seen[-1]

    monkeypatch.setattr(keys.Keys, "among", spy)
    _edit_one_profile(con)
    assert seen and all(where.startswith("list_contains($") for where, _ in seen)
    assert {len(params["ids"]) for _, params in seen if "ids" in params} == {30}
    assert {len(params["owners"]) for _, params in seen if "owners" in params} == {1}
    incremental = con.execute("SELECT * FROM posts_wide ORDER BY post_id").fetchall()
    rebuild_posts_wide(con)
    assert con.execute("SELECT * FROM posts_wide ORDER BY post_id").fetchall() == incremental
