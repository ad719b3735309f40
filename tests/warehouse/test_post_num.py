"""post_num: a post id that is a number, as Instagram's media ids are, kept beside it so that
key lookups scan integers (warehouse.load.keys, schema/002)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from unittest.mock import ANY

import duckdb
import pytest

from warehouse import checks
from warehouse.db import connect
from warehouse.load import keys, load_parsed, rebuild_posts_wide, refresh_posts_wide

from .conftest import AS_OF, numbered, synthetic_profiles

TRICKY = [
    "1",
    "0",
    "007",
    "3141592653589793238",
    "9223372036854775807",  # 2^63 - 1: the largest BIGINT
    "9223372036854775808",
    "99999999999999999999",
    "12a",
    "",
    " 12",
    "12 ",
    "+5",
    "-5",
    "1e5",
    "1_2",
    "١٢٣",  # Arabic-Indic digits: digits to Python's str.isdigit, not a plain number
    "１２",  # fullwidth digits
]


def test_python_and_sql_agree_on_every_id(con: duckdb.DuckDBPyConnection) -> None:
    found = dict(
        con.execute(
            "SELECT i, post_num_of(i) FROM unnest($ids) AS t(i)", {"ids": TRICKY}
        ).fetchall()
    )
    assert {i: keys.post_num(i) for i in TRICKY} == found
    assert keys.post_num("9223372036854775807") == 2**63 - 1
    assert keys.post_num("007") is None and keys.post_num("١٢٣") is None


def test_lookups_go_by_number_only_when_every_id_has_one() -> None:
    assert keys.post_ids_among(["12", "3141592653589793238"]) == (
        "post_num IN (SELECT unnest($ids))",
        {"ids": [12, 3141592653589793238]},
    )
    assert keys.post_ids_among(["12", "1_2"], "p.post_id", "x") == (
        "list_contains($x, p.post_id)",
        {"x": ["12", "1_2"]},
    )
    assert keys.post_ids_among(["5"], "p.post_id")[0] == "p.post_num IN (SELECT unnest($ids))"
    with pytest.raises(ValueError):
        keys.post_ids_among(["5"], "post_id; DROP TABLE posts")


def test_the_load_and_the_refresh_write_it(con: duckdb.DuckDBPyConnection) -> None:
    load_parsed(con, numbered(synthetic_profiles(profiles=2, posts_per_profile=5)))
    load_parsed(con, synthetic_profiles(profiles=3, posts_per_profile=5, seed=3)[2:])  # "2_0"…
    rebuild_posts_wide(con)
    for table in ("posts", "posts_wide"):
        wrong = con.execute(
            f"SELECT count(*) FROM {table} WHERE post_num IS DISTINCT FROM post_num_of(post_id)"
        ).fetchall()
        numbers, texts = con.execute(
            f"SELECT count(post_num), count(*) - count(post_num) FROM {table}"
        ).fetchall()[0]
        assert (wrong, numbers, texts) == ([(0,)], 10, 5), table


def test_an_update_mixing_numbers_and_text_ids_replaces_its_posts(
    con: duckdb.DuckDBPyConnection,
) -> None:
    first = [
        *numbered(synthetic_profiles(profiles=2, posts_per_profile=6)),
        *synthetic_profiles(profiles=3, posts_per_profile=6, seed=2)[2:],
    ]
    load_parsed(con, first)
    rebuild_posts_wide(con)
    later = AS_OF + timedelta(days=1)
    update = [
        *numbered(synthetic_profiles(profiles=2, posts_per_profile=6, fetched_at=later)),
        *synthetic_profiles(profiles=3, posts_per_profile=6, seed=2, fetched_at=later)[2:],
    ]
    for batch in (update[:2], update):  # numbers only (by post_num), then mixed (by post_id)
        load_parsed(con, batch)
        refresh_posts_wide(con)
        for table in ("posts", "posts_wide"):
            assert con.execute(
                f"SELECT count(*), count(DISTINCT post_id) FROM {table}"
            ).fetchall() == [(18, 18)], table
    assert con.execute(
        "SELECT count(*) FROM posts WHERE fetched_at = $t", {"t": later}
    ).fetchall() == [(18,)]


def test_a_warehouse_made_before_it_has_it_filled(tmp_path: Path) -> None:
    path = tmp_path / "warehouse.duckdb"
    con = connect(path)
    load_parsed(con, numbered(synthetic_profiles(profiles=2, posts_per_profile=4)))
    rebuild_posts_wide(con)
    con.execute("ALTER TABLE posts_wide DROP COLUMN post_num")
    con.execute("UPDATE posts SET post_num = NULL")
    con.execute("DELETE FROM applied_schema")  # as a warehouse of the older schema
    con.close()
    con = connect(path)
    try:
        for table in ("posts", "posts_wide"):
            assert con.execute(f"SELECT count(post_num) FROM {table}").fetchall() == [(8,)], table
    finally:
        con.close()


def test_the_uniqueness_checks_catch_a_wrong_number(con: duckdb.DuckDBPyConnection) -> None:
    load_parsed(con, numbered(synthetic_profiles(profiles=2, posts_per_profile=4)))
    rebuild_posts_wide(con)
    for check in (checks.posts_unique, checks.posts_wide_unique):
        assert check(con) == (True, ANY) and check(con)[1]["post_num_wrong"] == 0
    # A number that is not its id's hides the row from every key lookup.
    con.execute("UPDATE posts SET post_num = post_num + 1 WHERE rowid = 0")
    con.execute("UPDATE posts_wide SET post_num = NULL WHERE rowid = 1")
    for check in (checks.posts_unique, checks.posts_wide_unique):
        passed, found = check(con)
        assert (passed, found["post_num_wrong"], found["duplicate_rows"]) == (False, 1, 0)
    # A copy made before the column has nothing to compare: the check does not fail on it.
    con.execute("ALTER TABLE posts_wide DROP COLUMN post_num")
    assert checks.posts_wide_unique(con)[0] is True
