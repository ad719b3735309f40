"""Analysis queries: documented, parameterised, and right on planted data."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import duckdb
import polars as pl
import pytest

from intrend_assets.parsing.profile import parse_profile
from warehouse.load import (
    load_fetch_log,
    load_ip_log,
    load_parsed,
    rebuild_posts_wide,
    refresh_hashtag_daily,
)
from warehouse.queries import QueryError, list_queries, run_query

from .conftest import AS_OF, node, profile_body, synthetic_profiles

EXPECTED = {
    "rising_hashtags",
    "emerging_hashtags",
    "top_hashtags_weekly",
    "hashtag_cooccurrence",
    "engagement_by_profile",
    "posting_times",
    "ip_ranges",
    "fetch_stats_by_strategy",
    "strategy_health",
    "served_by_fetch_strategy",
}


@pytest.fixture
def built(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    load_parsed(con, synthetic_profiles())
    refresh_hashtag_daily(con)
    rebuild_posts_wide(con)
    return con


def _computed(con: duckdb.DuckDBPyConnection, sql: str) -> set[str]:
    """Names the statements before the last produce (bound into the later ones)."""
    *first, _last = con.extract_statements(sql)
    return {
        c
        for st in first
        for c in con.sql(st.query, params=dict.fromkeys(st.named_parameters)).columns
    }


def test_catalog_is_documented(con: duckdb.DuckDBPyConnection) -> None:
    queries = {q.name: q for q in list_queries()}
    assert set(queries) >= EXPECTED
    for q in queries.values():
        assert q.summary, q.name
        assert q.description, q.name
        for p in q.params:
            assert p.help, (q.name, p.name)
            # Every declared parameter is bound in the SQL, and nothing else is but the
            # values the query's own first statements compute.
            assert f"${p.name}" in q.sql, (q.name, p.name)
        used = set(re.findall(r"\$(\w+)", q.sql))
        assert used == {p.name for p in q.params} | _computed(con, q.sql), q.name
        assert not re.search(r"\{\w*\}|%s|%\(", q.sql), "values are bound, never formatted"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_query_runs_on_an_empty_warehouse(con: duckdb.DuckDBPyConnection, name: str) -> None:
    frame = run_query(con, name)
    assert isinstance(frame, pl.DataFrame)
    assert frame.height == 0


def test_rising_finds_the_planted_tag(built: duckdb.DuckDBPyConnection) -> None:
    rising = run_query(built, "rising_hashtags", as_of=AS_OF, limit=5)
    assert rising["tag_norm"][0] == "newwave"
    assert rising["tag"][0] == "NewWave"  # the spelling people use
    top = rising.row(0, named=True)
    assert top["baseline_posts"] == 0 and top["recent_posts"] >= 3 and top["lift"] > 2
    # The background tags are steady: none of them comes close.
    others = rising.filter(pl.col("tag_norm") != "newwave")
    assert (others["lift"] < top["lift"] / 2).all()
    # as_of defaults to just after the newest post, i.e. the same answer here.
    assert run_query(built, "rising_hashtags", limit=5)["tag_norm"][0] == "newwave"


def test_rising_min_support_and_windows(built: duckdb.DuckDBPyConnection) -> None:
    assert run_query(built, "rising_hashtags", as_of=AS_OF, min_recent=10_000).height == 0
    # A month earlier, the planted tag does not exist yet.
    early = run_query(built, "rising_hashtags", as_of=AS_OF - timedelta(days=10), min_recent=1)
    assert "newwave" not in early["tag_norm"].to_list()
    # Text parameters (the command line) convert by type.
    text = run_query(built, "rising_hashtags", as_of=AS_OF.isoformat(), recent_days="7", limit="3")
    assert text.height == 3 and text["tag_norm"][0] == "newwave"


def test_emerging_hashtags(built: duckdb.DuckDBPyConnection) -> None:
    emerging = run_query(built, "emerging_hashtags", as_of=AS_OF)
    assert emerging["tag_norm"].to_list() == ["newwave"]
    assert emerging["recent_profiles"][0] >= 2


def test_top_hashtags_weekly(built: duckdb.DuckDBPyConnection) -> None:
    weekly = run_query(built, "top_hashtags_weekly", top=3)
    assert weekly.height > 0
    assert weekly.group_by("week").len()["len"].max() <= 3 + 2  # ties may share a rank
    assert weekly["rank"].min() == 1


def test_cooccurrence_with_a_tag(built: duckdb.DuckDBPyConnection) -> None:
    pairs = run_query(built, "hashtag_cooccurrence", tag="#NEWWAVE", min_count=1)
    assert pairs.height > 0
    assert all("newwave" in (a, b) for a, b in pairs.select("tag_a", "tag_b").iter_rows())
    assert (pairs["jaccard"] <= 1).all()


def test_engagement_and_posting_times(built: duckdb.DuckDBPyConnection) -> None:
    eng = run_query(built, "engagement_by_profile")
    assert eng.height == 12 and eng["posts"].sum() == 12 * 40
    times = run_query(built, "posting_times", username="user0")
    assert times["posts"].sum() == 40
    assert times["hour_utc"].is_between(0, 23).all()


def test_ip_ranges_at_16_and_24(con: duckdb.DuckDBPyConnection) -> None:
    t = datetime(2026, 5, 1, tzinfo=UTC)
    ips = ["209.29.168.1", "209.29.168.2", "209.29.168.1", "209.29.99.7", "2001:db8::1", "bogus"]
    load_ip_log(
        con,
        pl.DataFrame(
            {
                "ip": ips,
                "seen_at": [t + timedelta(hours=i) for i in range(len(ips))],
                "source": ["rotate"] * len(ips),
            }
        ),
    )
    ranges = run_query(con, "ip_ranges")
    rows = {(r["prefix_len"], r["cidr"]): r for r in ranges.to_dicts()}
    assert rows[(16, "209.29.0.0/16")]["sightings"] == 4
    assert rows[(16, "209.29.0.0/16")]["distinct_ips"] == 3
    assert rows[(24, "209.29.168.0/24")]["sightings"] == 3
    # No seen_as: 209.29.168.1 seen twice is not known to be a return (test_ip_log.py).
    assert rows[(24, "209.29.168.0/24")]["returning_ips"] == 0
    assert rows[(24, "209.29.168.0/24")]["unlabelled"] == 3
    assert rows[(24, "209.29.99.0/24")]["sightings"] == 1
    assert len(rows) == 3
    assert run_query(con, "ip_ranges", min_sightings=2).height == 2


def test_fetch_stats_by_strategy(con: duckdb.DuckDBPyConnection) -> None:
    t = datetime(2026, 5, 1, tzinfo=UTC)
    rows = []
    # "burst": stint 1 limited after 3 requests, stint 2 after 5; "paced": never limited.
    for strategy, stints in (("burst", [3, 5]), ("paced", [None])):
        for rotation, limit_after in enumerate(stints):
            n = (limit_after or 8) + (1 if limit_after else 0)
            for i in range(n):
                limited = limit_after is not None and i == limit_after
                rows.append(
                    {
                        "requested_at": t + timedelta(minutes=len(rows)),
                        "username": f"u{len(rows)}",
                        "egress_ip": f"10.0.{rotation}.1",
                        "strategy": strategy,
                        "endpoint": "web_profile_info",
                        "status": 401 if limited else 200,
                        "outcome": "rate_limited" if limited else "ok",
                        "latency_ms": float(100 + i),
                        "bytes": 1000,
                        "attempt": 1,
                        "rotation": rotation,
                        "run_id": f"run-{strategy}",
                    }
                )
    load_fetch_log(con, pl.DataFrame(rows))
    stats = {r["strategy"]: r for r in run_query(con, "fetch_stats_by_strategy").to_dicts()}
    burst, paced = stats["burst"], stats["paced"]
    assert burst["requests"] == 10 and burst["rate_limited"] == 2
    assert burst["stints_limited"] == 2
    assert burst["median_requests_before_limit"] == 4
    assert burst["min_requests_before_limit"] == 3
    assert paced["stints_limited"] == 0 and paced["longest_unlimited_stint"] == 8
    assert paced["latency_p50_ms"] == pytest.approx(103.5)


def test_unknown_query_and_parameter(con: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(QueryError, match="unknown query"):
        run_query(con, "nope")
    with pytest.raises(QueryError, match="no parameter"):
        run_query(con, "rising_hashtags", window=3)
    with pytest.raises(QueryError, match="not a valid int"):
        run_query(con, "rising_hashtags", limit="ten")


def test_parameters_are_bound_not_formatted(con: duckdb.DuckDBPyConnection) -> None:
    owner = ("1", "o'brien")
    body = profile_body("1", "o'brien", [node("p1", owner, AS_OF, "#x")])
    load_parsed(con, [parse_profile(body, fetched_at=AS_OF)])
    rebuild_posts_wide(con)
    hostile = "x'; DROP TABLE posts; --"
    assert run_query(con, "posting_times", username=hostile).height == 0
    assert run_query(con, "posting_times", username="o'brien")["posts"].sum() == 1
    assert con.execute("SELECT count(*) FROM posts").fetchall() == [(1,)]
