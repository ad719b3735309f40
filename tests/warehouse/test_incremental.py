"""Incremental refreshes of hashtag_daily and posts_wide give, load after load, exactly the
tables a full rebuild gives; they read only what the loads marked; the checks follow them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from functools import partial
from pathlib import Path

import duckdb
import pytest

from intrend_assets.parsing.profile import ParsedProfile, parse_profile
from warehouse import checks
from warehouse.db import connect
from warehouse.load import (
    load_parsed,
    mark_changed,
    rebuild_hashtag_daily,
    rebuild_posts_wide,
    refresh_hashtag_daily,
    refresh_posts_wide,
)
from warehouse.load import posts as posts_load

from .conftest import (
    AS_OF,
    node,
    numbered,
    page_body,
    profile_body,
    synthetic_profiles,
    table_rows,
)

OWNER = ("1000", "user0")


def _answer(nodes: list[dict], *, days: int, followers: int = 1000) -> ParsedProfile:
    return parse_profile(
        profile_body(*OWNER, nodes, followers=followers),
        fetched_at=AS_OF + timedelta(days=days),
        username=OWNER[1],
    )


def _rounds() -> list[list[ParsedProfile]]:
    """Loads in order: a first fill, then edits of every kind a later fetch brings."""
    edited = _answer(
        [
            node("0_0", OWNER, AS_OF - timedelta(days=2), "now only #edited"),  # tags replaced
            node("0_1", OWNER, AS_OF - timedelta(days=3), "no tags any more"),  # tags gone
            node("0_2", OWNER, AS_OF - timedelta(days=20), "#travel #food moved"),  # new day
            node("0_new", OWNER, AS_OF - timedelta(hours=1), "#a #A #a repeated"),  # new post
        ],
        days=1,
        followers=5000,  # copied onto every posts_wide row of user0
    )
    late = _answer([node("0_0", OWNER, AS_OF, "#stale old fetch")], days=-5)  # loses
    return [
        synthetic_profiles(profiles=4, posts_per_profile=12, seed=1),
        [edited],
        [
            *synthetic_profiles(
                profiles=6, posts_per_profile=8, seed=2, fetched_at=AS_OF + timedelta(days=2)
            )
        ],
        [late, _answer([node("0_1", OWNER, AS_OF - timedelta(days=1), "#back")], days=3)],
    ]


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[tuple[duckdb.DuckDBPyConnection, duckdb.DuckDBPyConnection]]:
    incremental, full = connect(tmp_path / "inc.duckdb"), connect(tmp_path / "full.duckdb")
    try:
        yield incremental, full
    finally:
        incremental.close()
        full.close()


def _same(incremental: duckdb.DuckDBPyConnection, full: duckdb.DuckDBPyConnection) -> None:
    for table in ("hashtag_daily", "posts_wide"):
        assert table_rows(incremental, table) == table_rows(full, table), table


# Post ids as the synthetic answers write them ("0_1"), and as Instagram does (numbers): the
# key lookups go by post_id for the first, by post_num for the second (warehouse.load.keys).
ID_SHAPES = pytest.mark.parametrize("shape", [list, numbered], ids=["text ids", "numbered ids"])


@ID_SHAPES
def test_incremental_refreshes_equal_full_rebuilds(pair, shape) -> None:
    incremental, full = pair
    for number, batch in enumerate(map(shape, _rounds())):
        load_parsed(incremental, batch)
        load_parsed(full, batch)
        refresh_hashtag_daily(incremental)
        refresh_posts_wide(incremental)
        rebuild_hashtag_daily(full)
        rebuild_posts_wide(full)
        _same(incremental, full)
        if number:  # the first refresh of an empty table is a rebuild
            assert checks.changed_scope(incremental, "hashtag_daily") is not None
        for check in (
            checks.hashtag_daily_consistent,
            checks.posts_wide_unique,
            checks.taken_at_valid,
            checks.post_owners_known,
        ):
            assert check(incremental, changed_only=True)[0], (number, check.__name__)
            assert check(incremental)[0], (number, check.__name__)
    # The edits did land: tags gone from a caption are gone from the counts.
    assert incremental.execute(
        "SELECT count(*) FROM hashtag_daily WHERE tag_norm IN ('edited', 'stale')"
    ).fetchall() == [(0,)]
    assert incremental.execute(
        "SELECT posts, uses FROM hashtag_daily WHERE tag_norm = 'back'"
    ).fetchall() == [(1, 1)]


@ID_SHAPES
def test_loads_between_refreshes_mark_a_post_twice_and_fold_it_once(pair, shape) -> None:
    """Marks are appended, not deduplicated against the marks already there: several loads
    before a refresh (each of its rounds here) must still fold each post's change once."""
    incremental, full = pair
    first, *later = map(shape, _rounds())
    for con in pair:
        load_parsed(con, first)
        refresh_hashtag_daily(con)  # the first refresh of an empty table is a rebuild
        refresh_posts_wide(con)
    for batch in later:
        load_parsed(incremental, batch)
        load_parsed(full, batch)
    marks = incremental.execute(
        "SELECT count(*) > count(DISTINCT post_id) FROM hashtag_daily_stale"
    ).fetchall()
    assert marks == [(True,)]  # user0's posts were marked by several loads
    refresh_hashtag_daily(incremental)
    refresh_posts_wide(incremental)
    assert checks.changed_scope(incremental, "hashtag_daily") is not None  # folded, not rebuilt
    rebuild_hashtag_daily(full)
    rebuild_posts_wide(full)
    _same(incremental, full)


def test_a_post_gone_from_posts_leaves_the_counts(pair) -> None:
    incremental, full = pair
    for con in pair:
        load_parsed(con, synthetic_profiles(profiles=2, posts_per_profile=10, seed=4))
    refresh_hashtag_daily(incremental)
    for con in pair:  # a purge by hand, marked first as a load marks
        mark_changed(con, ["0_3", "1_4"], ["user0", "user1"])
        con.execute("DELETE FROM posts WHERE post_id IN ('0_3', '1_4')")
    refresh_hashtag_daily(incremental)
    refresh_posts_wide(incremental)
    rebuild_hashtag_daily(full)
    rebuild_posts_wide(full)
    _same(incremental, full)


def test_refresh_reads_only_the_marked_posts(con: duckdb.DuckDBPyConnection) -> None:
    """A (tag, day) no marked post touches is not rewritten: the refresh does not rescan."""
    load_parsed(con, synthetic_profiles(profiles=3, posts_per_profile=10, seed=5))
    refresh_hashtag_daily(con)
    con.execute("UPDATE hashtag_daily SET uses = 999 WHERE tag_norm = 'music'")
    load_parsed(con, [_answer([node("0_new", OWNER, AS_OF, "#fresh")], days=1)])
    assert con.execute("SELECT count(DISTINCT post_id) FROM hashtag_daily_stale").fetchall() == [
        (1,)
    ]
    refresh_hashtag_daily(con)
    assert con.execute("SELECT count(*) FROM hashtag_daily_stale").fetchall() == [(0,)]
    assert con.execute(
        "SELECT DISTINCT uses FROM hashtag_daily WHERE tag_norm = 'music'"
    ).fetchall() == [(999,)]
    assert con.execute("SELECT posts FROM hashtag_daily WHERE tag_norm = 'fresh'").fetchall() == [
        (1,)
    ]
    rebuild_hashtag_daily(con)  # the daily rebuild repairs what was written behind its back
    assert (999,) not in con.execute(
        "SELECT uses FROM hashtag_daily WHERE tag_norm = 'music'"
    ).fetchall()


def test_the_load_marks_in_its_own_transaction(
    con: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    batch = synthetic_profiles(profiles=2, posts_per_profile=3, seed=6)

    def broken(*args: object, **kwargs: object) -> int:
        raise RuntimeError("disk full")

    with monkeypatch.context() as patch:
        patch.setattr(posts_load, "_load_profiles", broken)
        with pytest.raises(RuntimeError):
            load_parsed(con, batch)
    assert con.execute("SELECT count(*) FROM hashtag_daily_stale").fetchall() == [(0,)]
    assert con.execute("SELECT count(*) FROM posts_wide_stale").fetchall() == [(0,)]
    load_parsed(con, batch)  # any load, not only the posts asset's queue, marks
    assert con.execute("SELECT count(*) FROM hashtag_daily_stale").fetchall() == [(6,)]
    assert con.execute("SELECT username FROM posts_wide_stale ORDER BY 1").fetchall() == [
        ("user0",),
        ("user1",),
    ]


def _stale_profiles(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [
        r[0] for r in con.execute("SELECT username FROM posts_wide_stale ORDER BY 1").fetchall()
    ]


def _refreshed_equals_rebuilt(con: duckdb.DuckDBPyConnection) -> bool:
    refresh_posts_wide(con)
    incremental = table_rows(con, "posts_wide")
    rebuild_posts_wide(con)
    return table_rows(con, "posts_wide") == incremental


def test_a_fetch_marks_its_profile_only_when_an_attribute_posts_wide_copies_changed(
    con: duckdb.DuckDBPyConnection,
) -> None:
    """A profile's mark has the refresh rewrite every row of the profile's: for a fetch
    whose counts stood still, its own posts' rows are enough."""
    load_parsed(con, synthetic_profiles(profiles=2, posts_per_profile=3, seed=6))
    rebuild_posts_wide(con)
    later = synthetic_profiles(
        profiles=2, posts_per_profile=3, seed=6, fetched_at=AS_OF + timedelta(1)
    )
    load_parsed(con, later)
    assert _stale_profiles(con) == []
    assert con.execute("SELECT count(*) FROM posts_wide_stale_posts").fetchall() == [(6,)]
    assert _refreshed_equals_rebuilt(con)

    moved = synthetic_profiles(
        profiles=2, posts_per_profile=3, seed=6, fetched_at=AS_OF + timedelta(2)
    )
    moved[1].profile["followers"] += 1
    moved[0].profile["biography"] = "not copied into posts_wide"
    load_parsed(con, moved)
    assert _stale_profiles(con) == ["user1"]
    assert _refreshed_equals_rebuilt(con)
    assert con.execute(
        "SELECT DISTINCT owner_followers FROM posts_wide WHERE owner_username = 'user1'"
    ).fetchall() == [(1002,)]


def test_a_timeline_page_marks_its_posts_and_not_its_profile(
    con: duckdb.DuckDBPyConnection,
) -> None:
    full = profile_body(*OWNER, [node("p1", OWNER, AS_OF, "#x")], followers=77)
    load_parsed(con, [parse_profile(full, fetched_at=AS_OF)])
    rebuild_posts_wide(con)
    page = page_body([node("p0", OWNER, AS_OF - timedelta(days=3), "#y", page=True)])
    load_parsed(con, [parse_profile(page, fetched_at=AS_OF + timedelta(hours=1))])
    assert _stale_profiles(con) == []
    assert _refreshed_equals_rebuilt(con)
    assert con.execute("SELECT post_id, owner_followers FROM posts_wide ORDER BY 1").fetchall() == [
        ("p0", 77),
        ("p1", 77),
    ]


def test_the_attributes_a_load_compares_are_those_posts_wide_copies() -> None:
    """posts_wide_rows (schema/004) takes these from ``profiles AS pr``; one more there and
    not here would be copied and left stale after it changed."""
    sql = (Path(__file__).parents[2] / "warehouse/schema/004_posts_wide.sql").read_text()
    copied = set(re.findall(r"\bpr\.(\w+)", sql)) - {"id"}
    assert copied == set(posts_load.WIDE_PROFILE_COLUMNS)


def test_checks_look_at_the_refreshed_rows_until_a_full_rebuild(
    con: duckdb.DuckDBPyConnection,
) -> None:
    load_parsed(con, synthetic_profiles(profiles=3, posts_per_profile=5, seed=7))
    rebuild_posts_wide(con)
    load_parsed(con, [_answer([node("0_new", OWNER, AS_OF, "#fresh")], days=1)])
    refresh_posts_wide(con)
    # A duplicate among rows the refresh did not write: only a full check sees it.
    con.execute("INSERT INTO posts_wide SELECT * FROM posts_wide WHERE post_id = '2_1'")
    passed, meta = checks.posts_wide_unique(con, changed_only=True)
    assert passed
    assert meta["scope"] == "rows of the last incremental refresh"
    assert meta["rows"] == 6  # user0's five posts and the new one
    assert not checks.posts_wide_unique(con)[0]
    # A duplicate among the refreshed rows: the incremental check sees it.
    con.execute("INSERT INTO posts_wide SELECT * FROM posts_wide WHERE post_id = '0_new'")
    assert not checks.posts_wide_unique(con, changed_only=True)[0]
    rebuild_posts_wide(con)
    passed, meta = checks.posts_wide_unique(con, changed_only=True)
    assert passed
    assert meta["scope"] == "all rows"
    assert meta["rows"] == 16


def test_the_incremental_hashtag_check_catches_a_wrong_fold(con: duckdb.DuckDBPyConnection) -> None:
    load_parsed(con, synthetic_profiles(profiles=3, posts_per_profile=10, seed=8))
    refresh_hashtag_daily(con)
    load_parsed(con, [_answer([node("0_new", OWNER, AS_OF, "#fresh #travel")], days=1)])
    refresh_hashtag_daily(con)
    passed, meta = checks.hashtag_daily_consistent(con, changed_only=True)
    assert passed
    assert meta["posts_refreshed"] == 1
    con.execute("UPDATE hashtag_daily SET uses = uses + 1 WHERE tag_norm = 'music'")
    assert not checks.hashtag_daily_consistent(con, changed_only=True)[0]
    rebuild_hashtag_daily(con)
    load_parsed(con, [_answer([node("0_new", OWNER, AS_OF, "#fresh")], days=2)])
    refresh_hashtag_daily(con)
    assert checks.hashtag_daily_consistent(con, changed_only=True)[0]
    # The refreshed post's key moved to another day: the totals still agree, the key does not.
    con.execute("UPDATE hashtag_daily SET day = day - 400 WHERE tag_norm = 'fresh'")
    passed, meta = checks.hashtag_daily_consistent(con, changed_only=True)
    assert not passed
    assert meta["keys_short"] == 1
    assert meta["hashtag_daily_uses"] == meta["post_hashtags_uses"]


def test_many_marked_posts_rebuild_whole(
    con: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    from warehouse.load import daily, wide

    load_parsed(con, synthetic_profiles(profiles=2, posts_per_profile=5, seed=9))
    refresh_hashtag_daily(con)
    refresh_posts_wide(con)
    monkeypatch.setattr(daily, "MAX_INCREMENTAL_POSTS", 3)
    monkeypatch.setattr(wide, "MAX_INCREMENTAL_POSTS", 3)
    load_parsed(con, synthetic_profiles(profiles=1, posts_per_profile=5, seed=10))
    refresh_hashtag_daily(con)
    refresh_posts_wide(con)
    assert con.execute(
        "SELECT table_name, full_rebuild FROM refresh_log ORDER BY 1"
    ).fetchall() == [
        ("hashtag_daily", True),
        ("posts_wide", True),
    ]
    assert con.execute("SELECT count(*) FROM hashtag_daily_stale").fetchall() == [(0,)]


def test_a_wrong_old_contribution_in_a_mark_fails_the_incremental_check(
    con: duckdb.DuckDBPyConnection,
) -> None:
    """The marks' states are what the fold subtracts (schema/018): one that does not match
    what hashtag_daily counted leaves counts the totals check sees."""
    load_parsed(con, synthetic_profiles(profiles=3, posts_per_profile=10, seed=11))
    refresh_hashtag_daily(con)
    load_parsed(con, [_answer([node("0_0", OWNER, AS_OF, "#edited only")], days=1)])
    con.execute("UPDATE hashtag_daily_stale SET old_tags = ['neverthere'] WHERE post_id = '0_0'")
    refresh_hashtag_daily(con)
    passed, meta = checks.hashtag_daily_consistent(con, changed_only=True)
    assert not passed
    assert meta["hashtag_daily_uses"] != meta["post_hashtags_uses"]
    rebuild_hashtag_daily(con)
    assert checks.hashtag_daily_consistent(con, changed_only=True)[0]


def test_marks_without_a_state_make_the_refresh_rebuild(con: duckdb.DuckDBPyConnection) -> None:
    """A mark written before the marks kept the post's state (a warehouse upgraded with
    loads not yet folded) cannot be subtracted: the refresh rebuilds whole."""
    load_parsed(con, synthetic_profiles(profiles=2, posts_per_profile=5, seed=12))
    refresh_hashtag_daily(con)
    load_parsed(con, [_answer([node("0_0", OWNER, AS_OF, "#changed")], days=1)])
    con.execute("UPDATE hashtag_daily_stale SET held = NULL, old_day = NULL, old_tags = NULL")
    refresh_hashtag_daily(con)
    assert con.execute(
        "SELECT full_rebuild FROM refresh_log WHERE table_name = 'hashtag_daily'"
    ).fetchall() == [(True,)]
    assert checks.hashtag_daily_consistent(con)[0]


def test_a_warehouse_of_the_older_schema_loses_the_tables_of_copies(tmp_path: Path) -> None:
    """schema/018 drops hashtag_daily_posts and schema/019 makes post_hashtags a view of
    posts, also in a warehouse that held them as tables."""
    con = connect(tmp_path / "w.duckdb")
    try:
        load_parsed(con, synthetic_profiles(profiles=1, posts_per_profile=3, seed=14))
        expected = table_rows(con, "post_hashtags")
        con.execute("DROP VIEW post_hashtags")
        con.execute(
            "CREATE TABLE post_hashtags AS SELECT * FROM (VALUES ('stale', 1, 'x', 'x')) "
            "AS t(post_id, position, tag, tag_norm)"
        )
        con.execute("CREATE TABLE hashtag_daily_posts (post_id VARCHAR)")
        con.execute("DELETE FROM applied_schema")  # as a warehouse of the older schema
        con.close()
        con = connect(tmp_path / "w.duckdb")
        kinds = dict(
            con.execute(
                "SELECT table_name, table_type FROM information_schema.tables "
                "WHERE table_name IN ('post_hashtags', 'hashtag_daily_posts')"
            ).fetchall()
        )
        assert kinds == {"post_hashtags": "VIEW"}
        assert table_rows(con, "post_hashtags") == expected
        con.close()
        con = connect(tmp_path / "w.duckdb")  # applying again keeps the view
        con.execute("DELETE FROM applied_schema")
        con.close()
        con = connect(tmp_path / "w.duckdb")
        assert table_rows(con, "post_hashtags") == expected
    finally:
        con.close()


def test_checks_inside_reads_shared_find_the_refreshed_rows_once(
    con: duckdb.DuckDBPyConnection,
) -> None:
    """The posts checks share one scan of posts' key column for the refreshed posts, and
    say what they say alone."""
    load_parsed(con, synthetic_profiles(profiles=3, posts_per_profile=5, seed=13))
    refresh_hashtag_daily(con)
    rebuild_posts_wide(con)
    load_parsed(con, [_answer([node("0_new", OWNER, AS_OF, "#fresh")], days=1)])
    refresh_hashtag_daily(con)
    refresh_posts_wide(con)
    run = (
        partial(checks.posts_unique, changed_only=True),
        partial(checks.taken_at_valid, changed_only=True),
        partial(checks.post_owners_known, changed_only=True),
        partial(checks.posts_wide_unique, changed_only=True),
        partial(checks.hashtag_daily_consistent, changed_only=True),
    )
    alone = [check(con) for check in run]
    statements: list[str] = []

    class Counting:
        def __getattr__(self, name: str) -> object:
            return getattr(con, name)

        def execute(self, sql: str, *args: object) -> object:
            statements.append(sql)
            return con.execute(sql, *args)

    counting = Counting()
    with checks.reads_shared(counting):  # type: ignore[arg-type]
        shared = [check(counting) for check in run]  # type: ignore[arg-type]
    assert shared == alone
    assert alone[0][1]["rows"] == 6  # user0's five posts and the new one
    found = [s for s in statements if "CREATE OR REPLACE TEMP TABLE _checked_rows" in s]
    assert len(found) == 2  # posts and posts_wide, for the posts of both refreshes
    assert not con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE table_name LIKE '_checked_rows%'"
    ).fetchall()
