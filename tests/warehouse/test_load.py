"""Loads are idempotent, atomic, columnar, and keep the latest state."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import polars as pl
import pytest

from intrend_assets.parsing.profile import parse_profile
from warehouse.db import connect, schema_statements
from warehouse.load import (
    load_fetch_log,
    load_ip_log,
    load_parsed,
    rebuild_posts_wide,
    refresh_hashtag_daily,
)
from warehouse.load import posts as posts_load

from .conftest import node, page_body, profile_body, snapshot, synthetic_profiles

T0 = datetime(2026, 5, 1, tzinfo=UTC)


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    return con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]


def _build(con: duckdb.DuckDBPyConnection, parsed: list) -> None:
    load_parsed(con, parsed)
    refresh_hashtag_daily(con)
    rebuild_posts_wide(con)


def test_schema_files_apply_in_order_and_reapply(tmp_path: Path) -> None:
    names = [name for name, _ in schema_statements()]
    assert names == sorted(names) and len(names) >= 4
    path = tmp_path / "w.duckdb"
    for _ in range(3):
        connect(path).close()
    con = connect(path, read_only=True)
    tables = {r[0] for r in con.execute("SHOW TABLES").fetchall()}
    con.close()
    assert {
        "profiles",
        "profile_snapshots",
        "posts",
        "post_metrics",
        "post_hashtags",
        "hashtag_daily",
        "fetch_log",
        "ip_log",
        "posts_wide",
    } <= tables


def test_read_only_open_of_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        connect(tmp_path / "nope.duckdb", read_only=True)


def test_real_samples_load(con: duckdb.DuckDBPyConnection, real_parsed: list) -> None:
    stats = load_parsed(con, real_parsed)
    assert stats.posts == 36 and stats.profiles == 2 and stats.snapshots == 1
    assert _count(con, "posts") == 36
    assert _count(con, "post_hashtags") == stats.hashtags > 0
    # A timeline page of a profile also fetched in full does not blank its followers.
    followers = con.execute(
        "SELECT followers FROM profiles WHERE username = 'robertdowneyjr'"
    ).fetchall()
    assert followers == [(52979346,)]


def test_loading_twice_changes_nothing(con: duckdb.DuckDBPyConnection, real_parsed: list) -> None:
    parsed = real_parsed + synthetic_profiles(profiles=3, posts_per_profile=20)
    _build(con, parsed)
    first = snapshot(con)
    _build(con, parsed)
    assert snapshot(con) == first
    assert _count(con, "posts") == len({p for x in parsed for p in x.posts["post_id"]})


@pytest.mark.parametrize(
    "step", ["_write_metrics", "_mark_posts", "_write_posts", "_load_profiles"]
)
def test_crash_mid_load_leaves_no_partial_rows(
    con: duckdb.DuckDBPyConnection,
    real_parsed: list,
    step: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _build(con, real_parsed[:1])
    before = snapshot(con)
    more = synthetic_profiles(profiles=2, posts_per_profile=10)
    wrote = getattr(posts_load, step)
    written: list[str] = []

    def write_then_die(*args: object, **kwargs: object) -> object:
        wrote(*args, **kwargs)
        written.append(step)
        raise KeyboardInterrupt(f"killed after {step}")

    with monkeypatch.context() as patched:
        patched.setattr(posts_load, step, write_then_die)
        with pytest.raises(KeyboardInterrupt):
            load_parsed(con, real_parsed + more)
    assert written == [step]  # the step ran, inside the load's transaction
    assert snapshot(con) == before
    # The rerun completes as if the crash never happened.
    load_parsed(con, real_parsed + more)
    fresh = connect(":memory:")
    try:
        load_parsed(fresh, real_parsed[:1])
        load_parsed(fresh, real_parsed + more)
        for table in ("posts", "post_hashtags", "profiles", "post_metrics"):
            assert _count(con, table) == _count(fresh, table)
    finally:
        fresh.close()


def test_same_post_in_one_batch_twice_latest_wins(con: duckdb.DuckDBPyConnection) -> None:
    owner = ("1", "alice")
    old = profile_body("1", "alice", [node("p1", owner, T0, "#old", likes=5)])
    new = profile_body("1", "alice", [node("p1", owner, T0, "#new #fresh", likes=9)])
    batch = [
        parse_profile(new, fetched_at=T0 + timedelta(days=2)),
        parse_profile(old, fetched_at=T0 + timedelta(days=1)),
    ]
    stats = load_parsed(con, batch)
    assert stats.posts == 1 and stats.metrics == 2
    assert con.execute("SELECT like_count, hashtags FROM posts").fetchall() == [
        (9, ["new", "fresh"])
    ]
    assert con.execute("SELECT tag FROM post_hashtags ORDER BY position").fetchall() == [
        ("new",),
        ("fresh",),
    ]
    assert _count(con, "post_metrics") == 2


def test_older_fetch_loaded_later_does_not_win(con: duckdb.DuckDBPyConnection) -> None:
    owner = ("1", "alice")
    newer = profile_body("1", "alice", [node("p1", owner, T0, "#b", likes=9)], followers=20)
    older = profile_body("1", "alice", [node("p1", owner, T0, "#a", likes=5)], followers=10)
    load_parsed(con, [parse_profile(newer, fetched_at=T0 + timedelta(days=2))])
    load_parsed(con, [parse_profile(older, fetched_at=T0 + timedelta(days=1))])
    assert con.execute("SELECT like_count, hashtags FROM posts").fetchall() == [(9, ["b"])]
    assert con.execute("SELECT followers FROM profiles").fetchall() == [(20,)]
    # Both fetches stay in the time series.
    assert _count(con, "post_metrics") == 2
    assert _count(con, "profile_snapshots") == 2
    first_seen = con.execute("SELECT first_seen_at FROM posts").fetchall()[0][0]
    assert first_seen == T0 + timedelta(days=1)


def test_timeline_page_adds_posts_keeps_profile(con: duckdb.DuckDBPyConnection) -> None:
    owner = ("1", "alice")
    full = profile_body("1", "alice", [node("p1", owner, T0, "#x")], followers=77)
    page = page_body([node("p0", owner, T0 - timedelta(days=3), "#y", likes=4, page=True)])
    load_parsed(con, [parse_profile(full, fetched_at=T0)])
    load_parsed(con, [parse_profile(page, fetched_at=T0 + timedelta(hours=1))])
    assert con.execute("SELECT followers, full_name FROM profiles").fetchall() == [(77, "Alice")]
    assert _count(con, "profile_snapshots") == 1  # a page has no follower count to record
    assert con.execute("SELECT like_count FROM posts WHERE post_id = 'p0'").fetchall() == [(4,)]


def test_missing_fetched_at_gets_the_database_clock(con: duckdb.DuckDBPyConnection) -> None:
    owner = ("1", "alice")
    parsed = parse_profile(profile_body("1", "alice", [node("p1", owner, T0, None)]))
    load_parsed(con, [parsed])
    (stamp,) = con.execute("SELECT fetched_at FROM posts").fetchall()[0]
    assert stamp is not None and abs(stamp - datetime.now(UTC)) < timedelta(minutes=5)


def test_empty_inputs(con: duckdb.DuckDBPyConnection) -> None:
    assert load_parsed(con, []).posts == 0
    empty = parse_profile({"data": {"user": {"id": "9", "username": "quiet"}}}, fetched_at=T0)
    stats = load_parsed(con, [empty])
    assert stats.profiles == 1 and stats.posts == 0
    assert refresh_hashtag_daily(con) == 0
    assert rebuild_posts_wide(con) == 0


def _fetch_frame() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "requested_at": [T0 + timedelta(seconds=i) for i in range(4)],
            "username": ["a", "b", "c", "c"],
            "egress_ip": ["209.29.168.1"] * 4,
            "strategy": ["burst"] * 4,
            "endpoint": ["web_profile_info"] * 4,
            "status": [200, 200, 429, None],
            "outcome": ["ok", "ok", "rate_limited", "network_error"],
            "latency_ms": [100.0, 120.0, 80.0, None],
            "bytes": [1000, 1200, 50, None],
            "attempt": [1, 1, 1, 2],
            "rotation": [0, 0, 0, 1],
            "run_id": ["r1"] * 4,
        }
    )


def test_fetch_log_idempotent(con: duckdb.DuckDBPyConnection) -> None:
    frame = _fetch_frame()
    assert load_fetch_log(con, frame) == 4
    load_fetch_log(con, frame)
    load_fetch_log(con, pl.concat([frame, frame]))  # duplicates inside a batch too
    assert _count(con, "fetch_log") == 4
    # A partial frame (the fetcher may omit columns) loads with nulls.
    load_fetch_log(con, frame.select("requested_at", "username", "attempt", "run_id").head(1))
    assert _count(con, "fetch_log") == 4
    assert con.execute("SELECT count(*) FROM fetch_log WHERE outcome IS NULL").fetchall() == [(1,)]


def test_ip_log_idempotent_and_naive_times_are_utc(con: duckdb.DuckDBPyConnection) -> None:
    frame = pl.DataFrame(
        {
            "ip": ["209.29.168.10", "209.29.99.3"],
            "seen_at": [datetime(2026, 5, 1, 12), datetime(2026, 5, 1, 13)],
            "source": ["rotate", "rotate"],
        }
    )
    assert load_ip_log(con, frame) == 2
    load_ip_log(con, frame.with_columns(pl.col("seen_at").dt.replace_time_zone("UTC")))
    assert _count(con, "ip_log") == 2
    assert con.execute("SELECT min(seen_at) FROM ip_log").fetchall()[0][0] == datetime(
        2026, 5, 1, 12, tzinfo=UTC
    )


def test_a_batch_appends_each_profiles_posts_together(con: duckdb.DuckDBPyConnection) -> None:
    """The posts_wide refresh reads a changed profile's posts back from posts: a batch
    appends them next to each other, whatever order its answers came in, rather than spread
    over the batch's rows (where reading them decoded a vector of every column per post)."""
    answers = synthetic_profiles(profiles=30, posts_per_profile=40, seed=21)
    pages = [a for pair in zip(answers[::2], answers[1::2], strict=True) for a in reversed(pair)]
    load_parsed(con, pages)
    spans = con.execute(
        "SELECT owner_id, max(rowid) - min(rowid) + 1, count(*) FROM posts GROUP BY 1"
    ).fetchall()
    assert len(spans) == 30
    assert all(span == rows for _, span, rows in spans)
