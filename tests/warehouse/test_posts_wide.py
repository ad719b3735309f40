"""posts_wide: the rebuild and the incremental upsert give the same table."""

from __future__ import annotations

from datetime import timedelta

import duckdb

from intrend_assets.parsing.profile import parse_profile
from warehouse.checks import posts_wide_unique
from warehouse.load import load_parsed, rebuild_posts_wide, upsert_posts_wide

from .conftest import AS_OF, node, profile_body, synthetic_profiles, table_rows


def test_rebuild_equals_incremental(con: duckdb.DuckDBPyConnection, real_parsed: list) -> None:
    first = synthetic_profiles(profiles=4, posts_per_profile=15, seed=1)
    load_parsed(con, real_parsed + first)
    rebuild_posts_wide(con)

    # New posts, new metrics for old posts, and a profile whose followers changed.
    second = synthetic_profiles(
        profiles=6, posts_per_profile=15, seed=2, fetched_at=AS_OF + timedelta(days=1)
    )
    owner = ("1000", "user0")
    moved = parse_profile(
        profile_body(
            "1000", "user0", [node("0_0", owner, AS_OF, "#edited", likes=1)], followers=999_999
        ),
        fetched_at=AS_OF + timedelta(days=2),
    )
    load_parsed(con, [*second, moved])
    new_ids = {pid for p in second for pid in p.posts["post_id"]} | {"0_0"}
    upsert_posts_wide(con, sorted(new_ids), usernames=["user0"])
    incremental = table_rows(con, "posts_wide")

    rebuild_posts_wide(con)
    assert table_rows(con, "posts_wide") == incremental
    assert posts_wide_unique(con)[0]
    assert con.execute(
        "SELECT DISTINCT owner_followers FROM posts_wide WHERE owner_username = 'user0'"
    ).fetchall() == [(999_999,)]


def test_upsert_with_nothing_is_a_no_op(con: duckdb.DuckDBPyConnection) -> None:
    load_parsed(con, synthetic_profiles(profiles=1, posts_per_profile=3))
    rebuild_posts_wide(con)
    before = table_rows(con, "posts_wide")
    assert upsert_posts_wide(con, []) == 0
    assert table_rows(con, "posts_wide") == before


def test_posts_wide_columns(con: duckdb.DuckDBPyConnection, real_parsed: list) -> None:
    load_parsed(con, real_parsed)
    assert rebuild_posts_wide(con) == 36
    cols = {r[0] for r in con.execute("DESCRIBE posts_wide").fetchall()}
    assert {
        "post_id",
        "owner_username",
        "taken_at",
        "taken_day",
        "hashtags",
        "hashtags_norm",
        "like_count",
        "comment_count",
        "engagement_rate",
        "owner_followers",
        "owner_is_verified",
        "owner_category",
        "display_url_expires_at",
    } <= cols
    # tags: each normalised hashtag of the post once.
    dupes = con.execute(
        "SELECT count(*) FROM posts_wide WHERE len(tags) <> len(list_distinct(hashtags_norm))"
    ).fetchall()
    assert dupes == [(0,)]
    row = con.execute(
        "SELECT owner_followers, engagement_rate > 0 FROM posts_wide "
        "WHERE owner_username = 'robertdowneyjr' LIMIT 1"
    ).fetchall()
    assert row == [(52979346, True)]


def test_stale_profiles_refresh_equals_rebuild(con: duckdb.DuckDBPyConnection) -> None:
    from warehouse.load import mark_posts_wide_stale, refresh_posts_wide

    first = synthetic_profiles(profiles=3, posts_per_profile=5, seed=1)
    load_parsed(con, first)
    assert refresh_posts_wide(con)[1] == 15  # empty posts_wide: rebuilt whole

    later = synthetic_profiles(
        profiles=5, posts_per_profile=6, seed=3, fetched_at=AS_OF + timedelta(days=1)
    )
    load_parsed(con, later)
    mark_posts_wide_stale(con, [p.username for p in later])
    profiles, _ = refresh_posts_wide(con)
    assert profiles == 5
    assert con.execute("SELECT count(*) FROM posts_wide_stale").fetchall() == [(0,)]
    incremental = table_rows(con, "posts_wide")
    rebuild_posts_wide(con)
    assert table_rows(con, "posts_wide") == incremental
    assert refresh_posts_wide(con) == (0, 0)  # nothing stale: nothing written
