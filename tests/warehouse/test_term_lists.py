"""trending_terms reads caption words and mentions that posts_wide computes once per post
(``caption_words``, ``mentions_norm``) and their daily sums (``term_daily``): the same
answers as the query that split captions at every run (``reference_sql/trending_terms.sql``),
after a rebuild, the row refreshes of edited captions, and the migration of a warehouse made
before the columns and the table."""

from __future__ import annotations

import random
from datetime import timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest
from polars.testing import assert_frame_equal

from intrend_assets.parsing.profile import parse_profile
from warehouse.db import connect
from warehouse.load import (
    load_parsed,
    refresh_hashtag_daily,
    refresh_posts_wide,
    upsert_posts_wide,
)
from warehouse.queries import bind, execute, get_query, parse_query, run_query

from .conftest import AS_OF, node, profile_body
from .test_query_bounds import _plan, _scans
from .trend_data import build_trend_warehouse

REFERENCE = Path(__file__).parent / "reference_sql" / "trending_terms.sql"
ODD = AS_OF - timedelta(days=1, hours=7, minutes=13)

# What a caption splitter trips on: case, accents, punctuation of several scripts, links,
# full-width signs, short words, scripts without spaces, emoji, line breaks.
TRICKY = [
    "Café",
    "CAFÉ!",
    "naïve.",
    "https://example.com/path",
    "http://x.io",
    "#tagged",
    "＃全角タグ",
    "(brackets)",
    '"quoted"',
    "…ellipsis…",
    "東京ラーメン。美味しい！",
    "「引用文」",
    "한국어 단어들",
    "नमस्ते दुनिया",
    "emoji🎉party",
    "line\nbreak",
    "tab\tstop",
    "abc",
    "abcd",
    "semi;colon:words",
    "[square]",
    "eclipse",
    "Eclipse?",
]
MENTIONS = ["@NewBrand", "@newbrand", "@Team.", "@mom", "@Some_One"]

CASES: list[dict[str, Any]] = [
    {},
    {"as_of": AS_OF, "min_lift_low": 0.0, "min_profiles": 1, "min_recent": 1, "limit": 500},
    {"as_of": ODD, "recent_days": 3, "baseline_days": 10, "min_lift_low": 0.0, "limit": 50},
    {"as_of": AS_OF - timedelta(days=9), "min_recent": 1, "min_profiles": 2},
    {"as_of": AS_OF + timedelta(days=40)},
]
KINDS = ("mention", "keyword", "hashtag")


def _tricky_profiles(seed: int, edited: bool = False) -> list[Any]:
    """Six profiles whose captions draw on TRICKY and MENTIONS (each mention once a post, in
    one spelling: a post naming one account in two spellings is the case the reference
    counts twice, see below); ``edited`` rewrites every third caption."""
    parsed = []
    for p in range(6):
        rng = random.Random(seed * 100 + p)
        owner = (str(5000 + p), f"tricky{p}")
        nodes = []
        for i in range(25):
            taken = AS_OF - timedelta(seconds=rng.uniform(60, 30 * 86400))
            words = rng.sample(TRICKY, 4)
            caption = " ".join(words) + " " + rng.choice(MENTIONS)
            if edited and i % 3 == 0:
                caption = "rewritten caption, entirely NEW words " + rng.choice(TRICKY)
            nodes.append(node(f"t{p}_{i}", owner, taken, None if i == 7 else caption))
        body = profile_body(owner[0], owner[1], nodes)
        parsed.append(parse_profile(body, fetched_at=AS_OF, username=owner[1]))
    return parsed


@pytest.fixture
def terms(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    load_parsed(con, _tricky_profiles(3))
    build_trend_warehouse(con)  # its load rebuilds posts_wide over both sets
    return con


def _reference(con: duckdb.DuckDBPyConnection, **params: Any) -> Any:
    return execute(con, parse_query("trending_terms", REFERENCE.read_text("utf-8")), **params)


def _assert_term_daily_is_the_sum(con: duckdb.DuckDBPyConnection) -> None:
    """term_daily holds exactly the per-day posts of posts_wide's term lists."""
    kept = con.sql("SELECT * FROM term_daily ORDER BY ALL").fetchall()
    recomputed = con.sql(
        "SELECT kind, term, day, count(*) FROM post_terms('posts_wide') GROUP BY ALL ORDER BY ALL"
    ).fetchall()
    assert kept == recomputed
    assert len(kept) > 100


def _assert_same_as_reference(con: duckdb.DuckDBPyConnection) -> dict[str, list[int]]:
    """Every kind and case equal to the reference; returns the rows of each, by kind."""
    heights: dict[str, list[int]] = {}
    for kind in KINDS:
        for params in CASES:
            got = run_query(con, "trending_terms", kind=kind, **params)
            assert_frame_equal(got, _reference(con, kind=kind, **params))
            heights.setdefault(kind, []).append(got.height)
    return heights


def test_same_answers_as_splitting_captions_at_query_time(
    terms: duckdb.DuckDBPyConnection,
) -> None:
    heights = _assert_same_as_reference(terms)
    # Not equal empty frames: most cases rank something (the last one's windows are empty).
    assert all(sum(h > 0 for h in hs) >= 3 for hs in heights.values()), heights
    assert heights["keyword"][1] >= 25 and heights["mention"][1] >= 4, heights
    # The tricky words reach the comparison: accents, scripts, words inside punctuation.
    words = run_query(terms, "trending_terms", kind="keyword", **CASES[1])["tag"].to_list()
    assert {"café", "naïve", "brackets", "ellipsis", "美味しい", "square", "colon"} <= set(words)
    assert not [w for w in words if w.startswith(("#", "＃", "@", "http")) or len(w) < 4]


def test_same_answers_after_an_incremental_refresh_of_edited_captions(
    terms: duckdb.DuckDBPyConnection,
) -> None:
    before = run_query(terms, "trending_terms", kind="keyword", **CASES[1])
    load_parsed(terms, _tricky_profiles(3, edited=True))
    refresh_posts_wide(terms)
    # Hashtags are counted from hashtag_daily for whole days, as rising_hashtags counts
    # them: the pipeline refreshes it after every load (the hashtag_counts asset).
    refresh_hashtag_daily(terms)
    full = terms.execute("SELECT full_rebuild FROM refresh_log WHERE table_name = 'posts_wide'")
    assert full.fetchall() == [(False,)]  # the row refresh, not a rebuild
    after = run_query(terms, "trending_terms", kind="keyword", **CASES[1])
    assert "rewritten" in after["tag"].to_list()
    assert not before.equals(after)
    _assert_term_daily_is_the_sum(terms)
    _assert_same_as_reference(terms)
    # The other row refresh: every post of one profile rewritten, its captions edited again.
    load_parsed(terms, _tricky_profiles(4, edited=True)[:1])
    upsert_posts_wide(terms, usernames=["tricky0"])
    refresh_hashtag_daily(terms)
    _assert_term_daily_is_the_sum(terms)
    _assert_same_as_reference(terms)


def test_the_migration_fills_a_posts_wide_made_before_the_columns(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    con = connect(path)
    load_parsed(con, _tricky_profiles(5))
    build_trend_warehouse(con)
    expected = {k: run_query(con, "trending_terms", kind=k, **CASES[1]) for k in KINDS}
    # What a warehouse older than the columns holds: posts_wide without them, and the
    # schema digest of its time (nor schema/016's index, which came after them).
    con.execute("DROP INDEX IF EXISTS posts_wide_post_id")
    con.execute("ALTER TABLE posts_wide DROP COLUMN caption_words")
    con.execute("ALTER TABLE posts_wide DROP COLUMN mentions_norm")
    con.execute("DROP TABLE term_daily")
    con.execute("UPDATE applied_schema SET digest = 'older'")
    con.close()
    con = connect(path)
    try:
        empty = con.execute("SELECT count(*) FROM posts_wide WHERE caption_words IS NULL")
        assert empty.fetchall() == [(0,)]
        _assert_term_daily_is_the_sum(con)
        for kind in KINDS:
            assert_frame_equal(
                run_query(con, "trending_terms", kind=kind, **CASES[1]), expected[kind]
            )
        _assert_same_as_reference(con)
    finally:
        con.close()


def test_a_mention_counts_once_per_post_whatever_its_case(
    con: duckdb.DuckDBPyConnection,
) -> None:
    """Usernames are case-insensitive: "@NewBrand … @newbrand" is one mention of one account.
    (The query that lower-cased after unnesting counted such a post twice.)"""
    parsed = []
    for p in range(3):
        owner = (str(7000 + p), f"fan{p}")
        taken = AS_OF - timedelta(days=1, hours=p)
        caption = "loving it @NewBrand thanks @newbrand"
        body = profile_body(owner[0], owner[1], [node(f"m{p}", owner, taken, caption)])
        parsed.append(parse_profile(body, fetched_at=AS_OF, username=owner[1]))
    load_parsed(con, parsed)
    refresh_posts_wide(con)
    ranked = run_query(con, "trending_terms", kind="mention", as_of=AS_OF, min_lift_low=0.0)
    assert ranked.select("tag", "recent_posts", "recent_profiles").rows() == [("newbrand", 3, 3)]


def _list_scans(plan: dict[str, Any]) -> list[dict[str, Any]]:
    """The posts_wide scans of a JSON plan that read a term list, as plan nodes."""
    found, stack = [], list(plan["operator"])
    while stack:
        node = stack.pop()
        info = node.get("extra_info", {})
        wide = node["type"] == "TABLE_SCAN" and str(info.get("Table")).endswith(".posts_wide")
        if wide and any(c in str(info.get("Projections")) for c in ("tags", "hashtags", "_words")):
            found.append(node)
        stack.extend(node.get("children", []))
    return found


@pytest.mark.parametrize(
    ("kind", "daily"), [("hashtag", "hashtag_daily"), ("keyword", "term_daily")]
)
def test_whole_days_come_from_the_daily_sums(
    terms: duckdb.DuckDBPyConnection, kind: str, daily: str
) -> None:
    """Hashtags are counted from hashtag_daily as mentions and words are from term_daily:
    posts_wide's term lists are read for the partial days and the recent window only (the
    hashtag ranking once unnested all 35 days)."""
    query = get_query("trending_terms")
    values = dict(bind(query, {"kind": kind, "as_of": ODD}))
    plan = _plan(terms, query.sql, values)
    assert _scans(plan, daily)
    assert not _scans(plan, ({"hashtag_daily", "term_daily"} - {daily}).pop())
    window = terms.execute(
        "SELECT count(*) FROM posts_wide WHERE taken_at >= $start AND taken_at < $end",
        {"start": values["win_baseline_start"], "end": values["win_as_of"]},
    ).fetchall()[0][0]
    read = sum(n["intermediate_rows"] for n in _list_scans(plan))
    # 7 recent days, and the first, the last and the split day: under half of 35 days.
    assert 0 < read < 0.5 * window, (read, window)
