"""Queries that compute their window bounds first: same answers as the single-statement SQL
they replaced (kept in ``reference_sql/``), and window filters that reach the table scans."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from warehouse.load import load_parsed, rebuild_posts_wide, refresh_hashtag_daily
from warehouse.queries import QueryError, bind, execute, get_query, parse_query, run_query

from .conftest import AS_OF, synthetic_profiles

REFERENCE = Path(__file__).parent / "reference_sql"
ODD = AS_OF - timedelta(days=2, hours=5, minutes=17, seconds=3, microseconds=250)

# Parameter sets that move every bound: defaults (as_of from the data), an as_of inside a
# day, windows of other lengths, a window before the planted tag exists, one past the data.
CASES: dict[str, list[dict[str, Any]]] = {
    "rising_hashtags": [
        {},
        {"as_of": AS_OF, "limit": 50},
        {"as_of": ODD, "recent_days": 3, "baseline_days": 10, "min_recent": 1},
        {"as_of": AS_OF - timedelta(days=10), "min_recent": 1, "limit": 100},
        {"as_of": AS_OF + timedelta(days=30)},
        {"recent_days": 14, "baseline_days": 7, "min_recent": 2},
    ],
    "emerging_hashtags": [
        {},
        {"as_of": AS_OF, "min_recent": 1},
        {"as_of": ODD, "recent_days": 3, "min_recent": 1},
        {"as_of": AS_OF - timedelta(days=20), "recent_days": 30, "min_recent": 1},
    ],
    "top_hashtags_weekly": [
        {},
        {"top": 3},
        {"start": (AS_OF - timedelta(days=20)).date(), "top": 2},
        {"end": (AS_OF - timedelta(days=9)).date()},
        {"start": (AS_OF - timedelta(days=30)).date(), "end": (AS_OF - timedelta(days=3)).date()},
    ],
}


def _reference(con: duckdb.DuckDBPyConnection, name: str, params: dict[str, Any]) -> pl.DataFrame:
    """The pre-change SQL, one statement, with the same converted parameters (those it
    has: a parameter added since, at its default, changes nothing)."""
    values = bind(get_query(name), params)
    (statement,) = con.extract_statements((REFERENCE / f"{name}.sql").read_text("utf-8"))
    used = {k: v for k, v in values.items() if k in statement.named_parameters}
    return con.sql(statement.query, params=used).pl()


@pytest.fixture
def warehouse(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    # Several tags appear and vanish at different times, so windows see different answers.
    parsed = synthetic_profiles(profiles=30, posts_per_profile=60, days=50)
    parsed += synthetic_profiles(profiles=8, days=12, planted="Autumn", seed=11)
    parsed += synthetic_profiles(profiles=8, days=40, planted="Ωmega", seed=13)
    load_parsed(con, parsed)
    refresh_hashtag_daily(con)
    rebuild_posts_wide(con)
    return con


def test_the_reference_files_are_the_queries_that_changed() -> None:
    # trending_terms is compared in test_term_lists (its change: precomputed term lists).
    assert {p.stem for p in REFERENCE.glob("*.sql")} == set(CASES) | {"trending_terms"}


@pytest.mark.parametrize(
    ("name", "params"),
    [(name, params) for name, cases in CASES.items() for params in cases],
    ids=lambda v: v if isinstance(v, str) else ",".join(v) or "defaults",
)
def test_same_answer_as_the_single_statement_sql(
    warehouse: duckdb.DuckDBPyConnection, name: str, params: dict[str, Any]
) -> None:
    expected = _reference(warehouse, name, params)
    got = run_query(warehouse, name, **params)
    assert_frame_equal(got, expected)


def test_the_cases_are_not_trivial(warehouse: duckdb.DuckDBPyConnection) -> None:
    """Most cases return rows, and different ones: equal empty frames would prove nothing."""
    for name, cases in CASES.items():
        frames = [run_query(warehouse, name, **params) for params in cases]
        assert sum(f.height > 0 for f in frames) >= len(cases) - 1, name
        assert len({f.write_csv() for f in frames}) >= len(cases) - 1, name


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_answer_on_an_empty_warehouse(con: duckdb.DuckDBPyConnection, name: str) -> None:
    assert_frame_equal(run_query(con, name), _reference(con, name, {}))


def _scans(plan: dict[str, Any], table: str) -> list[dict[str, Any]]:
    """The table scans of ``table`` in a JSON plan (their names come qualified)."""
    found = []
    stack = list(plan["operator"])
    while stack:
        node = stack.pop()
        if node["type"] == "TABLE_SCAN" and node["extra_info"]["Table"].endswith(f".{table}"):
            found.append(node["extra_info"])
        stack.extend(node.get("children", []))
    return found


def _plan(con: duckdb.DuckDBPyConnection, sql: str, values: dict[str, Any]) -> dict[str, Any]:
    """EXPLAIN ANALYZE (as JSON) of the last statement of ``sql``, its parameters computed by
    the statements before it the way ``execute`` computes them."""
    *first, last = con.extract_statements(sql)
    for st in first:
        rel = con.sql(st.query, params={k: values[k] for k in st.named_parameters})
        values |= dict(zip(rel.columns, rel.fetchall()[0], strict=True))
    rows = con.sql(
        "EXPLAIN (ANALYZE, FORMAT json) " + last.query,
        params={k: values[k] for k in last.named_parameters},
    ).fetchall()
    return json.loads(rows[0][1])


@pytest.mark.parametrize(
    ("name", "table", "column", "params"),
    [
        ("rising_hashtags", "posts_wide", "taken_at", {}),
        # The default span covers all the test's days: the optimizer drops a filter it proves
        # always true, so the span starts later here.
        ("top_hashtags_weekly", "hashtag_daily", "day", {"start": (AS_OF - timedelta(20)).date()}),
    ],
)
def test_window_bounds_reach_every_scan(
    warehouse: duckdb.DuckDBPyConnection,
    name: str,
    table: str,
    column: str,
    params: dict[str, Any],
) -> None:
    """Each scan of the windowed table filters on the bound itself (zone maps can skip row
    groups); the reference SQL's scans compare rows with a subquery after reading them."""
    values = bind(get_query(name), params)
    plan = _plan(warehouse, get_query(name).sql, dict(values))
    windowed = _scans(plan, table)
    assert windowed
    assert all(column in str(s.get("Filters", "")) for s in windowed), windowed
    old = _plan(warehouse, (REFERENCE / f"{name}.sql").read_text("utf-8"), dict(values))
    old_scans = _scans(old, table)
    assert old_scans
    assert not all(column in str(s.get("Filters", "")) for s in old_scans)


def test_a_bounds_statement_must_return_one_row(con: duckdb.DuckDBPyConnection) -> None:
    header = "-- probe: a test query.\n--\n-- Computes then selects.\n"
    none = parse_query("probe", header + "SELECT 1 AS x WHERE false;\nSELECT $x AS y;")
    with pytest.raises(QueryError, match="returned 0 rows"):
        execute(con, none)
    two = parse_query("probe", header + "SELECT * FROM range(2) AS t(x);\nSELECT $x AS y;")
    with pytest.raises(QueryError, match="returned 2 rows"):
        execute(con, two)
    ok = parse_query("probe", header + "SELECT 41 AS x;\nSELECT $x + 1 AS y;")
    assert execute(con, ok)["y"].to_list() == [42]


def test_computed_values_cannot_shadow_parameters(con: duckdb.DuckDBPyConnection) -> None:
    text = (
        "-- probe: a test query.\n--\n-- Shadows.\n--\n-- @param n int = 1  A number.\n"
        "SELECT CAST($n AS INTEGER) + 1 AS n;\nSELECT $n AS y;"
    )
    with pytest.raises(QueryError, match="shadows a parameter"):
        execute(con, parse_query("probe", text))


def test_emerging_hashtags_reads_the_window_once(warehouse: duckdb.DuckDBPyConnection) -> None:
    """One scan of posts_wide: its distinct counts would otherwise make DuckDB scan and
    unnest the window once per aggregate."""
    values = bind(get_query("emerging_hashtags"), {"min_recent": 1})
    plan = _plan(warehouse, get_query("emerging_hashtags").sql, dict(values))
    assert len(_scans(plan, "posts_wide")) == 1
