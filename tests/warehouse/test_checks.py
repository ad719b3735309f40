"""The SQL checks pass on a good warehouse and fail, with useful metadata, on a bad one."""

from __future__ import annotations

import duckdb
import pytest

from warehouse import checks
from warehouse.load import (
    load_parsed,
    rebuild_hashtag_daily,
    rebuild_posts_wide,
    refresh_hashtag_daily,
)

from .conftest import synthetic_profiles


@pytest.fixture
def good(con: duckdb.DuckDBPyConnection, real_parsed: list) -> duckdb.DuckDBPyConnection:
    load_parsed(con, real_parsed + synthetic_profiles(profiles=3, posts_per_profile=10))
    refresh_hashtag_daily(con)
    rebuild_posts_wide(con)
    return con


def test_all_pass_on_good_data(good: duckdb.DuckDBPyConnection) -> None:
    results = {
        check.__name__: check(good)
        for check in (
            checks.posts_unique,
            checks.posts_wide_unique,
            checks.taken_at_valid,
            checks.hashtag_daily_consistent,
            checks.post_owners_known,
            checks.strategy_doors_open,
        )
    }
    assert all(passed for passed, _ in results.values()), results
    assert results["posts_unique"][1]["rows"] == 36 + 30


def test_duplicate_post_fails(good: duckdb.DuckDBPyConnection) -> None:
    good.execute("INSERT INTO posts_wide SELECT * FROM posts_wide LIMIT 2")
    passed, meta = checks.posts_wide_unique(good)
    assert not passed and meta["duplicate_rows"] == 2 and len(meta["sample_duplicates"]) == 2
    good.execute("INSERT INTO posts SELECT * FROM posts LIMIT 1")
    assert not checks.posts_unique(good)[0]


def test_bad_taken_at_fails(good: duckdb.DuckDBPyConnection) -> None:
    good.execute(
        "UPDATE posts SET taken_at = current_timestamp + INTERVAL 2 DAY "
        "WHERE post_id = (SELECT min(post_id) FROM posts)"
    )
    passed, meta = checks.taken_at_valid(good)
    assert not passed and meta["future_taken_at"] == 1
    good.execute(
        "UPDATE posts_wide SET taken_at = NULL "
        "WHERE post_id = (SELECT min(post_id) FROM posts_wide)"
    )
    passed, meta = checks.taken_at_valid(good, table="posts_wide")
    assert not passed and meta["null_taken_at"] == 1


def test_stale_hashtag_daily_fails(good: duckdb.DuckDBPyConnection) -> None:
    good.execute(  # a tag written behind the load's back (post_hashtags is a view of posts)
        "UPDATE posts SET hashtags = list_append(hashtags, 'late'), "
        "hashtags_norm = list_append(hashtags_norm, 'late') "
        "WHERE post_id = (SELECT min(post_id) FROM posts WHERE taken_at IS NOT NULL)"
    )
    passed, meta = checks.hashtag_daily_consistent(good)
    assert not passed
    assert meta["post_hashtags_uses"] == meta["hashtag_daily_uses"] + 1
    # A row written behind the load's back is not marked: the refresh folds in only what
    # loads marked, and the full rebuild (daily) repairs whatever drifted.
    refresh_hashtag_daily(good)
    assert not checks.hashtag_daily_consistent(good)[0]
    rebuild_hashtag_daily(good)
    assert checks.hashtag_daily_consistent(good)[0]


def test_orphan_post_fails(good: duckdb.DuckDBPyConnection) -> None:
    good.execute("DELETE FROM profiles WHERE username = 'pgrimaud'")
    passed, meta = checks.post_owners_known(good)
    assert not passed and meta["orphan_posts"] == 12 and meta["sample_owners"] == ["pgrimaud"]
