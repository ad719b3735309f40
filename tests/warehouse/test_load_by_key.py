"""An update finds and replaces the posts it brings by key lookups, not by scans of every post:
its cost follows the batch, not the warehouse (benchmarks/incremental.py measures it)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import duckdb
import pytest

from warehouse.load import load_parsed
from warehouse.load import posts as posts_load

from .conftest import AS_OF, synthetic_profiles


def _plan(con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any]) -> str:
    return con.execute(f"EXPLAIN ANALYZE {sql}", params).fetchall()[0][1]


def test_known_posts_are_looked_up_in_the_posts_index(con: duckdb.DuckDBPyConnection) -> None:
    load_parsed(con, synthetic_profiles(profiles=20, posts_per_profile=100))
    ids = [r[0] for r in con.execute("SELECT post_id FROM posts LIMIT 12").fetchall()]
    plan = _plan(con, posts_load.KNOWN_BY_KEY, {"ids": ids})
    assert "Index Scan" in plan
    assert "Row Groups Scanned: 0 /" in plan  # no row group read through
    found = con.execute(posts_load.KNOWN_BY_KEY, {"ids": ids}).fetchall()
    assert sorted(r[0] for r in found) == sorted(ids)


def test_small_batches_go_by_key_and_bulk_loads_join(
    con: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[list[str] | None] = []
    find_known = posts_load._find_known

    def spy(connection: duckdb.DuckDBPyConnection, ids: list[str] | None) -> int:
        seen.append(ids)
        return find_known(connection, ids)

    monkeypatch.setattr(posts_load, "_find_known", spy)
    monkeypatch.setattr(posts_load, "KEY_LOOKUP_MAX", 50)
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
